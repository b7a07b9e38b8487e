/* lifecycle: start-up after a boot (trial, fall back), commit, rollback,
 * recovery of an interrupted install, and the device lock (see lifecycle.h).
 * Order of effects everywhere: payloads, then the bootloader, then the state
 * change with its record in one transaction. */
#include "agent/lifecycle_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"

const char *lifecycle_startup_outcome_name(enum lifecycle_startup_outcome o)
{
	static const char *const names[] = { "same_boot", "normal", "trial", "rolled_back",
					     "fell_back", "unknown_slot" };
	return (size_t)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

/* "a"/"b" of a transaction's slot field, else 0. */
static char txn_slot(const char *s)
{
	return s && (strcmp(s, "a") == 0 || strcmp(s, "b") == 0) ? s[0] : 0;
}

/* The slot to go back to: the transaction's previous slot, else the other. */
static char previous_slot(const struct state_info *info)
{
	char prev = txn_slot(info->txn.previous_slot);
	char target = txn_slot(info->txn.target_slot);
	return prev ? prev : target ? boot_other_slot(target) : 0;
}

static bool is_pending(const struct state_info *info)
{
	return info->has_txn && (info->state == AGENT_STATE_INSTALLED || info->state == AGENT_STATE_TRIAL);
}

/* The view of the current transaction with its payloads and their places;
 * with pending_only, the payloads only of an installed or trial update. */
static bool view_open(const struct agent_config *c, struct state *st, bool pending_only,
		      struct lifecycle_view *v, struct ferry_error **err)
{
	if (!lifecycle_view_load(st, v, err))
		return false;
	if (!v->info.has_txn || (pending_only && !is_pending(&v->info)))
		return true;
	return lifecycle_view_payloads(v, err) && lifecycle_view_places(c, v, err);
}

/* --- rollback ------------------------------------------------------------- */

/* Payloads undone, previous slot first again, state rolled_back with its
 * record. result: "info" when requested, "failure" when forced. */
static bool roll_back(struct state *st, struct boot *boot, struct lifecycle_view *v,
		      const char *reason, const char *result, const char *log_sha,
		      const json_t *metrics, struct ferry_error **err)
{
	char *problem = NULL;
	lifecycle_payloads_rollback(v, &problem);
	if (problem)
		log_warn("rollback: %s", problem);
	free(problem);
	char to = previous_slot(&v->info);
	if (to && !boot_rollback(boot, to, err))
		return false;
	json_t *detail = json_pack("{s:s}", "reason", reason);
	if (detail && metrics)
		json_object_update(detail, (json_t *)metrics);
	if (detail && to)
		json_object_set_new(detail, "slot", json_stringn(&to, 1));
	struct state_change ch = { .set_state = true, .state = AGENT_STATE_ROLLED_BACK, .clear_txn = true };
	struct auditlog_fields ev = { .event = "boot.rolled_back", .bundle = v->info.txn.bundle,
				  .version = v->info.txn.version, .result = result, .detail = detail,
				  .log = log_sha && *log_sha ? log_sha : NULL };
	state_media_from_txn(&ev, &v->info);
	bool ok = state_apply(st, &ch, &ev, NULL, err);
	json_decref(detail);
	return ok;
}

bool lifecycle_rollback(const struct agent_config *c, struct state *st, struct boot *boot,
			const char *reason, struct ferry_error **err)
{
	bool ok = false;
	struct lifecycle_view v;
	if (!view_open(c, st, true, &v, err))
		goto out;
	if (!is_pending(&v.info)) {
		ferry_error_setc(err, FERRY_E_STATE,
				 "nothing to roll back: state is %s (rollback undoes an installed or trial update)",
				 state_name(v.info.state));
		goto out;
	}
	ok = roll_back(st, boot, &v, reason ? reason : "requested", "info", NULL, NULL, err);
out:
	lifecycle_view_clear(&v);
	return ok;
}

/* --- commit --------------------------------------------------------------- */

/* Whether the update can be committed now; false with *err when it cannot
 * yet, true with *nothing when no update awaits a commit. */
static bool commit_ready(struct boot *boot, const struct state_info *info, bool *nothing,
			 struct ferry_error **err)
{
	char target = info->has_txn ? txn_slot(info->txn.target_slot) : 0;
	*nothing = false;
	if (!(info->has_txn && (info->state == AGENT_STATE_TRIAL ||
				(info->state == AGENT_STATE_INSTALLED && !target)))) {
		if (info->state == AGENT_STATE_INSTALLED)
			return ferry_error_setc(err, FERRY_E_STATE,
						"cannot commit yet: the new slot %c is installed but not booted (reboot first)",
						target);
		*nothing = true;
		return true;
	}
	struct boot_status bs;
	if (target && !boot_get_status(boot, &bs, err))
		return false;
	if (target && bs.booted != target)
		return ferry_error_setc(err, FERRY_E_STATE,
					"cannot commit: running slot %c, but the trial is of slot %c",
					bs.booted ? bs.booted : '?', target);
	return true;
}

/* The health check: the slot is marked good only after it passed. */
static bool commit_checked(const struct agent_config *c, struct boot *boot, struct lifecycle_view *v,
			   const char **what, char **log, json_t *metrics, struct ferry_error **why,
			   struct ferry_error **err)
{
	char target = txn_slot(v->info.txn.target_slot);
	*what = "health check failed";
	if (!lifecycle_payloads_check(c, v, log, metrics, why))
		return false;
	/* The slot is kept before anything irreversible happens: a crash after
	 * this boots the new slot again, still in trial, and commit repeats. */
	if (target && !boot_mark_good(boot, target, err))
		return false;
	*what = "commit failed";
	return lifecycle_payloads_commit(v, why);
}

bool lifecycle_commit(const struct agent_config *c, struct state *st, struct boot *boot,
		      enum lifecycle_commit_outcome *outcome, char **why, struct ferry_error **err)
{
	bool ok = false, nothing = false;
	struct lifecycle_view v;
	struct ferry_error *failed = NULL;
	const char *what = NULL;
	char *log = NULL, sha[SHA256_HEX_LEN + 1] = "";
	json_t *metrics = json_object();   /* what the health check reported */
	*outcome = LIFECYCLE_COMMIT_NOTHING;
	*why = NULL;
	if (!view_open(c, st, false, &v, err) || !commit_ready(boot, &v.info, &nothing, err))
		goto out;
	if (nothing) {
		ok = true;
		goto out;
	}
	if (!commit_checked(c, boot, &v, &what, &log, metrics, &failed, err)) {
		if (!failed)
			goto out;
		char *reason = NULL;
		if (asprintf(&reason, "%s: %s", what, ferry_error_message(failed)) < 0)
			reason = NULL;
		lifecycle_faillog(c, v.n ? &v.pl[0].ctx : NULL, reason ? reason : what, log, sha);
		ok = roll_back(st, boot, &v, reason ? reason : what, "failure", sha, metrics, err);
		if (ok) {
			*outcome = LIFECYCLE_COMMIT_ROLLED_BACK;
			if (asprintf(why, "%s; rolled back", reason ? reason : what) < 0)
				*why = NULL;
		}
		free(reason);
		goto out;
	}
	struct state_change ch = {
		.set_state = true, .state = AGENT_STATE_COMMITTED, .clear_txn = true,
		.installed_name = v.info.txn.bundle, .installed_version = v.info.txn.version,
		.security_version = v.info.txn.security_version,
	};
	struct auditlog_fields ev = { .event = "boot.committed", .bundle = v.info.txn.bundle,
				  .version = v.info.txn.version, .result = "success",
				  .detail = json_object_size(metrics) ? metrics : NULL };
	state_media_from_txn(&ev, &v.info);
	if (!state_apply(st, &ch, &ev, NULL, err))
		goto out;
	*outcome = LIFECYCLE_COMMIT_DONE;
	ok = true;
out:
	json_decref(metrics);
	free(log);
	ferry_error_free(failed);
	lifecycle_view_clear(&v);
	return ok;
}

/* --- recovery of an interrupted install ----------------------------------- */

/* The record of an interrupted install; its transaction ends as failed. */
static bool end_interrupted(struct state *st, const struct state_info *info, const char *problem,
			    struct ferry_error **err)
{
	json_t *d = json_pack("{s:s,s:s}", "state", state_name(info->state), "error",
			      "interrupted (crash, power cut or stick pulled)");
	if (problem)
		json_object_set_new(d, "cleanup_error", json_string(problem));
	struct state_change ch = { .set_state = true, .state = AGENT_STATE_FAILED, .clear_txn = true };
	struct auditlog_fields ev = {
		.event = "install.interrupted", .result = "failure", .detail = d,
		.bundle = info->has_txn ? info->txn.bundle : NULL,
		.version = info->has_txn ? info->txn.version : NULL,
	};
	state_media_from_txn(&ev, info);
	bool ok = state_apply(st, &ch, &ev, NULL, err);
	json_decref(d);
	return ok;
}

/* Puts back the bootloader and every payload; *problem gets the first
 * thing that could not be undone. */
static void undo_interrupted(const struct agent_config *c, struct state *st, struct boot *boot,
			     struct lifecycle_view *v, char **problem)
{
	struct ferry_error *e = NULL;
	if (!lifecycle_view_payloads(v, &e) || !lifecycle_view_places(c, v, &e)) {
		*problem = strdup(ferry_error_message(e));
		ferry_error_free(e);
		return;
	}
	if (v->needs_reboot && v->info.txn.previous_slot &&
	    !boot_rollback(boot, v->info.txn.previous_slot[0], &e))
		*problem = strdup(ferry_error_message(e));
	ferry_error_free(e);
	lifecycle_payloads_recover(st, v, problem);
}

bool lifecycle_recover(const struct agent_config *c, struct state *st, struct boot *boot,
		       struct ferry_error **err)
{
	bool ok = false;
	struct lifecycle_view v;
	char *problem = NULL;
	if (!lifecycle_view_load(st, &v, err))
		goto out;
	enum agent_state s = v.info.state;
	if (s == AGENT_STATE_INSTALLED && v.info.has_txn) {
		/* Installed, nothing left but the commit of an update without reboot. */
		if (!lifecycle_view_payloads(&v, err))
			goto out;
		if (!v.needs_reboot) {
			enum lifecycle_commit_outcome outcome;
			char *why = NULL;
			ok = lifecycle_commit(c, st, boot, &outcome, &why, err);
			free(why);
			goto out;
		}
	}
	if (s != AGENT_STATE_VERIFYING && s != AGENT_STATE_INSTALLING) {
		ok = true;
		goto out;
	}
	if (v.info.has_txn)
		undo_interrupted(c, st, boot, &v, &problem);
	ok = end_interrupted(st, &v.info, problem, err);
out:
	lifecycle_view_clear(&v);
	free(problem);
	return ok;
}

/* Takes <state_dir>/name with flock, without waiting (see lifecycle_lock_try). */
static bool lock_try(const struct agent_config *c, const char *name, int *fd, bool *busy,
		     struct ferry_error **err)
{
	char *path = NULL;
	*fd = -1;
	*busy = false;
	if (!mkdir_p(c->state_dir, 0700, err))
		return false;
	if (asprintf(&path, "%s/%s", c->state_dir, name) < 0)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	bool ok = true;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		ok = ferry_error_errno(err, errno, "%s", path);
	} else if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			*busy = true;
		else
			ok = ferry_error_errno(err, errno, "%s: lock", path);
		close(*fd);
		*fd = -1;
	}
	free(path);
	return ok;
}

