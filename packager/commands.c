/* commands: ferry-pack's command table for the shared command-line layer
 * (common/cli.h) and its own global options (--keys, --homedir, --passphrase-file). */
#include "common/cli.h"
#include "packager/pack.h"

struct pack_command {
	struct cli_command cli;   /* first: the layer reads the table through it */
	pack_command_fn run;
};

static const struct pack_command commands[] = {
	{ { "create", "SPEC.json -o OUT.ferry [--sign FPR]...", "build a bundle", 0 }, cmd_create },
	{ { "sign", "BUNDLE --key FPR", "append a co-signature", 0 }, cmd_sign },
	{ { "verify", "BUNDLE --keyring FILE --policy DIR", "signatures, policy, every hash", 0 }, cmd_verify },
	{ { "inspect", "BUNDLE", "manifest, signers, variants", 0 }, cmd_inspect },
	{ { "simulate", "BUNDLE --fleet FLEET.json --policy DIR", "which devices would take it, and why not", 0 }, cmd_simulate },
	{ { "write", "MEDIA_DIR BUNDLE... [--policy DIR]", "stick layout, MEDIA.json, read-back check, sync", 0 }, cmd_write },
	{ { "media", "list", "attached USB sticks (libusb + libudev)", 0 }, cmd_media },
	{ { "sbom", "IMAGE [-o FILE] [--format spdx|cyclonedx]",
	    "SBOM of a Debian root file system image (ext2/3/4 or tar), not mounted", 0 }, cmd_sbom },
};

static const struct option longopts[] = {
	{ "homedir", required_argument, NULL, PACK_OPT_HOMEDIR },
	{ "keys", required_argument, NULL, PACK_OPT_KEYS },
	{ "passphrase-file", required_argument, NULL, PACK_OPT_PASSPHRASE_FILE },
	{ NULL, 0, NULL, 0 },
};

static bool pack_option(void *ctx, int opt, const char *arg)
{
	return (opt == PACK_OPT_HOMEDIR || opt == PACK_OPT_KEYS || opt == PACK_OPT_PASSPHRASE_FILE) &&
	       pack_common_option(ctx, opt, arg);
}

static int pack_run(void *ctx, const struct cli_command *cmd, const struct cli_globals *g,
		    int argc, char **argv, struct ferry_error **err)
{
	struct pack_opts *o = ctx;
	o->json = g->json;
	o->quiet = g->verbosity < 0;
	o->verbose = g->verbosity > 0 ? g->verbosity : 0;
	pack_getopt_reset();
	return ((const struct pack_command *)cmd)->run(o, argc, argv, err);
}

const struct cli_program pack_program = {
	.name = "ferry-pack",
	.synopsis = "[--keys DIR | --homedir DIR] [--passphrase-file FILE]",
	.about = "Builds, signs and checks bundles at the workstation; writes sticks.",
	.options_help = "      --keys DIR      the ferry-keys directory whose signers sign (default\n"
			"                      $FERRY_KEYS_HOME, else ~/.config/ferry/keys once it exists)\n"
			"      --homedir DIR   a GnuPG home (default $FERRY_PACK_HOME, else ~/.config/ferry/pack)\n"
			"      --passphrase-file FILE  the passphrase of protected signer keys (first\n"
			"                      line); else asked on the terminal\n",
	CLI_COMMANDS(commands),
	.shortopts = "",
	.longopts = longopts,
	.option = pack_option,
	.run = pack_run,
};
