/* json: see json.h. */
#define FERRY_JSON_C   /* defines what json.h's analyser macro stands for */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"
#include "safefile.h"

static bool depth_ok(const json_t *v, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return false;
	if (json_is_object(v)) {
		const char *k;
		json_t *child;
		json_object_foreach((json_t *)v, k, child)
			if (!depth_ok(child, depth + 1))
				return false;
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child)
			if (!depth_ok(child, depth + 1))
				return false;
	}
	return true;
}

/* Counts nesting before parsing so that absurdly deep input never reaches the
 * recursive parser (jansson allows 2048 levels). Strings are skipped. */
static bool raw_depth_ok(const char *s, size_t len)
{
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return false;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return true;
}

/* Messages quote document content (keys, values, jansson's "near '…'"):
 * keep them one line of printable ASCII, so no byte of a document can break
 * a log line or reach a terminal as a control sequence. */
static void ascii_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

bool json_parse_strict(const char *bytes, size_t len, const char *name, json_t **out,
		       struct ferry_error **err)
{
	json_error_t jerr;
	if (memchr(bytes, '\0', len))
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: contains a NUL byte", name);
	if (!raw_depth_ok(bytes, len))
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: nested deeper than %d levels", name, JSON_MAX_DEPTH);
	json_t *root = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		ascii_line(jerr.text);   /* jansson quotes the input ("near '…'") */
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: line %d, column %d: %s", name, jerr.line,
				       jerr.column, jerr.text);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: top level must be an object", name);
	}
	if (!depth_ok(root, 1)) {
		json_decref(root);
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: nested deeper than %d levels", name, JSON_MAX_DEPTH);
	}
	*out = root;
	return true;
}

bool json_load_file_strict(const char *path, size_t max, json_t **out, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	if (!read_file_limited(path, max, &data, &len, err))
		return false;
	bool ok = json_parse_strict(data, len, path, out, err);
	free(data);
	return ok;
}

void json_path_root(struct json_path *p, const char *file)
{
	p->file = file;
	p->path[0] = '\0';
}

/* Paths deeper than the buffer are truncated: they only serve messages. */
void json_path_key(struct json_path *out, const struct json_path *parent, const char *key)
{
	out->file = parent->file;
	if (parent->path[0])
		snprintf(out->path, sizeof(out->path), "%s.%s", parent->path, key);
	else
		snprintf(out->path, sizeof(out->path), "%s", key);
}

void json_path_index(struct json_path *out, const struct json_path *parent, size_t index)
{
	out->file = parent->file;
	snprintf(out->path, sizeof(out->path), "%s[%zu]", parent->path, index);
}

bool json_path_error(struct ferry_error **err, const struct json_path *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ascii_line(msg);
	char path[sizeof(p->path)];
	snprintf(path, sizeof(path), "%s", p->path);
	ascii_line(path);   /* keys come from the document too */
	const char *file = p->file ? p->file : "document";
	if (path[0])
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: %s: %s", file, path, msg);
	return ferry_error_setc(err, FERRY_E_FORMAT, "%s: %s", file, msg);
}

static bool key_listed(const char *key, const char *const list[])
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return true;
	return false;
}

bool json_check_keys(json_t *obj, const struct json_path *p, const char *const allowed[],
		     struct ferry_error **err)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (!key_listed(key, allowed)) {
			struct json_path kp;
			json_path_key(&kp, p, key);
			return json_path_error(err, &kp, "unknown key");
		}
	}
	return true;
}

size_t json_count_unknown(json_t *obj, const char *const known[])
{
	const char *key;
	json_t *v;
	size_t n = 0;
	json_object_foreach(obj, key, v)
		n += !key_listed(key, known);
	return n;
}

bool json_get_format(json_t *obj, const struct json_path *p, bool required, int64_t known,
		     int64_t *format, struct ferry_error **err)
{
	*format = 1;
	if (!json_get_int(obj, p, "format", required, 1, INT64_MAX, format, err)) {
		ferry_error_classify(err, FERRY_E_FORMAT);
		return false;
	}
	if (*format <= known)
		return true;
	json_path_error(err, p, "format %lld is newer than this reader knows (%lld): upgrade it "
			"to read this", (long long)*format, (long long)known);
	ferry_error_classify(err, FERRY_E_FORMAT);
	return false;
}

/* Looks up key; false with an error if required and absent. *found says
 * whether the caller has a value to check. */
static bool lookup(json_t *obj, const struct json_path *p, const char *key, bool required,
		   json_t **v, struct json_path *kp, struct ferry_error **err)
{
	json_path_key(kp, p, key);
	*v = json_object_get(obj, key);
	if (!*v && required)
		return json_path_error(err, kp, "missing");
	return true;
}

/* lookup, then the value's type: type (JSON_TRUE: either boolean), or an
 * error at the key saying what it must be. */
static bool lookup_typed(json_t *obj, const struct json_path *p, const char *key, bool required,
			 json_type type, const char *must, json_t **v, struct json_path *kp,
			 struct ferry_error **err)
{
	if (!lookup(obj, p, key, required, v, kp, err))
		return false;
	if (!*v || json_typeof(*v) == type || (type == JSON_TRUE && json_is_boolean(*v)))
		return true;
	return json_path_error(err, kp, "must be %s", must);
}

