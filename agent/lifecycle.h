/* lifecycle: the one update lifecycle of the agent — doing an update that
 * agent/install.c chose, and everything after it, over agent/state (the
 * persisted state machine), agent/boot (the bootloader) and agent/handler
 * (the payloads). install.c calls in; nothing here calls install.c.
 *
 * The steps, in order, each with one name:
 *   begin     lifecycle_install: the transaction begins (verifying), audited
 *   stream    each payload streamed from the bundle into its handler (installing)
 *   activate  every payload activated (file trees swapped in)
 *   arm       the bootloader armed to try the new slot once (last of all)
 *   trial     lifecycle_startup after booting the new slot: state trial
 *   commit    lifecycle_commit: health check, slot marked good, payloads kept
 *   rollback  lifecycle_rollback: payloads undone, previous slot first again
 *   fall back lifecycle_startup after the bootloader fell back by itself
 *   recover   lifecycle_recover: an install a crash interrupted is cleaned up
 *
 * Promises (tests/unit/test_lifecycle.c, tests/integration/crash.sh):
 * - Order of effects everywhere: payloads, then bootloader, then the state
 *   change with its audit record in one transaction; so a crash in between is
 *   redone at the next start, never lost.
 * - Nothing is activated before every payload was read to its end and
 *   verified; a failure before activation aborts every payload, so no slot is
 *   switched and no tree is swapped.
 * - The bootloader is armed last: a crash after it finds everything done but
 *   the record, and a boot into the new slot is a complete trial.
 * - Commit marks the slot good before anything irreversible (old trees
 *   dropped, ArtifactCommit): a crash after the mark boots the new slot
 *   again, still in trial, and the next commit repeats. */
#ifndef FERRY_AGENT_LIFECYCLE_H
#define FERRY_AGENT_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/boot.h"
#include "agent/config.h"
#include "agent/state.h"
#include "common/error.h"
#include "common/manifest.h"

/* --- opening the device: start-up and recovery ---------------------------- */

enum lifecycle_startup_outcome {
	LIFECYCLE_STARTUP_SAME_BOOT,     /* this boot was already handled: nothing done */
	LIFECYCLE_STARTUP_NORMAL,        /* a new boot of the good slot (marked good again) */
	LIFECYCLE_STARTUP_TRIAL,         /* booted the installed slot: state trial, awaiting commit */
	LIFECYCLE_STARTUP_ROLLED_BACK,   /* the trial slot did not boot or did not commit: rolled_back */
	LIFECYCLE_STARTUP_FELL_BACK,     /* at rest, yet the bootloader fell back to the other slot */
	LIFECYCLE_STARTUP_UNKNOWN_SLOT,  /* the running slot cannot be told: boot counted only */
};
/* "same_boot", "normal", "trial", "rolled_back", "fell_back", "unknown_slot". */
const char *lifecycle_startup_outcome_name(enum lifecycle_startup_outcome o);

/* Run once per boot, before anything else (ferry-agent boot, and first thing
 * in every command: a transaction begun in a boot the agent has not yet
 * accounted for would be misread). When the boot id changed, counts the boot
 * and records what the bootloader did: booted the trial slot ("boot.trial"),
 * fell back from it ("boot.rolled_back": the payloads' own undo runs after
 * the bootloader's rollback and before the state says so), or fell back from
 * a committed slot ("boot.fell_back"). Then an install whose agent died
 * (state verifying/installing, agent.lock free) is recovered. Safe to call
 * any number of times. outcome may be NULL. */
bool lifecycle_startup(const struct agent_config *c, struct state *st, struct boot *boot,
		       enum lifecycle_startup_outcome *outcome, struct ferry_error **err);

/* Opens agent.db and the bootloader of c and runs lifecycle_startup: what
 * every command does first. On failure nothing is left open. */
bool lifecycle_open(const struct agent_config *c, struct state **st, struct boot **boot,
		    struct ferry_error **err);

/* Virtual devices (file bootloader): power-cycles the virtual machine: the
 * bootloader's choice (*booted), then lifecycle_startup, as after a real boot. */
bool lifecycle_virtual_reboot(const struct agent_config *c, struct state *st, struct boot *boot,
			      char *booted, enum lifecycle_startup_outcome *outcome,
			      struct ferry_error **err);

/* An install that a crash or pulled stick interrupted (state verifying or
 * installing) is cleaned up from the saved transaction and per-payload
 * progress — previous slot first again, half-swapped trees finished or
 * undone, staging removed, half-written slots invalidated — and ends as
 * failed ("install.interrupted"). One installed without needing a reboot is
 * committed. Call with agent.lock held. */
