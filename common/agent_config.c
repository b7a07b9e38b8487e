/* agent_config: see agent_config.h; the writer is agent_config_write.c. One parse function per section of agent.json; each
 * names the JSON path of what it refuses. Defaults are set before parsing. */
#include "agent_config.h"

#include <libgen.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "decide.h"
#include "json.h"
#include "safefile.h"

static const char *const top_keys[] = {
	"format", "device", "trust", "state_dir", "slots", "targets", "modules_dir", "hooks_dir",
	"bootloader", "confirm", "reboot", "script_timeout", "media", NULL,
};
static const char *const device_keys[] = {
	"id", "id_file", "type", "hw_revision", "groups", "attributes", "installed", NULL,
};
static const char *const trust_keys[] = { "homedir", "policy", NULL };
static const char *const slot_keys[] = { "a", "b", "write_zeroes", NULL };
static const char *const boot_keys[] = { "type", "path", "config", "script", NULL };
static const char *const media_keys[] = { "match", "allow", "mount_dir", "notify", NULL };
static const char *const allow_keys[] = { "vendor", "product", "serial", NULL };

/* A parse in progress: the document, where relative paths resolve, the result. */
struct parse {
	const char *dir;
	struct agent_config *c;
};

/* Absolute values are kept; relative ones are joined to the config's directory. */
static bool resolve(const struct parse *ps, const char *value, char **out, struct ferry_error **err)
{
	free(*out);
	*out = NULL;
	if (value[0] == '/')
		*out = strdup(value);
	else if (asprintf(out, "%s/%s", ps->dir, value) < 0)
		*out = NULL;
	return *out ? true : ferry_error_set(err, "out of memory");
}

/* An optional (or required) non-empty string key holding a path. */
static bool get_path(const struct parse *ps, json_t *obj, const struct json_path *p,
		     const char *key, bool required, char **out, struct ferry_error **err)
{
	const char *s = NULL;
	struct json_path kp;
	if (!json_get_string(obj, p, key, required, &s, err))
		return false;
	if (!s)
		return true;
	json_path_key(&kp, p, key);
	if (!*s)
		return json_path_error(err, &kp, "must not be empty");
	return resolve(ps, s, out, err);
}

static bool dup_string(const char *s, char **out, struct ferry_error **err)
{
	free(*out);
	*out = strdup(s);
	return *out ? true : ferry_error_set(err, "out of memory");
}

/* An object of non-empty strings into kv pairs; paths resolves each value. */
static bool get_kv(const struct parse *ps, json_t *obj, const struct json_path *p, const char *key,
		   bool paths, struct agent_kv **out, size_t *n_out, struct ferry_error **err)
{
	json_t *o = NULL, *v;
	const char *k;
	struct json_path kp;
	if (!json_get_object(obj, p, key, false, &o, err))
		return false;
	if (!o)
		return true;
	json_path_key(&kp, p, key);
	struct agent_kv *kv = calloc(json_object_size(o) + 1, sizeof(*kv));
	if (!kv)
		return ferry_error_set(err, "out of memory");
	size_t n = 0;
	json_object_foreach(o, k, v) {
		struct json_path vp;
		json_path_key(&vp, &kp, k);
		if (!json_is_string(v) || json_string_length(v) == 0) {
			json_path_error(err, &vp, "must be a non-empty string");
			goto fail;
		}
		kv[n].key = strdup(k);
		n++;
		if (!kv[n - 1].key ||
		    !(paths ? resolve(ps, json_string_value(v), &kv[n - 1].value, err)
			    : dup_string(json_string_value(v), &kv[n - 1].value, err)))
			goto fail;
	}
	*out = kv;
	*n_out = n;
	return true;
fail:
	ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
	return false;
}

