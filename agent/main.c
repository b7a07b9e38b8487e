/* ferry-agent: the program. Its command table and options are in
 * agent/commands.c; the shared command-line layer (common/cli.h) parses,
 * helps, runs the command and maps the result to the exit code (design §7). */
#include "agent/cmd.h"
#include "common/cli.h"

int main(int argc, char **argv)
{
	struct agent_ctx ctx = { 0 };
	int rc = cli_main(&agent_program, &ctx, argc, argv);
	agent_config_free(ctx.config);
	return rc;
}
