/* lifecycle_install: one update, from the chosen bundle to installed (see
 * lifecycle.h): plan (where it goes, before anything is written), begin
 * (verifying, audited), hooks read and pre_install, stream (installing),
 * activate, post_install, arm the bootloader (last), finish (installed, or
 * committed at once when nothing needs a reboot). Any failure before the
 * bootloader is armed undoes every payload and ends the transaction failed. */
#include "agent/lifecycle_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hooks.h"
#include "agent/software.h"
#include "common/auditlog.h"

/* One install as it goes. why: the reason an install step failed (a failed
 * install, a result); err of the functions: the agent itself failed. */
struct run {
	const struct agent_config *c;
	struct state *st;
	struct boot *boot;
	const struct lifecycle_update *u;
	struct state_txn t;
	char target_slot[2], previous_slot[2];
	json_t *detail;
	char *detail_text;
	char *targets_text;          /* x->t.security_targets */
	struct place *pl;
	struct bundle_reader *r;
	char *hooks[HOOK_COUNT];
	size_t hook_len[HOOK_COUNT];
	char *log;                   /* the last script, module or hook output */
	const char *step;
	size_t n_done, n_act;        /* payloads started, activated */
	bool needs_reboot, switch_boot, module_reboot;
	struct ferry_error *why;
};

bool lifecycle_needs_reboot(const struct variant *v)
{
	for (size_t i = 0; i < v->n_payloads; i++) {
		const struct handler_kind *k = handler_kind_find(v->payloads[i].handler);
		if (k && k->needs_reboot)
			return true;
	}
	return false;
}

void lifecycle_install_result_clear(struct lifecycle_install_result *r)
{
	free(r->step);
	free(r->why);
	memset(r, 0, sizeof(*r));
}

/* One audited state change of the run; takes detail. */
static bool record(struct run *x, bool set, enum agent_state to, const struct state_txn *begin,
		   const char *event, const char *result, json_t *detail, struct ferry_error **err)
{
	struct state_change ch = { .set_state = set, .state = to, .begin_txn = begin };
	struct auditlog_fields ev = {
		.event = event, .result = result, .detail = detail,
		.bundle = x->t.bundle, .version = x->t.version,
		.usb_serial = x->t.usb_serial, .media_label = x->t.media_label,
		.usb_vendor = x->u->usb_vendor, .usb_product = x->u->usb_product,
	};
	bool ok = state_apply(x->st, &ch, &ev, NULL, err);
	json_decref(detail);
	return ok;
}

static bool set_detail_text(struct run *x, struct ferry_error **err)
{
	free(x->detail_text);
	x->detail_text = x->detail ? json_dumps(x->detail, JSON_COMPACT) : NULL;
	x->t.detail = x->detail_text;
	return x->detail_text || ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
}

/* The targets v writes (common/antirollback.h) as the JSON array agent.db
 * keeps with the transaction, so its commit raises their security_version. */
static char *targets_text(const struct manifest *m, const struct variant *v)
{
	char **targets = NULL;
	json_t *arr = json_array();
	char *text = NULL;
	if (arr && antirollback_targets(m, v, &targets, NULL)) {
		for (size_t i = 0; targets[i]; i++)
			json_array_append_new(arr, json_string(targets[i]));
		text = json_dumps(arr, JSON_COMPACT);
	}
	antirollback_targets_free(targets);
	json_decref(arr);
	return text;
}

static bool run_init(struct run *x, const struct agent_config *c, struct state *st,
		     struct boot *boot, const struct lifecycle_update *u, struct ferry_error **err)
{
	const struct manifest *m = u->m;
	*x = (struct run){ .c = c, .st = st, .boot = boot, .u = u, .step = "preparation" };
	x->t = (struct state_txn){
		.bundle = m->name, .version = m->version, .variant = u->v->id,
		.security_version = m->security_version,
		.usb_serial = (char *)u->usb_serial, .media_label = (char *)u->media_label,
		.usb_vendor = (char *)u->usb_vendor, .usb_product = (char *)u->usb_product,
	};
	if (!(x->t.security_targets = x->targets_text = targets_text(m, u->v)))
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	x->needs_reboot = lifecycle_needs_reboot(u->v);
	x->detail = lifecycle_txn_detail(u->v, x->needs_reboot);
	x->pl = calloc(u->v->n_payloads ? u->v->n_payloads : 1, sizeof(*x->pl));
	if (!x->pl)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	return set_detail_text(x, err);
}

static void run_clear(struct run *x)
{
	bundle_reader_close(x->r);
	lifecycle_places_free(x->pl, x->u->v->n_payloads);
	for (int k = 0; k < HOOK_COUNT; k++)
		free(x->hooks[k]);
	free(x->log);
	free(x->detail_text);
	free(x->targets_text);
	json_decref(x->detail);
	ferry_error_free(x->why);
}

