/* cmd_commit: `ferry-agent commit`: keep the update running in its trial boot
 * (after its health check), or say that nothing awaits a commit. */
#include <stdio.h>
#include <stdlib.h>

#include "agent/cmd.h"
#include "agent/install.h"

int cmd_commit(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	struct state *s = NULL;
	struct boot *b = NULL;
	enum agent_commit_outcome outcome = AGENT_COMMIT_NOTHING;
	char *why = NULL;
	int rc = AGENT_EXIT_FAILED;
	(void)argv;
	if (argc != 1)
		return ferry_error_set(err, "commit takes no arguments"), AGENT_EXIT_USAGE;
	if (!install_open_device(ctx->config, &s, &b, err) ||
	    !install_finish(ctx->config, s, b, &outcome, &why, err))
		goto out;
	if (ctx->json)
		printf("{\"result\":\"%s\"}\n", outcome == AGENT_COMMIT_DONE ? "committed"
						: outcome == AGENT_COMMIT_ROLLED_BACK ? "rolled_back" : "nothing");
	else if (ctx->verbosity >= 0 && outcome != AGENT_COMMIT_ROLLED_BACK)
		printf("%s\n", outcome == AGENT_COMMIT_DONE ? "committed" : "nothing to commit");
	if (outcome != AGENT_COMMIT_ROLLED_BACK)
		rc = AGENT_EXIT_OK;
	else
		ferry_error_set(err, "not committed, rolled back: %s", why ? why : "health check failed");
out:
	free(why);
	boot_close(b);
	state_close(s);
	return rc;
}
