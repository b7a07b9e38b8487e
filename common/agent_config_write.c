/* agent_config_write: agent.json from a struct agent_config (see
 * agent_config.h). Kept beside the parser's file so that a key added to one
 * is seen next to the other; the self-check below catches a mismatch. */
#include "agent_config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static bool set_str(json_t *o, const char *key, const char *v)
{
	return !v || json_object_set_new(o, key, json_string(v)) == 0;
}

/* kv as an object; with omit_empty, NULL when there is none (left out). */
static json_t *kv_object(const struct agent_kv *kv, size_t n, bool omit_empty)
{
	json_t *o = n || !omit_empty ? json_object() : NULL;
	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, kv[i].key, json_string(kv[i].value));
	return o;
}

static bool set_new_if(json_t *o, const char *key, json_t *v)
{
	return !v || json_object_set_new(o, key, v) == 0;
}

static json_t *device_json(const struct agent_config *c)
{
	json_t *d = json_object(), *groups = NULL;
	if (!d || !(c->device.id_file ? set_str(d, "id_file", c->device.id_file)
				      : set_str(d, "id", c->device.id)) ||
	    !set_str(d, "type", c->device.type) ||
	    json_object_set_new(d, "hw_revision", json_integer(c->device.hw_revision)) ||
	    !set_new_if(d, "attributes", kv_object(c->device.attributes, c->device.n_attributes, true)) ||
	    json_object_set_new(d, "installed", kv_object(c->device.installed, c->device.n_installed, false)))
		goto fail;
	for (char **g = c->device.groups; g && *g; g++) {
		if (!groups && (!(groups = json_array()) || json_object_set_new(d, "groups", groups)))
			goto fail;
		if (json_array_append_new(groups, json_string(*g)))
			goto fail;
	}
	return d;
fail:
	json_decref(d);
	return NULL;
}

static json_t *slots_json(const struct agent_config *c)
{
	json_t *o = c->n_slots ? json_object() : NULL;
	for (size_t i = 0; o && i < c->n_slots; i++) {
		const struct agent_slot_pair *s = &c->slots[i];
		json_t *pair = json_pack("{s:s, s:s}", "a", s->a, "b", s->b);
		if (pair && s->write_zeroes_off)
			json_object_set_new(pair, "write_zeroes", json_false());
		json_object_set_new(o, s->name, pair);
	}
	return o;
}

static json_t *bootloader_json(const struct agent_config *c)
{
	json_t *b = json_pack("{s:s}", "type", agent_boot_type_name(c->bootloader.type));
	if (b && (!set_str(b, "path", c->bootloader.path) || !set_str(b, "config", c->bootloader.config) ||
		  !set_str(b, "script", c->bootloader.script))) {
		json_decref(b);
		return NULL;
	}
	return b;
}

static json_t *media_json(const struct agent_config *c)
{
	json_t *m = json_object(), *allow = c->media.n_allow ? json_array() : NULL;
	for (size_t i = 0; allow && i < c->media.n_allow; i++)
		json_array_append_new(allow, json_pack("{s:s, s:s, s:s}", "vendor", c->media.allow[i].vendor,
						       "product", c->media.allow[i].product, "serial",
						       c->media.allow[i].serial));
	if (m && (!set_new_if(m, "match", kv_object(c->media.match, c->media.n_match, true)) ||
		  !set_new_if(m, "allow", allow) || !set_str(m, "mount_dir", c->media.mount_dir) ||
		  !set_str(m, "notify", c->media.notify))) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static json_t *config_json(const struct agent_config *c)
{
	static const char *const confirms[] = { "auto", "local" }, *const reboots[] = { "never", "auto" };
	json_t *o = json_pack("{s:i, s:o, s:o, s:s, s:s, s:I}", "format", 1, "device", device_json(c),
			      "bootloader", bootloader_json(c), "confirm", confirms[c->confirm],
			      "reboot", reboots[c->reboot], "script_timeout",
			      (json_int_t)c->script_timeout);
	json_t *media = media_json(c);
	bool ok = o && media && set_new_if(o, "slots", slots_json(c)) &&
		  !json_object_set_new(o, "targets", kv_object(c->targets, c->n_targets, false)) &&
		  set_str(o, "state_dir", c->state_dir) && set_str(o, "modules_dir", c->modules_dir) &&
		  set_str(o, "hooks_dir", c->hooks_dir);
	if (ok && (c->trust_homedir || c->trust_policy)) {
		json_t *t = json_object();
		ok = t && set_str(t, "homedir", c->trust_homedir) && set_str(t, "policy", c->trust_policy) &&
		     !json_object_set_new(o, "trust", t);
	}
	if (ok && json_object_size(media))
		ok = !json_object_set(o, "media", media);
	json_decref(media);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

bool agent_config_serialize(const struct agent_config *c, char **text, size_t *len,
			    struct ferry_error **err)
{
	struct agent_config *back = NULL;
	json_t *o = config_json(c);
	char *body = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	*text = NULL;
	if (!body || !(*text = realloc(body, strlen(body) + 2))) {
		free(body);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	*len = strlen(*text);
	(*text)[(*len)++] = '\n';
	(*text)[*len] = '\0';
	/* Never write what the agent would refuse. */
	if (!c->device.id_file && !agent_config_parse(*text, *len, "agent.json", &back, err)) {
		ferry_error_classify(err, FERRY_E_CONFIG);
		free(*text);
		*text = NULL;
		return false;
	}
	agent_config_free(back);
	return true;
}
