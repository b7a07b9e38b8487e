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
	/* parser only */
	int64_t format;
	size_t n_unknown;                 /* fields of a newer minor version */
	json_t *json;                     /* owned */
	char **groups_owned;
};

/* The document's text: pretty-printed, keys sorted, ending in a newline;
 * checks what the parser requires first. Caller frees *text. */
bool inventory_serialize(const struct inventory *inv, char **text, size_t *len,
			 struct ferry_error **err);
/* Strict parse of len bytes (name for messages): known fields of the right
 * types, time RFC 3339 UTC, installed {name: version}. */
bool inventory_parse(const char *data, size_t len, const char *name, struct inventory *out,
		     struct ferry_error **err);
void inventory_clear(struct inventory *inv);

#endif
