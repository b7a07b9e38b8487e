/* compat: see compat.h. */
#include "compat.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "semver.h"

static const char *const compat_keys[] = { "device_type", "hw_revision", "installed_version",
					   "attributes", NULL };

/* ---- reading ------------------------------------------------------------ */

static bool parse_attribute(json_t *obj, const struct json_path *p, const char *name,
			    struct compat_attribute *a, struct ferry_error **err)
{
	struct json_path ap;
	json_path_key(&ap, p, name);
	if (!(a->name = strdup(name)))
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	json_t *v = json_object_get(obj, name);
	if (json_is_string(v)) {
		a->globs = calloc(2, sizeof(*a->globs));
		if (!a->globs || !(a->globs[0] = strdup(json_string_value(v))))
			return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		return true;
	}
	if (!json_is_array(v))
		return json_path_error(err, &ap, "must be a string or a list of strings");
	return json_get_strv(obj, p, name, true, &a->globs, err);
}

static bool parse_attributes(json_t *obj, const struct json_path *p, struct compat *c,
			     struct ferry_error **err)
{
	json_t *attrs = NULL;
	struct json_path ap;
	if (!json_get_object(obj, p, "attributes", false, &attrs, err))
		return false;
	if (!attrs)
		return true;
	json_path_key(&ap, p, "attributes");
	c->attributes = calloc(json_object_size(attrs) + 1, sizeof(*c->attributes));
	if (!c->attributes)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	const char *name;
	json_t *v;
	json_object_foreach(attrs, name, v) {
		if (!parse_attribute(attrs, &ap, name, &c->attributes[c->n_attributes++], err))
			return false;
	}
	return true;
}

bool compat_parse(json_t *obj, const struct json_path *p, struct compat *c,
		  struct ferry_error **err)
{
	return json_check_keys(obj, p, compat_keys, err) &&
	       json_get_strv(obj, p, "device_type", true, &c->device_type, err) &&
	       json_get_string_dup(obj, p, "hw_revision", false, &c->hw_revision, err) &&
	       json_get_string_dup(obj, p, "installed_version", false, &c->installed_version, err) &&
	       parse_attributes(obj, p, c, err);
}

void compat_free(struct compat *c)
{
	strv_free(c->device_type);
	free(c->hw_revision);
	free(c->installed_version);
	for (size_t i = 0; i < c->n_attributes; i++) {
		free(c->attributes[i].name);
		strv_free(c->attributes[i].globs);
	}
	free(c->attributes);
	memset(c, 0, sizeof(*c));
}

/* ---- validating --------------------------------------------------------- */

static bool check_range(const char *text, enum semver_range_kind kind, const struct json_path *p,
			struct ferry_error **err)
{
	struct semver_range r;
	struct ferry_error *rerr = NULL;
	if (!text)
		return true;
	if (!semver_range_parse(text, kind, &r, &rerr)) {
		json_path_error(err, p, "%s", ferry_error_message(rerr));
		ferry_error_free(rerr);
		return false;
	}
	semver_range_free(&r);
	return true;
}

bool compat_validate(const struct compat *c, const struct json_path *p, struct ferry_error **err)
{
	struct json_path fp, ap;
	json_path_key(&fp, p, "device_type");
	if (!json_check_words(c->device_type, &fp, true, err))
		return false;
	json_path_key(&fp, p, "hw_revision");
	if (!check_range(c->hw_revision, SEMVER_RANGE_INTEGER, &fp, err))
		return false;
	json_path_key(&fp, p, "installed_version");
	if (!check_range(c->installed_version, SEMVER_RANGE_VERSION, &fp, err))
		return false;
	json_path_key(&ap, p, "attributes");
	for (size_t i = 0; i < c->n_attributes; i++) {
		const char *n = c->attributes[i].name;
		json_path_key(&fp, &ap, n);
		if (!n[0] || strlen(n) > 64 || strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(n))
			return json_path_error(err, &fp, "an attribute name is 1-64 of [a-z0-9_.-]");
		if (!json_check_words(c->attributes[i].globs, &fp, true, err))
			return false;
	}
	return true;
}

/* ---- writing ------------------------------------------------------------ */

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static bool put(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) == 0;
}

