/* export: see export.h. */
#include "export.h"

#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "agent/order_gate.h"
#include "agent/software.h"
#include "common/auditlog.h"
#include "common/inventory.h"
#include "common/rfc3339.h"
#include "common/safefile.h"
#include "common/stick.h"

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

/* The device's facts that go beside the state's (objects of the inventory). */
struct inventory_objects {
	json_t *attributes, *slots, *boot, *free_space;
	const char **names, **versions;
};

static void inventory_objects_clear(struct inventory_objects *o)
{
	json_decref(o->attributes);
	json_decref(o->slots);
	json_decref(o->boot);
	json_decref(o->free_space);
	free(o->names);
	free(o->versions);
}

static bool gather_objects(const struct agent_config *c, struct boot *b, const struct state_info *info,
			   const struct agent_kv *kv, size_t n, struct inventory_objects *o,
			   struct ferry_error **err)
{
	struct boot_status bs;
	if (!boot_get_status(b, &bs, err))
		return false;
	o->attributes = kv_object(c->device.attributes, c->device.n_attributes);
	o->slots = agent_slots_json(b, &bs);
	o->boot = json_pack("{s:I, s:s}", "count", (json_int_t)info->boot_count, "id", bs.boot_id);
	o->free_space = json_object();
	o->names = calloc(n + 1, sizeof(*o->names));
	o->versions = calloc(n + 1, sizeof(*o->versions));
	if (!o->attributes || !o->slots || !o->boot || !o->free_space || !o->names || !o->versions)
		return ferry_error_set(err, "out of memory");
	json_object_set_new(o->free_space, "state_dir", json_integer(free_bytes(c->state_dir)));
	for (size_t i = 0; i < c->n_targets; i++)
		json_object_set_new(o->free_space, c->targets[i].key,
				    json_integer(free_bytes(c->targets[i].value)));
	for (size_t i = 0; i < n; i++) {
		o->names[i] = kv[i].key;
		o->versions[i] = kv[i].value;
	}
	return true;
}

bool agent_inventory_text(const struct agent_config *c, struct state *s, struct boot *b,
			  char **text, size_t *len, struct ferry_error **err)
{
	bool ok = false;
	struct state_info info;
	struct agent_kv *kv = NULL;
	struct inventory_objects o = { 0 };
	size_t n = 0;
	char now[RFC3339_UTC_LEN + 1];
	if (!state_get(s, &info, err))
		return false;
	if (!state_installed(s, &kv, &n, err) || !gather_objects(c, b, &info, kv, n, &o, err))
		goto out;
	rfc3339_format_utc((int64_t)time(NULL), now);
	json_t *software = software_inventory(c->state_dir, kv, n);
	struct inventory inv = {
		.device = c->device.id, .type = c->device.type, .time = now,
		.state = state_name(info.state), .hw_revision = c->device.hw_revision,
		.security_version = info.security_version, .policy_serial = info.policy_serial,
		.n_installed = n, .names = o.names, .versions = o.versions,
		.groups = (const char *const *)c->device.groups, .attributes = o.attributes,
		.slots = o.slots, .boot = o.boot, .free_space = o.free_space, .software = software,
	};
	ok = inventory_serialize(&inv, text, len, err);
	json_decref(software);
out:
	inventory_objects_clear(&o);
	state_kv_free(kv, n);
	state_info_clear(&info);
	return ok;
}

static bool write_inventory(const struct agent_config *c, struct state *s, struct boot *b,
			    const struct stick_dir *dir, struct pgp *p, const char *fpr,
			    struct ferry_error **err)
{
	char *text = NULL, *path = NULL;
	size_t len = 0;
	bool ok = agent_inventory_text(c, s, b, &text, &len, err) &&
		  stick_dir_file(dir, STICK_INVENTORY, &path, err) &&
		  auditlog_write_signed_at(dir->fd, STICK_INVENTORY, path, text, len, p, fpr, err);
	free(path);
	free(text);
	return ok;
}

bool agent_export(const struct agent_config *c, struct state *s, struct boot *b,
		  const char *media_dir, struct agent_export_result *out, struct ferry_error **err)
{
	bool ok = false;
	struct pgp *p = NULL;
	struct state_records r = { 0 };
	struct state_info info = { 0 };
	char fpr[PGP_FPR_LEN + 1];
	char *top = stick_top(media_dir);
	struct stick_dir dir = { .fd = -1 };
	memset(out, 0, sizeof(*out));
	if (!top) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	/* A policy may require a work order to read the log (agent/order_gate.h). */
	if (!order_gate_read(c, s, media_dir, time(NULL), err) ||
	    !pgp_open(c->trust_homedir, &p, err) || !agent_device_key(p, fpr, err) ||
	    !state_records_unacked(s, AGENT_EXPORT_BUDGET, &r, err) || !state_get(s, &info, err) ||
	    !stick_dir_open(top, STICK_DEVICE_AUDIT, c->device.id, true, &dir, err))
		goto out;
	if (r.n && (!auditlog_export_write_at(dir.fd, dir.path, c->device.id, r.lines, r.n, p, fpr,
						  NULL, err) ||
		     !agent_export_logs(c, top, r.lines, r.n, p, fpr, &out->n_logs, err)))
		goto out;
	if (!write_inventory(c, s, b, &dir, p, fpr, err))
		goto out;
	/* Only now, with both files and signatures on the stick. */
	if (r.n && !state_mark_exported(s, r.last_seq, err))
		goto out;
	out->n = r.n;
	out->first_seq = r.first_seq;
	out->last_seq = r.last_seq;
	out->more = r.n && r.last_seq < info.last_seq;
	out->dir = dir.path;
	dir.path = NULL;
	ok = true;
out:
	if (!ok)
		ferry_error_prefix(err, "export to %s", media_dir);
	stick_dir_close(&dir);
	free(top);
	state_records_clear(&r);
	state_info_clear(&info);
	pgp_close(p);
	return ok;
}
