/* Tests for agent/handler_script.c and agent/proc.c: real /bin/sh processes. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/handler.h"
#include "agent/proc.h"
#include "common/safefile.h"
#include "source_fixture.h"

struct fixture {
	char *dir, *work;
	const char *script;
	struct payload p;
	struct handler_context ctx;
	struct handler_result res;
	struct mem_source ms;
};

static struct fixture *setup(const char *script)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = test_tmpdir();
	assert_true(asprintf(&f->work, "%s/state/work/migrate.sh", f->dir) > 0);
	f->script = script;
	f->p.name = "migrate.sh";
	f->p.handler = "script";
	f->p.size = strlen(script);
	f->ctx = (struct handler_context){
		.bundle = "gateway-os", .version = "2.4.0", .variant = "gw-x",
		.device_id = "gw-0001", .device_type = "gw-x", .agent_state = "installing",
		.work_dir = f->work, .timeout_sec = 10,
	};
	mem_source_init(&f->ms, script, strlen(script), "payloads/gw-x/migrate.sh");
	return f;
}

static void teardown(struct fixture *f)
{
	handler_result_free(&f->res);
	free(f->work);
	test_tmpdir_remove(f->dir);
	free(f);
}

static void test_handler_script_runs_with_update_environment(void **state)
{
	(void)state;
	struct fixture *f = setup("echo \"bundle=$FERRY_BUNDLE version=$FERRY_VERSION variant=$FERRY_VARIANT\"\n"
				  "echo \"payload=$FERRY_PAYLOAD device=$FERRY_DEVICE_ID/$FERRY_DEVICE_TYPE\"\n"
				  "echo \"state=$FERRY_STATE cwd=$(pwd) home=${HOME:-unset}\"\n"
				  "echo to-stderr >&2\n");
	struct ferry_error *err = NULL;
	assert_ptr_equal(handler_find("script"), &handler_script);
	assert_ok(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_non_null(f->res.log);
	assert_non_null(strstr(f->res.log, "bundle=gateway-os version=2.4.0 variant=gw-x"));
	assert_non_null(strstr(f->res.log, "payload=migrate.sh device=gw-0001/gw-x"));
	assert_non_null(strstr(f->res.log, "state=installing"));
	assert_non_null(strstr(f->res.log, "home=unset"));   /* a clean environment */
	assert_non_null(strstr(f->res.log, f->work));
	assert_non_null(strstr(f->res.log, "to-stderr"));
	assert_false(f->res.supports_rollback);
	/* The script file does not stay behind. */
	char *file = NULL;
	assert_true(asprintf(&file, "%s/script-migrate.sh", f->work) > 0);
	assert_int_equal(access(file, F_OK), -1);
	free(file);
	/* Nothing to activate or undo; commit clears the work dir. */
	assert_ok(handler_script.activate(&f->ctx, &f->p, &f->res, &err), err);
	assert_ok(handler_script.rollback(&f->ctx, &f->p, &f->res, &err), err);
	assert_false(f->res.supports_rollback);
	assert_ok(handler_script.commit(&f->ctx, &f->p, &f->res, &err), err);
	assert_int_equal(access(f->work, F_OK), -1);
	assert_ok(handler_script.commit(&f->ctx, &f->p, &f->res, &err), err);
	teardown(f);
}