bool lifecycle_lock_try(const struct agent_config *c, int *fd, bool *busy, struct ferry_error **err)
{
	return lock_try(c, "agent.lock", fd, busy, err);
}

bool lifecycle_lock(const struct agent_config *c, int *fd, struct ferry_error **err)
{
	bool busy = false;
	if (!lifecycle_lock_try(c, fd, &busy, err))
		return false;
	if (busy)
		return ferry_error_setc(err, FERRY_E_BUSY,
					"%s/agent.lock: another ferry-agent is working on this device; "
					"try again when it has finished",
					c->state_dir);
	return true;
}

bool lifecycle_watch_lock(const struct agent_config *c, int *fd, struct ferry_error **err)
{
	bool busy = false;
	if (!lock_try(c, "watch.lock", fd, &busy, err))
		return false;
	if (busy)
		return ferry_error_setc(err, FERRY_E_BUSY,
					"%s/watch.lock: another ferry-agent watch is already waiting for sticks "
					"on this device; not starting a second one",
					c->state_dir);
	return true;
}

/* An install in verifying or installing that no agent is working on (its
 * agent was killed, or the power went) is cleaned up now, by whichever
 * command runs first after it: the device must not wait for the next stick
 * with a tree half swapped. The lock tells a dead installer from a live one
 * (install holds it, and recovers by itself). */
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
	if (!lifecycle_lock_try(c, &lock, &busy, err))
		return false;
	if (busy)
		return true;
	ok = lifecycle_recover(c, st, boot, err);
	close(lock);
	return ok;
}

