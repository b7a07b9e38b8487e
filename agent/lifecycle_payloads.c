/* lifecycle_payloads: each payload's handler steps for the lifecycle module
 * (see lifecycle_internal.h): where a payload goes, streaming, activation,
 * health check, commit, undo and recovery. Which handler does what comes
 * from common/handler_kind; no handler name is compared here. */
#include "agent/lifecycle_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/hooks.h"
#include "agent/metrics.h"
#include "common/progress.h"
#include "common/safefile.h"

static char *state_path(const struct agent_config *c, const char *sub)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", c->state_dir, sub) < 0 ? NULL : p;
}

/* Where the payload's handler writes, from agent.json. */
static bool place_where(const struct agent_config *c, char slot, const struct payload *p,
			struct place *out, struct ferry_error **err)
{
	struct handler_context *x = &out->ctx;
	if (out->kind->writes == HANDLER_WRITES_SLOT) {
		const char *pair_name = p->target ? p->target : "rootfs";
		const struct agent_slot_pair *pair = agent_config_slot(c, pair_name);
		if (!pair)
			return ferry_error_setc(err, FERRY_E_CONFIG, "payload %s: agent.json has no slot pair '%s'",
						p->name, pair_name);
		if (slot != 'a' && slot != 'b')
			return ferry_error_setc(err, FERRY_E_CONFIG, "payload %s: no inactive slot to write",
						p->name);
		x->slot_path = slot == 'a' ? pair->a : pair->b;
		x->slot_write_zeroes_off = pair->write_zeroes_off;
	} else if (out->kind->target == HANDLER_TARGET_DIR) {
		x->target_path = p->target ? agent_config_target(c, p->target) : NULL;
		if (!x->target_path)
			return ferry_error_setc(err, FERRY_E_CONFIG, "payload %s: agent.json has no target '%s'",
						p->name, p->target ? p->target : "");
	} else if (out->kind->target == HANDLER_TARGET_MODULE) {
		if (!p->target || !handler_module_name_valid(p->target))
			return ferry_error_setc(err, FERRY_E_FORMAT, "payload %s: bad module name", p->name);
	}
	return true;
}

