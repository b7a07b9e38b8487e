/* trial: see trial.h. Order of effects everywhere: bootloader first, then
 * the state change with its record in one transaction. */
#include "trial.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"

const char *agent_startup_outcome_name(enum agent_startup_outcome o)
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

static json_t *slot_detail(const char *reason, char booted, char expected)
{
	char b[2] = { booted ? booted : '?', '\0' }, e[2] = { expected ? expected : '?', '\0' };
	json_t *d = json_pack("{s:s, s:s}", "booted", b, "reason", reason);
	if (d && expected)
		json_object_set_new(d, "expected", json_string(e));
	return d;
}

/* The conclusion for a new boot with the state in info. Fills change/ev (ev
 * NULL when nothing is worth a record) and says what the bootloader needs. */
struct startup_plan {
	enum agent_startup_outcome outcome;
	struct state_change change;
	struct state_event ev;
	bool have_ev;
	char mark_good;          /* slot to mark good in the bootloader, or 0 */
	char rollback_to;        /* slot to make primary again, or 0 */
	json_t *detail;
};

static void plan_startup(const struct state_info *info, const struct boot_status *bs,
			 struct startup_plan *p)
{
	char target = info->has_txn ? txn_slot(info->txn.target_slot) : 0;
	bool awaiting = target && (info->state == AGENT_STATE_INSTALLING ||
				   info->state == AGENT_STATE_INSTALLED ||
				   info->state == AGENT_STATE_TRIAL);
	p->outcome = AGENT_STARTUP_NORMAL;
	if (!bs->booted) {
		p->outcome = AGENT_STARTUP_UNKNOWN_SLOT;
		return;
	}
	if (awaiting && bs->booted == target) {
		if (info->state == AGENT_STATE_TRIAL)
			return;   /* booted the trial slot again (no try-once): still a trial */
		p->outcome = AGENT_STARTUP_TRIAL;
		p->change.set_state = true;
		p->change.state = AGENT_STATE_TRIAL;
		p->ev = (struct state_event){ .event = "boot.trial", .result = "info" };
		p->detail = slot_detail("booted the new slot once; commit to keep it", bs->booted, target);
	} else if (awaiting && info->state != AGENT_STATE_INSTALLING) {
		p->outcome = AGENT_STARTUP_ROLLED_BACK;
		p->change.set_state = true;
		p->change.state = AGENT_STATE_ROLLED_BACK;
		p->change.clear_txn = true;
		p->rollback_to = bs->booted;
		p->ev = (struct state_event){ .event = "boot.rolled_back", .result = "failure" };
		p->detail = slot_detail(info->state == AGENT_STATE_TRIAL
					? "the trial boot was not committed; the bootloader fell back"
					: "the bootloader did not boot the new slot", bs->booted, target);
	} else if (boot_status_fell_back(bs) && !awaiting) {
		p->outcome = AGENT_STARTUP_FELL_BACK;
		p->rollback_to = bs->booted;
		p->ev = (struct state_event){ .event = "boot.fell_back", .result = "failure" };
		p->detail = slot_detail("the primary slot did not boot; running the other one",
					bs->booted, bs->order[0]);
	} else {
		p->mark_good = bs->booted;
		return;
	}
	p->have_ev = true;
	p->ev.detail = p->detail;
	if (info->has_txn && awaiting) {
		p->ev.bundle = info->txn.bundle;
		p->ev.version = info->txn.version;
	}
}

bool agent_startup(const struct agent_config *c, struct state *s, struct boot *b,
		   enum agent_startup_outcome *outcome, struct ferry_error **err)
{
	return agent_startup_undo(c, s, b, NULL, NULL, outcome, err);
}

bool agent_startup_undo(const struct agent_config *c, struct state *s, struct boot *b,
			agent_undo_fn undo, void *undo_ctx, enum agent_startup_outcome *outcome,
			struct ferry_error **err)
{
	bool ok = false;
	struct state_info info;
	struct boot_status bs;
	struct startup_plan p;
	memset(&p, 0, sizeof(p));
	if (!state_get(s, &info, err))
		return false;
	if (!boot_get_status(b, &bs, err))
		goto out;
	if (bs.boot_id[0] && strcmp(bs.boot_id, info.boot_id) == 0) {
		if (outcome)
			*outcome = AGENT_STARTUP_SAME_BOOT;
		ok = true;
		goto out;
	}
	plan_startup(&info, &bs, &p);
	if (p.outcome == AGENT_STARTUP_UNKNOWN_SLOT)
		log_warn("%s bootloader: cannot tell which slot is running; boot counted only",
			 boot_name(b));
	if ((p.mark_good && !boot_mark_good(b, p.mark_good, err)) ||
	    (p.rollback_to && !boot_rollback(b, p.rollback_to, err)))
		goto out;
	if (p.outcome == AGENT_STARTUP_ROLLED_BACK && undo)
		undo(undo_ctx, c, &info);
	p.change.new_boot = true;
	p.change.boot_id = bs.boot_id;
	if (!state_apply(s, &p.change, p.have_ev ? &p.ev : NULL, NULL, err))
		goto out;
	if (outcome)
		*outcome = p.outcome;
	ok = true;
out:
	json_decref(p.detail);
	state_info_clear(&info);
	return ok;
}

/* The slot to go back to: the transaction's previous slot, else the other. */
static char previous_slot(const struct state_info *info)
{
	char prev = txn_slot(info->txn.previous_slot);
	char target = txn_slot(info->txn.target_slot);
	return prev ? prev : target ? boot_other_slot(target) : 0;
}

