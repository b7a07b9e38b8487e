/* fleet: see fleet.h. */
#include "fleet.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "safefile.h"
#include "semver.h"

static const char *const top_keys[] = { "format", "devices", NULL };
static const char *const device_keys[] = { "id", "type", "hw_revision", "groups", "installed",
					   "security_version", "attributes", NULL };

void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_devices; i++) {
		struct fleet_device *d = &f->devices[i];
		free(d->id);
		free(d->type);
		strv_free(d->groups);
		for (size_t j = 0; j < d->n_installed; j++) {
			free(d->installed[j].name);
			free(d->installed[j].version);
		}
		free(d->installed);
		for (size_t j = 0; j < d->n_attributes; j++) {
			free((char *)d->attributes[j].key);
			free((char *)d->attributes[j].value);
		}
		free(d->attributes);
	}
	free(f->devices);
	free(f);
}

static bool dup_str(json_t *obj, const struct json_path *p, const char *key, char **out,
		    struct ferry_error **err)
{
	const char *s = NULL;
	struct json_path kp;
	json_path_key(&kp, p, key);
	if (!json_get_string(obj, p, key, true, &s, err))
		return false;
	if (!*s)
		return json_path_error(err, &kp, "must not be empty");
	if (!(*out = strdup(s)))
		return ferry_error_set(err, "out of memory");
	return true;
}

static bool parse_installed(json_t *obj, const struct json_path *p, struct fleet_device *d,
			    struct ferry_error **err)
{
	const char *name;
	json_t *v;
	d->installed = calloc(json_object_size(obj) + 1, sizeof(*d->installed));
	if (!d->installed)
		return ferry_error_set(err, "out of memory");
	json_object_foreach(obj, name, v) {
		struct json_path kp;
		struct ferry_error *verr = NULL;
		json_path_key(&kp, p, name);
		if (!json_is_string(v))
			return json_path_error(err, &kp, "must be a version string");
		struct semver version;
		if (!semver_parse(json_string_value(v), &version, &verr)) {
			json_path_error(err, &kp, "%s", ferry_error_message(verr));
			ferry_error_free(verr);
			return false;
		}
		semver_free(&version);
		struct fleet_installed *in = &d->installed[d->n_installed++];
		if (!(in->name = strdup(name)) || !(in->version = strdup(json_string_value(v))))
			return ferry_error_set(err, "out of memory");
	}
	return true;
}

/* "attributes": {name: string}, as in agent.json. */
static bool parse_attributes(json_t *obj, const struct json_path *p, struct fleet_device *d,
			     struct ferry_error **err)
{
	const char *name;
	json_t *v;
	d->attributes = calloc(json_object_size(obj) + 1, sizeof(*d->attributes));
	if (!d->attributes)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	json_object_foreach(obj, name, v) {
		struct json_path ap;
		json_path_key(&ap, p, name);
		if (!json_is_string(v))
			return json_path_error(err, &ap, "must be a string");
		struct device_attribute *a = &d->attributes[d->n_attributes++];
		if (!(a->key = strdup(name)) || !(a->value = strdup(json_string_value(v))))
			return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	return true;
}

static bool parse_device(json_t *obj, const struct json_path *p, struct fleet_device *d,
			 struct ferry_error **err)
{
	json_t *installed = NULL, *attributes = NULL;
	d->hw_revision = -1;
	if (!json_is_object(obj))
		return json_path_error(err, p, "must be an object");
	if (!json_check_keys(obj, p, device_keys, err) || !dup_str(obj, p, "id", &d->id, err) ||
	    !dup_str(obj, p, "type", &d->type, err) ||
	    !json_get_int(obj, p, "hw_revision", false, 0, INT64_MAX, &d->hw_revision, err) ||
	    !json_get_strv(obj, p, "groups", false, &d->groups, err) ||
	    !json_get_object(obj, p, "installed", false, &installed, err) ||
	    !json_get_object(obj, p, "attributes", false, &attributes, err) ||
	    !json_get_int(obj, p, "security_version", false, 0, INT64_MAX, &d->security_version, err))
		return false;
	struct json_path ip;
	json_path_key(&ip, p, "installed");
	if (installed && !parse_installed(installed, &ip, d, err))
		return false;
	json_path_key(&ip, p, "attributes");
	return !attributes || parse_attributes(attributes, &ip, d, err);
}

bool fleet_parse(const char *bytes, size_t len, const char *name, struct fleet **out,
		 struct ferry_error **err)
{
	bool ok = false;
	json_t *root = NULL, *devices = NULL;
	struct fleet *f = NULL;
	struct json_path rp, dp, fp;
	int64_t format = 0;

	*out = NULL;
	json_path_root(&rp, name);
	json_path_key(&dp, &rp, "devices");
	json_path_key(&fp, &rp, "format");
	if (!json_parse_strict(bytes, len, name, &root, err) ||
	    !json_check_keys(root, &rp, top_keys, err) ||
	    !json_get_int(root, &rp, "format", true, INT64_MIN, INT64_MAX, &format, err))
		goto out;
	if (format != FLEET_FORMAT) {
		json_path_error(err, &fp, "unsupported format %lld (this ferry reads format %d)",
				(long long)format, FLEET_FORMAT);
		goto out;
	}
	if (!json_get_array(root, &rp, "devices", true, &devices, err))
		goto out;
	if (!(f = calloc(1, sizeof(*f))) ||
	    !(f->devices = calloc(json_array_size(devices) + 1, sizeof(*f->devices)))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(devices); i++) {
		struct json_path ip, idp;
		json_path_index(&ip, &dp, i);
		f->n_devices++;
		if (!parse_device(json_array_get(devices, i), &ip, &f->devices[i], err))
			goto out;
		for (size_t j = 0; j < i; j++)
			if (strcmp(f->devices[j].id, f->devices[i].id) == 0) {
				json_path_key(&idp, &ip, "id");
				json_path_error(err, &idp, "'%s' is listed twice", f->devices[i].id);
				goto out;
			}
	}
	*out = f;
	f = NULL;
	ok = true;
out:
	fleet_free(f);
	if (root)
		json_decref(root);
	return ok;
}

bool fleet_load(const char *path, struct fleet **out, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	if (!read_file_limited(path, FLEET_MAX_BYTES, &data, &len, err))
		return false;
	bool ok = fleet_parse(data, len, path, out, err);
	free(data);
	return ok;
}

void fleet_device_facts(const struct fleet_device *dev, const char *bundle_name,
			struct device_facts *out)
{
	memset(out, 0, sizeof(*out));
	out->id = dev->id;
	out->device_type = dev->type;
	out->hw_revision = dev->hw_revision;
	out->groups = dev->groups;
	out->security_version = dev->security_version;
	out->attributes = dev->attributes;
	out->n_attributes = dev->n_attributes;
	for (size_t i = 0; i < dev->n_installed; i++)
		if (strcmp(dev->installed[i].name, bundle_name) == 0)
			out->installed_version = dev->installed[i].version;
}
