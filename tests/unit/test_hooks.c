/* Tests for agent/hooks.c: bundle hooks and device-local hook directories. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/hooks.h"
#include "common/safefile.h"

struct fixture {
	char *dir, *hooks_dir, *work;
	struct handler_context ctx;
	char *log;
};

static struct fixture *setup(void)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = test_tmpdir();
	assert_true(asprintf(&f->hooks_dir, "%s/hooks.d", f->dir) > 0);
	assert_true(asprintf(&f->work, "%s/state/work/hooks", f->dir) > 0);
	f->ctx = (struct handler_context){
		.bundle = "gateway-os", .version = "2.4.0", .variant = "gw-x", .device_id = "gw-0001",
		.device_type = "gw-x", .agent_state = "installing", .work_dir = f->work,
		.timeout_sec = 10,
	};
	return f;
}

static void teardown(struct fixture *f)
{
	free(f->log);
	free(f->hooks_dir);
	free(f->work);
	test_tmpdir_remove(f->dir);
	free(f);
}

static void local_hook(struct fixture *f, const char *rel, const char *text, mode_t mode)
{
	char *path = NULL;
	assert_true(asprintf(&path, "hooks.d/%s", rel) > 0);
	char *full = test_write_file(f->dir, path, text, strlen(text));
	assert_int_equal(chmod(full, mode), 0);
	free(full);
	free(path);
}

static char *trace(struct fixture *f)
{
	char *path = NULL, *data = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/trace", f->dir) > 0);
	if (!read_file_limited(path, 4096, &data, &len, &err)) {
		ferry_error_clear(&err);
		data = strdup("");
	}
	free(path);
	return data;
}

#define TRACE(name) "#!/bin/sh\necho \"" name " $FERRY_HOOK $FERRY_BUNDLE\" >> \"$FERRY_WORK_DIR/../../../trace\"\n"

static void test_hooks_bundle_hook_then_local_hooks_in_order(void **state)
{
	(void)state;
	struct fixture *f = setup();
	local_hook(f, "post_install.d/20-second", TRACE("local-20"), 0755);
	local_hook(f, "post_install.d/10-first", TRACE("local-10"), 0755);
	local_hook(f, "post_install.d/15-not-executable", TRACE("never"), 0644);
	local_hook(f, "post_install.d/.hidden", TRACE("never"), 0755);
	local_hook(f, "post_install.d/30-backup~", TRACE("never"), 0755);
	local_hook(f, "pre_install.d/10-other-kind", TRACE("never"), 0755);
	const char *bundle = TRACE("bundle");
	int ran = 0;
	struct ferry_error *err = NULL;
	assert_ok(hooks_run(&f->ctx, f->hooks_dir, HOOK_POST_INSTALL, bundle, strlen(bundle), &f->log,
			    &ran, &err), err);
	assert_int_equal(ran, 3);
	char *t = trace(f);
	assert_string_equal(t, "bundle post_install gateway-os\nlocal-10 post_install gateway-os\n"
			       "local-20 post_install gateway-os\n");
	free(t);
	teardown(f);
}

static void test_hooks_failure_stops_and_is_reported(void **state)
{
	(void)state;
	struct fixture *f = setup();
	local_hook(f, "pre_install.d/10-veto", "#!/bin/sh\necho 'battery too low' >&2\nexit 4\n", 0755);
	local_hook(f, "pre_install.d/20-after", TRACE("after"), 0755);
	int ran = 0;
	struct ferry_error *err = NULL;
	assert_false(hooks_run(&f->ctx, f->hooks_dir, HOOK_PRE_INSTALL, NULL, 0, &f->log, &ran, &err));
	assert_error_contains(err, "pre_install hook");
	assert_error_code(err, FERRY_E_HANDLER);
	assert_error_contains(err, "10-veto");
	ferry_error_clear(&err);
	assert_int_equal(ran, 1);
	assert_non_null(strstr(f->log, "battery too low"));
	char *t = trace(f);
	assert_string_equal(t, "");
	free(t);
	teardown(f);
}

/* A loud hook's last stderr line ends its log: both streams in the order
 * written, whatever the reader's timing (trail.sh saw it lost under load). */
static void test_hooks_log_keeps_the_order_of_both_streams(void **state)
{
	(void)state;
	struct fixture *f = setup();
	local_hook(f, "pre_install.d/10-loud",
		   "#!/bin/sh\nhead -c 200000 /dev/zero | tr '\\0' x\necho\n"
		   "echo 'the real reason' >&2\nexit 3\n", 0755);
	int ran = 0;
	struct ferry_error *err = NULL;
	assert_false(hooks_run(&f->ctx, f->hooks_dir, HOOK_PRE_INSTALL, NULL, 0, &f->log, &ran, &err));
	ferry_error_clear(&err);
	const char *end = "the real reason\n";
	size_t n = strlen(f->log), k = strlen(end);
	assert_true(n >= k);
	assert_string_equal(f->log + n - k, end);
	teardown(f);
}

static void test_hooks_failing_bundle_health_check(void **state)
{
	(void)state;
	struct fixture *f = setup();
	const char *bundle = "echo unhealthy; exit 1\n";
	struct ferry_error *err = NULL;
	assert_false(hooks_run(&f->ctx, NULL, HOOK_HEALTH_CHECK, bundle, strlen(bundle), &f->log, NULL,
			       &err));
	assert_error_code(err, FERRY_E_HANDLER);
	assert_error_contains(err, "bundle health_check hook");
	ferry_error_clear(&err);
	assert_non_null(strstr(f->log, "unhealthy"));
	teardown(f);
}

static void test_hooks_none_is_success(void **state)
{
	(void)state;
	struct fixture *f = setup();
	int ran = -1;
	struct ferry_error *err = NULL;
	assert_ok(hooks_run(&f->ctx, f->hooks_dir, HOOK_HEALTH_CHECK, NULL, 0, &f->log, &ran, &err), err);
	assert_int_equal(ran, 0);
	assert_null(f->log);
	teardown(f);
}

static void test_hooks_timeout(void **state)
{
	(void)state;
	struct fixture *f = setup();
	f->ctx.timeout_sec = 1;
	local_hook(f, "health_check.d/10-hang", "#!/bin/sh\nsleep 30\n", 0755);
	struct ferry_error *err = NULL;
	assert_false(hooks_run(&f->ctx, f->hooks_dir, HOOK_HEALTH_CHECK, NULL, 0, &f->log, NULL, &err));
	assert_error_code(err, FERRY_E_HANDLER);
	ferry_error_clear(&err);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_bundle_hook_then_local_hooks_in_order),
		cmocka_unit_test(test_hooks_failure_stops_and_is_reported),
		cmocka_unit_test(test_hooks_log_keeps_the_order_of_both_streams),
		cmocka_unit_test(test_hooks_failing_bundle_health_check),
		cmocka_unit_test(test_hooks_none_is_success),
		cmocka_unit_test(test_hooks_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
