/* json: strict JSON over jansson, and typed field access that names the path.
 * Rejects duplicate keys, NUL bytes, invalid UTF-8, trailing data and nesting
 * deeper than JSON_MAX_DEPTH; parse errors carry line and column. Accessors
 * produce messages like "manifest.json: variants[1].payloads[0].size: must be
 * a positive integer". Signed documents: parse only bytes already verified. */
#ifndef FERRY_JSON_H
#define FERRY_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define JSON_MAX_DEPTH 32

/* Parses len bytes; the top level must be an object. name is the file name
 * used in messages. *out is a new reference (caller json_decref's). */
bool json_parse_strict(const char *bytes, size_t len, const char *name, json_t **out,
		       struct ferry_error **err);
/* read_file_limited + json_parse_strict. */
bool json_load_file_strict(const char *path, size_t max, json_t **out, struct ferry_error **err);

/* A location inside a document, for messages: file name + JSON path. The
 * path is built as the reader descends: json_path_key(&child, &parent, "size"),
 * json_path_index(&child, &parent, 3). Fixed-size storage: no allocation. */
struct json_path {
	const char *file;
	char path[256];
};
void json_path_root(struct json_path *p, const char *file);
void json_path_key(struct json_path *out, const struct json_path *parent, const char *key);
void json_path_index(struct json_path *out, const struct json_path *parent, size_t index);
/* Sets err to "<file>: <path>: <message>" (or "<file>: <message>" at the root).
 * Always returns false, which the static analyser is told as for
 * ferry_error_set (common/error.h). */
bool json_path_error(struct ferry_error **err, const struct json_path *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#if defined(__clang_analyzer__) && !defined(FERRY_JSON_C)
#define json_path_error(...) (json_path_error(__VA_ARGS__), false)
#endif

/* Rejects keys of obj not listed in allowed (NULL-terminated). */
bool json_check_keys(json_t *obj, const struct json_path *p, const char *const allowed[],
		     struct ferry_error **err);

/* Formats exchanged between programs upgraded at different times (audit
 * records, inventory, ack) carry "format": their major version. Reads it
 * into *format (absent: 1 unless required) and refuses a major newer than
 * known with FERRY_E_FORMAT, naming both. Fields of a newer minor version
 * are the caller's to keep: json_count_unknown counts them. */
bool json_get_format(json_t *obj, const struct json_path *p, bool required, int64_t known,
		     int64_t *format, struct ferry_error **err);
/* Keys of obj not listed in known (NULL-terminated). */
size_t json_count_unknown(json_t *obj, const char *const known[]);

/* Typed getters. required=false leaves *out untouched when the key is absent;
 * a present key of the wrong type is always an error. */
bool json_get_string(json_t *obj, const struct json_path *p, const char *key, bool required,
		     const char **out, struct ferry_error **err);
/* json_get_string into a strdup'd copy (caller frees; untouched when absent). */
bool json_get_string_dup(json_t *obj, const struct json_path *p, const char *key, bool required,
			 char **out, struct ferry_error **err);
bool json_get_int(json_t *obj, const struct json_path *p, const char *key, bool required,
		  int64_t min, int64_t max, int64_t *out, struct ferry_error **err);
bool json_get_bool(json_t *obj, const struct json_path *p, const char *key, bool required,
		   bool *out, struct ferry_error **err);
/* An RFC 3339 UTC time string (rfc3339.h) into seconds since the epoch. */
bool json_get_time(json_t *obj, const struct json_path *p, const char *key, bool required,
		   int64_t *out, struct ferry_error **err);
bool json_get_object(json_t *obj, const struct json_path *p, const char *key, bool required,
		     json_t **out, struct ferry_error **err);
bool json_get_array(json_t *obj, const struct json_path *p, const char *key, bool required,
		    json_t **out, struct ferry_error **err);
/* An array of non-empty strings; *out is a NULL-terminated malloc'd array of
 * strdup'd strings (free with strv_free); absent and not required: *out = NULL. */
bool json_get_strv(json_t *obj, const struct json_path *p, const char *key, bool required,
		   char ***out, struct ferry_error **err);
void strv_free(char **v);
/* A JSON array of v's strings (NULL v: empty); NULL on out of memory. */
json_t *json_from_strv(char *const *v);
size_t strv_len(char *const *v);
/* Every entry a non-empty printable ASCII word without spaces (need_one: at
 * least one entry), else an error naming the entry's path. */
bool json_check_words(char *const *v, const struct json_path *p, bool need_one,
		      struct ferry_error **err);
/* v's strings separated by sep, into buf (truncated to size: for messages). */
const char *strv_join(char *const *v, const char *sep, char *buf, size_t size);

/* Deterministic compact serialization with sorted keys (audit records, acks):
 * returns malloc'd NUL-terminated text, caller frees. */
char *json_dump_canonical(const json_t *value);
/* True when text (len bytes) is exactly json_dump_canonical(value), value
 * being what was parsed from text; one pass over the bytes in the common
 * case, a dump and comparison where the pass is not sure (json_canon.c). */
bool json_canonical_text(const json_t *value, const char *text, size_t len);
/* One member of the top-level object json_canon_members scans: the key's
 * bytes (no quotes, no escapes) and the value's exact text. false: stop,
 * the caller is not sure. */
typedef bool (*json_canon_member_cb)(const char *key, size_t key_len, const char *value,
				     size_t value_len, void *ctx);
/* For a reader that takes a canonical object without building a tree: true
 * when text is an object that the one pass is sure is canonical and that
 * json_parse_strict accepts (strings of printable ASCII without escapes,
 * integers of at most 18 digits, no reals, nested at most JSON_CANON_DEPTH
 * levels), cb having accepted each top-level member, in key order. false
 * says nothing about the text: the caller parses it with jansson, which
 * decides. */
#define JSON_CANON_DEPTH 8
bool json_canon_members(const char *text, size_t len, json_canon_member_cb cb, void *ctx);

/* A document of its own that ferry-keys signs (trust policy, work order):
 * the exact bytes parsed strictly (json_parse_strict), only the keys listed
 * (NULL-terminated), "format" an integer from 1 to max_format. On success
 * *doc is a new reference (caller json_decref's) and *root its path. */
bool json_document_open(const char *bytes, size_t len, const char *name,
			const char *const keys[], int64_t max_format, json_t **doc,
			struct json_path *root, struct ferry_error **err);
/* The text of such a document: 2-space indent, sorted keys, ASCII only, a
 * final newline. NULL when out of memory; caller frees. */
char *json_document_text(const json_t *doc);

#endif
