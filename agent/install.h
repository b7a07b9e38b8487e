/* install: the one path from a stick (or a bundle file) to an installed
 * update, shared by `install`, `check` and `watch`: choosing. Owns the order
 * of design §3: a newer policy on the stick first, signatures verified
 * against the policy, only verified bytes parsed, decided, the highest
 * accepted version of each bundle kept, confirmation asked for; then hands
 * each chosen bundle to the update lifecycle (agent/lifecycle.h), which does
 * it and owns everything after (trial, commit, rollback, recovery). */
#ifndef FERRY_AGENT_INSTALL_H
#define FERRY_AGENT_INSTALL_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "agent/boot.h"
#include "agent/config.h"
#include "agent/notify.h"
#include "agent/state.h"
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

/* Writes the audit records not yet exported, and the inventory, onto the
 * stick mounted at dir (agent/export.c); *n_records (optional) counts them. */
bool install_export(const struct agent_config *c, const char *dir, size_t *n_records,
		    struct ferry_error **err);
/* Applies HQ's acknowledgement on the stick mounted at dir, if there is one
 * and it is valid (agent/ack.c): exported records up to its seq are pruned.
 * A bad one is logged and changes nothing. install_export calls it. */
void install_apply_ack(const struct agent_config *c, struct state *st, const char *dir);

#endif