/* --- start-up after a boot: trial, fall back ------------------------------ */

static json_t *slot_detail(const char *reason, char booted, char expected)
{
	char b[2] = { booted ? booted : '?', '\0' }, e[2] = { expected ? expected : '?', '\0' };
	json_t *d = json_pack("{s:s, s:s}", "booted", b, "reason", reason);
	if (d && expected)
		json_object_set_new(d, "expected", json_string(e));
	return d;
}

/* The conclusion for a new boot with the state in info: the change and its
 * record (have_ev false when nothing is worth one), and what the bootloader
 * needs. */
struct startup_plan {
	enum lifecycle_startup_outcome outcome;
	struct state_change change;
	struct auditlog_fields ev;
	bool have_ev;
	char mark_good;          /* slot to mark good in the bootloader, or 0 */
	char rollback_to;        /* slot to make primary again, or 0 */
	json_t *detail;
};

/* trial: the new slot booted; fall back: the bootloader left it. */
static void plan_trial_or_fallback(const struct state_info *info, const struct boot_status *bs,
				   char target, struct startup_plan *p)
{
	if (bs->booted == target) {
		p->outcome = LIFECYCLE_STARTUP_TRIAL;
		p->change.set_state = true;
		p->change.state = AGENT_STATE_TRIAL;
		p->ev = (struct auditlog_fields){ .event = "boot.trial", .result = "info" };
		p->detail = slot_detail("booted the new slot once; commit to keep it", bs->booted, target);
		return;
	}
	p->outcome = LIFECYCLE_STARTUP_ROLLED_BACK;
	p->change.set_state = true;
	p->change.state = AGENT_STATE_ROLLED_BACK;
	p->change.clear_txn = true;
	p->rollback_to = bs->booted;
	p->ev = (struct auditlog_fields){ .event = "boot.rolled_back", .result = "failure" };
	p->detail = slot_detail(info->state == AGENT_STATE_TRIAL
				? "the trial boot was not committed; the bootloader fell back"
				: "the bootloader did not boot the new slot", bs->booted, target);
}

