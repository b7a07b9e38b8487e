/* ferry-audit: HQ side of ferry. Option parsing and the subcommand table,
 * nothing else: each subcommand lives in cmd_<name>.c. Exit codes: 0 success
 * (also "nothing to do"), 1 refused or failed, 2 usage or configuration error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cli.h"
#include "common/log.h"

struct command {
	const char *name;
	audit_command_fn fn;
	const char *usage;
	const char *help;
};

static const struct command commands[] = {
	{ "register", cmd_register, "DEVICE_KEY.asc --device-id ID [--replace]",
	  "register a device's public key (the .asc from ferry-keys provision)" },
	{ "import", cmd_import, "MEDIA_DIR...", "verify and import the audit exports on sticks" },
	{ "devices", cmd_devices, "", "list registered devices, their versions and last contact" },
	{ "events", cmd_events, "[--device ID] [--since DATE] [--limit N]", "list audit records" },
	{ "report", cmd_report, "[--format text|csv|json|html] [--stale-days N] [-o FILE]",
	  "fleet report: versions, installs, failures, rollbacks, stale devices, rings" },
	{ "check", cmd_check, "[--device ID]",
	  "re-verify the stored chains: notices a tampered or damaged database or backup" },
	{ "ack", cmd_ack, "MEDIA_DIR --key FPR",
	  "write signed acknowledgements to a stick so devices may prune exported records" },
	{ "migrate", cmd_migrate, "--from sqlite:FILE --to postgresql://…",
	  "copy an HQ database to another backend, then verify every chain and signature in it" },
	{ "keygen", cmd_keygen, "[--name NAME] [-o FILE.asc]",
	  "create the HQ signing key for acks (give its public key the policy role hq)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry-audit [--db FILE] [--homedir DIR] [-v|-q] [--json] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n            %s\n", commands[i].name, commands[i].usage,
			commands[i].help);
	fprintf(out, "\noptions:\n"
		"  --db FILE|URL   the HQ database (default ferry-audit.db; sqlite:FILE,\n"
		"                  postgresql://…, or postgresql: with the PG* variables)\n"
		"  --homedir DIR   HQ GnuPG home (default: gnupg/ beside the database file,\n"
		"                  ./gnupg for PostgreSQL)\n"
		"  --json          machine-readable output\n"
		"  -v, --verbose   more detail; -q, --quiet: errors only\n"
		"  -h, --help      this text; --version: the version\n"
		"exit status: 0 success, 1 refused or failed, 2 usage or configuration error\n");
}

int main(int argc, char **argv)
{
	struct audit_cli cli = { .db_path = "ferry-audit.db" };
	struct ferry_error *err = NULL;
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		CLI_COMMON_LONG_OPTS,
		{ 0 }
	};
	int opt, rc;

	log_init("ferry-audit", LOG_LEVEL_WARN, 0);
	while ((opt = getopt_long(argc, argv, "+hvq", opts, NULL)) != -1) {
		if (cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'h': usage(stdout); return 0;
		case 'V': printf("ferry-audit %s\n", FERRY_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "ferry-audit: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	for (int i = 1; i < sub_argc && strcmp(sub_argv[i], "--") != 0; i++) {
		if (strcmp(sub_argv[i], "-h") == 0 || strcmp(sub_argv[i], "--help") == 0) {
			printf("usage: ferry-audit [OPTIONS] %s %s\n  %s\n", cmd->name, cmd->usage, cmd->help);
			return 0;
		}
	}
	optind = 0;   /* glibc: restart getopt fully for the subcommand's own options */
	rc = cmd->fn(&cli, sub_argc, sub_argv, &err);
	if (err) {
		fprintf(stderr, "ferry-audit: %s: %s\n", cmd->name, ferry_error_message(err));
		if (rc == 0)
			rc = EXIT_REFUSED;
	}
	ferry_error_free(err);
	free(cli.homedir_owned);
	return rc;
}
