/* Tests for agent/handler_module.c: the shipped dist/modules/file-copy and a
 * recording module, run as real processes. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/handler.h"
#include "common/safefile.h"
#include "source_fixture.h"

static const char recording_module[] =
	"#!/bin/sh\n"
	"calls=\"$2/../calls\"\n"
	"echo \"$1\" >> \"$calls\"\n"
	"case \"$1\" in\n"
	"Download) [ -f \"$2/files/$FERRY_PAYLOAD\" ] && echo \"files-ok $(cat \"$2/header/artifact_name\")"
	" $(cat \"$2/version\")\" >> \"$calls\" ;;\n"
	"ArtifactInstall) echo installing; [ -e \"$2/../fail-install\" ] && { echo broken >&2; exit 3; }\n"
	"  [ -e \"$2/../slow\" ] && sleep 30 ;;\n"
	"NeedsArtifactReboot) if [ -e \"$2/../reboot\" ]; then echo Yes; else echo No; fi ;;\n"
	"SupportsRollback) if [ -e \"$2/../garbage\" ]; then echo Maybe; else echo Yes; fi ;;\n"
	"esac\n"
	"exit 0\n";

struct fixture {
	char *dir, *modules, *work, *data_dir;
	const char *payload;
	struct payload p;
	struct handler_context ctx;
	struct handler_result res;
	struct mem_source ms;
};

static void install_module(struct fixture *f, const char *name, const char *text)
{
	char *rel = NULL;
	assert_true(asprintf(&rel, "modules/%s", name) > 0);
	char *path = test_write_file(f->dir, rel, text, strlen(text));
	assert_int_equal(chmod(path, 0755), 0);
	free(path);
	free(rel);
}

static struct fixture *setup(const char *module)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = test_tmpdir();
	assert_true(asprintf(&f->modules, "%s/modules", f->dir) > 0);
	assert_true(asprintf(&f->work, "%s/state/work/greeting.txt", f->dir) > 0);
	assert_true(asprintf(&f->data_dir, "%s/data", f->dir) > 0);
	/* The example module as shipped, configured to write into data/. */
	char *shipped = NULL, *text = NULL, *conf = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&shipped, "%s/dist/modules/file-copy", getenv("FERRY_ROOT") ? getenv("FERRY_ROOT") : "..") > 0);
	assert_ok(read_file_limited(shipped, 65536, &text, &len, &err), err);
	install_module(f, "file-copy", text);
	assert_true(asprintf(&conf, "dest=%s\n", f->data_dir) > 0);
	free(test_write_file(f->dir, "modules/file-copy.conf", conf, strlen(conf)));
	install_module(f, "rec", recording_module);
	free(shipped);
	free(text);
	free(conf);
	f->payload = "hello v2\n";
	f->p.name = "greeting.txt";
	f->p.handler = "module";
	f->p.target = (char *)module;
	f->p.size = strlen(f->payload);
	f->ctx = (struct handler_context){
		.bundle = "app-data", .version = "1.2.0", .variant = "gw-x", .device_id = "gw-0001",
		.device_type = "gw-x", .agent_state = "installing", .modules_dir = f->modules,
		.work_dir = f->work, .timeout_sec = 10,
	};
	mem_source_init(&f->ms, f->payload, strlen(f->payload), "payloads/gw-x/greeting.txt");
	return f;
}

static void teardown(struct fixture *f)
{
	handler_result_free(&f->res);
	free(f->modules);
	free(f->work);
	free(f->data_dir);
	test_tmpdir_remove(f->dir);
	free(f);
}

static char *slurp(const struct fixture *f, const char *rel)
{
	char *path = NULL, *data = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/%s", f->dir, rel) > 0);
	if (!read_file_limited(path, 65536, &data, &len, &err)) {
		ferry_error_clear(&err);
		data = NULL;
	}
	free(path);
	return data;
}

static void assert_file(const struct fixture *f, const char *rel, const char *want)
{
	char *data = slurp(f, rel);
	if (!want) {
		if (data)
			fail_msg("%s should not exist, holds '%s'", rel, data);
		return;
	}
	if (!data)
		fail_msg("%s is missing", rel);
	assert_string_equal(data, want);
	free(data);
}

