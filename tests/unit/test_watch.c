/* Tests for agent/watch.c and agent/notify.c: rule matching, the allow-list,
 * what one stick goes through when it is refused or cannot be mounted, and
 * the notify hook's environment and timeout. Mounting real sticks on loop
 * devices is tests/integration/media.sh. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/notify.h"
#include "agent/watch.h"
#include "common/safefile.h"

struct props {
	const char *const *kv;   /* key, value, key, value, …, NULL */
};

static const char *get_prop(void *ctx, const char *key)
{
	const struct props *p = ctx;
	for (size_t i = 0; p->kv[i]; i += 2)
		if (strcmp(p->kv[i], key) == 0)
			return p->kv[i + 1];
	return NULL;
}

static void test_watch_rules_match_every_property(void **state)
{
	(void)state;
	const char *const usb_stick[] = { "ID_BUS", "usb", "ID_FS_TYPE", "vfat", "DEVNAME", "/dev/sdb1", NULL };
	const char *const loop_stick[] = { "DEVNAME", "/dev/loop3p1", "ID_FS_TYPE", "ext4", "ID_FS_LABEL",
					   "FT1234", NULL };
	const char *const no_fs[] = { "ID_BUS", "usb", "DEVNAME", "/dev/sdb", NULL };
	struct props usb = { usb_stick }, loop = { loop_stick }, disk = { no_fs };
	const struct watch_rule by_bus[] = { { "ID_BUS", "usb" } };
	const struct watch_rule by_loop[] = { { "DEVNAME", "/dev/loop*" }, { "ID_FS_LABEL", "FT*" } };
	const struct watch_rule by_fs[] = { { "ID_FS_TYPE", "vfat|exfat" } };

	assert_true(watch_rules_match(by_bus, 1, get_prop, &usb));
	assert_false(watch_rules_match(by_bus, 1, get_prop, &loop));   /* property missing */
	assert_true(watch_rules_match(by_loop, 2, get_prop, &loop));
	assert_false(watch_rules_match(by_loop, 2, get_prop, &usb));
	assert_true(watch_rules_match(by_fs, 1, get_prop, &usb));
	assert_false(watch_rules_match(by_fs, 1, get_prop, &loop));    /* ext4 is not an alternative */
	/* a device without a filesystem (the whole disk of a partitioned stick) never matches */
	assert_false(watch_rules_match(by_bus, 1, get_prop, &disk));
	assert_false(watch_rules_match(NULL, 0, get_prop, &disk));
}

static void test_watch_allow_list_globs(void **state)
{
	(void)state;
	struct media_identity id = { .vendor = "0781", .product = "5581", .serial = "4C5300012308" };
	const struct watch_allow sandisk[] = { { "0781", "*", "*" } };
	const struct watch_allow upper[] = { { "0781", "558?", "4C53*" } };
	const struct watch_allow other[] = { { "090c", NULL, NULL }, { "0781", "5581", "other" } };
	const struct watch_allow serial_case[] = { { NULL, NULL, "4c53*" } };
	assert_true(watch_allowed(NULL, 0, &id));        /* no list: any stick */
	assert_true(watch_allowed(sandisk, 1, &id));
	assert_true(watch_allowed(upper, 1, &id));
	assert_false(watch_allowed(other, 2, &id));
	assert_false(watch_allowed(serial_case, 1, &id)); /* serials compare exactly */
	struct media_identity unknown = { 0 };
	assert_false(watch_allowed(sandisk, 1, &unknown));
}

struct calls {
	int process, exported, refused;
	char reason[400];
};

static enum notify_result count_process(const char *mount_dir, const struct media_identity *id, void *ctx,
					char **summary, struct ferry_error **err)
{
	(void)mount_dir;
	(void)id;
	(void)summary;
	(void)err;
	((struct calls *)ctx)->process++;
	return NOTIFY_SUCCESS;
}

