/* inventory: inventory.json, what a device says about itself at every export
 * (written by the agent, signed by the device key, read by HQ; format in
 * docs/formats.md §6). One writer and one strict parser. Versioned: "format"
 * is the major version; a reader keeps fields of a newer minor version as
 * data and refuses a newer major (FERRY_E_FORMAT). */
#ifndef FERRY_INVENTORY_H
#define FERRY_INVENTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "json.h"

#define INVENTORY_FORMAT 1
#define INVENTORY_MAX    (1024 * 1024)

/* One inventory. The writer reads it; the parser fills it with strings and
 * objects that point into json (valid until inventory_clear). */
struct inventory {
	const char *device;               /* required */
	const char *type;                 /* may be NULL */
	const char *time;                 /* required, RFC 3339 UTC */
	const char *state;                /* the agent's state name, may be NULL */
	int64_t hw_revision;              /* -1: absent */
	int64_t security_version;         /* -1: absent */
	int64_t policy_serial;            /* -1: absent */
	size_t n_installed;
	const char **names, **versions;   /* installed bundle names and versions */
	const char *const *groups;        /* NULL-terminated, or NULL */
	const json_t *attributes, *slots, *boot, *free_space;   /* objects or NULL */
	/* software: installed bundle name -> {version, support_until, components}
	 * (docs/formats.md §6); the writer copies the object, the parser checks it
	 * and lists it in software_list */
	const json_t *software;
	struct inventory_software *software_list;
	size_t n_software;
	/* parser only */
	int64_t format;
	size_t n_unknown;                 /* fields of a newer minor version */
	json_t *json;                     /* owned */
	char **groups_owned;
};

/* The document's text: pretty-printed, keys sorted, ending in a newline;
 * checks what the parser requires first. Caller frees *text. */
/* What a device says runs there, per installed bundle (strings point into
 * the inventory's JSON). At most INVENTORY_SOFTWARE_MAX bundles of at most
 * INVENTORY_COMPONENTS_MAX components; each string as sbom_field_ok. */
#define INVENTORY_SOFTWARE_MAX 32
#define INVENTORY_COMPONENTS_MAX 2000
struct inventory_software {
	const char *bundle, *version;
	const char *support_until;        /* "YYYY-MM-DD" or NULL */
	bool truncated;                   /* the device kept only the first components */
	size_t n_components;
	const char **names, **versions, **licences;   /* licences[i] may be NULL */
};
/* inventory_software.c: the "software" object of root, checked. */
bool inventory_software_parse(json_t *root, const struct json_path *p, struct inventory *out,
			      struct ferry_error **err);
void inventory_software_clear(struct inventory *inv);

bool inventory_serialize(const struct inventory *inv, char **text, size_t *len,
			 struct ferry_error **err);
/* Strict parse of len bytes (name for messages): known fields of the right
 * types, time RFC 3339 UTC, installed {name: version}. */
bool inventory_parse(const char *data, size_t len, const char *name, struct inventory *out,
		     struct ferry_error **err);
void inventory_clear(struct inventory *inv);

#endif
