/* commands: ferry-keys' command table for the shared command-line layer
 * (common/cli.h), its own global options (--keys DIR or --homedir DIR, --protect,
 * --passphrase-file FILE) and the option
 * helpers its subcommands share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "keys/cmds.h"
#include "keys/keys.h"

struct keys_command {
	struct cli_command cli;   /* first: the layer reads the table through it */
	int (*run)(struct keys_ctx *k, int argc, char **argv, struct ferry_error **err);
};

static const struct keys_command commands[] = {
	{ { "init", "--root-name NAME", "create the root key and the first signed policy (serial 1)", 0 },
	  keys_cmd_init },
	{ { "signer add", "NAME --role R... --device-type T... [--expires DATE] [--key FILE.asc]",
	    "create (or import) a signer key and add it to the draft policy", 0 }, keys_cmd_signer_add },
	{ { "signer revoke", "FPR --reason TEXT [--at TIME]", "revoke a signer in the draft policy", 0 },
	  keys_cmd_signer_revoke },
	{ { "rule add", "--device-type GLOB... --require-role R...",
	    "require co-signatures by distinct signers for matching device types", 0 }, keys_cmd_rule_add },
	{ { "rule remove", "N", "remove rule N (as numbered by policy show) from the draft", 0 },
	  keys_cmd_rule_remove },
	{ { "root add", "NAME [--key FILE.asc] [--threshold N]",
	    "add a root key (rotation: add the new root, sign, then remove the old one)", 0 }, keys_cmd_root_add },
	{ { "root remove", "FPR [--threshold N]", "remove a root key from the draft", 0 }, keys_cmd_root_remove },
	{ { "policy sign", "[-o DIR]", "bump the serial and sign the draft: DIR/policy, history, and -o DIR", 0 },
	  keys_cmd_policy_sign },
	{ { "policy show", "[--draft]", "the current signed policy (or the draft)", 0 }, keys_cmd_policy_show },
	{ { "policy log", "", "every signed serial: who was granted or revoked what, when", 0 },
	  keys_cmd_policy_log },
	{ { "technician add", "ID --name NAME [--fingerprint FPR]",
	    "name a person who may carry work orders in the draft policy", 0 }, keys_cmd_technician_add },
	{ { "technician revoke", "ID [--at TIME]", "end a technician's access in the draft policy", 0 },
	  keys_cmd_technician_revoke },
	{ { "technician list", "", "the technicians of the draft policy (id, name, key, state)", 0 },
	  keys_cmd_technician_list },
	{ { "order create",
	    "ID --technician T --op OP... (--device-id ID|--device-type GLOB|--group G)... "
	    "--not-after TIME [--not-before TIME] [--bundle NAME=VERSION|NAME@SHA256]... "
	    "--signer FPR -o STICK",
	    "sign a work order with a dispatcher key onto STICK/ferry/orders/", 0 }, keys_cmd_order_create },
	{ { "provision",
	    "OUTDIR --device-id ID --device-type T [--hw-revision R] [--group G]... [--installed NAME=VERSION]...",
	    "a device trust bundle: keys, signed policy, agent.json, device key pair", 0 }, keys_cmd_provision },
};

int keys_command_help(const char *word1, const char *word2)
{
	char name[64];
	snprintf(name, sizeof(name), "%s%s%s", word1, word2 ? " " : "", word2 ? word2 : "");
	cli_print_command_help(&keys_program, name, stdout);
	return CLI_EXIT_OK;
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
		cli_verbose(&k->globals);
		return true;
	case 'q':
		k->quiet = true;
		cli_quiet(&k->globals);
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
	ferry_error_setc(err, FERRY_E_USAGE, "%s: %s (see ferry-keys %s --help)", cmd, msg, cmd);
	return CLI_EXIT_USAGE;
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

static const struct option longopts[] = {
	{ "homedir", required_argument, NULL, 'H' },
	{ "keys", required_argument, NULL, 'H' },
	{ "passphrase-file", required_argument, NULL, 'F' },
	{ "protect", no_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 },
};

static bool keys_option(void *ctx, int opt, const char *arg)
{
	return (opt == 'H' || opt == 'F' || opt == 'P') && keys_common_option(ctx, opt, arg);
}

static int keys_run(void *ctx, const struct cli_command *cmd, const struct cli_globals *g,
		    int argc, char **argv, struct ferry_error **err)
{
	struct keys_ctx *k = ctx;
	k->globals = *g;
	k->json = g->json;
	k->verbose = g->verbosity > 0;
	k->quiet = g->verbosity < 0;
	if (!k->dir && !(k->dir = default_dir()))
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory"), CLI_EXIT_FAILED;
	opterr = 0;
	return ((const struct keys_command *)cmd)->run(k, argc, argv, err);
}

const struct cli_program keys_program = {
	.name = "ferry-keys",
	.synopsis = "[--keys DIR]",
	.about = "The chain of trust of ferry: root keys, signers, roles, revocations, the\n"
		 "signed trust policy and device provisioning.",
	.options_help = "      --keys DIR      the ferry-keys directory (default $FERRY_KEYS_HOME, else\n"
			"                      ~/.config/ferry/keys); ferry-pack --keys takes the same\n"
			"                      DIR. --homedir DIR is the older spelling of --keys DIR\n"
			"      --protect       keys created now (init, signer add, root add) get a\n"
			"                      passphrase, from --passphrase-file or the terminal\n"
			"      --passphrase-file FILE  the passphrase of protected keys (first line)\n",
	CLI_COMMANDS(commands),
	.shortopts = "",
	.longopts = longopts,
	.option = keys_option,
	.run = keys_run,
};