static void free_kv(struct agent_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* The first line of id_file, without surrounding whitespace. */
static bool read_id_file(const char *path, char **out, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	if (!read_file_limited(path, 4096, &data, &len, err))
		return false;
	char *s = data;
	while (*s == ' ' || *s == '\t')
		s++;
	s[strcspn(s, "\r\n")] = '\0';
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	bool ok = dup_string(s, out, err);
	free(data);
	return ok;
}

static bool parse_device(struct parse *ps, json_t *root, const struct json_path *p,
			 struct ferry_error **err)
{
	struct agent_config *c = ps->c;
	json_t *dev = NULL;
	const char *id = NULL, *type = NULL;
	struct json_path dp, kp;
	if (!json_get_object(root, p, "device", true, &dev, err))
		return false;
	json_path_key(&dp, p, "device");
	if (!json_check_keys(dev, &dp, device_keys, err) ||
	    !json_get_string(dev, &dp, "id", false, &id, err) ||
	    !get_path(ps, dev, &dp, "id_file", false, &c->device.id_file, err) ||
	    !json_get_string(dev, &dp, "type", true, &type, err) ||
	    !json_get_int(dev, &dp, "hw_revision", false, 0, INT32_MAX, &c->device.hw_revision, err) ||
	    !json_get_strv(dev, &dp, "groups", false, &c->device.groups, err) ||
	    !get_kv(ps, dev, &dp, "attributes", false, &c->device.attributes,
		    &c->device.n_attributes, err) ||
	    !get_kv(ps, dev, &dp, "installed", false, &c->device.installed,
		    &c->device.n_installed, err))
		return false;
	if (!c->device.groups && !(c->device.groups = calloc(1, sizeof(char *))))
		return ferry_error_set(err, "out of memory");
	json_path_key(&kp, &dp, "type");
	if (!*type)
		return json_path_error(err, &kp, "must not be empty");
	if (!dup_string(type, &c->device.type, err))
		return false;
	if (id && c->device.id_file)
		return json_path_error(err, &dp, "give either id or id_file, not both");
	if (!id && !c->device.id_file)
		return json_path_error(err, &dp, "id or id_file is required");
	if (id) {
		json_path_key(&kp, &dp, "id");
		if (!dup_string(id, &c->device.id, err))
			return false;
	} else {
		json_path_key(&kp, &dp, "id_file");
		if (!read_id_file(c->device.id_file, &c->device.id, err)) {
			ferry_error_prefix(err, "%s: %s", dp.file, kp.path);
			return false;
		}
	}
	if (!auditlog_device_id_valid(c->device.id))
		return json_path_error(err, &kp, "device id '%s' must be " AUDITLOG_DEVICE_ID_RULE,
				       c->device.id);
	return true;
}

static bool parse_trust(struct parse *ps, json_t *root, const struct json_path *p,
			struct ferry_error **err)
{
	json_t *t = NULL;
	struct json_path tp;
	if (!json_get_object(root, p, "trust", false, &t, err))
		return false;
	if (!t)
		return true;
	json_path_key(&tp, p, "trust");
	return json_check_keys(t, &tp, trust_keys, err) &&
	       get_path(ps, t, &tp, "homedir", false, &ps->c->trust_homedir, err) &&
	       get_path(ps, t, &tp, "policy", false, &ps->c->trust_policy, err);
}

static bool parse_slots(struct parse *ps, json_t *root, const struct json_path *p,
			struct ferry_error **err)
{
	struct agent_config *c = ps->c;
	json_t *slots = NULL, *pair;
	const char *name;
	struct json_path sp;
	if (!json_get_object(root, p, "slots", false, &slots, err))
		return false;
	if (!slots)
		return true;
	json_path_key(&sp, p, "slots");
	c->slots = calloc(json_object_size(slots) + 1, sizeof(*c->slots));
	if (!c->slots)
		return ferry_error_set(err, "out of memory");
	json_object_foreach(slots, name, pair) {
		struct agent_slot_pair *s = &c->slots[c->n_slots];
		struct json_path pp;
		json_path_key(&pp, &sp, name);
		if (!json_is_object(pair))
			return json_path_error(err, &pp, "must be an object {\"a\": path, \"b\": path}");
		c->n_slots++;
		bool zeroes = true;
		if (!dup_string(name, &s->name, err) || !json_check_keys(pair, &pp, slot_keys, err) ||
		    !get_path(ps, pair, &pp, "a", true, &s->a, err) ||
		    !get_path(ps, pair, &pp, "b", true, &s->b, err) ||
		    !json_get_bool(pair, &pp, "write_zeroes", false, &zeroes, err))
			return false;
		s->write_zeroes_off = !zeroes;
		if (strcmp(s->a, s->b) == 0)
			return json_path_error(err, &pp, "a and b must be different");
	}
	return true;
}

static bool parse_bootloader(struct parse *ps, json_t *root, const struct json_path *p,
			     struct ferry_error **err)
{
	static const char *const types[] = { "file", "uboot", "grub", "script", NULL };
	/* The key each type needs. */
	static const char *const needs[] = { "path", "config", "path", "script" };
	struct agent_config *c = ps->c;
	json_t *b = NULL;
	const char *type = NULL;
	struct json_path bp, kp;
	if (!json_get_object(root, p, "bootloader", true, &b, err))
		return false;
	json_path_key(&bp, p, "bootloader");
	if (!json_check_keys(b, &bp, boot_keys, err) ||
	    !json_get_string(b, &bp, "type", true, &type, err))
		return false;
	size_t t = 0;
	while (types[t] && strcmp(types[t], type) != 0)
		t++;
	json_path_key(&kp, &bp, "type");
	if (!types[t])
		return json_path_error(err, &kp, "'%s' is not one of file, uboot, grub, script", type);
	c->bootloader.type = (enum agent_boot_type)t;
	return get_path(ps, b, &bp, "path", strcmp(needs[t], "path") == 0, &c->bootloader.path, err) &&
	       get_path(ps, b, &bp, "config", strcmp(needs[t], "config") == 0, &c->bootloader.config, err) &&
	       get_path(ps, b, &bp, "script", strcmp(needs[t], "script") == 0, &c->bootloader.script, err);
}

/* A string key that must be one of words; *out gets its index. */
static bool get_choice(json_t *obj, const struct json_path *p, const char *key,
		       const char *const words[], int *out, struct ferry_error **err)
{
	const char *s = NULL;
	struct json_path kp;
	if (!json_get_string(obj, p, key, false, &s, err))
		return false;
	if (!s)
		return true;
	for (int i = 0; words[i]; i++) {
		if (strcmp(words[i], s) == 0) {
			*out = i;
			return true;
		}
	}
	json_path_key(&kp, p, key);
	return json_path_error(err, &kp, "'%s' is not one of %s, %s", s, words[0], words[1]);
}

static bool parse_allow(json_t *arr, const struct json_path *ap, struct agent_config *c,
			struct ferry_error **err)
{
	size_t n = json_array_size(arr);
	c->media.allow = calloc(n + 1, sizeof(*c->media.allow));
	if (!c->media.allow)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		struct agent_media_allow *a = &c->media.allow[i];
		const char *vendor = "*", *product = "*", *serial = "*";
		struct json_path ep;
		json_path_index(&ep, ap, i);
		if (!json_is_object(e))
			return json_path_error(err, &ep, "must be an object");
		c->media.n_allow++;
		if (!json_check_keys(e, &ep, allow_keys, err) ||
		    !json_get_string(e, &ep, "vendor", false, &vendor, err) ||
		    !json_get_string(e, &ep, "product", false, &product, err) ||
		    !json_get_string(e, &ep, "serial", false, &serial, err) ||
		    !dup_string(vendor, &a->vendor, err) || !dup_string(product, &a->product, err) ||
		    !dup_string(serial, &a->serial, err))
			return false;
	}
	return true;
}