static void plan_startup(const struct state_info *info, const struct boot_status *bs,
			 struct startup_plan *p)
{
	char target = info->has_txn ? txn_slot(info->txn.target_slot) : 0;
	bool awaiting = target && (info->state == AGENT_STATE_INSTALLING ||
				   info->state == AGENT_STATE_INSTALLED ||
				   info->state == AGENT_STATE_TRIAL);
	p->outcome = LIFECYCLE_STARTUP_NORMAL;
	if (!bs->booted) {
		p->outcome = LIFECYCLE_STARTUP_UNKNOWN_SLOT;
		return;
	}
	if (awaiting && bs->booted == target && info->state == AGENT_STATE_TRIAL)
		return;   /* booted the trial slot again (no try-once): still a trial */
	if (awaiting && (bs->booted == target || info->state != AGENT_STATE_INSTALLING)) {
		plan_trial_or_fallback(info, bs, target, p);
	} else if (boot_status_fell_back(bs) && !awaiting) {
		p->outcome = LIFECYCLE_STARTUP_FELL_BACK;
		p->rollback_to = bs->booted;
		p->ev = (struct auditlog_fields){ .event = "boot.fell_back", .result = "failure" };
		p->detail = slot_detail("the primary slot did not boot; running the other one",
					bs->booted, bs->order[0]);
	} else {
		p->mark_good = bs->booted;
		return;
	}
	p->have_ev = true;
	p->ev.detail = p->detail;
	if (awaiting) {
		p->ev.bundle = info->txn.bundle;
		p->ev.version = info->txn.version;
		state_media_from_txn(&p->ev, info);
	}
}