json_t *compat_json(const struct compat *c)
{
	json_t *o = json_object(), *attrs = c->n_attributes ? json_object() : NULL;
	bool ok = o && put(o, "device_type", strv_json(c->device_type)) &&
		  (!c->hw_revision || put(o, "hw_revision", json_string(c->hw_revision))) &&
		  (!c->installed_version || put(o, "installed_version", json_string(c->installed_version))) &&
		  (!c->n_attributes || attrs);
	for (size_t i = 0; ok && i < c->n_attributes; i++)
		ok = put(attrs, c->attributes[i].name, strv_json(c->attributes[i].globs));
	if (ok && attrs) {
		ok = put(o, "attributes", attrs);
		attrs = NULL;
	}
	json_decref(attrs);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- checking a device -------------------------------------------------- */

bool compat_type_listed(const struct compat *c, const char *type)
{
	for (char **p = c->device_type; type && p && *p; p++)
		if (fnmatch(*p, type, 0) == 0)
			return true;
	return false;
}

/* What one criterion check needs. */
struct subject {
	const struct compat *c;
	const char *variant, *bundle;
	const struct device_facts *d;
	const struct semver *installed;
	struct decision *out;
};

static bool check_hw_revision(const struct subject *s, bool *fits, struct ferry_error **err)
{
	struct semver_range r;
	const char *want = s->c->hw_revision;
	int64_t have = s->d->hw_revision;
	if (!want)
		return true;
	if (!semver_range_parse(want, SEMVER_RANGE_INTEGER, &r, err))
		return false;
	bool in = have >= 0 && semver_range_match_integer(&r, have);
	semver_range_free(&r);
	if (in)
		return true;
	*fits = false;
	return have < 0 ? decision_add_reason(s->out, err, DECIDE_HW_REVISION,
					      "hardware revision unknown, variant %s needs %s",
					      s->variant, want)
			: decision_add_reason(s->out, err, DECIDE_HW_REVISION,
					      "hardware revision %lld is outside %s (variant %s)",
					      (long long)have, want, s->variant);
}

static bool check_installed_version(const struct subject *s, bool *fits, struct ferry_error **err)
{
	struct semver_range r;
	const char *want = s->c->installed_version;
	if (!want)
		return true;
	if (!semver_range_parse(want, SEMVER_RANGE_VERSION, &r, err))
		return false;
	bool in = s->installed && semver_range_match_version(&r, s->installed);
	semver_range_free(&r);
	if (in)
		return true;
	*fits = false;
	return s->installed
		? decision_add_reason(s->out, err, DECIDE_INSTALLED_VERSION,
				      "installed %s %s is outside %s (variant %s)", s->bundle,
				      s->d->installed_version, want, s->variant)
		: decision_add_reason(s->out, err, DECIDE_INSTALLED_VERSION,
				      "%s is not installed, variant %s needs an installed version in %s",
				      s->bundle, s->variant, want);
}

static const char *device_attribute(const struct device_facts *d, const char *name)
{
	for (size_t i = 0; i < d->n_attributes; i++)
		if (strcmp(d->attributes[i].key, name) == 0)
			return d->attributes[i].value;
	return NULL;
}

static bool check_attributes(const struct subject *s, bool *fits, struct ferry_error **err)
{
	for (size_t i = 0; i < s->c->n_attributes; i++) {
		const struct compat_attribute *a = &s->c->attributes[i];
		const char *have = device_attribute(s->d, a->name);
		bool in = false;
		for (char **g = a->globs; have && g && *g && !in; g++)
			in = fnmatch(*g, have, 0) == 0;
		if (in)
			continue;
		*fits = false;
		char want[256];
		strv_join(a->globs, ", ", want, sizeof(want));
		if (!(have ? decision_add_reason(s->out, err, DECIDE_ATTRIBUTE,
						 "attribute %s '%s' is not one of %s (variant %s)",
						 a->name, have, want, s->variant)
			   : decision_add_reason(s->out, err, DECIDE_ATTRIBUTE,
						 "attribute %s is not set, variant %s needs one of %s",
						 a->name, s->variant, want)))
			return false;
	}
	return true;
}

/* Every criterion beyond device_type, in the order their reasons are listed. */
static bool (*const checks[])(const struct subject *, bool *, struct ferry_error **) = {
	check_hw_revision, check_installed_version, check_attributes,
};

bool compat_check(const struct compat *c, const char *variant_id, const char *bundle_name,
		  const struct device_facts *d, const struct semver *installed,
		  struct decision *out, bool *fits, struct ferry_error **err)
{
	const struct subject s = { c, variant_id, bundle_name, d, installed, out };
	*fits = true;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (!checks[i](&s, fits, err))
			return false;
	return true;
}

const char *compat_describe(const struct compat *c, char *buf, size_t size)
{
	char types[256], globs[256];
	int n = snprintf(buf, size, "device_type %s", strv_join(c->device_type, ",", types, sizeof(types)));
	if (c->hw_revision && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "; hw_revision %s", c->hw_revision);
	if (c->installed_version && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "; installed_version %s", c->installed_version);
	for (size_t i = 0; i < c->n_attributes && n >= 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, "; %s %s", c->attributes[i].name,
			      strv_join(c->attributes[i].globs, "|", globs, sizeof(globs)));
	return buf;
}
