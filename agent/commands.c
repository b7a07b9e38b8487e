/* commands: ferry-agent's command table for the shared command-line layer
 * (common/cli.h), its own global option (-c agent.json) and what a command
 * needs before it runs: the configuration, loaded only for commands that
 * need it (never for --help). */
#include <stdlib.h>

#include "agent/cmd.h"
#include "common/cli.h"

struct agent_command {
	struct cli_command cli;   /* first: the layer reads the table through it */
	agent_cmd_fn run;
};

#define NEEDS CLI_NEEDS_CONFIG
static const struct agent_command commands[] = {
	{ { "install", "[--confirm] MEDIA_DIR|BUNDLE", "verify, decide, install; export the audit log to a stick", NEEDS }, cmd_install },
	{ { "check", "MEDIA_DIR|BUNDLE", "dry run: what install would do, and why", NEEDS }, cmd_dry_run },
	{ { "status", "[--json] [--last N]", "state, slots, versions and the last audit records", NEEDS }, cmd_status },
	{ { "commit", "", "keep the update running in its trial boot", NEEDS }, cmd_commit },
	{ { "rollback", "", "give up an installed or trial update", NEEDS }, cmd_rollback },
	{ { "export", "MEDIA_DIR", "write pending audit records and the inventory to a stick", NEEDS }, cmd_export },
	{ { "boot", "", "start-up logic after a boot (run by the service)", NEEDS }, cmd_boot },
	{ { "reboot", "", "virtual devices: power-cycle the virtual machine", NEEDS }, cmd_reboot },
	{ { "doctor", "[--json]", "check the device against agent.json: slots, bootloader, state, trust, hooks, media", NEEDS }, cmd_doctor },
	{ { "watch", "[--source udev|kernel] [--max-sticks N]", "daemon: wait for sticks, mount, install, export, unmount", NEEDS }, cmd_watch },
};
#undef NEEDS

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 },
};

static bool agent_option(void *ctx, int opt, const char *arg)
{
	struct agent_ctx *a = ctx;
	if (opt != 'c')
		return false;
	a->config_path = arg;
	return true;
}

static int agent_run(void *ctx, const struct cli_command *cmd, const struct cli_globals *g,
		     int argc, char **argv, struct ferry_error **err)
{
	struct agent_ctx *a = ctx;
	a->json = g->json;
	a->verbosity = g->verbosity;
	if (cmd->flags & CLI_NEEDS_CONFIG) {
		if (!a->config_path)
			return ferry_error_setc(err, FERRY_E_USAGE, "-c/--config agent.json is required"),
			       CLI_EXIT_USAGE;
		if (!agent_config_load(a->config_path, &a->config, err))
			return CLI_EXIT_USAGE;
	}
	return ((const struct agent_command *)cmd)->run(a, argc, argv, err);
}

const struct cli_program agent_program = {
	.name = "ferry-agent",
	.synopsis = "-c agent.json",
	.options_help = "  -c, --config FILE   the device's agent.json (every command but --help)\n",
	CLI_COMMANDS(commands),
	.shortopts = "c:",
	.longopts = longopts,
	.option = agent_option,
	.run = agent_run,
};
