/* ferry-agent: global options and the subcommand table, nothing else.
 * Exit codes (design §7): 0 success or nothing to do, 1 refused or failed,
 * 2 usage or configuration error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cmd.h"
#include "common/log.h"

struct command {
	const char *name;
	agent_cmd_fn run;
	const char *args;
	const char *help;
};

/* One line per command. */
static const struct command commands[] = {
	{ "install",  cmd_install,  "[--confirm] MEDIA_DIR|BUNDLE", "verify, decide, install; export the audit log to a stick" },
	{ "check",    cmd_check,    "MEDIA_DIR|BUNDLE", "dry run: what install would do, and why" },
	{ "status",   cmd_status,   "[--json]",  "state, slots, versions and the last audit records" },
	{ "commit",   cmd_commit,   "",          "keep the update running in its trial boot" },
	{ "rollback", cmd_rollback, "",          "give up an installed or trial update" },
	{ "export",   cmd_export,   "MEDIA_DIR", "write pending audit records and the inventory to a stick" },
	{ "boot",     cmd_boot,     "",          "start-up logic after a boot (run by the service)" },
	{ "reboot",   cmd_reboot,   "",          "virtual devices: power-cycle the virtual machine" },
	{ "watch", cmd_watch, "", "daemon: wait for sticks, mount, install, export, unmount" },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ferry-agent -c agent.json [-v|-q] [--json] COMMAND [ARGS]\n\n"
		   "options:\n"
		   "  -c, --config FILE  the device's agent.json (required)\n"
		   "  -v, --verbose      more detail (repeat for debug)\n"
		   "  -q, --quiet        errors only\n"
		   "      --json         machine-readable output\n"
		   "  -h, --help         this help\n"
		   "      --version      print the version\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-8s %-17s %s\n", c->name, c->args, c->help);
	fprintf(f, "\nexit status: 0 success or nothing to do, 1 refused or failed, 2 usage or configuration error\n");
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 256, OPT_JSON };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },      { "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, OPT_VERSION }, { "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_ctx ctx = { 0 };
	struct ferry_error *err = NULL;
	int opt, rc = AGENT_EXIT_USAGE;
	/* '+': options after the command belong to the command. */
	while ((opt = getopt_long(argc, argv, "+c:hvq", options, NULL)) != -1) {
		switch (opt) {
		case 'c': ctx.config_path = optarg; break;
		case 'h': usage(stdout); return AGENT_EXIT_OK;
		case 'v': ctx.verbosity = ctx.verbosity < 0 ? 1 : ctx.verbosity + 1; break;
		case 'q': ctx.verbosity = -1; break;
		case OPT_VERSION: printf("ferry-agent %s\n", FERRY_VERSION); return AGENT_EXIT_OK;
		case OPT_JSON: ctx.json = true; break;
		default: usage(stderr); return AGENT_EXIT_USAGE;
		}
	}
	log_init("ferry-agent", ctx.verbosity < 0 ? LOG_LEVEL_ERROR
			       : ctx.verbosity == 0 ? LOG_LEVEL_WARN
			       : ctx.verbosity == 1 ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, 0);
	if (optind >= argc) {
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	const struct command *cmd = commands;
	while (cmd->name && strcmp(cmd->name, argv[optind]) != 0)
		cmd++;
	if (!cmd->name) {
		fprintf(stderr, "ferry-agent: unknown command '%s' (see --help)\n", argv[optind]);
		return AGENT_EXIT_USAGE;
	}
	if (!ctx.config_path) {
		fprintf(stderr, "ferry-agent: -c/--config agent.json is required\n");
		return AGENT_EXIT_USAGE;
	}
	if (!agent_config_load(ctx.config_path, &ctx.config, &err))
		goto out;
	rc = cmd->run(&ctx, argc - optind, argv + optind, &err);
out:
	if (err)
		fprintf(stderr, "ferry-agent: %s\n", ferry_error_message(err));
	ferry_error_free(err);
	agent_config_free(ctx.config);
	return rc;
}
