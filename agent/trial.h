/* trial: the trial-boot lifecycle of an update, over agent/state and
 * agent/boot: what the agent concludes after a boot (agent_startup, the same
 * for a real and a virtual boot), commit, rollback and the virtual reboot.
 * Promises: the bootloader is changed before the state that relies on it is
 * committed, so a crash in between is redone at the next start, never lost. */
#ifndef FERRY_AGENT_TRIAL_H
#define FERRY_AGENT_TRIAL_H

#include <stdbool.h>

#include "agent/boot.h"
#include "agent/config.h"
#include "agent/state.h"
#include "common/error.h"

enum agent_startup_outcome {
	AGENT_STARTUP_SAME_BOOT,     /* this boot was already handled: nothing done */
	AGENT_STARTUP_NORMAL,        /* a new boot of the good slot (marked good again) */
	AGENT_STARTUP_TRIAL,         /* booted the installed slot: state trial, awaiting commit */
	AGENT_STARTUP_ROLLED_BACK,   /* the trial slot did not boot or did not commit: rolled_back */
	AGENT_STARTUP_FELL_BACK,     /* at rest, yet the bootloader fell back to the other slot */
	AGENT_STARTUP_UNKNOWN_SLOT,  /* the running slot cannot be told: boot counted only */
};
const char *agent_startup_outcome_name(enum agent_startup_outcome o);

/* Run once per boot, before anything else (ferry-agent boot, and first thing
 * in status/commit/rollback/export/reboot, and install/check MUST call it
 * before they start a transaction: a transaction begun in a boot the agent
 * has not yet accounted for would be misread). When the boot id changed, counts
 * the boot and records what the bootloader did: booted the trial slot
 * ("boot.trial"), fell back from it ("boot.rolled_back"), or fell back from a
 * committed slot ("boot.fell_back"). Safe to call any number of times. */
bool agent_startup(const struct agent_config *c, struct state *s, struct boot *b,
		   enum agent_startup_outcome *outcome, struct ferry_error **err);

/* The payloads' own undo when a boot fell back from an update (file trees
 * swapped back, modules rolled back). info is the state before the boot.
 * Best effort: problems are the callee's to log. ctx is the caller's. */
typedef void (*agent_undo_fn)(void *ctx, const struct agent_config *c,
			      const struct state_info *info);
/* agent_startup, calling undo (may be NULL) when the outcome is rolled back:
 * after the bootloader was rolled back and before the state says so, so a
 * crash in between undoes again at the next start instead of never. */
bool agent_startup_undo(const struct agent_config *c, struct state *s, struct boot *b,
			agent_undo_fn undo, void *undo_ctx, enum agent_startup_outcome *outcome,
			struct ferry_error **err);

/* The check commit runs before it marks the slot good: false with *err
 * refuses the commit, and the trial is rolled back. ctx is the caller's. */
typedef bool (*agent_health_check_fn)(void *ctx, const struct agent_config *c,
				      const struct state_info *info, struct ferry_error **err);

enum agent_commit_outcome {
	AGENT_COMMIT_DONE,           /* trial slot marked good, versions recorded */
	AGENT_COMMIT_NOTHING,        /* no update awaits a commit */
	AGENT_COMMIT_ROLLED_BACK,    /* the health check failed: rolled back */
};

/* trial (or installed without a slot switch) -> committed: runs health_check
 * (may be NULL), marks the booted slot good in the bootloader, then in one
 * transaction: state committed, installed version and security_version of the
 * bundle, record "boot.committed". A failing health check rolls back (record
 * "boot.rolled_back", result failure) and returns false with its message. */
bool agent_commit(const struct agent_config *c, struct state *s, struct boot *b,
		  agent_health_check_fn health_check, void *health_ctx,
		  enum agent_commit_outcome *outcome, struct ferry_error **err);
/* agent_commit with a second step, keep (may be NULL): the payloads' own
 * irreversible commit (old file trees removed, ArtifactCommit), run after
 * the bootloader marked the slot good and before the state commits, so a
 * crash in between boots the new slot again, still in trial, and the next
 * commit repeats it; a failing keep rolls back like a failing check. ctx
 * goes to both. */
bool agent_commit_keep(const struct agent_config *c, struct state *s, struct boot *b,
		       agent_health_check_fn health_check, agent_health_check_fn keep, void *ctx,
		       enum agent_commit_outcome *outcome, struct ferry_error **err);

/* installed or trial -> rolled_back: the previous slot becomes the primary
 * again (effective at the next boot when running the trial slot), record
 * "boot.rolled_back" with reason in its detail. result is "info" for a
 * requested rollback, "failure" for one forced by a failed check. Handlers'
 * own undo (file trees) is the orchestrator's, before calling this. */
bool agent_rollback(const struct agent_config *c, struct state *s, struct boot *b,
		    const char *reason, const char *result, struct ferry_error **err);

/* A start-up logic: agent_startup, or a wrapper doing more around it (the
 * orchestrator's install_startup also undoes payloads after a fallback). */
typedef bool (*agent_startup_fn)(const struct agent_config *c, struct state *s, struct boot *b,
				 enum agent_startup_outcome *outcome, struct ferry_error **err);

/* Virtual devices (file bootloader): power-cycles the virtual machine: the
 * bootloader's choice (boot_virtual_power_on), then startup (NULL:
 * agent_startup), exactly as after a real boot. */
bool agent_virtual_reboot(const struct agent_config *c, struct state *s, struct boot *b,
			  agent_startup_fn startup, char *booted,
			  enum agent_startup_outcome *outcome, struct ferry_error **err);

/* Opens agent.db and the bootloader of c and runs agent_startup: what every
 * command does first. On failure nothing is left open. */
bool agent_open_device(const struct agent_config *c, struct state **s, struct boot **b,
		       struct ferry_error **err);

#endif