/* Accounts for a new boot (see lifecycle_startup); nothing on the same boot. */
static bool account_boot(const struct agent_config *c, struct state *st, struct boot *boot,
			 enum lifecycle_startup_outcome *outcome, struct ferry_error **err)
{
	bool ok = false;
	struct lifecycle_view v;
	struct boot_status bs;
	struct startup_plan p;
	char fell_back_log[SHA256_HEX_LEN + 1];
	memset(&p, 0, sizeof(p));
	*outcome = LIFECYCLE_STARTUP_SAME_BOOT;
	/* What the transaction was, before start-up may end it. */
	if (!view_open(c, st, true, &v, err) || !boot_get_status(boot, &bs, err))
		goto out;
	if (bs.boot_id[0] && strcmp(bs.boot_id, v.info.boot_id) == 0) {
		ok = true;
		goto out;
	}
	plan_startup(&v.info, &bs, &p);
	if (p.outcome == LIFECYCLE_STARTUP_UNKNOWN_SLOT)
		log_warn("%s bootloader: cannot tell which slot is running; boot counted only",
			 boot_name(boot));
	if ((p.mark_good && !boot_mark_good(boot, p.mark_good, err)) ||
	    (p.rollback_to && !boot_rollback(boot, p.rollback_to, err)))
		goto out;
	/* fall back: the payloads' own undo after the bootloader's rollback and
	 * before the state says so, so a crash in between undoes again. */
	if (p.outcome == LIFECYCLE_STARTUP_ROLLED_BACK) {
		char *problem = NULL;
		lifecycle_payloads_rollback(&v, &problem);
		if (problem)
			log_warn("after the fallback: %s", problem);
		free(problem);
	}
	/* a rollback or fall-back at boot: what the device saw goes with it */
	if (p.have_ev && strcmp(p.ev.result, "failure") == 0) {
		json_t *r = json_object_get(p.detail, "reason");
		if (lifecycle_faillog(c, v.n && v.pl ? &v.pl[0].ctx : NULL,
				      r ? json_string_value(r) : p.ev.event, NULL, fell_back_log))
			p.ev.log = fell_back_log;
	}
	p.change.new_boot = true;
	p.change.boot_id = bs.boot_id;
	if (!state_apply(st, &p.change, p.have_ev ? &p.ev : NULL, NULL, err))
		goto out;
	*outcome = p.outcome;
	ok = true;
out:
	json_decref(p.detail);
	lifecycle_view_clear(&v);
	return ok;
}

bool lifecycle_startup(const struct agent_config *c, struct state *st, struct boot *boot,
		       enum lifecycle_startup_outcome *outcome, struct ferry_error **err)
{
	enum lifecycle_startup_outcome o;
	if (!account_boot(c, st, boot, &o, err) || !recover_orphan(c, st, boot, err))
		return false;
	if (outcome)
		*outcome = o;
	return true;
}

bool lifecycle_open(const struct agent_config *c, struct state **st, struct boot **boot,
		    struct ferry_error **err)
{
	*st = NULL;
	*boot = NULL;
	if (state_open_config(c, st, err) && boot_open(c, boot, err) &&
	    lifecycle_startup(c, *st, *boot, NULL, err))
		return true;
	boot_close(*boot);
	state_close(*st);
	*st = NULL;
	*boot = NULL;
	return false;
}

bool lifecycle_virtual_reboot(const struct agent_config *c, struct state *st, struct boot *boot,
			      char *booted, enum lifecycle_startup_outcome *outcome,
			      struct ferry_error **err)
{
	return boot_virtual_power_on(boot, booted, err) && lifecycle_startup(c, st, boot, outcome, err);
}
