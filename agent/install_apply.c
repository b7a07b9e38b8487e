/* install_apply: doing an update that install.c chose, and ending it.
 * Order of one install: the transaction begins (verifying) with its audit
 * record; pre_install hooks; each payload streamed from the bundle into its
 * handler (installing; per-payload progress saved); activation (tree swaps);
 * post_install hooks; the bootloader armed for one trial boot; then either
 * installed (reboot pending) or, when nothing needs a reboot, the health
 * check and commit at once. Any failure before activation aborts every
 * payload, so no slot is switched and no tree is swapped. */
#include "agent/install_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/boot.h"
#include "agent/handler.h"
#include "agent/hooks.h"
#include "common/json.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/safefile.h"
#include "agent/trial.h"

/* A payload as the transaction remembers it: enough to commit, roll back or
 * clean up after a reboot or a crash, without the bundle. */
struct place {
	struct payload p;              /* name, handler, target (borrowed) */
	struct handler_context ctx;
	const struct handler_ops *ops;
	char *work_dir;
};

void lines_add(char ***lines, const char *fmt, ...)
{
	size_t n = strv_len(*lines);
	char **v = realloc(*lines, (n + 2) * sizeof(*v));
	if (!v)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&v[n], fmt, ap) < 0)
		v[n] = NULL;
	va_end(ap);
	v[n + 1] = NULL;
	*lines = v;
}

static char *state_path(const struct agent_config *c, const char *sub)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", c->state_dir, sub) < 0 ? NULL : p;
}

/* The payload's handler context: where it writes, deterministic from the
 * config, the transaction and the payload, so a restart rebuilds the same. */
static bool place_build(const struct agent_config *c, const struct state_txn *t, char slot,
			const struct payload *p, struct place *out, struct ferry_error **err)
{
	memset(out, 0, sizeof(*out));
	out->p.name = p->name;
	out->p.handler = p->handler;
	out->p.target = p->target;
	out->p.size = p->size;
	memcpy(out->p.sha256, p->sha256, sizeof(out->p.sha256));
	out->p.allow_setuid = p->allow_setuid;
	out->ops = handler_find(p->handler);
	if (!out->ops)
		return ferry_error_set(err, "payload %s: no handler '%s' on this device", p->name, p->handler);
	if (asprintf(&out->work_dir, "%s/work/%s", c->state_dir, p->name) < 0)
		return ferry_error_set(err, "out of memory");
	struct handler_context *x = &out->ctx;
	x->bundle = t->bundle;
	x->version = t->version;
	x->variant = t->variant;
	x->device_id = c->device.id;
	x->device_type = c->device.type;
	x->agent_state = "installing";
	x->modules_dir = c->modules_dir;
	x->work_dir = out->work_dir;
	x->timeout_sec = (int)c->script_timeout;
	if (strcmp(p->handler, "rootfs-ab") == 0) {
		const char *pair_name = p->target ? p->target : "rootfs";
		const struct agent_slot_pair *pair = agent_config_slot(c, pair_name);
		if (!pair)
			return ferry_error_set(err, "payload %s: agent.json has no slot pair '%s'", p->name,
					       pair_name);
		if (slot != 'a' && slot != 'b')
			return ferry_error_set(err, "payload %s: no inactive slot to write", p->name);
		x->slot_path = slot == 'a' ? pair->a : pair->b;
	} else if (strcmp(p->handler, "files") == 0) {
		x->target_path = p->target ? agent_config_target(c, p->target) : NULL;
		if (!x->target_path)
			return ferry_error_set(err, "payload %s: agent.json has no target '%s'", p->name,
					       p->target ? p->target : "");
	} else if (strcmp(p->handler, "module") == 0) {
		if (!p->target || !handler_module_name_valid(p->target))
			return ferry_error_set(err, "payload %s: bad module name", p->name);
	}
	return true;
}

static void place_free(struct place *pl)
{
	free(pl->work_dir);
	pl->work_dir = NULL;
}

