/* cmd_rollback: `ferry-agent rollback`: give up an installed or trial update;
 * the previous slot boots again from the next boot on. */
#include <stdio.h>

#include "agent/cmd.h"
#include "agent/lifecycle.h"

int cmd_rollback(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	struct state *s = NULL;
	struct boot *b = NULL;
	int rc = CLI_EXIT_FAILED;
	(void)argv;
	if (argc != 1)
		return ferry_error_set(err, "rollback takes no arguments"), CLI_EXIT_USAGE;
	if (!lifecycle_open(ctx->config, &s, &b, err) ||
	    !lifecycle_rollback(ctx->config, s, b, "requested", err))
		goto out;
	if (ctx->json)
		cmd_print_json(json_pack("{s:s}", "result", "rolled_back"));
	else if (ctx->verbosity >= 0)
		printf("rolled back: the previous slot boots from the next boot on\n");
	rc = CLI_EXIT_OK;
out:
	boot_close(b);
	state_close(s);
	return rc;
}