bool agent_rollback(const struct agent_config *c, struct state *s, struct boot *b,
		    const char *reason, const char *result, struct ferry_error **err)
{
	bool ok = false;
	struct state_info info;
	json_t *detail = NULL;
	(void)c;
	if (!state_get(s, &info, err))
		return false;
	if (!info.has_txn || (info.state != AGENT_STATE_INSTALLED && info.state != AGENT_STATE_TRIAL)) {
		ferry_error_set(err, "nothing to roll back: state is %s (rollback undoes an installed or trial update)",
				state_name(info.state));
		goto out;
	}
	char to = previous_slot(&info);
	if (to && !boot_rollback(b, to, err))
		goto out;
	detail = json_pack("{s:s}", "reason", reason);
	if (detail && to)
		json_object_set_new(detail, "slot", json_stringn(&to, 1));
	struct state_change ch = { .set_state = true, .state = AGENT_STATE_ROLLED_BACK, .clear_txn = true };
	struct state_event ev = { .event = "boot.rolled_back", .bundle = info.txn.bundle,
				  .version = info.txn.version, .result = result, .detail = detail };
	ok = state_apply(s, &ch, &ev, NULL, err);
out:
	json_decref(detail);
	state_info_clear(&info);
	return ok;
}

bool agent_commit(const struct agent_config *c, struct state *s, struct boot *b,
		  agent_health_check_fn health_check, void *health_ctx,
		  enum agent_commit_outcome *outcome, struct ferry_error **err)
{
	return agent_commit_keep(c, s, b, health_check, NULL, health_ctx, outcome, err);
}

/* A commit that cannot go on: back to the previous slot, *err says why. */
static bool refuse_commit(const struct agent_config *c, struct state *s, struct boot *b,
			  const char *what, const struct ferry_error *why,
			  enum agent_commit_outcome *outcome, struct ferry_error **err)
{
	char reason[512];
	snprintf(reason, sizeof(reason), "%s: %s", what, ferry_error_message(why));
	if (!agent_rollback(c, s, b, reason, "failure", err))
		return false;
	*outcome = AGENT_COMMIT_ROLLED_BACK;
	ferry_error_set(err, "%s; rolled back", reason);
	return false;
}

bool agent_commit_keep(const struct agent_config *c, struct state *s, struct boot *b,
		       agent_health_check_fn health_check, agent_health_check_fn keep, void *ctx,
		       enum agent_commit_outcome *outcome, struct ferry_error **err)
{
	bool ok = false;
	struct state_info info;
	struct boot_status bs;
	struct ferry_error *check_err = NULL;
	if (!state_get(s, &info, err))
		return false;
	char target = info.has_txn ? txn_slot(info.txn.target_slot) : 0;
	bool committable = info.has_txn && (info.state == AGENT_STATE_TRIAL ||
					    (info.state == AGENT_STATE_INSTALLED && !target));
	if (!committable) {
		if (info.state == AGENT_STATE_INSTALLED) {
			ferry_error_set(err, "cannot commit yet: the new slot %c is installed but not booted (reboot first)",
					target);
			goto out;
		}
		*outcome = AGENT_COMMIT_NOTHING;
		ok = true;
		goto out;
	}
	if (target) {
		if (!boot_get_status(b, &bs, err))
			goto out;
		if (bs.booted != target) {
			ferry_error_set(err, "cannot commit: running slot %c, but the trial is of slot %c",
					bs.booted ? bs.booted : '?', target);
			goto out;
		}
	}
	if (health_check && !health_check(ctx, c, &info, &check_err)) {
		refuse_commit(c, s, b, "health check failed", check_err, outcome, err);
		goto out;
	}
	/* The slot is kept before anything irreversible happens: a crash after
	 * this boots the new slot again, still in trial, and commit repeats. */
	if (target && !boot_mark_good(b, target, err))
		goto out;
	if (keep && !keep(ctx, c, &info, &check_err)) {
		refuse_commit(c, s, b, "commit failed", check_err, outcome, err);
		goto out;
	}
	struct state_change ch = {
		.set_state = true, .state = AGENT_STATE_COMMITTED, .clear_txn = true,
		.installed_name = info.txn.bundle, .installed_version = info.txn.version,
		.security_version = info.txn.security_version,
	};
	struct state_event ev = { .event = "boot.committed", .bundle = info.txn.bundle,
				  .version = info.txn.version, .result = "success" };
	if (!state_apply(s, &ch, &ev, NULL, err))
		goto out;
	*outcome = AGENT_COMMIT_DONE;
	ok = true;
out:
	ferry_error_free(check_err);
	state_info_clear(&info);
	return ok;
}

bool agent_virtual_reboot(const struct agent_config *c, struct state *s, struct boot *b,
			  agent_startup_fn startup, char *booted,
			  enum agent_startup_outcome *outcome, struct ferry_error **err)
{
	if (!startup)
		startup = agent_startup;
	return boot_virtual_power_on(b, booted, err) && startup(c, s, b, outcome, err);
}

bool agent_open_device(const struct agent_config *c, struct state **s, struct boot **b,
		       struct ferry_error **err)
{
	*s = NULL;
	*b = NULL;
	if (state_open_config(c, s, err) && boot_open(c, b, err) && agent_startup(c, *s, *b, NULL, err))
		return true;
	boot_close(*b);
	state_close(*s);
	*s = NULL;
	*b = NULL;
	return false;
}