bool json_get_string(json_t *obj, const struct json_path *p, const char *key, bool required,
		     const char **out, struct ferry_error **err)
{
	json_t *v;
	struct json_path kp;
	if (!lookup_typed(obj, p, key, required, JSON_STRING, "a string", &v, &kp, err))
		return false;
	if (v)
		*out = json_string_value(v);
	return true;
}

bool json_get_string_dup(json_t *obj, const struct json_path *p, const char *key, bool required,
			 char **out, struct ferry_error **err)
{
	const char *s = NULL;
	if (!json_get_string(obj, p, key, required, &s, err))
		return false;
	if (s && !(*out = strdup(s)))
		return ferry_error_set(err, "out of memory");
	return true;
}

bool json_get_int(json_t *obj, const struct json_path *p, const char *key, bool required,
		  int64_t min, int64_t max, int64_t *out, struct ferry_error **err)
{
	json_t *v;
	struct json_path kp;
	if (!lookup_typed(obj, p, key, required, JSON_INTEGER, "an integer", &v, &kp, err))
		return false;
	if (!v)
		return true;
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return json_path_error(err, &kp, "must be between %lld and %lld",
				       (long long)min, (long long)max);
	*out = n;
	return true;
}

bool json_get_bool(json_t *obj, const struct json_path *p, const char *key, bool required,
		   bool *out, struct ferry_error **err)
{
	json_t *v;
	struct json_path kp;
	if (!lookup_typed(obj, p, key, required, JSON_TRUE, "true or false", &v, &kp, err))
		return false;
	if (v)
		*out = json_is_true(v);
	return true;
}

bool json_get_object(json_t *obj, const struct json_path *p, const char *key, bool required,
		     json_t **out, struct ferry_error **err)
{
	json_t *v;
	struct json_path kp;
	if (!lookup_typed(obj, p, key, required, JSON_OBJECT, "an object", &v, &kp, err))
		return false;
	if (v)
		*out = v;
	return true;
}

bool json_get_array(json_t *obj, const struct json_path *p, const char *key, bool required,
		    json_t **out, struct ferry_error **err)
{
	json_t *v;
	struct json_path kp;
	if (!lookup_typed(obj, p, key, required, JSON_ARRAY, "an array", &v, &kp, err))
		return false;
	if (v)
		*out = v;
	return true;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

const char *strv_join(char *const *v, const char *sep, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; v && v[i] && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? sep : "", v[i]);
	return buf;
}

bool json_get_strv(json_t *obj, const struct json_path *p, const char *key, bool required,
		   char ***out, struct ferry_error **err)
{
	json_t *arr = NULL;
	struct json_path kp;
	json_path_key(&kp, p, key);
	if (!json_get_array(obj, p, key, required, &arr, err))
		return false;
	if (!arr) {
		*out = NULL;
		return true;
	}
	size_t n = json_array_size(arr);
	char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, i);
		struct json_path ip;
		json_path_index(&ip, &kp, i);
		if (!json_is_string(s) || json_string_length(s) == 0) {
			strv_free(v);
			return json_path_error(err, &ip, "must be a non-empty string");
		}
		v[i] = strdup(json_string_value(s));
		if (!v[i]) {
			strv_free(v);
			return ferry_error_set(err, "out of memory");
		}
	}
	*out = v;
	return true;
}

char *json_dump_canonical(const json_t *value)
{
	return json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

bool json_document_open(const char *bytes, size_t len, const char *name,
			const char *const keys[], int64_t max_format, json_t **doc,
			struct json_path *root, struct ferry_error **err)
{
	int64_t format = 0;
	json_path_root(root, name);
	*doc = NULL;
	if (!json_parse_strict(bytes, len, name, doc, err))
		return false;
	if (json_check_keys(*doc, root, keys, err) &&
	    json_get_int(*doc, root, "format", true, 1, max_format, &format, err))
		return true;
	json_decref(*doc);
	*doc = NULL;
	return false;
}

char *json_document_text(const json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII), *out = NULL;
	if (text && asprintf(&out, "%s\n", text) < 0)
		out = NULL;
	free(text);
	return out;
}

bool json_check_words(char *const *v, const struct json_path *p, bool need_one,
			struct ferry_error **err)
{
	if (need_one && strv_len(v) == 0)
		return json_path_error(err, p, "must list at least one entry");
	for (size_t i = 0; v && v[i]; i++) {
		struct json_path ip;
		json_path_index(&ip, p, i);
		if (!v[i][0])
			return json_path_error(err, &ip, "must be a non-empty string");
		for (const char *c = v[i]; *c; c++)
			if (*c <= ' ' || *c > '~')
				return json_path_error(err, &ip, "'%s' may hold only printable ASCII without spaces",
						       v[i]);
	}
	return true;
}

bool json_get_time(json_t *obj, const struct json_path *p, const char *key, bool required,
		   int64_t *out, struct ferry_error **err)
{
	const char *s = NULL;
	struct json_path kp;
	struct ferry_error *terr = NULL;
	if (!json_get_string(obj, p, key, required, &s, err))
		return false;
	if (!s)
		return true;
	json_path_key(&kp, p, key);
	if (!rfc3339_parse_utc(s, out, &terr)) {
		json_path_error(err, &kp, "%s", ferry_error_message(terr));
		ferry_error_free(terr);
		return false;
	}
	return true;
}

json_t *json_from_strv(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}
