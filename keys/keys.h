/* keys: what ferry-keys' subcommands share: the state directory (--homedir
 * DIR) and its files, option helpers and output. The state directory holds
 *   DIR/gnupg/            the workstation's GnuPG home (root and signer keys)
 *   DIR/draft.json        the next policy, edited by signer/rule/root commands
 *   DIR/policy/           the current signed policy (policy.json, .sig, keys.asc)
 *   DIR/history/policy-NNNN.json(.sig)   every signed serial, for git and `policy log`
 * Nothing here prints errors: commands fill *err and main prints it once. */
#ifndef FERRY_KEYS_H
#define FERRY_KEYS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/cli.h"
#include "common/error.h"
#include "common/json.h"
#include "common/pgp.h"
#include "common/policy.h"

struct keys_ctx {
	char *dir;          /* --homedir, or the default */
	bool json, verbose, quiet;
	struct pgp *pgp;    /* opened on demand by keys_pgp() */
	char *gnupg;        /* DIR/gnupg */
	const char *passphrase_file;   /* --passphrase-file: for protected keys (else the terminal) */
	bool protect;       /* --protect: keys created now get a passphrase (init, signer add, root add) */
	struct cli_globals globals;   /* -v/-q/--json as the shared layer means them */
};

/* The command table for common/cli.h's cli_main (keys/commands.c); a
 * subcommand returns an exit code and on non-zero *err explains. */
extern const struct cli_program keys_program;

/* ---- option parsing shared by the subcommands ---- */
/* Options every subcommand accepts too (--json, -v, -q, --keys DIR or its
 * older spelling --homedir DIR: the ferry-keys directory either way). */
#define KEYS_COMMON_LONGOPTS                                        \
	{ "homedir", required_argument, NULL, 'H' },               \
	{ "keys", required_argument, NULL, 'H' },                  \
	{ "passphrase-file", required_argument, NULL, 'F' },       \
	{ "protect", no_argument, NULL, 'P' },                     \
	{ "json", no_argument, NULL, 'J' },                        \
	{ "verbose", no_argument, NULL, 'v' },                     \
	{ "quiet", no_argument, NULL, 'q' },                       \
	{ "help", no_argument, NULL, 'h' }
/* The short options of every subcommand's getopt string start with this. */
#define KEYS_COMMON_SHORTOPTS ":hvq"
/* Handles a common option; true when c was one. */
bool keys_common_option(struct keys_ctx *k, int c, const char *arg);
/* The usage error for an unknown option or missing argument. */
int keys_usage(struct ferry_error **err, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* For getopt's '?' (unknown option) and ':' (missing argument); returns CLI_EXIT_USAGE. */
int keys_bad_option(struct ferry_error **err, const char *cmd, int c, char **argv);
/* Exactly n positional arguments left after options, else a usage error. */
bool keys_positional(int argc, char **argv, int n, const char *cmd, const char *what,
		     struct ferry_error **err);
/* Prints a subcommand's help (for -h inside a subcommand); returns CLI_EXIT_OK. */
int keys_command_help(const char *word1, const char *word2);

/* ---- the state directory ---- */
/* DIR/<rel>; caller frees. */
char *keys_path(const struct keys_ctx *k, const char *rel);
bool keys_initialised(const struct keys_ctx *k);
/* Fails with CLI_EXIT_USAGE's meaning ("not initialised: run ferry-keys init"). */
bool keys_require_init(const struct keys_ctx *k, struct ferry_error **err);
/* The workstation GnuPG context (DIR/gnupg), opened once. */
struct pgp *keys_pgp(struct keys_ctx *k, struct ferry_error **err);
/* The draft policy (DIR/draft.json); caller frees. */
bool keys_load_draft(const struct keys_ctx *k, struct policy **out, struct ferry_error **err);
/* Validates and atomically writes the draft. */
bool keys_save_draft(const struct keys_ctx *k, const struct policy *p, struct ferry_error **err);
/* The current signed policy, verified (DIR/policy); caller frees. */
bool keys_load_signed(struct keys_ctx *k, struct policy **out, struct ferry_error **err);
/* Signs p (serial and issued as given) with every root key this home holds
 * for the current and the new roots, checks the thresholds, and writes
 * DIR/policy, DIR/history/policy-NNNN.json(.sig) and, when outdir is not
 * NULL, outdir. current may be NULL (init). */
bool keys_publish(struct keys_ctx *k, const struct policy *current, const struct policy *p,
		  const char *outdir, struct ferry_error **err);
/* Armored public keys of every root and signer of p, concatenated; caller frees. */
bool keys_export_all(struct keys_ctx *k, const struct policy *p, char **out, size_t *len,
		     struct ferry_error **err);

/* A new key named name in DIR/gnupg, or the one public key in key_file. */
bool keys_new_key(struct keys_ctx *k, const char *name, const char *key_file,
		  char fpr[PGP_FPR_LEN + 1], struct ferry_error **err);
/* Uppercases a fingerprint given on the command line (spaces removed) into
 * out; false with an error naming it when it is not 40 hex digits. */
bool keys_parse_fpr(const char *text, char out[PGP_FPR_LEN + 1], struct ferry_error **err);

/* ---- text for show and log ---- */
/* "'Release CI' roles release, qa; device types gw-*; expires 2027-12-31T00:00:00Z" */
void keys_signer_text(const struct policy_signer *s, char *buf, size_t size);
/* "device types gw-* require release, qa" */
void keys_rule_text(const struct policy_rule *r, char *buf, size_t size);
/* A policy as JSON (the policy.json document itself); NULL on out of memory. */
json_t *keys_policy_json(const struct policy *p);

/* ---- small helpers ---- */
/* Parses "2027-12-31", "2027-12-31T00:00:00Z"; *err names the option. */
bool keys_parse_date(const char *opt, const char *text, int64_t *out, struct ferry_error **err);
/* Appends a strdup'd s to a NULL-terminated vector. */
bool keys_strv_add(char ***v, const char *s, struct ferry_error **err);
/* Prints a JSON value (compact, sorted keys) and a newline to stdout; steals it. */
void keys_print_json(json_t *v);

#endif