/* The transaction's detail: the payload list and whether a reboot is needed. */
static json_t *txn_detail(const struct variant *v, bool needs_reboot)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < v->n_payloads; i++) {
		const struct payload *p = &v->payloads[i];
		json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:b}", "name", p->name, "handler", p->handler,
				      "size", (json_int_t)p->size, "sha256", p->sha256,
				      "allow_setuid", p->allow_setuid);
		if (p->target)
			json_object_set_new(o, "target", json_string(p->target));
		json_array_append_new(arr, o);
	}
	return json_pack("{s:o,s:b}", "payloads", arr, "needs_reboot", needs_reboot);
}

/* The payloads of the current transaction, rebuilt from its detail. */
struct txn_payloads {
	json_t *detail;
	struct payload *p;
	size_t n;
	bool needs_reboot;
};

static void txn_payloads_clear(struct txn_payloads *tp)
{
	free(tp->p);
	json_decref(tp->detail);
	memset(tp, 0, sizeof(*tp));
}

static bool txn_payloads_load(const struct state_txn *t, struct txn_payloads *tp, struct ferry_error **err)
{
	json_error_t je;
	memset(tp, 0, sizeof(*tp));
	tp->detail = t->detail ? json_loads(t->detail, 0, &je) : NULL;
	json_t *arr = json_object_get(tp->detail, "payloads");
	/* A transaction without a payload list (begun by another tool) has only
	 * what the bootloader does: a slot switch when it names a target slot. */
	tp->needs_reboot = arr ? json_is_true(json_object_get(tp->detail, "needs_reboot"))
			       : t->target_slot != NULL;
	tp->n = json_array_size(arr);
	tp->p = calloc(tp->n ? tp->n : 1, sizeof(*tp->p));
	if (!tp->p)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < tp->n; i++) {
		json_t *o = json_array_get(arr, i);
		const char *sha = json_string_value(json_object_get(o, "sha256"));
		tp->p[i].name = (char *)json_string_value(json_object_get(o, "name"));
		tp->p[i].handler = (char *)json_string_value(json_object_get(o, "handler"));
		tp->p[i].target = (char *)json_string_value(json_object_get(o, "target"));
		tp->p[i].size = (uint64_t)json_integer_value(json_object_get(o, "size"));
		tp->p[i].allow_setuid = json_is_true(json_object_get(o, "allow_setuid"));
		if (sha)
			snprintf(tp->p[i].sha256, sizeof(tp->p[i].sha256), "%s", sha);
		if (!tp->p[i].name || !tp->p[i].handler)
			return ferry_error_set(err, "agent.db: transaction payload %zu is incomplete", i);
	}
	return true;
}

static bool progress_mark(struct state *st, const struct payload *p, const char *phase,
			  struct ferry_error **err)
{
	struct state_progress pr = { .payload = p->name, .handler = p->handler, .phase = (char *)phase };
	return state_progress_set(st, &pr, err);
}

/* One audited state change. */
static bool record(struct state *st, bool set, enum agent_state to, const struct state_txn *begin,
		   bool clear, const struct state_txn *t, const char *event, const char *result,
		   json_t *detail, struct ferry_error **err)
{
	struct state_change ch = { .set_state = set, .state = to, .begin_txn = begin, .clear_txn = clear };
	struct state_event ev = {
		.event = event, .result = result, .detail = detail,
		.bundle = t ? t->bundle : NULL, .version = t ? t->version : NULL,
		.usb_serial = t ? t->usb_serial : NULL, .media_label = t ? t->media_label : NULL,
	};
	bool ok = state_apply(st, &ch, &ev, NULL, err);
	json_decref(detail);
	return ok;
}

/* Undo what the payloads [0, n) did: roll back those activated, abort all.
 * Best effort: every step runs; the first problem is kept in *why. */
static void undo_payloads(struct place *pl, size_t n, size_t n_activated, char **why)
{
	for (size_t i = 0; i < n; i++) {
		struct ferry_error *e = NULL;
		struct handler_result res = { 0 };
		bool ok = true;
		if (i < n_activated && pl[i].ops->rollback)
			ok = pl[i].ops->rollback(&pl[i].ctx, &pl[i].p, &res, &e);
		if (ok && pl[i].ops->abort)
			ok = pl[i].ops->abort(&pl[i].ctx, &pl[i].p, &res, &e);
		if (!ok && why && !*why)
			*why = strdup(ferry_error_message(e));
		handler_result_free(&res);
		ferry_error_free(e);
	}
}

