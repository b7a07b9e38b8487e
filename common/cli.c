/* cli: see cli.h. */
#include "cli.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Room for a program's own long options next to the shared ones. */
#define CLI_MAX_LONGOPTS 24

static const struct option shared_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, CLI_OPT_VERSION },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
};
#define N_SHARED (sizeof(shared_longopts) / sizeof(shared_longopts[0]))

const struct cli_command *cli_command_at(const struct cli_program *p, size_t i)
{
	return (const struct cli_command *)((const char *)p->commands + i * p->command_size);
}

/* Does name ("signer add") consist of argv's first words? *words: how many. */
static bool name_matches(const char *name, int argc, char **argv, int *words)
{
	const char *space = strchr(name, ' ');
	if (!space) {
		*words = 1;
		return argc >= 1 && strcmp(name, argv[0]) == 0;
	}
	*words = 2;
	return argc >= 2 && strlen(argv[0]) == (size_t)(space - name) &&
	       strncmp(name, argv[0], (size_t)(space - name)) == 0 && strcmp(space + 1, argv[1]) == 0;
}

const struct cli_command *cli_find(const struct cli_program *p, int argc, char **argv, int *words)
{
	for (size_t i = 0; i < p->n_commands; i++) {
		const struct cli_command *c = cli_command_at(p, i);
		if (name_matches(c->name, argc, argv, words))
			return c;
	}
	return NULL;
}

/* True when word is the first word of some two-word command ("signer"). */
static bool is_family(const struct cli_program *p, const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i < p->n_commands; i++) {
		const char *name = cli_command_at(p, i)->name;
		if (strncmp(name, word, n) == 0 && name[n] == ' ')
			return true;
	}
	return false;
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

enum log_level cli_log_level(int verbosity)
{
	return verbosity < 0 ? LOG_LEVEL_ERROR : verbosity == 0 ? LOG_LEVEL_WARN
	       : verbosity == 1 ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;
}

void cli_verbose(struct cli_globals *g)
{
	g->verbosity = g->verbosity < 0 ? 1 : g->verbosity + 1;
	log_set_level(cli_log_level(g->verbosity));
}

void cli_quiet(struct cli_globals *g)
{
	g->verbosity = -1;
	log_set_level(cli_log_level(g->verbosity));
}

int cli_exit_code(int rc, struct ferry_error **err)
{
	if (!err || !*err)
		return rc;
	if (rc != CLI_EXIT_USAGE)
		return ferry_exit_code(*err);
	ferry_error_classify(err, FERRY_E_USAGE);
	return CLI_EXIT_USAGE;
}

void cli_print_json(json_t *v)
{
	char *text = v ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(v);
}

static void print_usage_line(const struct cli_program *p, FILE *out)
{
	fprintf(out, "usage: %s %s%s[-v|-q] [--json] COMMAND [ARGS]\n", p->name,
		p->synopsis ? p->synopsis : "", p->synopsis ? " " : "");
}

void cli_print_help(const struct cli_program *p, FILE *out)
{
	print_usage_line(p, out);
	if (p->about)
		fprintf(out, "\n%s\n", p->about);
	fprintf(out, "\ncommands:\n");
	for (size_t i = 0; i < p->n_commands; i++) {
		const struct cli_command *c = cli_command_at(p, i);
		fprintf(out, "  %s%s%s\n      %s\n", c->name, *c->args ? " " : "", c->args, c->summary);
	}
	fprintf(out, "\noptions:\n%s", p->options_help ? p->options_help : "");
	fprintf(out, "  -v, --verbose       more detail (-vv: debug)\n"
		     "  -q, --quiet         errors only\n"
		     "      --json          machine-readable output\n"
		     "  -h, --help          this help; COMMAND --help: that command's\n"
		     "      --version       the version\n"
		     "\nexit status:\n"
		     "  0  success, also \"nothing to do\"\n"
		     "  1  refused or failed\n"
		     "  2  usage or configuration error\n");
}

void cli_print_command_help(const struct cli_program *p, const char *name, FILE *out)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < p->n_commands; i++) {
		const struct cli_command *c = cli_command_at(p, i);
		if (strcmp(c->name, name) != 0 && !(strncmp(c->name, name, n) == 0 && c->name[n] == ' '))
			continue;
		fprintf(out, "usage: %s %s%s%s%s%s\n  %s\n", p->name, p->synopsis ? p->synopsis : "",
			p->synopsis ? " " : "", c->name, *c->args ? " " : "", c->args, c->summary);
	}
	fprintf(out, "(global options -v, -q, --json: see %s --help)\n", p->name);
}

