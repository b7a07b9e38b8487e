/* ferry-pack: builds, signs and checks bundles at the workstation, writes
 * sticks. main() parses the global options, finds the subcommand in the
 * table, runs it, prints its error once and maps the result to the exit
 * code (0 ok, 1 refused or failed, 2 usage or configuration error). */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "packager/pack.h"

struct command {
	const char *name;
	pack_command_fn run;
	const char *help;
};

static const struct command commands[] = {
	{ "create",   cmd_create,   "SPEC.json -o OUT.ferry [--sign FPR]...  build a bundle" },
	{ "sign",     cmd_sign,     "BUNDLE --key FPR                        append a co-signature" },
	{ "verify",   cmd_verify,   "BUNDLE --keyring FILE --policy DIR      signatures, policy, every hash" },
	{ "inspect",  cmd_inspect,  "BUNDLE                                  manifest, signers, variants" },
	{ "simulate", cmd_simulate, "BUNDLE --fleet FLEET.json --policy DIR  which devices would take it" },
	{ "write",    cmd_write,    "MEDIA_DIR BUNDLE... [--policy DIR]      stick layout, MEDIA.json, read-back check" },
	{ "media",    cmd_media,    "list                                    attached USB sticks (libusb + libudev)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ferry-pack [-h] [--version] [-v] [-q] [--json] [--keys DIR | --homedir DIR] COMMAND ...\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n--keys DIR: the ferry-keys directory the signer keys are in (default\n"
		   "$FERRY_KEYS_HOME, else ~/.config/ferry/keys when it exists); --homedir DIR:\n"
		   "a GnuPG home (default $FERRY_PACK_HOME, else ~/.config/ferry/pack).\n"
		   "Exit status: 0 success, 1 refused or failed, 2 usage or configuration error.\n");
}

int main(int argc, char **argv)
{
	struct pack_opts o = { 0 };
	struct ferry_error *err = NULL;
	static const struct option longopts[] = {
		PACK_COMMON_LONG, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "+" PACK_COMMON_SHORT, longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return PACK_OK;
		}
		if (c == 'V') {
			printf("ferry-pack %s\n", FERRY_VERSION);
			return PACK_OK;
		}
		if (!pack_common_option(&o, c, optarg)) {
			usage(stderr);
			return PACK_USAGE;
		}
	}
	log_init("ferry-pack", o.quiet ? LOG_LEVEL_ERROR : o.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 0);
	if (optind >= argc) {
		usage(stderr);
		return PACK_USAGE;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[optind]) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "ferry-pack: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return PACK_USAGE;
	}
	int argc_cmd = argc - optind;
	char **argv_cmd = argv + optind;
	pack_getopt_reset();
	int rc = cmd->run(&o, argc_cmd, argv_cmd, &err);
	if (rc != PACK_OK && err)
		fprintf(stderr, "ferry-pack %s: %s\n", cmd->name, ferry_error_message(err));
	ferry_error_free(err);
	return rc;
}