static bool read_hook(struct bundle_reader *r, const struct variant *v, enum hook_kind k,
		      char **data, size_t *len, struct ferry_error **err)
{
	*data = NULL;
	*len = 0;
	if (!v->hooks[k].present)
		return true;
	return bundle_reader_hook(r, &v->hooks[k], data, len, err);
}

static bool run_hooks(const struct agent_config *c, const struct handler_context *ctx,
		      enum hook_kind k, const char *hook, size_t len, char **log,
		      struct ferry_error **err)
{
	return hooks_run(ctx, c->hooks_dir, k, hook, len, log, NULL, err);
}

static bool variant_needs_reboot(const struct variant *v)
{
	for (size_t i = 0; i < v->n_payloads; i++)
		if (strcmp(v->payloads[i].handler, "rootfs-ab") == 0)
			return true;
	return false;
}

/* The health check hook is kept on the device: after the reboot the stick is gone. */
static bool keep_health_hook(const struct agent_config *c, const char *hook, size_t len,
			     struct ferry_error **err)
{
	char *dir = state_path(c, "hooks"), *path = state_path(c, "hooks/health_check");
	bool ok = dir && path && mkdir_p(dir, 0700, err);
	if (ok && hook)
		ok = safe_write_atomic(path, hook, len, 0700, err);
	else if (ok && unlink(path) < 0 && access(path, F_OK) == 0)
		ok = ferry_error_errno(err, 0, "%s: remove", path);
	free(dir);
	free(path);
	return ok;
}

static json_t *failure_detail(const char *step, const char *message, const char *log)
{
	json_t *d = json_pack("{s:s,s:s}", "step", step, "error", message);
	if (log && *log)
		json_object_set_new(d, "log", json_string(log));
	return d;
}

/* Fails the transaction: undo the payloads, end as failed, audit why. */
static bool fail_install(struct state *st, const struct state_txn *t, struct place *pl, size_t n,
			 size_t n_activated, struct boot *boot, char booted, const char *step,
			 const char *message, const char *log, char ***lines, struct ferry_error **err)
{
	char *why = NULL;
	if (boot && n_activated > 0) {
		struct ferry_error *e = NULL;
		if (!boot_rollback(boot, booted, &e) && !why)
			why = strdup(ferry_error_message(e));
		ferry_error_free(e);
	}
	undo_payloads(pl, n, n_activated, &why);
	json_t *d = failure_detail(step, message, log);
	if (why)
		json_object_set_new(d, "cleanup_error", json_string(why));
	lines_add(lines, "%s %s: failed at %s: %s", t->bundle, t->version, step, message);
	free(why);
	return record(st, true, AGENT_STATE_FAILED, NULL, true, t, "install.failed", "failure", d, err);
}

/* A byte_source that counts what passes through it for the progress bar. */
struct counted_source {
	struct byte_source *inner;
	struct progress *bar;
	uint64_t done;
};

static bool counted_read(void *ctx, void *buf, size_t cap, size_t *got, struct ferry_error **err)
{
	struct counted_source *c = ctx;
	if (!byte_source_read(c->inner, buf, cap, got, err))
		return false;
	c->done += *got;
	progress_update(c->bar, c->done);
	return true;
}

/* Streams every payload into its handler. *n_done: how many were started. */
static bool install_payloads(struct state *st, struct bundle_reader *r, const struct manifest *m,
			     const struct variant *v, struct place *pl, bool show_progress,
			     size_t *n_done, bool *wants_reboot, const char **step, char **log,
			     struct ferry_error **err)
{
	uint64_t total = 0;
	for (size_t i = 0; i < v->n_payloads; i++)
		total += v->payloads[i].size;
	struct counted_source counter = { .bar = progress_new("installing", total, show_progress) };
	bool ok = true;
	for (size_t i = 0; ok && i < v->n_payloads; i++) {
		const struct payload *p = &v->payloads[i];
		struct byte_source src;
		struct byte_source counted = { .read = counted_read, .ctx = &counter };
		struct handler_result res = { 0 };
		*n_done = i + 1;
		*step = p->name;
		progress_set_label(counter.bar, p->name);
		ok = progress_mark(st, p, "installing", err) &&
		     bundle_reader_payload(r, m, p, &src, err);
		counter.inner = &src;
		counted.name = src.name;
		ok = ok && pl[i].ops->install(&pl[i].ctx, p, &counted, &res, err) &&
		     progress_mark(st, p, "installed", err);
		if (res.log) {
			free(*log);
			*log = strdup(res.log);
		}
		if (ok && res.needs_reboot)
			*wants_reboot = true;   /* a module answered NeedsArtifactReboot: Yes */
		handler_result_free(&res);
	}
	progress_finish(counter.bar);
	return ok;
}