static void test_handler_script_gets_none_of_the_agents_files(void **state)
{
	(void)state;
	struct fixture *f = setup("if [ -e /proc/$$/fd/77 ]; then echo LEAKED; else echo clean; fi\n");
	int fd = open("/dev/null", O_RDONLY);   /* an agent file without O_CLOEXEC */
	assert_int_equal(dup2(fd, 77), 77);
	struct ferry_error *err = NULL;
	assert_ok(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_non_null(strstr(f->res.log, "clean"));
	close(77);
	close(fd);
	teardown(f);
}

static void test_handler_script_failure_names_exit_code(void **state)
{
	(void)state;
	struct fixture *f = setup("echo about to fail\nexit 7\n");
	struct ferry_error *err = NULL;
	assert_false(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_code(err, FERRY_E_HANDLER);
	assert_error_contains(err, "payload migrate.sh: script");
	ferry_error_clear(&err);
	assert_non_null(strstr(f->res.log, "about to fail"));
	teardown(f);
}

static void test_handler_script_signal_is_reported(void **state)
{
	(void)state;
	struct fixture *f = setup("kill -SEGV $$\n");
	struct ferry_error *err = NULL;
	assert_false(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "killed by signal 11");
	ferry_error_clear(&err);
	teardown(f);
}

static void test_handler_script_timeout_kills_process_group(void **state)
{
	(void)state;
	/* A child in the background must die with the script. */
	struct fixture *f = setup("sleep 30 &\necho $! > \"$FERRY_WORK_DIR/child.pid\"\nsleep 30\n");
	f->ctx.timeout_sec = 1;
	struct ferry_error *err = NULL;
	double t0 = handler_clock();
	assert_false(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_true(handler_clock() - t0 < 10);
	assert_error_code(err, FERRY_E_HANDLER);
	ferry_error_clear(&err);
	char *pidfile = NULL, *data = NULL;
	size_t len = 0;
	assert_true(asprintf(&pidfile, "%s/child.pid", f->work) > 0);
	assert_ok(read_file_limited(pidfile, 64, &data, &len, &err), err);
	pid_t child = (pid_t)atoi(data);
	assert_true(child > 0);
	/* Gone, or a zombie waiting for its reaper: not running. */
	char *stat_path = NULL, *stat = NULL;
	assert_true(asprintf(&stat_path, "/proc/%d/stat", (int)child) > 0);
	for (int i = 0; i < 50; i++) {
		free(stat);
		stat = NULL;
		if (!read_file_limited(stat_path, 4096, &stat, &len, &err)) {
			ferry_error_clear(&err);
			break;
		}
		char *st = strrchr(stat, ')');
		if (st && (st[2] == 'Z' || st[2] == 'X'))
			break;
		usleep(100000);
		if (i == 49)
			fail_msg("background child %d still running: %s", (int)child, stat);
	}
	free(stat);
	free(stat_path);
	free(pidfile);
	free(data);
	teardown(f);
}

static void test_handler_script_not_run_when_source_fails_at_end(void **state)
{
	(void)state;
	struct fixture *f = setup("touch \"$FERRY_WORK_DIR/ran\"\n");
	f->ms.fail_at_end = true;
	struct ferry_error *err = NULL;
	assert_false(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "sha256 mismatch");
	ferry_error_clear(&err);
	char *ran = NULL;
	assert_true(asprintf(&ran, "%s/ran", f->work) > 0);
	assert_int_equal(access(ran, F_OK), -1);
	free(ran);
	teardown(f);
}

static void test_handler_script_refuses_oversized_script(void **state)
{
	(void)state;
	struct fixture *f = setup("true\n");
	f->p.size = HANDLER_SCRIPT_MAX_BYTES + 1;
	struct ferry_error *err = NULL;
	assert_false(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "exceeds the limit");
	ferry_error_clear(&err);
	assert_int_equal(f->ms.pos, 0);
	/* A stream longer than the manifest said is cut off as well. */
	size_t big = HANDLER_SCRIPT_MAX_BYTES + 100;
	char *data = malloc(big);
	memset(data, '#', big);
	mem_source_init(&f->ms, data, big, "big.sh");
	f->p.size = 10;
	assert_false(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "big.sh: larger than the limit");
	ferry_error_clear(&err);
	free(data);
	teardown(f);
}

static void test_handler_script_log_keeps_last_64k(void **state)
{
	(void)state;
	struct fixture *f = setup("i=0; while [ $i -lt 3000 ]; do echo \"line $i 0123456789012345678901234567890123456789012345678901234567890123456789\"; i=$((i+1)); done; echo THE-END\n");
	struct ferry_error *err = NULL;
	assert_ok(handler_script.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_true(strlen(f->res.log) <= HANDLER_LOG_MAX + 64);
	assert_non_null(strstr(f->res.log, "bytes dropped]"));
	assert_non_null(strstr(f->res.log, "line 2999 "));
	assert_non_null(strstr(f->res.log, "THE-END"));
	assert_null(strstr(f->res.log, "line 1 "));
	teardown(f);
}

static void test_proc_reports_missing_program(void **state)
{
	(void)state;
	const char *argv[] = { "/nonexistent/prog", NULL };
	const char *env[] = { NULL };
	struct proc_spec spec = { argv, env, NULL, 5, "module x" };
	struct ferry_error *err = NULL;
	assert_false(proc_run(&spec, NULL, NULL, &err));
	assert_error_contains(err, "module x: cannot execute /nonexistent/prog");
	ferry_error_clear(&err);
}

static void test_proc_log_ring_keeps_tail(void **state)
{
	(void)state;
	struct proc_log log = { 0 };
	char chunk[1000];
	for (int i = 0; i < 100; i++) {
		memset(chunk, 'a' + i % 26, sizeof chunk);
		proc_log_append(&log, chunk, sizeof chunk);
	}
	char *text = proc_log_text(&log);
	assert_non_null(strstr(text, "[... 34464 bytes dropped]\n"));
	size_t n = strlen(text);
	assert_int_equal(text[n - 1], 'a' + 99 % 26);
	free(text);
	proc_log_free(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_script_runs_with_update_environment),
		cmocka_unit_test(test_handler_script_gets_none_of_the_agents_files),
		cmocka_unit_test(test_handler_script_failure_names_exit_code),
		cmocka_unit_test(test_handler_script_signal_is_reported),
		cmocka_unit_test(test_handler_script_timeout_kills_process_group),
		cmocka_unit_test(test_handler_script_not_run_when_source_fails_at_end),
		cmocka_unit_test(test_handler_script_refuses_oversized_script),
		cmocka_unit_test(test_handler_script_log_keeps_last_64k),
		cmocka_unit_test(test_proc_reports_missing_program),
		cmocka_unit_test(test_proc_log_ring_keeps_tail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
