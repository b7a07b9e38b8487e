/* ferry-keys: the chain of trust at the workstation — root keys, signers and
 * their roles, revocations, the signed trust policy and device provisioning.
 * This file parses global options, finds the subcommand in the table, runs
 * it, prints its error once and maps the result to the exit code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "keys/cmds.h"
#include "keys/keys.h"

static const struct keys_command commands[] = {
	{ "init", NULL, keys_cmd_init, "init --root-name NAME",
	  "create the root key and the first signed policy (serial 1)" },
	{ "signer", "add", keys_cmd_signer_add,
	  "signer add NAME --role R... --device-type T... [--expires DATE] [--key FILE.asc]",
	  "create (or import) a signer key and add it to the draft policy" },
	{ "signer", "revoke", keys_cmd_signer_revoke, "signer revoke FPR --reason TEXT [--at TIME]",
	  "revoke a signer in the draft policy" },
	{ "rule", "add", keys_cmd_rule_add, "rule add --device-type GLOB... --require-role R...",
	  "require co-signatures by distinct signers for matching device types" },
	{ "rule", "remove", keys_cmd_rule_remove, "rule remove N",
	  "remove rule N (as numbered by policy show) from the draft" },
	{ "root", "add", keys_cmd_root_add, "root add NAME [--key FILE.asc] [--threshold N]",
	  "add a root key (rotation: add the new root, sign, then remove the old one)" },
	{ "root", "remove", keys_cmd_root_remove, "root remove FPR [--threshold N]",
	  "remove a root key from the draft" },
	{ "policy", "sign", keys_cmd_policy_sign, "policy sign [-o DIR]",
	  "bump the serial and sign the draft: DIR/policy, history, and -o DIR" },
	{ "policy", "show", keys_cmd_policy_show, "policy show [--draft]",
	  "the current signed policy (or the draft)" },
	{ "policy", "log", keys_cmd_policy_log, "policy log",
	  "every signed serial: who was granted or revoked what, when" },
	{ "provision", NULL, keys_cmd_provision,
	  "provision OUTDIR --device-id ID --device-type T [--hw-revision R] [--group G]... "
	  "[--installed NAME=VERSION]...",
	  "a device trust bundle: keys, signed policy, agent.json, device key pair" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry-keys [--keys DIR] [-v|-q] [--json] COMMAND [ARGS]\n\n"
		     "The chain of trust of ferry: root keys, signers, roles, revocations, the\n"
		     "signed trust policy and device provisioning.\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-26s %s\n", commands[i].synopsis, commands[i].help);
	fprintf(out, "\noptions:\n"
		     "  --keys DIR     the ferry-keys directory (default $FERRY_KEYS_HOME, else\n"
		     "                 ~/.config/ferry/keys); ferry-pack --keys takes the same\n"
		     "                 DIR. --homedir DIR is the older spelling of --keys DIR\n"
		     "  --protect      keys created now (init, signer add, root add) get a\n"
		     "                 passphrase, from --passphrase-file or asked on the terminal\n"
		     "  --passphrase-file FILE  the passphrase of protected keys (first line)\n"
		     "  --json         machine-readable output\n"
		     "  -v, -q         more or less output\n"
		     "  -h, --help     this help;  --version  the version\n"
		     "exit status: 0 success, 1 refused or failed, 2 usage or configuration error\n");
}

int keys_command_help(const char *word1, const char *word2)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].word1, word1) == 0 &&
		    (!word2 || !commands[i].word2 || strcmp(commands[i].word2, word2) == 0)) {
			printf("usage: ferry-keys [--homedir DIR] %s\n  %s\n", commands[i].synopsis,
			       commands[i].help);
		}
	return KEYS_OK;
}

bool keys_common_option(struct keys_ctx *k, int c, const char *arg)
{
	switch (c) {
	case 'H':
		free(k->dir);
		k->dir = strdup(arg);
		return true;
	case 'J':
		k->json = true;
		return true;
	case 'F':
		k->passphrase_file = arg;
		return true;
	case 'P':
		k->protect = true;
		return true;
	case 'v':
		k->verbose = true;
		log_set_level(LOG_LEVEL_DEBUG);
		return true;
	case 'q':
		k->quiet = true;
		log_set_level(LOG_LEVEL_ERROR);
		return true;
	}
	return false;
}

int keys_usage(struct ferry_error **err, const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ferry_error_set(err, "%s: %s (see ferry-keys %s --help)", cmd, msg, cmd);
	return KEYS_USAGE;
}

int keys_bad_option(struct ferry_error **err, const char *cmd, int c, char **argv)
{
	if (c == ':')
		return keys_usage(err, cmd, "option '%s' needs an argument", argv[optind - 1]);
	return keys_usage(err, cmd, "unknown option '%s'", argv[optind - 1]);
}

bool keys_positional(int argc, char **argv, int n, const char *cmd, const char *what,
		     struct ferry_error **err)
{
	if (argc - optind == n)
		return true;
	if (argc - optind < n)
		keys_usage(err, cmd, "missing %s", what);
	else
		keys_usage(err, cmd, "unexpected argument '%s'", argv[optind + n]);
	return false;
}

static char *default_dir(void)
{
	const char *env = getenv("FERRY_KEYS_HOME"), *home = getenv("HOME");
	char *dir = NULL;
	if (env && *env)
		return strdup(env);
	if (asprintf(&dir, "%s/.config/ferry/keys", home && *home ? home : ".") < 0)
		return NULL;
	return dir;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { KEYS_COMMON_LONGOPTS,
						  { "version", no_argument, NULL, 'V' },
						  { NULL, 0, NULL, 0 } };
	struct keys_ctx k = { 0 };
	struct ferry_error *err = NULL;
	int rc = KEYS_USAGE, c;

	log_init("ferry-keys", LOG_LEVEL_INFO, 0);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hvq", longopts, NULL)) != -1) {
		if (keys_common_option(&k, c, optarg))
			continue;
		if (c == 'h') {
			usage(stdout);
			rc = KEYS_OK;
			goto out;
		}
		if (c == 'V') {
			printf("ferry-keys %s\n", FERRY_VERSION);
			rc = KEYS_OK;
			goto out;
		}
		ferry_error_set(&err, "unknown option '%s' (see ferry-keys --help)", argv[optind - 1]);
		goto out;
	}
	if (optind >= argc) {
		usage(stderr);
		goto out;
	}
	if (!k.dir && !(k.dir = default_dir())) {
		ferry_error_set(&err, "out of memory");
		goto out;
	}
	const char *w1 = argv[optind], *w2 = optind + 1 < argc ? argv[optind + 1] : NULL;
	const struct keys_command *cmd = NULL;
	bool word1_known = false;
	for (size_t i = 0; i < N_COMMANDS && !cmd; i++) {
		if (strcmp(commands[i].word1, w1) != 0)
			continue;
		word1_known = true;
		if (!commands[i].word2 || (w2 && strcmp(commands[i].word2, w2) == 0))
			cmd = &commands[i];
	}
	if (!cmd) {
		if (word1_known)
			ferry_error_set(&err, "%s: unknown or missing subcommand%s%s (see ferry-keys --help)",
					w1, w2 ? " " : "", w2 ? w2 : "");
		else
			ferry_error_set(&err, "unknown command '%s' (see ferry-keys --help)", w1);
		goto out;
	}
	/* the command's last word serves as argv[0] of a fresh getopt scan */
	int first = optind + (cmd->word2 ? 1 : 0);
	optind = 0;
	rc = cmd->run(&k, argc - first, argv + first, &err);
out:
	if (rc != KEYS_OK && err)
		fprintf(stderr, "ferry-keys: %s\n", ferry_error_message(err));
	ferry_error_free(err);
	if (k.pgp) {
		pgp_close(k.pgp);
		pgp_kill_daemons(k.gnupg);
	}
	free(k.gnupg);
	free(k.dir);
	return rc;
}
