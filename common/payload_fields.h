/* payload_fields: the payload object of a manifest variant and of a spec, in
 * one table (payload_fields.c): for every field its key, the documents it
 * appears in (spec, manifest), where it is required, its default, how it is
 * read, written and checked, and which handler kinds allow it (from
 * common/handler_kind). manifest.c, manifest_serialize.c and
 * manifest_validate.c go through it; a new payload field (a delta's base) is
 * its member in struct payload and its row. */
#ifndef FERRY_PAYLOAD_FIELDS_H
#define FERRY_PAYLOAD_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "json.h"

enum compression { COMPRESSION_NONE, COMPRESSION_ZSTD, COMPRESSION_XZ };

struct payload {
	char *name;              /* unique within its variant: [a-z0-9._-] */
	char *handler;           /* a name of common/handler_kind */
	char *target;            /* files: target name in agent.json; module: module name;
	                          * rootfs-ab: slot pair name (NULL: the default) */
	char *member;            /* "payloads/<variant>/<file>" in the bundle; in a spec: NULL */
	char *file;              /* spec only: path relative to the spec; in a manifest: NULL */
	enum compression compression;
	uint64_t size;           /* uncompressed bytes (manifest only; 0 in a spec) */
	char sha256[65];         /* of the uncompressed payload ("" in a spec) */
	char *chunks;            /* member name of the frame table (manifest only) */
	char chunks_sha256[65];  /* of the frame table member's bytes */
	bool allow_setuid;       /* files handler: keep setuid/setgid bits */
};

const char *compression_name(enum compression c);
bool compression_from_name(const char *s, enum compression *out);

/* Reads obj (the payload object at p, in a spec's form when spec) into *pl:
 * unknown keys, missing required fields and wrong types refused, defaults
 * filled in. Values are checked by payload_validate. Free with payload_clear. */
bool payload_parse(json_t *obj, const struct json_path *p, bool spec, struct payload *pl,
		   struct ferry_error **err);
/* The payload object of pl (spec: a spec's fields), keys in the fixed order
 * of the table; NULL on out of memory. */
json_t *payload_json(const struct payload *pl, bool spec);

struct manifest_members;
/* Where a payload sits, for its value rules. */
struct payload_place {
	bool spec;
	const char *variant_id;
	struct manifest_members *seen;   /* members of the bundle so far (manifest only) */
};
/* Checks every field's value rules, naming the field at p that breaks one. */
bool payload_validate(const struct payload *pl, const struct payload_place *at,
		      const struct json_path *p, struct ferry_error **err);
void payload_clear(struct payload *pl);

#endif
