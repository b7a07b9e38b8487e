/* cli: the one command-line layer of ferry's four programs (design §7).
 * It owns the command table and its lookup, the global options every program
 * shares (-h/--help, --version, -v/--verbose, -q/--quiet, --json), the help
 * text (`PROG --help`, `PROG COMMAND --help`, which never needs a config file
 * or a database), the one-line usage errors and the exit code, derived in one
 * place from ferry_exit_code(). A program lists its commands and its own
 * global options (-c, --homedir, --db); cli_main() does the rest. */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/error.h"
#include "common/log.h"

/* The one exit-code table (design §7), what commands return; the exit
 * status itself comes from cli_exit_code(). */
enum cli_exit {
	CLI_EXIT_OK = 0,       /* success, also "nothing to do" */
	CLI_EXIT_FAILED = 1,   /* refused or failed */
	CLI_EXIT_USAGE = 2,    /* usage or configuration error */
};

/* What a command needs before it runs (git's RUN_SETUP): the program's run
 * hook reads them. --help never needs any of them. */
enum cli_flag {
	CLI_NEEDS_CONFIG = 1 << 0,   /* the program's configuration (agent.json) */
};

/* One entry of a program's table. A program's own entry type embeds it as
 * its first member (and adds its typed command function). */
struct cli_command {
	const char *name;      /* "install", or two words: "signer add" */
	const char *args;      /* what follows the name: "MEDIA_DIR|BUNDLE" */
	const char *summary;   /* one line: what it does */
	unsigned flags;        /* enum cli_flag */
};

/* The global options every program means the same by. */
struct cli_globals {
	int verbosity;   /* -1 -q (errors only), 0 warnings, 1 -v (info), 2 -vv (debug) */
	bool json;       /* --json: machine-readable output on stdout */
};

struct cli_program {
	const char *name;            /* "ferry-agent": prefixes every message */
	const char *synopsis;        /* its own global options for usage lines: "-c agent.json" */
	const char *about;           /* a sentence under the usage line, or NULL */
	const char *options_help;    /* help lines of its own global options, or NULL */
	const void *commands;        /* array of entries, each starting with struct cli_command */
	size_t n_commands, command_size;
	const char *shortopts;       /* its own global options for getopt ("c:"), or "" */
	const struct option *longopts;   /* NULL-terminated, or NULL */
	/* Applies one of its own global options; false when opt is not one. */
	bool (*option)(void *ctx, int opt, const char *arg);
	/* Runs cmd (argv[0] is the command's last word) with the globals parsed;
	 * returns an exit code and fills *err on failure, like every command. */
	int (*run)(void *ctx, const struct cli_command *cmd, const struct cli_globals *g,
		   int argc, char **argv, struct ferry_error **err);
};

/* Designated initialisers of a cli_program's table from a static array. */
#define CLI_COMMANDS(table) \
	.commands = (table), .n_commands = sizeof(table) / sizeof((table)[0]), \
	.command_size = sizeof((table)[0])

/* Values of the shared long options without a short letter (a program's own
 * options must not use them). */
enum { CLI_OPT_VERSION = 0x7f00, CLI_OPT_JSON };

/* The whole program: parses the global options, handles --help, --version,
 * COMMAND --help and usage errors (one line on stderr, exit 2), sets the log
 * level, runs the command, prints its error once and returns the exit code. */
int cli_main(const struct cli_program *p, void *ctx, int argc, char **argv);

/* The command named by argv[0] (and argv[1] for two-word commands), or NULL;
 * *words says how many words it took. */
const struct cli_command *cli_find(const struct cli_program *p, int argc, char **argv, int *words);
/* The i-th entry of p's table. */
const struct cli_command *cli_command_at(const struct cli_program *p, size_t i);
/* True when argv (after the command) asks for help: -h or --help before "--". */
bool cli_wants_help(int argc, char **argv);

/* `PROG --help`: usage, options, commands and the exit-code table. */
void cli_print_help(const struct cli_program *p, FILE *out);
/* `PROG COMMAND --help`: its usage line and summary (every command whose
 * first word is word when name is only a first word, e.g. "signer"). */
void cli_print_command_help(const struct cli_program *p, const char *name, FILE *out);

/* --json output: v (2-space indent, sorted keys) and a newline on stdout;
 * steals v. Strings are escaped by jansson, never by printf. */
struct json_t;
void cli_print_json(struct json_t *v);

/* The one meaning of -v and -q: the log level for a verbosity. */
enum log_level cli_log_level(int verbosity);
/* -v: one more level (from -q it goes back to normal info); -q: errors only.
 * Both also set the log level, so a command may apply them after its name. */
void cli_verbose(struct cli_globals *g);
void cli_quiet(struct cli_globals *g);
/* The exit code of a command that returned rc and *err: with an error,
 * ferry_exit_code() of its code, unless the command said 2 itself (it knows
 * the input was named on the command line, e.g. a missing --fleet file; an
 * unclassified error then becomes FERRY_E_USAGE); without an error, rc (a
 * verdict the command printed itself, such as check's "would refuse"). */
int cli_exit_code(int rc, struct ferry_error **err);

#endif
