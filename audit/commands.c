/* commands: ferry-audit's command table for the shared command-line layer
 * (common/cli.h) and its own global options (--db FILE, --homedir DIR).
 * Commands open the database themselves, so --help never needs one. */
#include "audit/cli.h"
#include "common/cli.h"

struct audit_command {
	struct cli_command cli;   /* first: the layer reads the table through it */
	audit_command_fn run;
};

static const struct audit_command commands[] = {
	{ { "register", "DEVICE_KEY.asc --device-id ID [--replace] | PROVISION_DIR... [--replace]"
	    " [--warranty-until DATE|none] | --device-id ID --warranty-until DATE|none",
	    "register device public keys (the .asc, or whole ferry-keys provision outputs at once)", 0 },
	  cmd_register },
	{ { "import", "[--batch RECORDS] MEDIA_DIR...",
	    "verify and import the audit exports on sticks (one commit per batch, default 200000)", 0 },
	  cmd_import },
	{ { "devices", "", "list registered devices, their versions and last contact", 0 }, cmd_devices },
	{ { "fleet", "-o FLEET.json",
	    "write the fleet file ferry-pack simulate --fleet reads: each device's type, versions, rings", 0 },
	  cmd_fleet },
	{ { "events", "[--device ID] [--since DATE] [--limit N]", "list audit records", 0 }, cmd_events },
	{ { "logs", "--device ID --seq N",
	    "show the failure log that record N of a device names (verified again)", 0 }, cmd_logs },
	{ { "sbom", "--device ID",
	    "what runs on a device: bundles, support dates, SBOM components (its newest inventory)", 0 },
	  cmd_device_sbom },
	{ { "report", "[--format text|csv|json|html] [--stale-days N] [--regression PCT] [--device ID]"
	    " [-o FILE]",
	    "fleet report: versions, installs, failures, rollbacks, stale devices, rings, weeks,"
	    " metrics; --device: one device", 0 }, cmd_report },
	{ { "check", "[--device ID]",
	    "re-verify the stored chains: notices a tampered or damaged database or backup", 0 },
	  cmd_check_chains },
	{ { "ack", "MEDIA_DIR --key FPR",
	    "write signed acknowledgements to a stick so devices may prune exported records", 0 }, cmd_ack },
	{ { "migrate", "--from sqlite:FILE --to postgresql://…",
	    "copy an HQ database to another backend, then verify every chain and signature in it", 0 },
	  cmd_migrate },
	{ { "order import", "--policy DIR FILE.json...",
	    "learn issued work orders (dispatcher-signed, checked against the signed policy DIR)", 0 },
	  cmd_order },
	{ { "keygen", "[--name NAME] [-o FILE.asc]",
	    "create the HQ signing key for acks (give its public key the policy role hq)", 0 }, cmd_keygen },
};

static const struct option longopts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "homedir", required_argument, NULL, OPT_HOMEDIR },
	{ NULL, 0, NULL, 0 },
};

static bool audit_option(void *ctx, int opt, const char *arg)
{
	return (opt == OPT_DB || opt == OPT_HOMEDIR) && cli_common_option(ctx, opt, arg);
}

static int audit_run(void *ctx, const struct cli_command *cmd, const struct cli_globals *g,
		     int argc, char **argv, struct ferry_error **err)
{
	struct audit_cli *a = ctx;
	a->json = g->json;
	a->quiet = g->verbosity < 0;
	a->verbose = g->verbosity > 0 ? g->verbosity : 0;
	return ((const struct audit_command *)cmd)->run(a, argc, argv, err);
}

const struct cli_program audit_program = {
	.name = "ferry-audit",
	.synopsis = "[--db FILE] [--homedir DIR]",
	.about = "HQ side of ferry: device registry, audit import, reports, acknowledgements.",
	.options_help = "      --db FILE|URL   the HQ database (default $FERRY_AUDIT_DB, else\n"
			"                      " AUDIT_DEFAULT_DB "; sqlite:FILE,\n"
			"                      postgresql://…, or postgresql: with the PG* variables)\n"
			"      --homedir DIR   HQ GnuPG home (default: gnupg/ beside the database file,\n"
			"                      ./gnupg for PostgreSQL)\n",
	CLI_COMMANDS(commands),
	.shortopts = "",
	.longopts = longopts,
	.option = audit_option,
	.run = audit_run,
};
