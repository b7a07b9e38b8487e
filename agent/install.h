/* install: the one path from a stick (or a bundle file) to an installed
 * update, shared by `install`, `check` and `watch`; and the end of an update
 * (commit after a passing health check, rollback) shared with `commit`,
 * `rollback` and start-up. Owns the sequence of design §3 and §4: verify
 * signatures against the policy, parse only verified bytes, decide, stream
 * each payload into its handler, activate, and record every step in agent.db
 * with its audit record, so that a crash at any point resumes or cleans up. */
#ifndef FERRY_AGENT_INSTALL_H
#define FERRY_AGENT_INSTALL_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "agent/boot.h"
#include "agent/config.h"
#include "agent/notify.h"
#include "agent/state.h"
#include "agent/trial.h"
#include "common/error.h"
#include "common/media.h"

struct install_request {
	const char *path;                     /* mounted stick directory or one .ferry file */
	bool dry_run;                         /* `check`: decide and explain, change nothing */
	const struct media_identity *media;   /* the stick, NULL when not known */
	time_t now;                           /* 0: the current time */
	bool progress;                        /* draw a progress bar on stderr */
	bool confirmed;                       /* a person at the device confirmed (confirm: local) */
};

struct install_report {
	enum notify_result result;   /* success, failure, refused, nothing */
	char *summary;               /* one line for the technician */
	char **lines;                /* NULL-terminated: one line per bundle and step */
	json_t *json;                /* the same for --json */
};
void install_report_clear(struct install_report *r);

/* Runs one stick or bundle. false (with *err) when the agent itself could not
 * work (config, database, keys); a refused or failed update is a report. */
bool install_run(const struct agent_config *c, const struct install_request *rq,
		 struct install_report *out, struct ferry_error **err);

/* Finishes an update that is in trial (or installed without needing a
 * reboot): runs the health check (bundle hook kept at install time, then the
 * device's hooks), commits every payload and marks the slot good — or, when
 * the check fails, rolls back (*why says why). *outcome says which, or that
 * nothing awaited a commit. */
bool install_finish(const struct agent_config *c, struct state *st, struct boot *boot,
		    enum agent_commit_outcome *outcome, char **why, struct ferry_error **err);
/* Rolls the current update back (handlers, bootloader, state, audit). */
bool install_rollback(const struct agent_config *c, struct state *st, struct boot *boot,
		      const char *reason, struct ferry_error **err);
/* agent_startup (trial.h), plus the payloads' own undo (file trees swapped
 * back, modules rolled back) when the bootloader fell back from a trial —
 * before the state records the rollback —, plus install_recover of an
 * install whose agent died (state verifying/installing, agent.lock free).
 * Every command runs it first (install_open_device; `boot` directly). */
bool install_startup(const struct agent_config *c, struct state *st, struct boot *boot,
		     enum agent_startup_outcome *outcome, struct ferry_error **err);
/* Writes the audit records not yet exported, and the inventory, onto the
 * stick mounted at dir (agent/export.c); *n_records (optional) counts them. */
bool install_export(const struct agent_config *c, const char *dir, size_t *n_records,
		    struct ferry_error **err);
/* Applies HQ's acknowledgement on the stick mounted at dir, if there is one
 * and it is valid (agent/ack.c): exported records up to its seq are pruned.
 * A bad one is logged and changes nothing. install_export calls it. */
void install_apply_ack(const struct agent_config *c, struct state *st, const char *dir);
/* Opens agent.db and the bootloader and runs install_startup. */
bool install_open_device(const struct agent_config *c, struct state **st, struct boot **boot,
			 struct ferry_error **err);
/* On start: an install that a crash or pulled stick interrupted (state
 * verifying or installing) is cleaned up — staging removed, half-written
 * slots invalidated, a half-done tree swap undone — and ends as failed. */
bool install_recover(const struct agent_config *c, struct state *st, struct boot *boot,
		     struct ferry_error **err);

#endif