static void test_handler_module_file_copy_installs_and_commits(void **state)
{
	(void)state;
	struct fixture *f = setup("file-copy");
	struct ferry_error *err = NULL;
	assert_ptr_equal(handler_find("module"), &handler_module);
	assert_ok(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_file(f, "data/greeting.txt", "hello v2\n");
	assert_true(f->res.supports_rollback);
	assert_false(f->res.needs_reboot);
	assert_int_equal(f->res.bytes, strlen(f->payload));
	assert_ok(handler_module.activate(&f->ctx, &f->p, &f->res, &err), err);
	assert_ok(handler_module.commit(&f->ctx, &f->p, &f->res, &err), err);
	assert_int_equal(access(f->work, F_OK), -1);   /* transaction finished */
	assert_ok(handler_module.commit(&f->ctx, &f->p, &f->res, &err), err);   /* repeated */
	assert_file(f, "data/greeting.txt", "hello v2\n");
	teardown(f);
}

static void test_handler_module_file_copy_rolls_back(void **state)
{
	(void)state;
	struct fixture *f = setup("file-copy");
	struct ferry_error *err = NULL;
	free(test_write_file(f->dir, "data/greeting.txt", "v1\n", 3));
	assert_ok(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_file(f, "data/greeting.txt", "hello v2\n");
	assert_ok(handler_module.rollback(&f->ctx, &f->p, &f->res, &err), err);
	assert_file(f, "data/greeting.txt", "v1\n");
	assert_int_equal(access(f->work, F_OK), -1);
	teardown(f);
}

static void test_handler_module_file_copy_abort_removes_new_file(void **state)
{
	(void)state;
	struct fixture *f = setup("file-copy");
	struct ferry_error *err = NULL;
	assert_ok(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_ok(handler_module.abort(&f->ctx, &f->p, &f->res, &err), err);
	assert_file(f, "data/greeting.txt", NULL);
	assert_ok(handler_module.abort(&f->ctx, &f->p, &f->res, &err), err);   /* idempotent */
	teardown(f);
}

static void test_handler_module_runs_states_in_order(void **state)
{
	(void)state;
	struct fixture *f = setup("rec");
	struct ferry_error *err = NULL;
	free(test_write_file(f->dir, "state/work/reboot", "", 0));
	assert_ok(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_true(f->res.needs_reboot);
	assert_ok(handler_module.commit(&f->ctx, &f->p, &f->res, &err), err);
	assert_file(f, "state/work/calls",
		    "Download\nfiles-ok app-data-1.2.0 3\nArtifactInstall\nNeedsArtifactReboot\n"
		    "SupportsRollback\nArtifactCommit\nCleanup\n");
	teardown(f);
}

static void test_handler_module_failed_install_then_abort(void **state)
{
	(void)state;
	struct fixture *f = setup("rec");
	struct ferry_error *err = NULL;
	free(test_write_file(f->dir, "state/work/fail-install", "", 0));
	assert_false(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_code(err, FERRY_E_HANDLER);
	assert_error_contains(err, "payload greeting.txt: module rec ArtifactInstall");
	ferry_error_clear(&err);
	assert_non_null(f->res.log);
	assert_non_null(strstr(f->res.log, "broken"));
	assert_ok(handler_module.abort(&f->ctx, &f->p, &f->res, &err), err);
	assert_file(f, "state/work/calls",
		    "Download\nfiles-ok app-data-1.2.0 3\nArtifactInstall\nSupportsRollback\n"
		    "ArtifactRollback\nArtifactFailure\nCleanup\n");
	teardown(f);
}

static void test_handler_module_not_called_when_source_fails(void **state)
{
	(void)state;
	struct fixture *f = setup("rec");
	f->ms.fail_at_end = true;
	struct ferry_error *err = NULL;
	assert_false(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "sha256 mismatch");
	ferry_error_clear(&err);
	assert_file(f, "state/work/calls", NULL);
	assert_file(f, "state/work/greeting.txt/files/greeting.txt", NULL);
	/* Abort before ArtifactInstall only cleans up. */
	assert_ok(handler_module.abort(&f->ctx, &f->p, &f->res, &err), err);
	assert_file(f, "state/work/calls", "Cleanup\n");
	teardown(f);
}

static void test_handler_module_state_timeout(void **state)
{
	(void)state;
	struct fixture *f = setup("rec");
	f->ctx.timeout_sec = 1;
	struct ferry_error *err = NULL;
	free(test_write_file(f->dir, "state/work/slow", "", 0));
	assert_false(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_code(err, FERRY_E_HANDLER);
	assert_error_contains(err, "module rec ArtifactInstall");
	ferry_error_clear(&err);
	teardown(f);
}

static void test_handler_module_refuses_bad_query_answer(void **state)
{
	(void)state;
	struct fixture *f = setup("rec");
	struct ferry_error *err = NULL;
	free(test_write_file(f->dir, "state/work/garbage", "", 0));
	assert_false(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "module rec SupportsRollback: answered 'Maybe'");
	ferry_error_clear(&err);
	teardown(f);
}

static void test_handler_module_refuses_bad_or_missing_module(void **state)
{
	(void)state;
	const char *bad[] = { "../rec", "a/b", "..", ".", "", "rec\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct fixture *f = setup(bad[i]);
		struct ferry_error *err = NULL;
		assert_false(handler_module_name_valid(bad[i]));
		assert_false(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
		assert_error_contains(err, "is not one plain path component");
		ferry_error_clear(&err);
		teardown(f);
	}
	assert_true(handler_module_name_valid("file-copy"));
	assert_true(handler_module_name_valid("docker_v2.1"));
	struct fixture *f = setup("absent");
	struct ferry_error *err = NULL;
	assert_false(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "module absent is not installed on this device");
	ferry_error_clear(&err);
	teardown(f);
}

/* The Mender v3 header the module reads: JSON as Mender writes it. */
static void test_handler_module_header_is_mender_json(void **state)
{
	(void)state;
	struct fixture *f = setup("rec");
	struct ferry_error *err = NULL;
	assert_ok(handler_module.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_file(f, "state/work/greeting.txt/header/type-info", "{\"type\":\"rec\"}");
	assert_file(f, "state/work/greeting.txt/header/header-info",
		    "{\"payloads\":[{\"type\":\"rec\"}],\"artifact_provides\":{\"artifact_name\":"
		    "\"app-data-1.2.0\"},\"artifact_depends\":{\"device_type\":[\"gw-x\"]}}");
	assert_file(f, "state/work/greeting.txt/header/artifact_name", "app-data-1.2.0");
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_module_file_copy_installs_and_commits),
		cmocka_unit_test(test_handler_module_file_copy_rolls_back),
		cmocka_unit_test(test_handler_module_file_copy_abort_removes_new_file),
		cmocka_unit_test(test_handler_module_runs_states_in_order),
		cmocka_unit_test(test_handler_module_failed_install_then_abort),
		cmocka_unit_test(test_handler_module_not_called_when_source_fails),
		cmocka_unit_test(test_handler_module_state_timeout),
		cmocka_unit_test(test_handler_module_refuses_bad_query_answer),
		cmocka_unit_test(test_handler_module_refuses_bad_or_missing_module),
		cmocka_unit_test(test_handler_module_header_is_mender_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
