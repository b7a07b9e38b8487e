/* pack: what ferry-pack's subcommands share: the global options, the
 * command signature, the exit codes, and small helpers for options and
 * output. One subcommand per cmd_*.c file; main.c only dispatches. */
#ifndef FERRY_PACK_H
#define FERRY_PACK_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/cli.h"
#include "common/error.h"

struct pack_opts {
	const char *homedir;     /* --homedir: a GnuPG home (see pack_homedir) */
	const char *keys;        /* --keys: a ferry-keys directory */
	const char *passphrase_file;   /* --passphrase-file: for protected keys (else the terminal) */
	bool json;
	bool quiet;
	int verbose;
};

/* A subcommand: argv[0] is its name; returns CLI_EXIT_OK / CLI_EXIT_FAILED /
 * CLI_EXIT_USAGE with *err explaining a failure (main prints it once). */
typedef int (*pack_command_fn)(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);

int cmd_create(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);
int cmd_sign(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);
int cmd_verify(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);
int cmd_inspect(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);
int cmd_simulate(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);
int cmd_write(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);
int cmd_media(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);
int cmd_sbom(struct pack_opts *o, int argc, char **argv, struct ferry_error **err);

/* The command table for common/cli.h's cli_main (packager/commands.c). */
extern const struct cli_program pack_program;

/* Options every subcommand accepts too (after its name): -h -q -v --json --homedir. */
#define PACK_COMMON_SHORT "hqv"
#define PACK_OPT_JSON 0x1001
#define PACK_OPT_HOMEDIR 0x1002
#define PACK_OPT_KEYS 0x1003
#define PACK_OPT_PASSPHRASE_FILE 0x1004
#define PACK_COMMON_LONG                                                                 \
	{ "help", no_argument, NULL, 'h' }, { "quiet", no_argument, NULL, 'q' },           \
	{ "verbose", no_argument, NULL, 'v' }, { "json", no_argument, NULL, PACK_OPT_JSON }, \
	{ "homedir", required_argument, NULL, PACK_OPT_HOMEDIR }, \
	{ "keys", required_argument, NULL, PACK_OPT_KEYS }, \
	{ "passphrase-file", required_argument, NULL, PACK_OPT_PASSPHRASE_FILE }
/* Applies a common option; false when c is not one of them. */
bool pack_common_option(struct pack_opts *o, int c, const char *arg);
/* Prints "usage: ferry-pack USAGE" to stderr (for CLI_EXIT_USAGE) and returns CLI_EXIT_USAGE. */
int pack_usage(const char *usage, struct ferry_error **err);
/* Resets getopt for a subcommand's argv. */
void pack_getopt_reset(void);

/* The GnuPG home to sign with, the first of: --homedir (a GnuPG home, as
 * ever); the ferry-keys directory of --keys (its gnupg/, never created
 * here); $FERRY_PACK_HOME (a GnuPG home); the ferry-keys directory of
 * $FERRY_KEYS_HOME, or ~/.config/ferry/keys once initialised;
 * ~/.config/ferry/pack (created 0700). A ferry-keys
 * directory given as --homedir is refused with the right spelling. Caller
 * frees. */
bool pack_homedir(const struct pack_opts *o, char **out, struct ferry_error **err);
struct pgp;
/* Opens the signer home (pack_homedir) and checks, before any work, that
 * each of the n keys fprs can sign: its secret key is there, and a passphrase
 * it needs is right (from --passphrase-file, or asked on the terminal) or a
 * token holding it answers. opt names the option for messages ("--sign").
 * *sig_bytes (may be NULL) gets the length of the n probe signatures
 * together: what manifest.sig will take (bundle_create_opts.sig_bytes). */
bool pack_open_signers(const struct pack_opts *o, const char *const *fprs, size_t n, const char *opt,
		       char **home, struct pgp **pgp, size_t *sig_bytes, struct ferry_error **err);
/* A throw-away GnuPG home under /tmp (short path for gpg-agent); caller
 * removes it with pack_tmp_home_remove (kills its daemons first). */
bool pack_tmp_home(char **out, struct ferry_error **err);
void pack_tmp_home_remove(char *dir);

/* Prints a JSON value (2-space indent, keys sorted) and a newline to stdout; steals v. */
struct json_t;
void pack_print_json(struct json_t *v);
/* "1.5 MiB" style sizes for people. */
const char *pack_human_size(unsigned long long bytes, char buf[32]);

#endif