static bool parse_media(struct parse *ps, json_t *root, const struct json_path *p,
			struct ferry_error **err)
{
	struct agent_config *c = ps->c;
	json_t *m = NULL, *allow = NULL;
	struct json_path mp, ap;
	if (!json_get_object(root, p, "media", false, &m, err))
		return false;
	if (!m)
		return true;
	json_path_key(&mp, p, "media");
	json_path_key(&ap, &mp, "allow");
	if (!json_check_keys(m, &mp, media_keys, err) ||
	    !get_path(ps, m, &mp, "mount_dir", false, &c->media.mount_dir, err) ||
	    !get_path(ps, m, &mp, "notify", false, &c->media.notify, err) ||
	    !json_get_array(m, &mp, "allow", false, &allow, err) ||
	    (allow && !parse_allow(allow, &ap, c, err)))
		return false;
	if (json_object_get(m, "match")) {
		free_kv(c->media.match, c->media.n_match);
		c->media.match = NULL;
		c->media.n_match = 0;
		return get_kv(ps, m, &mp, "match", false, &c->media.match, &c->media.n_match, err);
	}
	return true;
}

static bool set_defaults(struct parse *ps, struct ferry_error **err)
{
	struct agent_config *c = ps->c;
	c->confirm = AGENT_CONFIRM_AUTO;
	c->reboot = AGENT_REBOOT_NEVER;
	c->script_timeout = 300;
	c->media.match = calloc(2, sizeof(*c->media.match));
	if (!c->media.match)
		return ferry_error_set(err, "out of memory");
	c->media.n_match = 1;
	return dup_string("ID_BUS", &c->media.match[0].key, err) &&
	       dup_string("usb", &c->media.match[0].value, err) &&
	       resolve(ps, "gnupg", &c->trust_homedir, err) &&
	       resolve(ps, "policy", &c->trust_policy, err) &&
	       resolve(ps, "state", &c->state_dir, err) &&
	       resolve(ps, "hooks.d", &c->hooks_dir, err) &&
	       dup_string(FERRY_MODULES_DIR, &c->modules_dir, err) &&
	       dup_string("/run/ferry/media", &c->media.mount_dir, err);
}