/* plan: the slot to write and every payload's place, before anything is
 * written or recorded. false (x->why): the device cannot take it. */
static bool plan(struct run *x)
{
	char target = 0;
	if (x->needs_reboot) {
		struct boot_status bs;
		if (!boot_get_status(x->boot, &bs, &x->why))
			return false;
		if (!bs.booted)
			return ferry_error_setc(&x->why, FERRY_E_CONFIG,
						"the bootloader cannot tell which slot is running");
		target = boot_other_slot(bs.booted);
		x->target_slot[0] = target;
		x->previous_slot[0] = bs.booted;
		x->t.target_slot = x->target_slot;
		x->t.previous_slot = x->previous_slot;
	}
	for (size_t i = 0; i < x->u->v->n_payloads; i++)
		if (!lifecycle_place_build(x->c, &x->t, target, &x->u->v->payloads[i], &x->pl[i], &x->why))
			return false;
	return true;
}

/* begin: the transaction (verifying) with its record. */
static bool begin(struct run *x, struct ferry_error **err)
{
	json_t *start = json_pack("{s:s,s:O}", "variant", x->u->v->id, "signers", x->u->signers);
	if (x->target_slot[0])
		json_object_set_new(start, "slot", json_sprintf("%c", x->target_slot[0]));
	return record(x, true, AGENT_STATE_VERIFYING, &x->t, "install.started", "info", start, err);
}

static bool run_hooks(struct run *x, enum hook_kind k)
{
	x->step = hook_kind_name(k);
	return !x->u->v->n_payloads ||
	       hooks_run(&x->pl[0].ctx, x->c->hooks_dir, k, x->hooks[k], x->hook_len[k], &x->log, NULL,
			 &x->why);
}

/* The variant's SBOM (authenticated like a hook) and support date kept for
 * the inventory (agent/software.h), with those of the installed version. */
static bool keep_software(struct run *x)
{
	const struct variant *v = x->u->v;
	char *sbom = NULL, *installed = NULL;
	size_t len = 0;
	x->step = "sbom";
	bool ok = (!v->sbom.present || bundle_reader_hook(x->r, &v->sbom, &sbom, &len, &x->why)) &&
		  state_installed_version(x->st, x->u->m->name, &installed, &x->why) &&
		  software_keep(x->c->state_dir, x->u->m->name, x->u->m->version, installed, v->support_until,
				sbom, len, &x->why);
	free(installed);
	free(sbom);
	return ok;
}

/* The bundle opened, its hooks read and authenticated, health_check kept on
 * the device, the SBOM kept, pre_install run. */
static bool prepare(struct run *x, struct ferry_error **err)
{
	const struct variant *v = x->u->v;
	x->step = "reading the bundle";
	if (!bundle_reader_open_at(x->u->name ? x->u->dirfd : AT_FDCWD,
				   x->u->name ? x->u->name : x->u->path, x->u->path, &x->r, &x->why))
		return false;
	for (int k = 0; k < HOOK_COUNT; k++) {
		x->step = hook_kind_name((enum hook_kind)k);
		if (v->hooks[k].present &&
		    !bundle_reader_hook(x->r, &v->hooks[k], &x->hooks[k], &x->hook_len[k], &x->why))
			return false;
	}
	return lifecycle_keep_health_hook(x->c, x->hooks[HOOK_HEALTH_CHECK], x->hook_len[HOOK_HEALTH_CHECK],
					  err) &&
	       keep_software(x) && run_hooks(x, HOOK_PRE_INSTALL);
}

/* stream: every payload into its handler (installing). */
static bool stream(struct run *x, struct ferry_error **err)
{
	if (!record(x, true, AGENT_STATE_INSTALLING, NULL, "install.writing", "info", NULL, err))
		return false;
	bool ok = lifecycle_payloads_stream(x->st, x->r, x->u->m, x->u->v, x->pl, x->u->progress,
					    &x->n_done, &x->module_reboot, &x->step, &x->log, &x->why);
	bundle_reader_close(x->r);
	x->r = NULL;
	return ok;
}

/* activate, then post_install. */
static bool activate(struct run *x)
{
	return lifecycle_payloads_activate(x->st, x->u->v, x->pl, &x->n_act, &x->switch_boot, &x->step,
					   &x->why) &&
	       run_hooks(x, HOOK_POST_INSTALL);
}

/* arm: last, so a crash after it finds everything done but the record, and
 * a boot into the new slot is a complete trial (lifecycle_startup). */
static bool arm(struct run *x)
{
	x->step = "bootloader";
	return !x->switch_boot || boot_try_once(x->boot, x->target_slot[0], &x->why);
}

static void set_why(struct lifecycle_install_result *out, const char *why)
{
	free(out->why);
	out->why = strdup(why ? why : "");
}

