/* manifest_rules: the value rules and typed readers that several parts of a
 * manifest share (the top level, payloads, hooks): names, bundle members (each
 * used once per bundle), SHA-256 hex, sizes. Each rule names the JSON path of
 * the field it rejects; internal to the manifest modules (manifest*.c,
 * payload_fields.c). */
#ifndef FERRY_MANIFEST_RULES_H
#define FERRY_MANIFEST_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "json.h"

#define MANIFEST_NAME_MAX_BYTES 64
#define MANIFEST_NAME_RULE "1 to 64 characters of a-z 0-9 . _ - starting with a letter or digit"

/* A character of a name: [a-z0-9._-]. */
bool manifest_name_char(char c);
/* [a-z0-9._-], 1..64 bytes, starting with a letter or digit: FAT-safe. */
bool manifest_name_valid(const char *s);
/* s at p is present and a valid name. */
bool manifest_check_name(const struct json_path *p, const char *s, struct ferry_error **err);
bool manifest_check_sha256(const char *hex, const struct json_path *p, struct ferry_error **err);
/* 1..max bytes. */
bool manifest_check_size(uint64_t size, uint64_t max, const struct json_path *p,
			 struct ferry_error **err);

/* The members already named in one bundle, to refuse a second use. */
struct manifest_members {
	struct manifest_seen_member *items;
	size_t n, cap;
};
void manifest_members_clear(struct manifest_members *seen);
/* member at p is "payloads/<variant_id>/<file>", a safe relative path with a
 * FAT-safe file name, and not used before in this bundle (remembered). */
bool manifest_check_member(struct manifest_members *seen, const char *member,
			   const char *variant_id, const struct json_path *p,
			   struct ferry_error **err);

/* Typed readers: a required integer >= min (0 or 1), a required positive
 * size, a required SHA-256 hex string. */
bool manifest_get_count(json_t *obj, const struct json_path *p, const char *key, json_int_t min,
			int64_t *out, struct ferry_error **err);
bool manifest_get_size(json_t *obj, const struct json_path *p, const char *key, uint64_t *out,
		       struct ferry_error **err);
bool manifest_get_sha256(json_t *obj, const struct json_path *p, const char *key, char out[65],
			 struct ferry_error **err);

#endif