bool lifecycle_recover(const struct agent_config *c, struct state *st, struct boot *boot,
		       struct ferry_error **err);

/* Takes <state_dir>/agent.lock, which serialises the agents working on one
 * device, without waiting: *busy (and *fd -1) when another holds it (another
 * open of the lock in this process counts as another). Close *fd to release. */
bool lifecycle_lock_try(const struct agent_config *c, int *fd, bool *busy, struct ferry_error **err);
/* lifecycle_lock_try, where another holder is an error (code busy). */
bool lifecycle_lock(const struct agent_config *c, int *fd, struct ferry_error **err);
/* Takes <state_dir>/watch.lock for the life of a `watch`: one watch per
 * device, so that two never take the same stick (code busy when another
 * holds it). Close *fd to release. */
bool lifecycle_watch_lock(const struct agent_config *c, int *fd, struct ferry_error **err);

/* --- one update: begin, stream, activate, arm ----------------------------- */

/* A variant needs a reboot to take effect (one of its handlers always does). */
bool lifecycle_needs_reboot(const struct variant *v);

/* What install.c chose: variant v of m in the bundle at path, its signatures
 * verified, the policy's verdict and the decision made. Borrowed. */
struct lifecycle_update {
	const char *path;
	const char *name;                      /* with dirfd: path's file in the open folder */
	int dirfd;                             /* dirfd (a stick's bundles/); name NULL: by path */
	const struct manifest *m;
	const struct variant *v;
	json_t *signers;                       /* fingerprints that counted */
	const char *usb_serial, *media_label;  /* the stick, for the records (may be NULL) */
	const char *usb_vendor, *usb_product;  /* its USB ids, for this run's records (may be NULL) */
	bool progress;                         /* a progress bar on stderr while streaming */
};

enum lifecycle_install_outcome {
	LIFECYCLE_INSTALL_REFUSED,         /* nothing written: the device cannot take it as configured */
	LIFECYCLE_INSTALL_FAILED,          /* a step failed; everything undone; state failed */
	LIFECYCLE_INSTALL_REBOOT_PENDING,  /* installed; reboot, then commit */
	LIFECYCLE_INSTALL_COMMITTED,       /* needed no reboot: checked and committed at once */
	LIFECYCLE_INSTALL_ROLLED_BACK,     /* needed no reboot: the health check failed */
};

struct lifecycle_install_result {
	enum lifecycle_install_outcome outcome;
	char slot;        /* REBOOT_PENDING: the slot written, 0 when a module asked for the reboot */
	char *step;       /* FAILED: the step ("pre_install", a payload name, "bootloader", …) */
	char *why;        /* REFUSED, FAILED, ROLLED_BACK: the reason */
};
void lifecycle_install_result_clear(struct lifecycle_install_result *r);

/* begin, stream, activate, arm — then, when nothing needs a reboot, commit at
 * once. false only when the agent could not keep its records (database); a
 * refused, failed or rolled-back install is a result. */
bool lifecycle_install(const struct agent_config *c, struct state *st, struct boot *boot,
		       const struct lifecycle_update *u, struct lifecycle_install_result *out,
		       struct ferry_error **err);

/* --- the end of an update: commit, rollback ------------------------------- */

enum lifecycle_commit_outcome {
	LIFECYCLE_COMMIT_DONE,           /* trial slot marked good, payloads kept, versions recorded */
	LIFECYCLE_COMMIT_NOTHING,        /* no update awaits a commit */
	LIFECYCLE_COMMIT_ROLLED_BACK,    /* the health check or a payload's commit failed */
};

/* trial (or installed without a slot switch) -> committed: runs the health
 * check (the bundle's hook kept at install time, then the device's hooks),
 * marks the booted slot good, runs every payload's commit, then in one
 * transaction: state committed, installed version and security_version,
 * record "boot.committed". A failing check or payload commit rolls back
 * (record "boot.rolled_back", result failure): *outcome ROLLED_BACK and
 * *why (malloc'd) says why. Committing an installed update whose slot was
 * not booted yet is an error. */
bool lifecycle_commit(const struct agent_config *c, struct state *st, struct boot *boot,
		      enum lifecycle_commit_outcome *outcome, char **why, struct ferry_error **err);

/* installed or trial -> rolled_back: the payloads' own undo (file trees
 * swapped back, ArtifactRollback), the previous slot first again (effective
 * at the next boot when running the trial slot), record "boot.rolled_back"
 * (result info) with reason in its detail. At rest it is an error. */
bool lifecycle_rollback(const struct agent_config *c, struct state *st, struct boot *boot,
			const char *reason, struct ferry_error **err);

#endif
