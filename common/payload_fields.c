/* payload_fields: see payload_fields.h. One row per field of the payload
 * object, in the order the fields are written; reading, writing, defaults,
 * freeing and the value rules all walk the same table. */
#include "payload_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_kind.h"
#include "manifest_rules.h"

/* The documents a field appears in (or is required in). */
enum { IN_SPEC = 1, IN_MANIFEST = 2, IN_BOTH = 3 };

/* How a field is stored in struct payload and spelled in JSON. */
enum field_type {
	F_STRING,        /* char *: written when set */
	F_SHA256,        /* char[65]: 64 lowercase hex digits */
	F_SIZE,          /* uint64_t: a positive integer */
	F_BOOL,          /* bool: written only when true */
	F_COMPRESSION,   /* enum compression: its name */
};

/* What one value rule sees. */
struct check {
	const struct payload *pl;
	const struct payload_place *at;
	const struct handler_kind *kind;   /* of pl->handler; NULL only before "handler" passed */
	const void *value;                 /* the field in *pl */
	bool required;                     /* in this document */
	const struct json_path *fp;        /* the field's path */
};

struct field {
	const char *key;
	enum field_type type;
	size_t offset;                     /* in struct payload */
	unsigned in;                       /* documents it may appear in */
	unsigned required;                 /* documents it must appear in */
	int dflt;                          /* F_BOOL / F_COMPRESSION value when absent */
	const char *elsewhere;             /* why it is set in the other document (NULL: generic) */
	bool (*check)(const struct check *c, struct ferry_error **err);
};

const char *compression_name(enum compression c)
{
	switch (c) {
	case COMPRESSION_NONE: return "none";
	case COMPRESSION_ZSTD: return "zstd";
	case COMPRESSION_XZ: return "xz";
	}
	return "?";
}

bool compression_from_name(const char *s, enum compression *out)
{
	static const enum compression all[] = { COMPRESSION_NONE, COMPRESSION_ZSTD, COMPRESSION_XZ };
	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, compression_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	return false;
}

/* --- the value rules of the rows --------------------------------------------- */

static const char *string_of(const struct check *c)
{
	return *(char *const *)c->value;
}

static bool check_name(const struct check *c, struct ferry_error **err)
{
	return manifest_check_name(c->fp, string_of(c), err);
}

static bool check_handler(const struct check *c, struct ferry_error **err)
{
	if (!c->kind)
		return json_path_error(err, c->fp, "'%s' is not one of %s", c->pl->handler,
				       handler_kind_names());
	return true;
}

/* What the handler kind makes of "target". */
static bool check_target(const struct check *c, struct ferry_error **err)
{
	const struct handler_kind *k = c->kind;
	const char *target = string_of(c);
	if (k->target == HANDLER_TARGET_DIR && !target)
		return json_path_error(err, c->fp, "missing (the %s handler needs a target from agent.json)", k->name);
	if (k->target == HANDLER_TARGET_MODULE && !target)
		return json_path_error(err, c->fp, "missing (the %s handler needs the module name)", k->name);
	if (k->target == HANDLER_TARGET_NONE && target)
		return json_path_error(err, c->fp, "not used by the %s handler", k->name);
	return !target || manifest_check_name(c->fp, target, err);
}

static bool check_member(const struct check *c, struct ferry_error **err)
{
	return manifest_check_member(c->at->seen, string_of(c), c->at->variant_id, c->fp, err);
}

static bool check_file(const struct check *c, struct ferry_error **err)
{
	return *string_of(c) ? true : json_path_error(err, c->fp, "must not be empty");
}

static bool check_compression(const struct check *c, struct ferry_error **err)
{
	enum compression known;
	if (!compression_from_name(compression_name(*(const enum compression *)c->value), &known))
		return json_path_error(err, c->fp, "unknown compression");
	return true;
}

static bool check_size(const struct check *c, struct ferry_error **err)
{
	return manifest_check_size(*(const uint64_t *)c->value, (uint64_t)INT64_MAX, c->fp, err);
}

static bool check_sha256(const struct check *c, struct ferry_error **err)
{
	const char *hex = c->value;
	return (!c->required && !*hex) || manifest_check_sha256(hex, c->fp, err);
}

/* The names of the handlers that may create setuid files or devices, "a, b". */
static const char *special_handlers(char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int id = 0; id < HANDLER_COUNT_ && off < size; id++)
		if (handler_kind_get(id)->may_create_special)
			off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
						handler_kind_get(id)->name);
	return buf;
}

static bool check_allow_setuid(const struct check *c, struct ferry_error **err)
{
	char names[128];
	if (*(const bool *)c->value && !c->kind->may_create_special)
		return json_path_error(err, c->fp, "only the %s handler extracts file modes",
				       special_handlers(names, sizeof(names)));
	return true;
}

/* --- the table ------------------------------------------------------------------ */

