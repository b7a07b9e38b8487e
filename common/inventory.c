/* inventory: see inventory.h. */
#include "inventory.h"

#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "json.h"
#include "rfc3339.h"

static const char *const inventory_keys[] = {
	"format", "device", "type", "hw_revision", "time", "installed", "security_version",
	"policy_serial", "slots", "boot", "groups", "attributes", "state", "free_space", "software", NULL,
};

static bool set_int_if(json_t *o, const char *key, int64_t v)
{
	return v < 0 || json_object_set_new(o, key, json_integer(v)) == 0;
}

static bool set_copy_if(json_t *o, const char *key, const json_t *v)
{
	return !v || json_object_set_new(o, key, json_deep_copy(v)) == 0;
}

static bool set_string_if(json_t *o, const char *key, const char *v)
{
	return !v || json_object_set_new(o, key, json_string(v)) == 0;
}

static json_t *build(const struct inventory *inv)
{
	json_t *o = json_object(), *installed = json_object(), *groups = NULL;
	bool ok = o && installed &&
		  !json_object_set_new(o, "format", json_integer(INVENTORY_FORMAT)) &&
		  set_string_if(o, "device", inv->device) && set_string_if(o, "time", inv->time) &&
		  set_string_if(o, "type", inv->type) && set_string_if(o, "state", inv->state) &&
		  set_int_if(o, "hw_revision", inv->hw_revision) &&
		  set_int_if(o, "security_version", inv->security_version) &&
		  set_int_if(o, "policy_serial", inv->policy_serial) &&
		  set_copy_if(o, "attributes", inv->attributes) && set_copy_if(o, "slots", inv->slots) &&
		  set_copy_if(o, "boot", inv->boot) && set_copy_if(o, "free_space", inv->free_space) &&
		  set_copy_if(o, "software", inv->software);
	for (size_t i = 0; ok && i < inv->n_installed; i++)
		ok = !json_object_set_new(installed, inv->names[i], json_string(inv->versions[i]));
	ok = ok && !json_object_set(o, "installed", installed);
	if (ok && inv->groups) {
		ok = (groups = json_array()) && !json_object_set(o, "groups", groups);
		for (const char *const *g = inv->groups; ok && *g; g++)
			ok = !json_array_append_new(groups, json_string(*g));
	}
	json_decref(installed);
	json_decref(groups);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

bool inventory_serialize(const struct inventory *inv, char **text, size_t *len,
			 struct ferry_error **err)
{
	*text = NULL;
	if (!auditlog_device_id_valid(inv->device))
		return ferry_error_setc(err, FERRY_E_FORMAT, "inventory: '%s' is not a valid device id",
					inv->device ? inv->device : "");
	if (!inv->time || !rfc3339_valid_utc(inv->time))
		return ferry_error_setc(err, FERRY_E_FORMAT, "inventory: time must be RFC 3339 UTC");
	json_t *o = build(inv);
	struct inventory check = { 0 };
	struct json_path p;
	json_path_root(&p, "inventory");
	bool valid = !o || inventory_software_parse(o, &p, &check, err);   /* what HQ will check */
	inventory_software_clear(&check);
	if (!valid) {
		json_decref(o);
		ferry_error_classify(err, FERRY_E_FORMAT);
		return false;
	}
	char *body = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (!body)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	*len = strlen(body);
	if (!(*text = realloc(body, *len + 2))) {
		free(body);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	(*text)[(*len)++] = '\n';
	(*text)[*len] = '\0';
	return true;
}

/* installed: {name: version}. */
static bool parse_installed(json_t *root, const struct json_path *p, struct inventory *out,
			    struct ferry_error **err)
{
	json_t *installed = NULL, *v;
	struct json_path ip;
	const char *key;
	size_t i = 0;
	if (!json_get_object(root, p, "installed", true, &installed, err))
		return false;
	out->n_installed = json_object_size(installed);
	out->names = calloc(out->n_installed + 1, sizeof(*out->names));
	out->versions = calloc(out->n_installed + 1, sizeof(*out->versions));
	if (!out->names || !out->versions)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	json_path_key(&ip, p, "installed");
	json_object_foreach(installed, key, v) {
		if (!json_is_string(v))
			return json_path_error(err, &ip, "%s: must be a version string", key);
		out->names[i] = key;
		out->versions[i++] = json_string_value(v);
	}
	return true;
}

static bool get_object(json_t *root, const struct json_path *p, const char *key,
		       const json_t **out, struct ferry_error **err)
{
	json_t *v = NULL;
	if (!json_get_object(root, p, key, false, &v, err))
		return false;
	*out = v;
	return true;
}

static bool parse_fields(json_t *root, const struct json_path *p, struct inventory *out,
			 struct ferry_error **err)
{
	if (!json_get_string(root, p, "device", true, &out->device, err) ||
	    !json_get_string(root, p, "type", false, &out->type, err) ||
	    !json_get_int(root, p, "hw_revision", false, 0, INT32_MAX, &out->hw_revision, err) ||
	    !json_get_string(root, p, "time", true, &out->time, err) ||
	    !json_get_string(root, p, "state", false, &out->state, err) ||
	    !json_get_int(root, p, "security_version", false, 0, INT64_MAX, &out->security_version, err) ||
	    !json_get_int(root, p, "policy_serial", false, 0, INT64_MAX, &out->policy_serial, err) ||
	    !json_get_strv(root, p, "groups", false, &out->groups_owned, err) ||
	    !get_object(root, p, "attributes", &out->attributes, err) ||
	    !get_object(root, p, "slots", &out->slots, err) ||
	    !get_object(root, p, "boot", &out->boot, err) ||
	    !get_object(root, p, "free_space", &out->free_space, err) ||
	    !parse_installed(root, p, out, err) || !inventory_software_parse(root, p, out, err))
		return false;
	out->groups = (const char *const *)out->groups_owned;
	if (!auditlog_device_id_valid(out->device))
		return json_path_error(err, p, "device: '%s' is not a valid device id", out->device);
	if (!rfc3339_valid_utc(out->time))
		return json_path_error(err, p, "time: must be RFC 3339 UTC");
	return true;
}

bool inventory_parse(const char *data, size_t len, const char *name, struct inventory *out,
		     struct ferry_error **err)
{
	struct json_path p;
	memset(out, 0, sizeof(*out));
	out->hw_revision = out->security_version = out->policy_serial = -1;
	json_path_root(&p, name);
	if (!json_parse_strict(data, len, name, &out->json, err) ||
	    !json_get_format(out->json, &p, true, INVENTORY_FORMAT, &out->format, err) ||
	    !parse_fields(out->json, &p, out, err)) {
		ferry_error_classify(err, FERRY_E_FORMAT);
		inventory_clear(out);
		return false;
	}
	out->n_unknown = json_count_unknown(out->json, inventory_keys);
	return true;
}

void inventory_clear(struct inventory *inv)
{
	free(inv->names);
	free(inv->versions);
	inventory_software_clear(inv);
	strv_free(inv->groups_owned);
	json_decref(inv->json);
	memset(inv, 0, sizeof(*inv));
}
