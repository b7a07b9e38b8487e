/* Tests for common/cli.c: the one command-line layer of the four programs —
 * table lookup, --help for every command of every real program without a
 * config file, -v/-q/--json, usage errors (one line, exit 2) and the exit
 * code derived from the error's code. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cmd.h"
#include "audit/cli.h"
#include "common/cli.h"
#include "keys/keys.h"
#include "packager/pack.h"

/* ---- a small program whose run hook records what it was given ---- */
struct probe {
	int runs;
	struct cli_globals g;
	const char *config, *cmd, *argv0;
	int argc;
	int rc;                 /* what the command returns */
	enum ferry_code code;   /* the error it fills, when rc != 0 */
};

static const struct cli_command probe_commands[] = {
	{ "install", "MEDIA_DIR", "install from a stick", CLI_NEEDS_CONFIG },
	{ "signer add", "NAME", "add a signer", 0 },
	{ "signer revoke", "FPR", "revoke a signer", 0 },
};

static bool probe_option(void *ctx, int opt, const char *arg)
{
	struct probe *p = ctx;
	if (opt != 'c')
		return false;
	p->config = arg;
	return true;
}

static int probe_run(void *ctx, const struct cli_command *cmd, const struct cli_globals *g,
		     int argc, char **argv, struct ferry_error **err)
{
	struct probe *p = ctx;
	p->runs++;
	p->g = *g;
	p->cmd = cmd->name;
	p->argc = argc;
	p->argv0 = argv[0];
	if (p->rc && p->code)
		ferry_error_setc(err, p->code, "probe failed");
	else if (p->rc)
		ferry_error_set(err, "probe failed");
	return p->rc;
}

static const struct option probe_longopts[] = { { "config", required_argument, NULL, 'c' }, { 0 } };

static const struct cli_program probe_program = {
	.name = "ferry-probe", .synopsis = "-c FILE",
	.commands = probe_commands, .n_commands = 3, .command_size = sizeof(probe_commands[0]),
	.shortopts = "c:", .longopts = probe_longopts, .option = probe_option, .run = probe_run,
};

/* ---- running cli_main with stdout and stderr captured ---- */
struct captured {
	int rc;
	char out[8192], err[4096];
};

