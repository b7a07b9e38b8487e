/* cmd_commit: `ferry-agent commit`: keep the update running in its trial boot
 * (after its health check), or say that nothing awaits a commit. */
#include <stdio.h>
#include <stdlib.h>

#include "agent/cmd.h"
#include "agent/lifecycle.h"

int cmd_commit(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	struct state *s = NULL;
	struct boot *b = NULL;
	enum lifecycle_commit_outcome outcome = LIFECYCLE_COMMIT_NOTHING;
	char *why = NULL;
	int rc = CLI_EXIT_FAILED;
	(void)argv;
	if (argc != 1)
		return ferry_error_set(err, "commit takes no arguments"), CLI_EXIT_USAGE;
	if (!lifecycle_open(ctx->config, &s, &b, err) ||
	    !lifecycle_commit(ctx->config, s, b, &outcome, &why, err))
		goto out;
	if (ctx->json)
		cmd_print_json(json_pack("{s:s}", "result", outcome == LIFECYCLE_COMMIT_DONE ? "committed"
					 : outcome == LIFECYCLE_COMMIT_ROLLED_BACK ? "rolled_back" : "nothing"));
	else if (ctx->verbosity >= 0 && outcome != LIFECYCLE_COMMIT_ROLLED_BACK)
		printf("%s\n", outcome == LIFECYCLE_COMMIT_DONE ? "committed" : "nothing to commit");
	if (outcome != LIFECYCLE_COMMIT_ROLLED_BACK)
		rc = CLI_EXIT_OK;
	else
		ferry_error_set(err, "not committed, rolled back: %s", why ? why : "health check failed");
out:
	free(why);
	boot_close(b);
	state_close(s);
	return rc;
}
