/* export: see export.h. */
#include "export.h"

#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "common/auditlog.h"
#include "common/rfc3339.h"
#include "common/safefile.h"

static json_t *slot_string(char slot)
{
	return slot ? json_stringn(&slot, 1) : json_null();
}

json_t *agent_slots_json(const struct boot *b, const struct boot_status *bs)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:i, s:i}", "bootloader", boot_name(b),
			 "booted", slot_string(bs->booted), "primary", slot_string(bs->order[0]),
			 "next", slot_string(boot_status_next(bs)), "a_left", bs->left[0],
			 "b_left", bs->left[1]);
}

bool agent_device_key(struct pgp *p, char fpr[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t e;
	size_t found = 0;
	bool ok = false;
	/* Listing public keys needs no gpg-agent; pgp_has_secret_key asks it. */
	if ((e = gpgme_new(&ctx)) || (e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) ||
	    (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, pgp_homedir(p))) ||
	    (e = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL)) ||
	    (e = gpgme_op_keylist_start(ctx, NULL, 0))) {
		ferry_error_set(err, "%s: list keys: %s", pgp_homedir(p), gpgme_strerror(e));
		goto out;
	}
	while (!gpgme_op_keylist_next(ctx, &key)) {
		const char *f = key->subkeys ? key->subkeys->fpr : NULL;
		if (f && pgp_has_secret_key(p, f) && found++ == 0)
			snprintf(fpr, PGP_FPR_LEN + 1, "%s", f);
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	if (found != 1) {
		ferry_error_set(err, "%s: %zu secret keys; the device key must be the only one",
				pgp_homedir(p), found);
		goto out;
	}
	ok = true;
out:
	if (ctx)
		gpgme_release(ctx);
	return ok;
}

static json_int_t free_bytes(const char *path)
{
	struct statvfs sv;
	return statvfs(path, &sv) == 0 ? (json_int_t)sv.f_bavail * (json_int_t)sv.f_frsize : -1;
}

static json_t *kv_object(const struct agent_kv *kv, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, kv[i].key, json_string(kv[i].value));
	return o;
}

bool agent_inventory(const struct agent_config *c, struct state *s, struct boot *b, json_t **out,
		     struct ferry_error **err)
{
	bool ok = false;
	struct state_info info;
	struct boot_status bs;
	struct agent_kv *kv = NULL;
	size_t n = 0;
	char now[RFC3339_UTC_LEN + 1];
	json_t *groups = json_array(), *space = json_object();
	if (!state_get(s, &info, err))
		goto done;
	if (!boot_get_status(b, &bs, err) || !state_installed(s, &kv, &n, err))
		goto out;
	for (char **g = c->device.groups; *g; g++)
		json_array_append_new(groups, json_string(*g));
	json_object_set_new(space, "state_dir", json_integer(free_bytes(c->state_dir)));
	for (size_t i = 0; i < c->n_targets; i++)
		json_object_set_new(space, c->targets[i].key, json_integer(free_bytes(c->targets[i].value)));
	rfc3339_format_utc((int64_t)time(NULL), now);
	*out = json_pack("{s:i, s:s, s:s, s:I, s:O, s:o, s:s, s:o, s:I, s:I, s:s, s:o,"
			 " s:{s:I, s:s}, s:O}",
			 "format", 1, "device", c->device.id, "type", c->device.type,
			 "hw_revision", (json_int_t)c->device.hw_revision, "groups", groups,
			 "attributes", kv_object(c->device.attributes, c->device.n_attributes),
			 "time", now, "installed", kv_object(kv, n),
			 "security_version", (json_int_t)info.security_version,
			 "policy_serial", (json_int_t)info.policy_serial,
			 "state", state_name(info.state), "slots", agent_slots_json(b, &bs),
			 "boot", "count", (json_int_t)info.boot_count, "id", bs.boot_id,
			 "free_space", space);
	ok = *out ? true : ferry_error_set(err, "out of memory");
out:
	state_info_clear(&info);
done:
	state_kv_free(kv, n);
	json_decref(groups);
	json_decref(space);
	return ok;
}

static bool write_inventory(const struct agent_config *c, struct state *s, struct boot *b,
			    const char *dir, struct pgp *p, const char *fpr, struct ferry_error **err)
{
	json_t *inv = NULL;
	char *text = NULL, *path = NULL;
	bool ok = false;
	if (!agent_inventory(c, s, b, &inv, err))
		return false;
	text = json_dumps(inv, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text || !path_join(dir, "inventory.json", &path, err)) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	size_t len = strlen(text);
	text[len] = '\n';   /* the NUL's byte becomes the final newline */
	ok = auditlog_write_signed(path, text, len + 1, p, fpr, err);
out:
	free(path);
	free(text);
	json_decref(inv);
	return ok;
}

bool agent_export(const struct agent_config *c, struct state *s, struct boot *b,
		  const char *media_dir, struct agent_export_result *out, struct ferry_error **err)
{
	bool ok = false;
	struct pgp *p = NULL;
	struct state_records r = { 0 };
	char fpr[PGP_FPR_LEN + 1];
	char *dir = NULL;
	memset(out, 0, sizeof(*out));
	if (asprintf(&dir, "%s/ferry/audit/%s", media_dir, c->device.id) < 0) {
		dir = NULL;
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!pgp_open(c->trust_homedir, &p, err) || !agent_device_key(p, fpr, err) ||
	    !state_records_unexported(s, &r, err) || !mkdir_p(dir, 0755, err))
		goto out;
	if (r.n && !auditlog_export_write(dir, c->device.id, r.lines, r.n, p, fpr, NULL, err))
		goto out;
	if (!write_inventory(c, s, b, dir, p, fpr, err))
		goto out;
	/* Only now, with both files and signatures on the stick. */
	if (r.n && !state_mark_exported(s, r.last_seq, err))
		goto out;
	out->n = r.n;
	out->first_seq = r.first_seq;
	out->last_seq = r.last_seq;
	out->dir = dir;
	dir = NULL;
	ok = true;
out:
	if (!ok)
		ferry_error_prefix(err, "export to %s", media_dir);
	free(dir);
	state_records_clear(&r);
	pgp_close(p);
	return ok;
}