static void count_refused(const struct media_identity *id, const char *reason, void *ctx)
{
	(void)id;
	struct calls *c = ctx;
	c->refused++;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
}

/* A hook that writes its environment to <dir>/hook.env. */
static char *write_hook(const char *dir, const char *body)
{
	char *script = NULL;
	assert_true(asprintf(&script, "#!/bin/sh\n%s\n", body) > 0);
	char *path = test_write_file(dir, "hook.sh", script, strlen(script));
	assert_int_equal(chmod(path, 0755), 0);
	free(script);
	return path;
}

static char *read_env(const char *dir)
{
	char *path = NULL, *data = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/hook.env", dir) > 0);
	assert_ok(read_file_limited(path, 65536, &data, &len, &err), err);
	free(path);
	return data;
}

static void test_watch_refused_stick_is_audited_and_not_mounted(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *body = NULL, *mnt = NULL;
	assert_true(asprintf(&body, "env | grep '^FERRY_' > '%s/hook.env'", dir) > 0);
	assert_true(asprintf(&mnt, "%s/mnt", dir) > 0);
	char *hook = write_hook(dir, body);
	struct calls calls = { 0 };
	const struct watch_allow allow[] = { { "0781", "*", "*" } };
	struct watch_config cfg = { .allow = allow, .n_allow = 1, .mount_dir = mnt, .notify = hook,
				    .stop_fd = -1, .process = count_process, .refused = count_refused, .ctx = &calls };
	struct media_identity id = { .vendor = "090c", .product = "1000", .serial = "AA11", .label = "FIELD",
				     .devnode = "/dev/ferry-test-none", .fs_type = "vfat" };
	assert_int_equal(watch_handle_stick(&cfg, &id), NOTIFY_REFUSED);
	assert_int_equal(calls.refused, 1);
	assert_int_equal(calls.process, 0);
	assert_non_null(strstr(calls.reason, "not on the allow-list (vendor 090c, product 1000, serial AA11)"));
	assert_int_equal(access(mnt, F_OK), -1);   /* nothing was mounted, not even the directory made */
	char *env = read_env(dir);
	assert_non_null(strstr(env, "FERRY_RESULT=refused\n"));
	assert_non_null(strstr(env, "FERRY_SERIAL=AA11\n"));
	assert_non_null(strstr(env, "FERRY_LABEL=FIELD\n"));
	assert_non_null(strstr(env, "FERRY_DEVICE=/dev/ferry-test-none\n"));
	assert_non_null(strstr(env, "FERRY_MAY_PULL=1\n"));
	free(env);
	free(hook);
	free(body);
	free(mnt);
	test_tmpdir_remove(dir);
}

static void test_watch_unmountable_stick_fails_without_processing(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *body = NULL, *mnt = NULL;
	assert_true(asprintf(&body, "env | grep '^FERRY_' > '%s/hook.env'", dir) > 0);
	assert_true(asprintf(&mnt, "%s/mnt", dir) > 0);
	char *hook = write_hook(dir, body);
	struct calls calls = { 0 };
	struct watch_config cfg = { .mount_dir = mnt, .notify = hook, .stop_fd = -1, .process = count_process,
				    .ctx = &calls };
	struct media_identity id = { .devnode = "/dev/ferry-test-none", .fs_type = "ext4" };
	assert_int_equal(watch_handle_stick(&cfg, &id), NOTIFY_FAILURE);
	assert_int_equal(calls.process, 0);
	char *env = read_env(dir);
	assert_non_null(strstr(env, "FERRY_RESULT=failure\n"));
	assert_non_null(strstr(env, "FERRY_MESSAGE=mount /dev/ferry-test-none"));
	/* the per-device directory is gone again */
	char *sub = NULL;
	assert_true(asprintf(&sub, "%s/ferry-test-none", mnt) > 0);
	assert_int_equal(access(sub, F_OK), -1);
	free(sub);
	free(env);
	free(hook);
	free(body);
	free(mnt);
	test_tmpdir_remove(dir);
}