static void read_back(FILE *f, char *buf, size_t size)
{
	rewind(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs p with the NULL-terminated words as argv (argv[0] included). */
static void run_cli(const struct cli_program *p, void *ctx, struct captured *c, const char **words)
{
	char *argv[32];
	int argc = 0;
	while (argc < 31 && words[argc]) {
		argv[argc] = (char *)words[argc];
		argc++;
	}
	argv[argc] = NULL;
	FILE *out = tmpfile(), *errf = tmpfile();
	assert_non_null(out);
	assert_non_null(errf);
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	dup2(fileno(out), 1);
	dup2(fileno(errf), 2);
	c->rc = cli_main(p, ctx, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	read_back(out, c->out, sizeof(c->out));
	read_back(errf, c->err, sizeof(c->err));
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* An exit 2 with exactly one line on stderr naming the program. */
static void assert_usage_error(const struct captured *c, const char *needle)
{
	assert_int_equal(c->rc, 2);
	assert_int_equal(count_lines(c->err), 1);
	assert_non_null(strstr(c->err, needle));
	assert_string_equal(c->out, "");
}

static void test_cli_finds_one_and_two_word_commands(void **state)
{
	(void)state;
	char *one[] = { "install", "x" }, *two[] = { "signer", "revoke", "F" }, *bad[] = { "signer", "x" };
	int words = 0;
	const struct cli_command *c = cli_find(&probe_program, 2, one, &words);
	assert_non_null(c);
	assert_string_equal(c->name, "install");
	assert_int_equal(words, 1);
	c = cli_find(&probe_program, 3, two, &words);
	assert_non_null(c);
	assert_string_equal(c->name, "signer revoke");
	assert_int_equal(words, 2);
	assert_null(cli_find(&probe_program, 2, bad, &words));
	assert_null(cli_find(&probe_program, 1, two, &words));
	assert_ptr_equal(cli_command_at(&probe_program, 2), &probe_commands[2]);
}

static void test_cli_runs_command_with_its_own_argv(void **state)
{
	(void)state;
	struct probe p = { 0 };
	struct captured c;
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "-c", "a.json", "signer", "add", "N", "--x", NULL });
	assert_int_equal(c.rc, 0);
	assert_int_equal(p.runs, 1);
	assert_string_equal(p.config, "a.json");
	assert_string_equal(p.cmd, "signer add");
	assert_string_equal(p.argv0, "add");
	assert_int_equal(p.argc, 3);
}

static void test_cli_verbose_quiet_json_mean_the_same(void **state)
{
	(void)state;
	static const struct { const char *a, *b; int verbosity; bool json; enum log_level level; } cases[] = {
		{ "install", NULL, 0, false, LOG_LEVEL_WARN },
		{ "-v", "install", 1, false, LOG_LEVEL_INFO },
		{ "-vv", "install", 2, false, LOG_LEVEL_DEBUG },
		{ "--verbose", "install", 1, false, LOG_LEVEL_INFO },
		{ "-q", "install", -1, false, LOG_LEVEL_ERROR },
		{ "--quiet", "install", -1, false, LOG_LEVEL_ERROR },
		{ "--json", "install", 0, true, LOG_LEVEL_WARN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe p = { 0 };
		struct captured c;
		run_cli(&probe_program, &p, &c,
			(const char *[]){ "ferry-probe", cases[i].a, cases[i].b, cases[i].b ? "M" : NULL, NULL });
		assert_int_equal(c.rc, 0);
		assert_int_equal(p.g.verbosity, cases[i].verbosity);
		assert_int_equal(p.g.json, cases[i].json);
		assert_int_equal(log_get_level(), cases[i].level);
	}
	struct cli_globals g = { 0 };
	cli_quiet(&g);
	cli_verbose(&g);
	assert_int_equal(g.verbosity, 1);
	assert_int_equal(log_get_level(), LOG_LEVEL_INFO);
}

static void test_cli_usage_errors_are_one_line_and_exit_2(void **state)
{
	(void)state;
	struct probe p = { 0 };
	struct captured c;
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "frobnicate", NULL });
	assert_usage_error(&c, "unknown command 'frobnicate'");
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "--frob", "install", NULL });
	assert_usage_error(&c, "unknown option '--frob'");
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "-x", "install", NULL });
	assert_usage_error(&c, "unknown option '-x'");
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "install", "-c", NULL });
	assert_int_equal(p.runs, 1);   /* after the name, options are the command's */
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "-c", NULL });
	assert_usage_error(&c, "needs an argument");
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", NULL });
	assert_usage_error(&c, "missing command");
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "signer", "frob", NULL });
	assert_usage_error(&c, "signer: unknown or missing subcommand frob");
	assert_int_equal(p.runs, 1);
}

static void test_cli_help_and_version_run_nothing(void **state)
{
	(void)state;
	struct probe p = { 0 };
	struct captured c;
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "--help", NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "usage: ferry-probe -c FILE"));
	assert_non_null(strstr(c.out, "  2  usage or configuration error"));
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "--version", NULL });
	assert_int_equal(c.rc, 0);
	assert_string_equal(c.out, "ferry-probe " FERRY_VERSION "\n");
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "install", "M", "-h", NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "usage: ferry-probe -c FILE install MEDIA_DIR\n"));
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "signer", "--help", NULL });
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "signer add NAME"));
	assert_non_null(strstr(c.out, "signer revoke FPR"));
	/* "--" ends the options: what follows is an argument, not a request for help */
	run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "install", "--", "--help", NULL });
	assert_int_equal(p.runs, 1);
	assert_int_equal(c.rc, 0);
}