static bool parse_root(struct parse *ps, json_t *root, const char *path, struct ferry_error **err)
{
	static const char *const confirms[] = { "auto", "local", NULL };
	static const char *const reboots[] = { "never", "auto", NULL };
	struct agent_config *c = ps->c;
	struct json_path p;
	int64_t format = 0;
	int confirm = AGENT_CONFIRM_AUTO, reboot = AGENT_REBOOT_NEVER;
	json_path_root(&p, path);
	if (!json_check_keys(root, &p, top_keys, err) ||
	    !json_get_int(root, &p, "format", true, 1, 1, &format, err) ||
	    !parse_device(ps, root, &p, err) || !parse_trust(ps, root, &p, err) ||
	    !get_path(ps, root, &p, "state_dir", false, &c->state_dir, err) ||
	    !parse_slots(ps, root, &p, err) ||
	    !get_kv(ps, root, &p, "targets", true, &c->targets, &c->n_targets, err) ||
	    !get_path(ps, root, &p, "modules_dir", false, &c->modules_dir, err) ||
	    !get_path(ps, root, &p, "hooks_dir", false, &c->hooks_dir, err) ||
	    !parse_bootloader(ps, root, &p, err) ||
	    !get_choice(root, &p, "confirm", confirms, &confirm, err) ||
	    !get_choice(root, &p, "reboot", reboots, &reboot, err) ||
	    !json_get_int(root, &p, "script_timeout", false, 1, 86400, &c->script_timeout, err) ||
	    !parse_media(ps, root, &p, err))
		return false;
	c->confirm = (enum agent_confirm)confirm;
	c->reboot = (enum agent_reboot)reboot;
	return true;
}

/* The config's directory made absolute: handlers run programs in their own
 * working directories, so a path relative to ours would point elsewhere. */