/* A failed step: the bootloader put back, the payloads undone, state failed. */
static bool fail(struct run *x, struct lifecycle_install_result *out, struct ferry_error **err)
{
	char *cleanup = NULL;
	if (x->switch_boot && x->n_act > 0) {
		struct ferry_error *e = NULL;
		if (!boot_rollback(x->boot, x->previous_slot[0], &e))
			cleanup = strdup(ferry_error_message(e));
		ferry_error_free(e);
	}
	lifecycle_payloads_abort(x->pl, x->n_done, x->n_act, &cleanup);
	json_t *d = json_pack("{s:s,s:s}", "step", x->step, "error", ferry_error_message(x->why));
	char *tail = x->log && *x->log ? auditlog_tail_bound(x->log, AUDITLOG_LOG_TAIL_MAX) : NULL;
	if (tail)   /* the end of a hook's output says why; the record stays small */
		json_object_set_new(d, "log", json_string(tail));
	free(tail);
	if (cleanup)
		json_object_set_new(d, "cleanup_error", json_string(cleanup));
	free(cleanup);
	out->outcome = LIFECYCLE_INSTALL_FAILED;
	out->step = strdup(x->step);
	set_why(out, ferry_error_message(x->why));
	char sha[SHA256_HEX_LEN + 1], *what = NULL;
	if (asprintf(&what, "install.failed: %s: %s", x->step, ferry_error_message(x->why)) < 0)
		what = NULL;
	lifecycle_faillog(x->c, x->pl && x->pl[0].ops ? &x->pl[0].ctx : NULL, what, x->log, sha);
	free(what);
	struct state_change ch = { .set_state = true, .state = AGENT_STATE_FAILED, .clear_txn = true };
	struct auditlog_fields ev = {
		.event = "install.failed", .result = "failure", .detail = d, .log = *sha ? sha : NULL,
		.code = ferry_error_code(x->why) ? ferry_code_name(ferry_error_code(x->why)) : NULL,
		.bundle = x->t.bundle, .version = x->t.version,
		.usb_serial = x->t.usb_serial, .media_label = x->t.media_label,
		.usb_vendor = x->u->usb_vendor, .usb_product = x->u->usb_product,
	};
	bool ok = state_apply(x->st, &ch, &ev, NULL, err);
	json_decref(d);
	return ok;
}

/* Nothing was written: the device cannot take this bundle as configured. */
static bool refuse(struct run *x, struct lifecycle_install_result *out, struct ferry_error **err)
{
	out->outcome = LIFECYCLE_INSTALL_REFUSED;
	set_why(out, ferry_error_message(x->why));
	return record(x, false, 0, NULL, "install.refused", "refused",
		      json_pack("{s:[s]}", "reasons", ferry_error_message(x->why)), err);
}

/* installed; then, when nothing needs a reboot, commit at once. A module that
 * needs a reboot makes the update wait for one too: the transaction is
 * re-begun with that in its detail, so that neither this run nor a restart
 * commits it before the reboot. */
static bool finish(struct run *x, struct lifecycle_install_result *out, struct ferry_error **err)
{
	const struct state_txn *rebegin = NULL;
	if (x->module_reboot && !x->needs_reboot) {
		x->needs_reboot = true;
		json_object_set_new(x->detail, "needs_reboot", json_true());
		if (!set_detail_text(x, err))
			return false;
		rebegin = &x->t;
	}
	json_t *fin = json_pack("{s:s,s:b}", "variant", x->u->v->id, "reboot_pending", x->needs_reboot);
	if (!record(x, true, AGENT_STATE_INSTALLED, rebegin, "install.finished", "success", fin, err))
		return false;
	if (x->needs_reboot) {
		out->outcome = LIFECYCLE_INSTALL_REBOOT_PENDING;
		out->slot = x->target_slot[0];
		return true;
	}
	enum lifecycle_commit_outcome committed;
	if (!lifecycle_commit(x->c, x->st, x->boot, &committed, &out->why, err))
		return false;
	out->outcome = committed == LIFECYCLE_COMMIT_DONE ? LIFECYCLE_INSTALL_COMMITTED
							  : LIFECYCLE_INSTALL_ROLLED_BACK;
	return true;
}

bool lifecycle_install(const struct agent_config *c, struct state *st, struct boot *boot,
		       const struct lifecycle_update *u, struct lifecycle_install_result *out,
		       struct ferry_error **err)
{
	bool ok = false;
	struct run x;
	memset(out, 0, sizeof(*out));
	out->outcome = LIFECYCLE_INSTALL_FAILED;
	if (!run_init(&x, c, st, boot, u, err))
		goto out;
	if (!plan(&x)) {
		ok = refuse(&x, out, err);
		goto out;
	}
	if (!begin(&x, err))
		goto out;
	if (prepare(&x, err) && stream(&x, err) && activate(&x) && arm(&x))
		ok = finish(&x, out, err);
	else if (x.why)
		ok = fail(&x, out, err);
out:
	run_clear(&x);
	return ok;
}