/* The shared long options followed by the program's own. */
static bool merge_longopts(const struct cli_program *p, struct option *out)
{
	size_t n = 0;
	for (size_t i = 0; i < N_SHARED; i++)
		out[n++] = shared_longopts[i];
	for (const struct option *o = p->longopts; o && o->name; o++) {
		if (n + 1 >= CLI_MAX_LONGOPTS)
			return false;
		out[n++] = *o;
	}
	out[n] = (struct option){ 0 };
	return true;
}

/* The option getopt just refused, for the message. */
static const char *bad_option(int argc, char **argv, char *buf, size_t size)
{
	if (optopt && optopt < 0x100) {
		snprintf(buf, size, "-%c", optopt);
		return buf;
	}
	return optind - 1 < argc ? argv[optind - 1] : "?";
}

enum { CLI_CONTINUE = -1 };

/* A usage error: *err, one line, and the exit code that goes with it. */
static int usage_error(struct ferry_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(struct ferry_error **err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ferry_error_setc(err, FERRY_E_USAGE, "%s", msg);
	return CLI_EXIT_USAGE;
}
/* The static analyser does not follow variadic calls: tell it the result. */
#ifdef __clang_analyzer__
#define usage_error(...) (usage_error(__VA_ARGS__), CLI_EXIT_USAGE)
#endif

/* The global options before the command. CLI_CONTINUE, or the exit code
 * when they were all there is (--help, --version) or wrong (*err). */
static int parse_globals(const struct cli_program *p, void *ctx, struct cli_globals *g,
			 int argc, char **argv, struct ferry_error **err)
{
	struct option longopts[CLI_MAX_LONGOPTS];
	char shortopts[64], buf[8];
	int opt;
	if (!merge_longopts(p, longopts) ||
	    snprintf(shortopts, sizeof(shortopts), "+:hvq%s", p->shortopts ? p->shortopts : "") >=
		    (int)sizeof(shortopts))
		return ferry_error_setc(err, FERRY_E_INTERNAL, "too many global options"), CLI_EXIT_FAILED;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (opt) {
		case 'h': cli_print_help(p, stdout); return CLI_EXIT_OK;
		case CLI_OPT_VERSION: printf("%s %s\n", p->name, FERRY_VERSION); return CLI_EXIT_OK;
		case 'v': cli_verbose(g); continue;
		case 'q': cli_quiet(g); continue;
		case CLI_OPT_JSON: g->json = true; continue;
		case ':':
			return usage_error(err, "option '%s' needs an argument (see %s --help)",
					   bad_option(argc, argv, buf, sizeof(buf)), p->name);
		case '?':
			break;
		default:
			if (p->option && p->option(ctx, opt, optarg))
				continue;
		}
		return usage_error(err, "unknown option '%s' (see %s --help)",
				   bad_option(argc, argv, buf, sizeof(buf)), p->name);
	}
	return CLI_CONTINUE;
}

/* The command at argv[0]; CLI_CONTINUE with *cmd set, or an exit code when
 * help was asked for or the name is wrong (*err). */
static int find_command(const struct cli_program *p, int argc, char **argv,
			const struct cli_command **cmd, int *words, struct ferry_error **err)
{
	if (argc < 1)
		return usage_error(err, "missing command (see %s --help)", p->name);
	*cmd = cli_find(p, argc, argv, words);
	if (*cmd)
		return CLI_CONTINUE;
	if (!is_family(p, argv[0]))
		return usage_error(err, "unknown command '%s' (see %s --help)", argv[0], p->name);
	if (cli_wants_help(argc, argv)) {
		cli_print_command_help(p, argv[0], stdout);
		return CLI_EXIT_OK;
	}
	return usage_error(err, "%s: unknown or missing subcommand%s%s (see %s --help)", argv[0],
			   argc > 1 ? " " : "", argc > 1 ? argv[1] : "", p->name);
}

int cli_main(const struct cli_program *p, void *ctx, int argc, char **argv)
{
	struct cli_globals g = { 0 };
	struct ferry_error *err = NULL;
	const struct cli_command *cmd = NULL;
	int words = 1;
	log_init(p->name, cli_log_level(0), 0);
	int rc = parse_globals(p, ctx, &g, argc, argv, &err);
	if (rc == CLI_CONTINUE)
		rc = find_command(p, argc - optind, argv + optind, &cmd, &words, &err);
	if (rc == CLI_CONTINUE) {
		int first = optind + words - 1;
		if (cli_wants_help(argc - first, argv + first)) {
			cli_print_command_help(p, cmd->name, stdout);
			rc = CLI_EXIT_OK;
		} else {
			optind = 0;   /* glibc: a fresh scan for the command's own options */
			opterr = 1;
			rc = p->run(ctx, cmd, &g, argc - first, argv + first, &err);
		}
	}
	rc = cli_exit_code(rc, &err);
	if (err)
		fprintf(stderr, "%s: %s\n", p->name, ferry_error_message(err));
	ferry_error_free(err);
	return rc;
}