static void test_cli_exit_code_comes_from_the_error_code(void **state)
{
	(void)state;
	static const struct { int rc; enum ferry_code code; int exit; } cases[] = {
		{ 1, FERRY_E_SIGNATURE, 1 }, { 1, FERRY_E_CONFIG, 2 }, { 2, FERRY_E_NONE, 2 },
		{ 1, FERRY_E_NONE, 1 },      { 2, FERRY_E_IO, 2 },     { 1, FERRY_E_USAGE, 2 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe p = { .rc = cases[i].rc, .code = cases[i].code };
		struct captured c;
		run_cli(&probe_program, &p, &c, (const char *[]){ "ferry-probe", "install", "M", NULL });
		assert_int_equal(c.rc, cases[i].exit);
		assert_string_equal(c.err, "ferry-probe: probe failed\n");
	}
	struct ferry_error *err = NULL;
	assert_int_equal(cli_exit_code(0, &err), 0);
	assert_int_equal(cli_exit_code(1, &err), 1);   /* a verdict the command printed itself */
	ferry_error_set(&err, "bad usage");
	assert_int_equal(cli_exit_code(2, &err), 2);
	assert_int_equal(ferry_error_code(err), FERRY_E_USAGE);
	ferry_error_free(err);
}

/* Every command of every program: COMMAND --help prints its usage and exits
 * 0 without reading agent.json, a key home or a database. */
static void help_for_every_command(const struct cli_program *p, void *ctx)
{
	for (size_t i = 0; i < p->n_commands; i++) {
		const struct cli_command *cmd = cli_command_at(p, i);
		char name[64], *word2 = NULL, expect[256];
		snprintf(name, sizeof(name), "%s", cmd->name);
		if ((word2 = strchr(name, ' ')))
			*word2++ = '\0';
		struct captured c;
		run_cli(p, ctx, &c, (const char *[]){ p->name, name, word2 ? word2 : "--help",
						       word2 ? "--help" : NULL, NULL });
		snprintf(expect, sizeof(expect), "%s %s%s", p->synopsis, cmd->name, *cmd->args ? " " : "\n");
		if (c.rc != 0 || !strstr(c.out, expect))
			fail_msg("%s %s --help: exit %d, out '%s', err '%s'", p->name, cmd->name, c.rc, c.out, c.err);
		assert_non_null(strstr(c.out, cmd->summary));
	}
}

static void test_cli_help_of_every_command_needs_no_config(void **state)
{
	(void)state;
	struct agent_ctx agent = { 0 };
	struct pack_opts pack = { 0 };
	struct keys_ctx keys = { 0 };
	struct audit_cli audit = { .db_path = "/nonexistent/ferry-audit.db" };
	help_for_every_command(&agent_program, &agent);
	help_for_every_command(&pack_program, &pack);
	help_for_every_command(&keys_program, &keys);
	help_for_every_command(&audit_program, &audit);
	assert_null(agent.config_path);
	assert_null(agent.config);
	assert_null(keys.dir);     /* keys' run hook never ran */
	assert_int_equal(agent_program.n_commands, 10);   /* with doctor */
	assert_int_equal(keys_program.n_commands, 18);   /* + technician (3), order create, order-rule (3) */
}

static void test_cli_agent_commands_need_config_but_not_for_help(void **state)
{
	(void)state;
	struct agent_ctx agent = { 0 };
	struct captured c;
	run_cli(&agent_program, &agent, &c, (const char *[]){ "ferry-agent", "export", "/tmp", NULL });
	assert_usage_error(&c, "-c/--config agent.json is required");
	run_cli(&agent_program, &agent, &c, (const char *[]){ "ferry-agent", "-c", "/nonexistent/agent.json", "status", NULL });
	assert_int_equal(c.rc, 2);   /* an unreadable agent.json is a configuration error */
	assert_null(agent.config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_finds_one_and_two_word_commands),
		cmocka_unit_test(test_cli_runs_command_with_its_own_argv),
		cmocka_unit_test(test_cli_verbose_quiet_json_mean_the_same),
		cmocka_unit_test(test_cli_usage_errors_are_one_line_and_exit_2),
		cmocka_unit_test(test_cli_help_and_version_run_nothing),
		cmocka_unit_test(test_cli_exit_code_comes_from_the_error_code),
		cmocka_unit_test(test_cli_help_of_every_command_needs_no_config),
		cmocka_unit_test(test_cli_agent_commands_need_config_but_not_for_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
