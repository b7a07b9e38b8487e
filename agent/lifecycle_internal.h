/* lifecycle_internal: what the files of the lifecycle module share —
 * lifecycle.c (start-up, commit, rollback, recovery), lifecycle_install.c
 * (begin, stream, activate, arm) and lifecycle_payloads.c (each payload's
 * handler steps). Not for other modules: they use lifecycle.h. */
#ifndef FERRY_AGENT_LIFECYCLE_INTERNAL_H
#define FERRY_AGENT_LIFECYCLE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/handler.h"
#include "agent/lifecycle.h"
#include "common/bundle_read.h"
#include "common/handler_kind.h"

/* A payload as the transaction remembers it: enough to commit, roll back or
 * clean up after a reboot or a crash, without the bundle. */
struct place {
	struct payload p;              /* name, handler, target (borrowed) */
	const struct handler_kind *kind;
	const struct handler_ops *ops;
	struct handler_context ctx;
	char *work_dir;
};

/* The payload's handler context: where it writes, deterministic from the
 * config, the transaction and the payload, so a restart rebuilds the same.
 * slot: the slot being written (0: none). Fails when agent.json lacks what
 * the payload needs (slot pair, target, a valid module name). */
bool lifecycle_place_build(const struct agent_config *c, const struct state_txn *t, char slot,
			   const struct payload *p, struct place *out, struct ferry_error **err);
void lifecycle_places_free(struct place *pl, size_t n);

/* The transaction's detail kept in agent.db: the payload list and whether a
 * reboot is needed. */
json_t *lifecycle_txn_detail(const struct variant *v, bool needs_reboot);

/* The current transaction as the end of an update sees it: the state, and
 * the payloads and their places rebuilt from agent.db (without the bundle). */
struct lifecycle_view {
	struct state_info info;
	json_t *detail;
	struct payload *p;          /* n payloads, strings borrowed from detail */
	struct place *pl;           /* n places, once lifecycle_view_places ran */
	size_t n;
	bool needs_reboot;
};
/* The state alone. */
bool lifecycle_view_load(struct state *st, struct lifecycle_view *v, struct ferry_error **err);
/* The transaction's payload list (a transaction begun by another tool has
 * none: it needs a reboot when it names a target slot). */
bool lifecycle_view_payloads(struct lifecycle_view *v, struct ferry_error **err);
/* Their places. */
bool lifecycle_view_places(const struct agent_config *c, struct lifecycle_view *v,
			   struct ferry_error **err);
void lifecycle_view_clear(struct lifecycle_view *v);

/* stream: every payload from the bundle into its handler, with its progress
 * saved. *n_done: how many were started; *step: the payload at work; *log:
 * the last script or module output; *wants_reboot: a module asked for one. */
bool lifecycle_payloads_stream(struct state *st, struct bundle_reader *r, const struct manifest *m,
			       const struct variant *v, struct place *pl, bool show_progress,
			       size_t *n_done, bool *wants_reboot, const char **step, char **log,
			       struct ferry_error **err);
/* activate: every payload; *n_act counts those activated; *switch_boot says
 * whether the bootloader must try the new slot. */
bool lifecycle_payloads_activate(struct state *st, const struct variant *v, struct place *pl,
				 size_t *n_act, bool *switch_boot, const char **step,
				 struct ferry_error **err);
/* Undoes what payloads [0, n) of a failed install did: rolls back those
 * activated, aborts all. Best effort; the first problem goes to *why. */
void lifecycle_payloads_abort(struct place *pl, size_t n, size_t n_activated, char **why);
/* The health check: the kept bundle hook, then the device's own. *log
 * receives the output of the hooks run (caller frees; may stay NULL); the
 * metrics they reported (agent/metrics.h) go into detail as "metrics" and
 * "metrics_refused", with "commit_after_boot_ms" added by the agent. */
bool lifecycle_payloads_check(const struct agent_config *c, const struct lifecycle_view *v,
			      char **log, json_t *detail, struct ferry_error **err);
/* Keeps a failure log excerpt (lifecycle_faillog.c): what (one line), the
 * step's output (may be NULL), the agent's log tail and, when ctx is not
 * NULL, the output of <hooks_dir>/diagnostics.d/. sha receives its SHA-256
 * for the record's "log" field, "" when none could be kept (warned). */
bool lifecycle_faillog(const struct agent_config *c, const struct handler_context *ctx,
		       const char *what, const char *step_output, char sha[SHA256_HEX_LEN + 1]);
/* Every payload's commit (files drop the old tree, modules ArtifactCommit). */
bool lifecycle_payloads_commit(struct lifecycle_view *v, struct ferry_error **err);
/* The payloads' own undo (file trees back, ArtifactRollback) of those whose
 * kind rolls back; the slot is the bootloader's. Best effort; the first
 * problem goes to *problem (may be NULL). */
void lifecycle_payloads_rollback(struct lifecycle_view *v, char **problem);
/* Undoes every payload of an interrupted install according to how far its
 * saved progress got. Best effort, like rollback. */
void lifecycle_payloads_recover(struct state *st, struct lifecycle_view *v, char **problem);

/* The health check hook is kept on the device (<state_dir>/hooks/): after
 * the reboot the stick is gone. hook NULL removes a kept one. */
bool lifecycle_keep_health_hook(const struct agent_config *c, const char *hook, size_t len,
				struct ferry_error **err);

#endif