static bool absolute_dir(const char *dir, char **out, struct ferry_error **err)
{
	char cwd[4096];
	if (dir[0] == '/')
		return dup_string(dir, out, err);
	if (!getcwd(cwd, sizeof(cwd)))
		return ferry_error_errno(err, errno, "getcwd");
	if (strcmp(dir, ".") == 0)
		return dup_string(cwd, out, err);
	if (asprintf(out, "%s/%s", cwd, dir) < 0)
		return ferry_error_set(err, "out of memory");
	return true;
}

bool agent_config_parse(const char *bytes, size_t len, const char *path,
			struct agent_config **out, struct ferry_error **err)
{
	bool ok = false;
	json_t *root = NULL;
	char *copy = strdup(path);
	struct agent_config *c = calloc(1, sizeof(*c));
	struct parse ps = { .c = c };
	if (!copy || !c) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!dup_string(path, &c->path, err) || !absolute_dir(dirname(copy), &c->dir, err))
		goto out;
	ps.dir = c->dir;
	if (!set_defaults(&ps, err) || !json_parse_strict(bytes, len, path, &root, err) ||
	    !parse_root(&ps, root, path, err))
		goto out;
	*out = c;
	c = NULL;
	ok = true;
out:
	if (!ok)   /* a malformed agent.json is a configuration error, not a bad bundle */
		ferry_error_reclassify(err, FERRY_E_CONFIG);
	json_decref(root);
	agent_config_free(c);
	free(copy);
	return ok;
}

bool agent_config_load(const char *path, struct agent_config **out, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	bool ok = read_file_limited(path, AGENT_CONFIG_MAX, &data, &len, err) &&
		  agent_config_parse(data, len, path, out, err);
	free(data);
	if (!ok)   /* so is one that cannot be read */
		ferry_error_reclassify(err, FERRY_E_CONFIG);
	return ok;
}

void agent_config_free(struct agent_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->dir);
	free(c->device.id);
	free(c->device.id_file);
	free(c->device.type);
	strv_free(c->device.groups);
	free_kv(c->device.attributes, c->device.n_attributes);
	free_kv(c->device.installed, c->device.n_installed);
	free(c->trust_homedir);
	free(c->trust_policy);
	free(c->state_dir);
	for (size_t i = 0; c->slots && i < c->n_slots; i++) {
		free(c->slots[i].name);
		free(c->slots[i].a);
		free(c->slots[i].b);
	}
	free(c->slots);
	free_kv(c->targets, c->n_targets);
	free(c->modules_dir);
	free(c->hooks_dir);
	free(c->bootloader.path);
	free(c->bootloader.config);
	free(c->bootloader.script);
	free_kv(c->media.match, c->media.n_match);
	for (size_t i = 0; c->media.allow && i < c->media.n_allow; i++) {
		free(c->media.allow[i].vendor);
		free(c->media.allow[i].product);
		free(c->media.allow[i].serial);
	}
	free(c->media.allow);
	free(c->media.mount_dir);
	free(c->media.notify);
	free(c);
}

const struct agent_slot_pair *agent_config_slot(const struct agent_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_slots; i++)
		if (strcmp(c->slots[i].name, name) == 0)
			return &c->slots[i];
	return NULL;
}

const char *agent_config_target(const struct agent_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_targets; i++)
		if (strcmp(c->targets[i].key, name) == 0)
			return c->targets[i].value;
	return NULL;
}

const char *agent_boot_type_name(enum agent_boot_type t)
{
	static const char *const names[] = { "file", "uboot", "grub", "script" };
	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

struct device_attribute *agent_config_attributes(const struct agent_config *c)
{
	size_t n = c->device.n_attributes;
	struct device_attribute *a = n ? calloc(n, sizeof(*a)) : NULL;
	for (size_t i = 0; a && i < n; i++) {
		a[i].key = c->device.attributes[i].key;
		a[i].value = c->device.attributes[i].value;
	}
	return a;
}