static void test_watch_refuses_mount_dir_others_can_write(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *mnt = NULL;
	assert_true(asprintf(&mnt, "%s/mnt", dir) > 0);
	assert_int_equal(mkdir(mnt, 0777), 0);
	assert_int_equal(chmod(mnt, 0777), 0);
	struct calls calls = { 0 };
	struct watch_config cfg = { .mount_dir = mnt, .stop_fd = -1, .process = count_process, .ctx = &calls };
	struct media_identity id = { .devnode = "/dev/ferry-test-none", .fs_type = "ext4" };
	assert_int_equal(watch_handle_stick(&cfg, &id), NOTIFY_FAILURE);
	assert_int_equal(calls.process, 0);
	char *sub = NULL;
	assert_true(asprintf(&sub, "%s/ferry-test-none", mnt) > 0);
	assert_int_equal(access(sub, F_OK), -1);   /* nothing created in it */
	free(sub);
	free(mnt);
	test_tmpdir_remove(dir);
}

static void test_notify_line_names_stick_and_says_pull(void **state)
{
	(void)state;
	struct media_identity id = { .devnode = "/dev/sdb1", .manufacturer = "SanDisk", .model = "Ultra",
				     .serial = "4C53", .label = "FIELD" };
	struct notify_event ev = { .result = NOTIFY_SUCCESS, .message = "installed gateway-os 2.4.1", .id = &id,
				   .may_pull = true };
	char *line = notify_line(&ev);
	assert_string_equal(line, "ferry: /dev/sdb1 [SanDisk Ultra, serial 4C53, label FIELD]: success: "
				  "installed gateway-os 2.4.1; you may pull the stick now");
	free(line);
	struct media_identity bare = { .devnode = "/dev/sdc" };
	ev.id = &bare;
	ev.result = NOTIFY_FAILURE;
	ev.may_pull = false;
	line = notify_line(&ev);
	assert_string_equal(line, "ferry: /dev/sdc: failure: installed gateway-os 2.4.1; do NOT pull the stick yet");
	free(line);
}

static void test_notify_hanging_hook_is_killed(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *hook = write_hook(dir, "exec sleep 30");
	struct notify_event ev = { .result = NOTIFY_NOTHING, .message = "m" };
	struct ferry_error *err = NULL;
	time_t start = time(NULL);
	assert_false(notify_send(hook, &ev, 1, &err));
	assert_true(time(NULL) - start < 5);
	assert_error_code(err, FERRY_E_HANDLER);
	ferry_error_free(err);
	free(hook);
	test_tmpdir_remove(dir);
}

static void test_notify_failing_hook_is_reported(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *hook = write_hook(dir, "exit 3");
	struct notify_event ev = { .result = NOTIFY_SUCCESS, .message = "m" };
	struct ferry_error *err = NULL;
	assert_false(notify_send(hook, &ev, 5, &err));
	assert_error_code(err, FERRY_E_HANDLER);
	ferry_error_clear(&err);
	assert_false(notify_send("/nonexistent/ferry-hook", &ev, 5, &err));
	assert_error_contains(err, "cannot execute /nonexistent/ferry-hook");
	ferry_error_free(err);
	free(hook);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_rules_match_every_property),
		cmocka_unit_test(test_watch_allow_list_globs),
		cmocka_unit_test(test_watch_refused_stick_is_audited_and_not_mounted),
		cmocka_unit_test(test_watch_unmountable_stick_fails_without_processing),
		cmocka_unit_test(test_watch_refuses_mount_dir_others_can_write),
		cmocka_unit_test(test_notify_line_names_stick_and_says_pull),
		cmocka_unit_test(test_notify_hanging_hook_is_killed),
		cmocka_unit_test(test_notify_failing_hook_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
