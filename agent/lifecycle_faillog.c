/* lifecycle_faillog: what a failed update step leaves for the field — the
 * step's output, the agent's log tail and the site's diagnostics hooks
 * (<hooks_dir>/diagnostics.d/), kept by agent/faillog in <state_dir>/logs/
 * and named in the failure's audit record. Best effort: a log that cannot
 * be kept is warned about; it never changes how the failure is handled. */
#include "agent/lifecycle_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "agent/faillog_store.h"
#include "agent/hooks.h"
#include "common/log.h"

bool lifecycle_faillog(const struct agent_config *c, const struct handler_context *ctx,
		       const char *what, const char *step_output, char sha[SHA256_HEX_LEN + 1])
{
	char *dir = NULL, *diag = NULL, *work = NULL, tail[LOG_TAIL_MAX];
	struct ferry_error *e = NULL;
	sha[0] = '\0';
	/* No payload's context (a transaction begun by another tool): the
	 * device's own, working in <state_dir>/work/diagnostics. */
	struct handler_context own = { .device_id = c->device.id, .device_type = c->device.type,
				       .agent_state = "diagnostics", .timeout_sec = (int)c->script_timeout };
	if (!ctx && asprintf(&work, "%s/work/diagnostics", c->state_dir) >= 0) {
		own.work_dir = work;
		ctx = &own;
	}
	if (ctx && c->hooks_dir && *c->hooks_dir && !hooks_run_diagnostics(ctx, c->hooks_dir, &diag, &e)) {
		log_warn("diagnostics hooks: %s", ferry_error_message(e));   /* their output is kept */
		ferry_error_clear(&e);
	}
	log_tail(tail, sizeof tail);
	struct faillog_parts parts = { .what = what, .step_output = step_output, .agent_tail = tail,
				       .diagnostics = diag };
	bool ok = asprintf(&dir, "%s/logs", c->state_dir) >= 0;
	if (!ok)
		dir = NULL;
	if (ok && !(ok = faillog_keep(dir, &parts, 0, sha, &e))) {
		log_warn("%s", ferry_error_message(e));
		sha[0] = '\0';
	}
	ferry_error_free(e);
	free(diag);
	free(work);
	free(dir);
	return ok;
}