/* Activates every payload; *n_act counts those activated; *switch_boot says
 * whether the bootloader must try the new slot. */
static bool activate_payloads(struct state *st, const struct variant *v, struct place *pl,
			      size_t *n_act, bool *switch_boot, const char **step,
			      struct ferry_error **err)
{
	for (size_t i = 0; i < v->n_payloads; i++) {
		struct handler_result res = { 0 };
		*step = v->payloads[i].name;
		bool ok = progress_mark(st, &v->payloads[i], "activating", err) &&
			  (!pl[i].ops->activate || pl[i].ops->activate(&pl[i].ctx, &pl[i].p, &res, err));
		*n_act = i + 1;
		if (res.needs_boot_switch)
			*switch_boot = true;
		handler_result_free(&res);
		if (!ok || !progress_mark(st, &v->payloads[i], "activated", err))
			return false;
	}
	return true;
}

bool install_apply(const struct agent_config *c, struct state *st, struct boot *boot, const char *path,
		   const struct manifest *m, const struct variant *v, json_t *signers,
		   const struct install_media *media, enum notify_result *result,
		   char ***lines, struct ferry_error **err)
{
	bool ok = false;
	struct bundle_reader *r = NULL;
	struct boot_status bs = { 0 };
	struct place *pl = calloc(v->n_payloads ? v->n_payloads : 1, sizeof(*pl));
	struct ferry_error *why = NULL;
	char *hooks[HOOK_COUNT] = { 0 }, *log = NULL, *detail_text = NULL;
	size_t hook_len[HOOK_COUNT] = { 0 }, n_done = 0, n_act = 0;
	const char *step = "preparation";
	bool needs_reboot = variant_needs_reboot(v), switch_boot = false;
	char target = 0;
	json_t *detail = txn_detail(v, needs_reboot);
	*result = NOTIFY_FAILURE;

	struct state_txn t = {
		.bundle = m->name, .version = m->version, .variant = v->id,
		.security_version = m->security_version,
		.usb_serial = media ? (char *)media->usb_serial : NULL,
		.media_label = media ? (char *)media->label : NULL,
	};
	char slot_target[2] = { 0 }, slot_prev[2] = { 0 };
	if (!pl || !detail || !(detail_text = json_dumps(detail, JSON_COMPACT))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	t.detail = detail_text;

	/* Where it goes, before anything is written or recorded. */
	if (needs_reboot) {
		if (!boot_get_status(boot, &bs, &why))
			goto refuse;
		if (!bs.booted) {
			ferry_error_set(&why, "the bootloader cannot tell which slot is running");
			goto refuse;
		}
		target = boot_other_slot(bs.booted);
		slot_target[0] = target;
		slot_prev[0] = bs.booted;
		t.target_slot = slot_target;
		t.previous_slot = slot_prev;
	}
	for (size_t i = 0; i < v->n_payloads; i++)
		if (!place_build(c, &t, target, &v->payloads[i], &pl[i], &why))
			goto refuse;

	json_t *start = json_pack("{s:s,s:O}", "variant", v->id, "signers", signers);
	if (target)
		json_object_set_new(start, "slot", json_sprintf("%c", target));
	if (!record(st, true, AGENT_STATE_VERIFYING, &t, false, &t, "install.started", "info", start, err))
		goto out;

	if (!bundle_reader_open(path, &r, &why)) {
		step = "reading the bundle";
		goto fail;
	}
	for (int k = 0; k < HOOK_COUNT; k++)
		if (!read_hook(r, v, (enum hook_kind)k, &hooks[k], &hook_len[k], &why)) {
			step = hook_kind_name((enum hook_kind)k);
			goto fail;
		}
	if (!keep_health_hook(c, hooks[HOOK_HEALTH_CHECK], hook_len[HOOK_HEALTH_CHECK], err))
		goto out;
	step = "pre_install";
	if (v->n_payloads && !run_hooks(c, &pl[0].ctx, HOOK_PRE_INSTALL, hooks[HOOK_PRE_INSTALL],
					hook_len[HOOK_PRE_INSTALL], &log, &why))
		goto fail;
	if (!record(st, true, AGENT_STATE_INSTALLING, NULL, false, &t, "install.writing", "info", NULL, err))
		goto out;
	bool module_reboot = false;
	if (!install_payloads(st, r, m, v, pl, media && media->progress, &n_done, &module_reboot, &step,
			      &log, &why))
		goto fail;
	bundle_reader_close(r);
	r = NULL;
	if (!activate_payloads(st, v, pl, &n_act, &switch_boot, &step, &why))
		goto fail;
	step = "post_install";
	if (v->n_payloads && !run_hooks(c, &pl[0].ctx, HOOK_POST_INSTALL, hooks[HOOK_POST_INSTALL],
					hook_len[HOOK_POST_INSTALL], &log, &why))
		goto fail;
	/* Armed last: a crash after this finds everything done but the record,
	 * and a boot into the new slot is a complete trial (agent_startup). */
	if (switch_boot) {
		step = "bootloader";
		if (!boot_try_once(boot, target, &why))
			goto fail;
	}

	/* A module that needs a reboot makes the update wait for one too: the
	 * transaction is re-begun with that in its detail, so that neither this
	 * run nor a restart commits it before the reboot. */
	const struct state_txn *rebegin = NULL;
	if (module_reboot && !needs_reboot) {
		needs_reboot = true;
		json_object_set_new(detail, "needs_reboot", json_true());
		free(detail_text);
		if (!(detail_text = json_dumps(detail, JSON_COMPACT))) {
			ferry_error_set(err, "out of memory");
			goto out;
		}
		t.detail = detail_text;
		rebegin = &t;
	}
	json_t *fin = json_pack("{s:s,s:b}", "variant", v->id, "reboot_pending", needs_reboot);
	if (!record(st, true, AGENT_STATE_INSTALLED, rebegin, false, &t, "install.finished", "success",
		    fin, err))
		goto out;
	if (needs_reboot && !target) {
		lines_add(lines, "%s %s: installed; an update module asks for a reboot, then commit",
			  m->name, m->version);
		*result = NOTIFY_SUCCESS;
		ok = true;
		goto out;
	}
	if (needs_reboot) {
		lines_add(lines, "%s %s: installed into slot %c; reboot to try it, then commit",
			  m->name, m->version, target);
		*result = NOTIFY_SUCCESS;
		ok = true;
		goto out;
	}
	enum agent_commit_outcome outcome;
	char *reason = NULL;
	if (!install_finish(c, st, boot, &outcome, &reason, err))
		goto out;
	bool committed = outcome == AGENT_COMMIT_DONE;
	if (committed)
		lines_add(lines, "%s %s: installed and committed", m->name, m->version);
	else
		lines_add(lines, "%s %s: health check failed, rolled back: %s", m->name, m->version,
			  reason ? reason : "");
	*result = committed ? NOTIFY_SUCCESS : NOTIFY_FAILURE;
	free(reason);
	ok = true;
	goto out;

refuse:
	/* Nothing was written: the device cannot take this bundle as configured. */
	lines_add(lines, "%s %s: refused: %s", m->name, m->version, ferry_error_message(why));
	*result = NOTIFY_REFUSED;
	ok = record(st, false, 0, NULL, false, &t, "install.refused", "refused",
		    json_pack("{s:[s]}", "reasons", ferry_error_message(why)), err);
	goto out;
fail:
	ok = fail_install(st, &t, pl, n_done, n_act, switch_boot ? boot : NULL, bs.booted, step,
			  ferry_error_message(why), log, lines, err);
out:
	bundle_reader_close(r);
	for (size_t i = 0; pl && i < v->n_payloads; i++)
		place_free(&pl[i]);
	free(pl);
	for (int k = 0; k < HOOK_COUNT; k++)
		free(hooks[k]);
	free(log);
	free(detail_text);
	json_decref(detail);
	ferry_error_free(why);
	return ok;
}

/* The places of the current transaction's payloads. */
static bool places_of_txn(const struct agent_config *c, const struct state_txn *t,
			  struct txn_payloads *tp, struct place **out, struct ferry_error **err)
{
	*out = NULL;
	if (!txn_payloads_load(t, tp, err))
		return false;
	struct place *pl = calloc(tp->n ? tp->n : 1, sizeof(*pl));
	if (!pl)
		return ferry_error_set(err, "out of memory");
	char slot = t->target_slot ? t->target_slot[0] : 0;
	for (size_t i = 0; i < tp->n; i++)
		if (!place_build(c, t, slot, &tp->p[i], &pl[i], err)) {
			for (size_t j = 0; j <= i; j++)
				place_free(&pl[j]);
			free(pl);
			return false;
		}
	*out = pl;
	return true;
}

static void places_free(struct place *pl, size_t n)
{
	for (size_t i = 0; pl && i < n; i++)
		place_free(&pl[i]);
	free(pl);
}

/* The current transaction as the end of an update sees it: the state, and
 * the places of its payloads (rebuilt from agent.db, without the bundle). */
struct txn_view {
	struct state_info info;
	struct txn_payloads tp;
	struct place *pl;
};

/* Loads the state and, when a transaction exists (and, with pending_only,
 * only when it is installed or in trial), the places of its payloads. */
static bool txn_view_load(const struct agent_config *c, struct state *st, bool pending_only,
			  struct txn_view *v, struct ferry_error **err)
{
	memset(v, 0, sizeof(*v));
	if (!state_get(st, &v->info, err))
		return false;
	bool pending = v->info.state == AGENT_STATE_INSTALLED || v->info.state == AGENT_STATE_TRIAL;
	if (!v->info.has_txn || (pending_only && !pending))
		return true;
	return places_of_txn(c, &v->info.txn, &v->tp, &v->pl, err);
}

static void txn_view_clear(struct txn_view *v)
{
	places_free(v->pl, v->tp.n);
	txn_payloads_clear(&v->tp);
	state_info_clear(&v->info);
	memset(v, 0, sizeof(*v));
}

/* Runs the kept health check hook, then the device's own. */
static bool health_check(const struct agent_config *c, const struct handler_context *ctx,
			 char **log, struct ferry_error **err)
{
	char *path = state_path(c, "hooks/health_check"), *hook = NULL;
	size_t len = 0;
	bool ok = path != NULL;
	if (ok && access(path, F_OK) == 0)
		ok = read_file_limited(path, HOOK_MAX_BYTES, &hook, &len, err);
	struct handler_context hc = *ctx;
	hc.agent_state = "health_check";
	if (ok)
		ok = run_hooks(c, &hc, HOOK_HEALTH_CHECK, hook, len, log, err);
	free(path);
	free(hook);
	return ok;
}

/* Undoes the payloads' own effects (file trees back, module rollback); the
 * slot is left alone: it may be the one running now, and the bootloader's
 * rollback (agent_rollback) is what takes it out of service. */
static void rollback_payloads(struct txn_payloads *tp, struct place *pl, char **problem)
{
	for (size_t i = 0; i < tp->n; i++) {
		struct handler_result res = { 0 };
		struct ferry_error *e = NULL;
		pl[i].ctx.agent_state = "rolling_back";
		if (strcmp(tp->p[i].handler, "rootfs-ab") != 0 && pl[i].ops->rollback &&
		    !pl[i].ops->rollback(&pl[i].ctx, &pl[i].p, &res, &e) && problem && !*problem)
			*problem = strdup(ferry_error_message(e));
		handler_result_free(&res);
		ferry_error_free(e);
	}
}

/* agent_commit's check: the health check hooks. A failure undoes the
 * payloads before agent_commit rolls the bootloader and state back. */
static bool commit_check(void *ctx, const struct agent_config *c, const struct state_info *info,
			 struct ferry_error **err)
{
	struct txn_view *f = ctx;
	char *log = NULL;
	(void)info;
	bool ok = !f->tp.n || health_check(c, &f->pl[0].ctx, &log, err);
	if (!ok)
		rollback_payloads(&f->tp, f->pl, NULL);
	free(log);
	return ok;
}

/* agent_commit's keep, once the slot is marked good: every payload's commit
 * (files drop the old tree, modules ArtifactCommit). */
static bool commit_payloads(void *ctx, const struct agent_config *c, const struct state_info *info,
			    struct ferry_error **err)
{
	struct txn_view *f = ctx;
	bool ok = true;
	(void)c, (void)info;
	for (size_t i = 0; ok && i < f->tp.n; i++) {
		struct handler_result res = { 0 };
		f->pl[i].ctx.agent_state = "committing";
		ok = !f->pl[i].ops->commit || f->pl[i].ops->commit(&f->pl[i].ctx, &f->pl[i].p, &res, err);
		if (!ok)
			ferry_error_prefix(err, "commit of payload %s", f->tp.p[i].name);
		handler_result_free(&res);
	}
	if (!ok)
		rollback_payloads(&f->tp, f->pl, NULL);
	return ok;
}

bool install_finish(const struct agent_config *c, struct state *st, struct boot *boot,
		    enum agent_commit_outcome *outcome, char **why, struct ferry_error **err)
{
	bool ok = false;
	struct txn_view f;
	struct ferry_error *fail = NULL;
	*outcome = AGENT_COMMIT_NOTHING;
	*why = NULL;
	if (!txn_view_load(c, st, false, &f, err))
		goto out;
	ok = agent_commit_keep(c, st, boot, f.info.has_txn ? commit_check : NULL,
			       f.info.has_txn ? commit_payloads : NULL, &f, outcome, &fail);
	if (*outcome == AGENT_COMMIT_ROLLED_BACK) {
		*why = strdup(ferry_error_message(fail));
		ok = true;
	} else if (!ok) {
		*err = fail;
		fail = NULL;
	}
out:
	txn_view_clear(&f);
	ferry_error_free(fail);
	return ok;
}

bool install_rollback(const struct agent_config *c, struct state *st, struct boot *boot,
		      const char *reason, struct ferry_error **err)
{
	bool ok = false;
	struct txn_view v;
	char *problem = NULL;
	if (!txn_view_load(c, st, true, &v, err))
		goto out;
	if (v.pl)
		rollback_payloads(&v.tp, v.pl, &problem);
	if (problem)
		log_warn("rollback: %s", problem);
	ok = agent_rollback(c, st, boot, reason ? reason : "requested", "info", err);
out:
	txn_view_clear(&v);
	free(problem);
	return ok;
}

/* agent_startup's undo after a fallback: the payloads' own effects. */
static void undo_after_fallback(void *ctx, const struct agent_config *c, const struct state_info *info)
{
	struct txn_view *v = ctx;
	char *problem = NULL;
	(void)c, (void)info;
	if (!v->pl)
		return;
	rollback_payloads(&v->tp, v->pl, &problem);
	if (problem)
		log_warn("after the fallback: %s", problem);
	free(problem);
}

/* An install in verifying or installing that no agent is working on (its
 * agent was killed, or the power went) is cleaned up now, by whichever
 * command runs first after it: the device must not wait for the next stick
 * with a tree half swapped. The lock tells a dead installer from a live one
 * (install_run holds it, and recovers by itself). */
static bool recover_orphan(const struct agent_config *c, struct state *st, struct boot *boot,
			   struct ferry_error **err)
{
	struct state_info info = { 0 };
	bool busy = false, ok = state_get(st, &info, err);
	enum agent_state s = info.state;
	state_info_clear(&info);
	if (!ok || (s != AGENT_STATE_VERIFYING && s != AGENT_STATE_INSTALLING))
		return ok;
	int lock = -1;
	if (!install_lock_try(c, &lock, &busy, err))
		return false;
	if (busy)
		return true;
	ok = install_recover(c, st, boot, err);
	close(lock);
	return ok;
}

bool install_startup(const struct agent_config *c, struct state *st, struct boot *boot,
		     enum agent_startup_outcome *outcome, struct ferry_error **err)
{
	bool ok = false;
	struct txn_view v;
	enum agent_startup_outcome o = AGENT_STARTUP_SAME_BOOT;
	/* What the transaction was, before start-up may end it. */
	if (!txn_view_load(c, st, true, &v, err))
		goto out;
	if (!agent_startup_undo(c, st, boot, undo_after_fallback, &v, &o, err) ||
	    !recover_orphan(c, st, boot, err))
		goto out;
	if (outcome)
		*outcome = o;
	ok = true;
out:
	txn_view_clear(&v);
	return ok;
}

/* Undoes one interrupted payload according to how far it got. */
static void recover_payload(struct state *st, struct place *pl, const struct payload *p,
			    char **problem)
{
	struct state_progress pr = { 0 };
	struct ferry_error *e = NULL;
	struct handler_result res = { 0 };
	bool found = false, ok = state_progress_get(st, p->name, &pr, &found, &e);
	if (ok && strcmp(p->handler, "files") == 0 && pl->ctx.target_path)
		ok = handler_files_recover(pl->ctx.target_path, &e);
	if (ok && found && pr.phase && strncmp(pr.phase, "activat", 7) == 0 && pl->ops->rollback &&
	    strcmp(p->handler, "rootfs-ab") != 0)
		ok = pl->ops->rollback(&pl->ctx, &pl->p, &res, &e);
	if (ok && pl->ops->abort)
		ok = pl->ops->abort(&pl->ctx, &pl->p, &res, &e);
	if (!ok && !*problem)
		*problem = strdup(ferry_error_message(e));
	handler_result_free(&res);
	state_progress_clear(&pr);
	ferry_error_free(e);
}

bool install_recover(const struct agent_config *c, struct state *st, struct boot *boot,
		     struct ferry_error **err)
{
	bool ok = false;
	struct state_info info = { 0 };
	struct txn_payloads tp = { 0 };
	struct place *pl = NULL;
	char *problem = NULL;
	if (!state_get(st, &info, err))
		goto out;
	if (info.state == AGENT_STATE_INSTALLED && info.has_txn) {
		/* Installed, nothing left but the commit of an update without reboot. */
		if (!txn_payloads_load(&info.txn, &tp, err))
			goto out;
		if (!tp.needs_reboot) {
			enum agent_commit_outcome outcome;
			char *why = NULL;
			ok = install_finish(c, st, boot, &outcome, &why, err);
			free(why);
			goto out;
		}
	}
	if (info.state != AGENT_STATE_VERIFYING && info.state != AGENT_STATE_INSTALLING) {
		ok = true;
		goto out;
	}
	txn_payloads_clear(&tp);
	if (info.has_txn && places_of_txn(c, &info.txn, &tp, &pl, err)) {
		if (tp.needs_reboot && info.txn.previous_slot) {
			struct ferry_error *e = NULL;
			if (!boot_rollback(boot, info.txn.previous_slot[0], &e))
				problem = strdup(ferry_error_message(e));
			ferry_error_free(e);
		}
		for (size_t i = 0; i < tp.n; i++)
			recover_payload(st, &pl[i], &tp.p[i], &problem);
	} else if (info.has_txn) {
		problem = strdup(ferry_error_message(*err));
		ferry_error_clear(err);
	}
	json_t *d = json_pack("{s:s,s:s}", "state", state_name(info.state), "error",
			      "interrupted (crash, power cut or stick pulled)");
	if (problem)
		json_object_set_new(d, "cleanup_error", json_string(problem));
	struct state_change ch = { .set_state = true, .state = AGENT_STATE_FAILED, .clear_txn = true };
	struct state_event ev = {
		.event = "install.interrupted", .result = "failure", .detail = d,
		.bundle = info.has_txn ? info.txn.bundle : NULL,
		.version = info.has_txn ? info.txn.version : NULL,
	};
	ok = state_apply(st, &ch, &ev, NULL, err);
	json_decref(d);
out:
	places_free(pl, tp.n);
	txn_payloads_clear(&tp);
	state_info_clear(&info);
	free(problem);
	return ok;
}