#define AT(member) offsetof(struct payload, member)
static const struct field fields[] = {
	{ "name", F_STRING, AT(name), IN_BOTH, IN_BOTH, 0, NULL, check_name },
	{ "handler", F_STRING, AT(handler), IN_BOTH, IN_BOTH, 0, NULL, check_handler },
	{ "target", F_STRING, AT(target), IN_BOTH, 0, 0, NULL, check_target },
	{ "member", F_STRING, AT(member), IN_MANIFEST, IN_MANIFEST, 0,
	  "not allowed in a spec (use file)", check_member },
	{ "file", F_STRING, AT(file), IN_SPEC, IN_SPEC, 0, NULL, check_file },
	{ "compression", F_COMPRESSION, AT(compression), IN_BOTH, IN_MANIFEST, COMPRESSION_ZSTD, NULL,
	  check_compression },
	{ "size", F_SIZE, AT(size), IN_MANIFEST, IN_MANIFEST, 0, NULL, check_size },
	{ "sha256", F_SHA256, AT(sha256), IN_MANIFEST, IN_MANIFEST, 0, NULL, check_sha256 },
	{ "chunks", F_STRING, AT(chunks), IN_MANIFEST, IN_MANIFEST, 0, NULL, check_member },
	{ "chunks_sha256", F_SHA256, AT(chunks_sha256), IN_MANIFEST, IN_MANIFEST, 0, NULL, check_sha256 },
	{ "allow_setuid", F_BOOL, AT(allow_setuid), IN_BOTH, 0, false, NULL, check_allow_setuid },
};
#undef AT
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static unsigned document(bool spec)
{
	return spec ? IN_SPEC : IN_MANIFEST;
}

/* --- reading ---------------------------------------------------------------------- */

static bool read_compression(json_t *obj, const struct json_path *p, const struct field *f,
			     bool required, enum compression *out, struct ferry_error **err)
{
	const char *name = NULL;
	struct json_path fp;
	*out = (enum compression)f->dflt;
	if (!json_get_string(obj, p, f->key, required, &name, err))
		return false;
	json_path_key(&fp, p, f->key);
	if (name && !compression_from_name(name, out))
		return json_path_error(err, &fp, "'%s' is not one of zstd, xz, none", name);
	return true;
}

static bool read_field(json_t *obj, const struct json_path *p, const struct field *f, bool spec,
		       struct payload *pl, struct ferry_error **err)
{
	bool required = f->required & document(spec);
	void *value = (char *)pl + f->offset;
	if (!required && f->type != F_COMPRESSION && !json_object_get(obj, f->key)) {
		if (f->type == F_BOOL)
			*(bool *)value = f->dflt;
		return true;
	}
	switch (f->type) {
	case F_STRING: return json_get_string_dup(obj, p, f->key, required, value, err);
	case F_SHA256: return manifest_get_sha256(obj, p, f->key, value, err);
	case F_SIZE: return manifest_get_size(obj, p, f->key, value, err);
	case F_BOOL: return json_get_bool(obj, p, f->key, required, value, err);
	case F_COMPRESSION: return read_compression(obj, p, f, required, value, err);
	}
	return false;
}

bool payload_parse(json_t *obj, const struct json_path *p, bool spec, struct payload *pl,
		   struct ferry_error **err)
{
	const char *keys[N_FIELDS + 1];
	size_t n = 0;
	if (!json_is_object(obj))
		return json_path_error(err, p, "must be an object");
	for (size_t i = 0; i < N_FIELDS; i++)
		if (fields[i].in & document(spec))
			keys[n++] = fields[i].key;
	keys[n] = NULL;
	if (!json_check_keys(obj, p, keys, err))
		return false;
	for (size_t i = 0; i < N_FIELDS; i++)
		if ((fields[i].in & document(spec)) && !read_field(obj, p, &fields[i], spec, pl, err))
			return false;
	return true;
}

/* --- writing ---------------------------------------------------------------------- */

static bool write_field(json_t *o, const struct field *f, const struct payload *pl)
{
	const void *value = (const char *)pl + f->offset;
	json_t *v = NULL;
	switch (f->type) {
	case F_STRING:
		if (!*(char *const *)value)
			return true;
		v = json_string(*(char *const *)value);
		break;
	case F_SHA256:
		if (!*(const char *)value)   /* an optional hash not set */
			return true;
		v = json_string(value);
		break;
	case F_SIZE: v = json_integer((json_int_t)*(const uint64_t *)value); break;
	case F_BOOL:
		if (!*(const bool *)value)
			return true;
		v = json_true();
		break;
	case F_COMPRESSION: v = json_string(compression_name(*(const enum compression *)value)); break;
	}
	return v && json_object_set_new(o, f->key, v) == 0;
}

json_t *payload_json(const struct payload *pl, bool spec)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < N_FIELDS; i++)
		if ((fields[i].in & document(spec)) && !write_field(o, &fields[i], pl)) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* --- checking and freeing -------------------------------------------------------------- */

/* A field of the other document must not be set. */
static bool check_absent(const struct field *f, const void *value, const struct json_path *fp,
			 struct ferry_error **err)
{
	if (f->type != F_STRING || !*(char *const *)value)
		return true;
	if (f->elsewhere)
		return json_path_error(err, fp, "%s", f->elsewhere);
	return json_path_error(err, fp, f->in == IN_SPEC ? "allowed only in a spec" : "not allowed in a spec");
}

bool payload_validate(const struct payload *pl, const struct payload_place *at,
		      const struct json_path *p, struct ferry_error **err)
{
	unsigned doc = document(at->spec);
	struct check c = { pl, at, pl->handler ? handler_kind_find(pl->handler) : NULL, NULL, NULL,
			   false };
	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];
		struct json_path fp;
		json_path_key(&fp, p, f->key);
		c.value = (const char *)pl + f->offset;
		c.fp = &fp;
		c.required = f->required & doc;
		if (!(f->in & doc)) {
			if (!check_absent(f, c.value, &fp, err))
				return false;
			continue;
		}
		if (f->type == F_STRING && c.required && !*(char *const *)c.value)
			return json_path_error(err, &fp, "missing");
		if (f->check && !f->check(&c, err))
			return false;
	}
	return true;
}

void payload_clear(struct payload *pl)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (fields[i].type == F_STRING)
			free(*(char **)((char *)pl + fields[i].offset));
}