bool lifecycle_place_build(const struct agent_config *c, const struct state_txn *t, char slot,
			   const struct payload *p, struct place *out, struct ferry_error **err)
{
	memset(out, 0, sizeof(*out));
	out->p.name = p->name;
	out->p.handler = p->handler;
	out->p.target = p->target;
	out->p.size = p->size;
	memcpy(out->p.sha256, p->sha256, sizeof(out->p.sha256));
	out->p.allow_setuid = p->allow_setuid;
	out->kind = handler_kind_find(p->handler);
	out->ops = handler_find(p->handler);
	if (!out->kind || !out->ops)
		return ferry_error_setc(err, FERRY_E_COMPAT, "payload %s: no handler '%s' on this device",
					p->name, p->handler);
	if (asprintf(&out->work_dir, "%s/work/%s", c->state_dir, p->name) < 0) {
		out->work_dir = NULL;
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
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
	return place_where(c, slot, p, out, err);
}

void lifecycle_places_free(struct place *pl, size_t n)
{
	for (size_t i = 0; pl && i < n; i++)
		free(pl[i].work_dir);
	free(pl);
}

json_t *lifecycle_txn_detail(const struct variant *v, bool needs_reboot)
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

bool lifecycle_view_load(struct state *st, struct lifecycle_view *v, struct ferry_error **err)
{
	memset(v, 0, sizeof(*v));
	return state_get(st, &v->info, err);
}

bool lifecycle_view_payloads(struct lifecycle_view *v, struct ferry_error **err)
{
	const struct state_txn *t = &v->info.txn;
	json_error_t je;
	v->detail = t->detail ? json_loads(t->detail, 0, &je) : NULL;
	json_t *arr = json_object_get(v->detail, "payloads");
	v->needs_reboot = arr ? json_is_true(json_object_get(v->detail, "needs_reboot"))
			      : t->target_slot != NULL;
	v->n = json_array_size(arr);
	v->p = calloc(v->n ? v->n : 1, sizeof(*v->p));
	if (!v->p)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	for (size_t i = 0; i < v->n; i++) {
		json_t *o = json_array_get(arr, i);
		struct payload *p = &v->p[i];
		const char *sha = json_string_value(json_object_get(o, "sha256"));
		p->name = (char *)json_string_value(json_object_get(o, "name"));
		p->handler = (char *)json_string_value(json_object_get(o, "handler"));
		p->target = (char *)json_string_value(json_object_get(o, "target"));
		p->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
		p->allow_setuid = json_is_true(json_object_get(o, "allow_setuid"));
		if (sha)
			snprintf(p->sha256, sizeof(p->sha256), "%s", sha);
		if (!p->name || !p->handler)
			return ferry_error_setc(err, FERRY_E_FORMAT,
						"agent.db: transaction payload %zu is incomplete", i);
	}
	return true;
}

bool lifecycle_view_places(const struct agent_config *c, struct lifecycle_view *v,
			   struct ferry_error **err)
{
	struct place *pl = calloc(v->n ? v->n : 1, sizeof(*pl));
	if (!pl)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	const struct state_txn *t = &v->info.txn;
	char slot = t->target_slot ? t->target_slot[0] : 0;
	for (size_t i = 0; i < v->n; i++)
		if (!lifecycle_place_build(c, t, slot, &v->p[i], &pl[i], err)) {
			lifecycle_places_free(pl, i + 1);
			return false;
		}
	v->pl = pl;
	return true;
}

void lifecycle_view_clear(struct lifecycle_view *v)
{
	lifecycle_places_free(v->pl, v->n);
	free(v->p);
	json_decref(v->detail);
	state_info_clear(&v->info);
	memset(v, 0, sizeof(*v));
}

static bool progress_mark(struct state *st, const struct payload *p, const char *phase,
			  struct ferry_error **err)
{
	struct state_progress pr = { .payload = p->name, .handler = p->handler, .phase = (char *)phase };
	return state_progress_set(st, &pr, err);
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

static bool counted_borrow(void *ctx, struct iovec *runs, size_t max, size_t *n,
			   struct ferry_error **err)
{
	struct counted_source *c = ctx;
	if (!c->inner->borrow(c->inner->ctx, runs, max, n, err))
		return false;
	for (size_t k = 0; k < *n; k++)
		c->done += runs[k].iov_len;
	progress_update(c->bar, c->done);
	return true;
}

static void counted_skip_whole_hash(void *ctx)
{
	struct counted_source *c = ctx;
	byte_source_skip_whole_hash(c->inner);
}

bool lifecycle_payloads_stream(struct state *st, struct bundle_reader *r, const struct manifest *m,
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
		struct byte_source src = { 0 };
		struct byte_source counted = { .read = counted_read, .ctx = &counter };
		struct handler_result res = { 0 };
		*n_done = i + 1;
		*step = p->name;
		progress_set_label(counter.bar, p->name);
		ok = progress_mark(st, p, "installing", err) &&
		     bundle_reader_payload(r, m, p, &src, err);
		counter.inner = &src;
		counted.name = src.name;
		counted.skip_whole_hash = src.skip_whole_hash ? counted_skip_whole_hash : NULL;
		counted.borrow = src.borrow ? counted_borrow : NULL;
		ok = ok && pl[i].ops->install(&pl[i].ctx, p, &counted, &res, err) &&
		     progress_mark(st, p, "installed", err);
		counter.inner = NULL;   /* src ends with this iteration */
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

bool lifecycle_payloads_activate(struct state *st, const struct variant *v, struct place *pl,
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

static void keep_problem(char **problem, const struct ferry_error *e)
{
	if (problem && !*problem)
		*problem = strdup(ferry_error_message(e));
}

void lifecycle_payloads_abort(struct place *pl, size_t n, size_t n_activated, char **why)
{
	for (size_t i = 0; i < n; i++) {
		struct ferry_error *e = NULL;
		struct handler_result res = { 0 };
		bool ok = true;
		if (i < n_activated && pl[i].ops->rollback)
			ok = pl[i].ops->rollback(&pl[i].ctx, &pl[i].p, &res, &e);
		if (ok && pl[i].ops->abort)
			ok = pl[i].ops->abort(&pl[i].ctx, &pl[i].p, &res, &e);
		if (!ok)
			keep_problem(why, e);
		handler_result_free(&res);
		ferry_error_free(e);
	}
}

/* The metrics the health check reported, and the agent's own. */
static void add_metrics(const char *path, json_t *detail)
{
	json_t *metrics = NULL, *refused = NULL;
	struct timespec ts;
	metrics_collect(path, &metrics, &refused);
	if (metrics && clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
		json_object_set_new(metrics, "commit_after_boot_ms",
				    json_integer((json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
	if (detail && metrics && json_object_size(metrics))
		json_object_set(detail, "metrics", metrics);
	if (detail && refused)
		json_object_set(detail, "metrics_refused", refused);
	json_decref(metrics);
	json_decref(refused);
}

bool lifecycle_payloads_check(const struct agent_config *c, const struct lifecycle_view *v,
			      char **log_out, json_t *detail, struct ferry_error **err)
{
	if (!v->n)
		return true;   /* hooks run in a payload's context: none, nothing to check */
	char *path = state_path(c, "hooks/health_check"), *hook = NULL, *log = NULL;
	size_t len = 0;
	bool ok = path != NULL;
	if (ok && access(path, F_OK) == 0)
		ok = read_file_limited(path, HOOK_MAX_BYTES, &hook, &len, err);
	struct handler_context hc = v->pl[0].ctx;
	hc.agent_state = "health_check";
	char *metrics = state_path(c, "metrics");
	if (metrics)
		unlink(metrics);   /* only what this check reports */
	hc.metrics_file = metrics;
	if (ok)
		ok = hooks_run(&hc, c->hooks_dir, HOOK_HEALTH_CHECK, hook, len, &log, NULL, err);
	if (metrics)
		add_metrics(metrics, detail);
	free(metrics);
	free(path);
	free(hook);
	*log_out = log;
	return ok;
}

bool lifecycle_payloads_commit(struct lifecycle_view *v, struct ferry_error **err)
{
	bool ok = true;
	for (size_t i = 0; ok && i < v->n; i++) {
		struct place *pl = &v->pl[i];
		struct handler_result res = { 0 };
		pl->ctx.agent_state = "committing";
		ok = !pl->ops->commit || pl->ops->commit(&pl->ctx, &pl->p, &res, err);
		if (!ok)
			ferry_error_prefix(err, "commit of payload %s", pl->p.name);
		handler_result_free(&res);
	}
	return ok;
}

void lifecycle_payloads_rollback(struct lifecycle_view *v, char **problem)
{
	for (size_t i = 0; v->pl && i < v->n; i++) {
		struct place *pl = &v->pl[i];
		struct handler_result res = { 0 };
		struct ferry_error *e = NULL;
		pl->ctx.agent_state = "rolling_back";
		if (pl->kind->rolls_back && pl->ops->rollback &&
		    !pl->ops->rollback(&pl->ctx, &pl->p, &res, &e))
			keep_problem(problem, e);
		handler_result_free(&res);
		ferry_error_free(e);
	}
}

/* Undoes one interrupted payload according to how far it got. */
static void recover_payload(struct state *st, struct place *pl, char **problem)
{
	struct state_progress pr = { 0 };
	struct ferry_error *e = NULL;
	struct handler_result res = { 0 };
	bool found = false, ok = state_progress_get(st, pl->p.name, &pr, &found, &e);
	if (ok && pl->kind->writes == HANDLER_WRITES_TARGET && pl->ctx.target_path)
		ok = handler_files_recover(pl->ctx.target_path, &e);
	if (ok && found && pr.phase && strncmp(pr.phase, "activat", 7) == 0 && pl->kind->rolls_back &&
	    pl->ops->rollback)
		ok = pl->ops->rollback(&pl->ctx, &pl->p, &res, &e);
	if (ok && pl->ops->abort)
		ok = pl->ops->abort(&pl->ctx, &pl->p, &res, &e);
	if (!ok)
		keep_problem(problem, e);
	handler_result_free(&res);
	state_progress_clear(&pr);
	ferry_error_free(e);
}

void lifecycle_payloads_recover(struct state *st, struct lifecycle_view *v, char **problem)
{
	for (size_t i = 0; v->pl && i < v->n; i++)
		recover_payload(st, &v->pl[i], problem);
}

bool lifecycle_keep_health_hook(const struct agent_config *c, const char *hook, size_t len,
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
