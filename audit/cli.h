/* cli: what ferry-audit's subcommands share: the global options (design §7),
 * opening the database and the HQ GnuPG home next to it, and option parsing
 * that accepts the global options after the subcommand too. */
#ifndef FERRY_AUDIT_CLI_H
#define FERRY_AUDIT_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "audit/db.h"
#include "common/cli.h"
#include "common/error.h"
#include "common/fleet.h"

/* common/cli.h's exit codes under ferry-audit's older names. */
#define EXIT_REFUSED CLI_EXIT_FAILED
#define EXIT_USAGE CLI_EXIT_USAGE

/* The command table for common/cli.h's cli_main (audit/commands.c). */
extern const struct cli_program audit_program;

struct audit_cli {
	const char *db_path;      /* --db, else $FERRY_AUDIT_DB, else AUDIT_DEFAULT_DB */
	const char *homedir;      /* --homedir, default <dir of db>/gnupg (PostgreSQL: ./gnupg) */
	bool json, quiet;
	int verbose;
	char *homedir_owned;
};

/* Long options every subcommand accepts; values >= 0x100 so they never clash. */
enum { OPT_DB = 0x100, OPT_HOMEDIR, OPT_JSON, OPT_QUIET, OPT_VERBOSE, OPT_COMMON_END };
#define CLI_COMMON_LONG_OPTS \
	{ "db", required_argument, NULL, OPT_DB }, \
	{ "homedir", required_argument, NULL, OPT_HOMEDIR }, \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "quiet", no_argument, NULL, OPT_QUIET }, \
	{ "verbose", no_argument, NULL, OPT_VERBOSE }
/* Handles one of the common options (also -v, -q); false if opt is not one. */
bool cli_common_option(struct audit_cli *cli, int opt, const char *arg);

/* getopt_long over a subcommand's argv (argv[0] is the subcommand name);
 * returns like getopt_long, reporting unknown options as '?'. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Prints "ferry-audit: CMD: message" and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where HQ's database lives when neither --db nor FERRY_AUDIT_DB says. */
#define AUDIT_DEFAULT_DB "/var/lib/ferry/audit.db"
/* The database target: --db, else $FERRY_AUDIT_DB, else AUDIT_DEFAULT_DB. */
const char *cli_db_target(struct audit_cli *cli);
/* Opens an existing database: a SQLite file that is not there is refused
 * (FERRY_E_CONFIG) instead of being created empty. */
bool cli_open_db(struct audit_cli *cli, struct audit_db **db, struct ferry_error **err);
/* Opens the database, creating it (and its directory) when missing: only
 * for register, which gives a new HQ its first content. */
bool cli_create_db(struct audit_cli *cli, struct audit_db **db, struct ferry_error **err);
/* The HQ GnuPG home (created 0700 when missing). */
const char *cli_homedir(struct audit_cli *cli);
/* The ferry folder of a stick: MEDIA_DIR/ferry, or MEDIA_DIR itself when it
 * is that folder (holds audit/ but no ferry/). Caller frees *root. */
bool cli_stick_root(const char *media_dir, char **root, struct ferry_error **err);
/* Now as RFC 3339 UTC. */
void cli_now(char out[32]);

struct pgp;
/* Re-verifies the stored chains and device signatures of db (cmd_check.c),
 * printing one line per device (into json, a json_t array, when not NULL);
 * only: one device or NULL. false: the check could not run. */
bool check_database(struct audit_cli *cli, struct audit_db *db, struct pgp *pgp, const char *only,
		    void *json, size_t *checked, size_t *broken, struct ferry_error **err);

/* A device row in the fleet file's form (cmd_fleet.c); out owns its strings
 * (free with fleet_device_clear); type is NULL before the first inventory. */
bool audit_device_to_fleet(const struct audit_device *a, struct fleet_device *out,
			   struct ferry_error **err);

typedef int (*audit_command_fn)(struct audit_cli *cli, int argc, char **argv,
				struct ferry_error **err);
int cmd_register(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_import(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_devices(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_events(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_logs(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_device_sbom(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_report(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_keygen(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_fleet(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_check_chains(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_ack(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_migrate(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);
int cmd_order(struct audit_cli *cli, int argc, char **argv, struct ferry_error **err);

#endif
