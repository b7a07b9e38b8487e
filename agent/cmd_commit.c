/* cmd_commit: `ferry-agent commit`: keep the update running in its trial boot
 * (after its health check), or say that nothing awaits a commit. */
#include <stdio.h>

#include "agent/cmd.h"
#include "agent/trial.h"

/* The health check run before a commit (bundle health_check hook and the
 * device's hooks_dir); the integrator wires the hook runner here. NULL: none. */
static const agent_health_check_fn commit_health_check = NULL;

int cmd_commit(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	struct state *s = NULL;
	struct boot *b = NULL;
	enum agent_commit_outcome outcome = AGENT_COMMIT_NOTHING;
	int rc = AGENT_EXIT_FAILED;
	(void)argv;
	if (argc != 1)
		return ferry_error_set(err, "commit takes no arguments"), AGENT_EXIT_USAGE;
	if (!agent_open_device(ctx->config, &s, &b, err))
		goto out;
	bool ok = agent_commit(ctx->config, s, b, commit_health_check, NULL, &outcome, err);
	if (ctx->json)
		printf("{\"result\":\"%s\"}\n", outcome == AGENT_COMMIT_DONE ? "committed"
						: outcome == AGENT_COMMIT_ROLLED_BACK ? "rolled_back"
						: ok ? "nothing" : "failed");
	else if (ok && ctx->verbosity >= 0)
		printf("%s\n", outcome == AGENT_COMMIT_DONE ? "committed" : "nothing to commit");
	if (ok)
		rc = AGENT_EXIT_OK;
out:
	boot_close(b);
	state_close(s);
	return rc;
}
