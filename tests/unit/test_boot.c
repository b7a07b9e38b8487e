/* Tests for agent/boot*.c: the trial-boot scheme on each backend, the
 * virtual power-on, and interop with the real tools (grub-editenv,
 * fw_printenv/fw_setenv) on environments kept in files. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/boot.h"
#include "common/safefile.h"

static char *path_in(const char *dir, const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static bool have_tool(const char *name)
{
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "command -v %s >/dev/null 2>&1", name) > 0);
	bool ok = system(cmd) == 0;
	free(cmd);
	return ok;
}

/* Runs a shell command; returns its stdout (caller frees) or fails the test. */
static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	char *out = calloc(1, 8192);
	size_t n = fread(out, 1, 8191, f);
	out[n] = '\0';
	int rc = pclose(f);
	if (rc != 0)
		fail_msg("'%s' failed (%d): %s", cmd, rc, out);
	free(cmd);
	return out;
}

static struct boot *open_boot(enum agent_boot_type type, const char *path, const char *config,
			      const char *cmdline, const char *boot_id)
{
	struct boot *b = NULL;
	struct ferry_error *err = NULL;
	struct boot_params p = { .type = type, .path = path, .config = config, .script = path,
				 .cmdline = cmdline, .boot_id_path = boot_id };
	assert_ok(boot_open_params(&p, &b, &err), err);
	return b;
}

static struct boot_status get(struct boot *b)
{
	struct boot_status s;
	struct ferry_error *err = NULL;
	assert_ok(boot_get_status(b, &s, &err), err);
	return s;
}

static char power_on(struct boot *b)
{
	char booted = 0;
	struct ferry_error *err = NULL;
	assert_ok(boot_virtual_power_on(b, &booted, &err), err);
	return booted;
}

static void test_boot_file_trial_commit_and_fallback(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *env = path_in(dir, "bootenv.json");
	struct boot *b = open_boot(AGENT_BOOT_FILE, env, NULL, NULL, NULL);
	struct ferry_error *err = NULL;
	/* A fresh virtual device runs its factory slot a. */
	struct boot_status s = get(b);
	assert_int_equal(s.booted, 'a');
	assert_int_equal(s.order[0], 'a');
	assert_string_equal(s.boot_id, "1");
	assert_false(boot_status_fell_back(&s));
	/* Trial of b: tried once, then a again unless committed. */
	assert_ok(boot_try_once(b, 'b', &err), err);
	s = get(b);
	assert_int_equal(boot_status_next(&s), 'b');
	assert_int_equal(s.left[1], 1);
	assert_int_equal(power_on(b), 'b');
	s = get(b);
	assert_int_equal(s.booted, 'b');
	assert_int_equal(s.left[1], 0);
	assert_false(boot_status_fell_back(&s));
	assert_string_equal(s.boot_id, "2");
	assert_int_equal(power_on(b), 'a');
	s = get(b);
	assert_true(boot_status_fell_back(&s));
	/* Armed again and committed: b stays, boot after boot when marked good. */
	assert_ok(boot_try_once(b, 'b', &err), err);
	assert_int_equal(power_on(b), 'b');
	assert_ok(boot_mark_good(b, 'b', &err), err);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(power_on(b), 'b');
		assert_ok(boot_mark_good(b, 'b', &err), err);
	}
	/* Rollback to a: a is primary, b gets no tries. */
	assert_ok(boot_rollback(b, 'a', &err), err);
	s = get(b);
	assert_int_equal(s.order[0], 'a');
	assert_int_equal(s.left[1], 0);
	assert_int_equal(power_on(b), 'a');
	boot_close(b);
	free(env);
	test_tmpdir_remove(dir);
}

static void test_boot_file_exhausted_counters_start_over(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	const char *text = "{\"BOOT_ORDER\":\"B A\",\"BOOT_A_LEFT\":\"0\",\"BOOT_B_LEFT\":\"0\"}";
	char *env = test_write_file(dir, "bootenv.json", text, strlen(text));
	struct boot *b = open_boot(AGENT_BOOT_FILE, env, NULL, NULL, NULL);
	assert_int_equal(power_on(b), 'b');
	struct boot_status s = get(b);
	assert_int_equal(s.left[1], BOOT_DEFAULT_TRIES - 1);
	assert_int_equal(s.left[0], BOOT_DEFAULT_TRIES);
	boot_close(b);
	free(env);
	test_tmpdir_remove(dir);
}

static void test_boot_file_refuses_bad_env(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *env = test_write_file(dir, "bootenv.json", "{\"BOOT_ORDER\":\"C A\"}", 20);
	struct boot *b = open_boot(AGENT_BOOT_FILE, env, NULL, NULL, NULL);
	struct boot_status s;
	struct ferry_error *err = NULL;
	assert_false(boot_get_status(b, &s, &err));
	assert_error_contains(err, "BOOT_ORDER 'C A'");
	ferry_error_clear(&err);
	assert_false(boot_try_once(b, 'c', &err));
	assert_error_contains(err, "no slot 'c'");
	ferry_error_free(err);
	boot_close(b);
	free(env);
	test_tmpdir_remove(dir);
}

static void test_boot_cmdline_names_the_running_slot(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct ferry_error *err = NULL;
	char slot = 0;
	char *c1 = test_write_file(dir, "c1", "root=/dev/sda2 rauc.slot=B quiet\n", 33);
	assert_ok(boot_read_cmdline_slot(c1, &slot, &err), err);
	assert_int_equal(slot, 'b');
	char *c2 = test_write_file(dir, "c2", "ferry.slot=a", 12);
	assert_ok(boot_read_cmdline_slot(c2, &slot, &err), err);
	assert_int_equal(slot, 'a');
	char *c3 = test_write_file(dir, "c3", "root=/dev/sda2 ferry.slot=c", 27);
	assert_ok(boot_read_cmdline_slot(c3, &slot, &err), err);
	assert_int_equal(slot, 0);
	free(c1);
	free(c2);
	free(c3);
	test_tmpdir_remove(dir);
}

static void test_boot_grub_interop_with_grub_editenv(void **state)
{
	(void)state;
	if (!have_tool("grub-editenv"))
		skip();   /* needs grub-common */
	char *dir = test_tmpdir();
	char *env = path_in(dir, "grubenv");
	char *cmdline = test_write_file(dir, "cmdline", "rauc.slot=A", 11);
	char *bootid = test_write_file(dir, "boot_id", "abc\n", 4);
	struct ferry_error *err = NULL;
	free(sh("grub-editenv %s create && grub-editenv %s set saved_entry=linux 'odd=x\\y'", env, env));
	struct boot *b = open_boot(AGENT_BOOT_GRUB, env, NULL, cmdline, bootid);
	struct boot_status s = get(b);
	assert_int_equal(s.booted, 'a');
	assert_string_equal(s.boot_id, "abc");
	/* Ours -> grub-editenv. */
	assert_ok(boot_try_once(b, 'b', &err), err);
	struct stat st;
	assert_int_equal(stat(env, &st), 0);
	assert_int_equal(st.st_size, 1024);
	char *list = sh("grub-editenv %s list", env);
	assert_non_null(strstr(list, "BOOT_ORDER=B A\n"));
	assert_non_null(strstr(list, "BOOT_B_LEFT=1\n"));
	assert_non_null(strstr(list, "BOOT_A_LEFT=3\n"));
	assert_non_null(strstr(list, "saved_entry=linux\n"));
	assert_non_null(strstr(list, "odd=x\\y\n"));
	free(list);
	/* grub-editenv -> ours (as GRUB's script would decrement at boot). */
	free(sh("grub-editenv %s set BOOT_B_LEFT=0", env));
	s = get(b);
	assert_int_equal(s.left[1], 0);
	assert_int_equal(s.order[0], 'b');
	assert_true(boot_status_fell_back(&s));
	assert_int_equal(boot_status_next(&s), 'a');
	assert_ok(boot_rollback(b, 'a', &err), err);
	list = sh("grub-editenv %s list", env);
	assert_non_null(strstr(list, "BOOT_ORDER=A B\n"));
	free(list);
	boot_close(b);
	free(env);
	free(cmdline);
	free(bootid);
	test_tmpdir_remove(dir);
}

static void test_boot_grub_refuses_foreign_file_and_full_block(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *env = test_write_file(dir, "grubenv", "BOOT_ORDER=A B\n", 15);
	char *cmdline = test_write_file(dir, "cmdline", "rauc.slot=A", 11);
	struct boot *b = open_boot(AGENT_BOOT_GRUB, env, NULL, cmdline, cmdline);
	struct boot_status s;
	struct ferry_error *err = NULL;
	assert_false(boot_get_status(b, &s, &err));
	assert_error_contains(err, "not a GRUB environment block");
	ferry_error_clear(&err);
	/* Nothing was written over it. */
	char *data = NULL;
	size_t len = 0;
	assert_false(boot_try_once(b, 'b', &err));
	ferry_error_clear(&err);
	assert_ok(read_file_limited(env, 4096, &data, &len, &err), err);
	assert_int_equal(len, 15);
	free(data);
	boot_close(b);
	/* A block that would overflow 1024 bytes is refused, not truncated. */
	char block[1024];
	memset(block, '#', sizeof(block));
	const char *hdr = "# GRUB Environment Block\nbig=";
	memcpy(block, hdr, strlen(hdr));
	memset(block + strlen(hdr), 'x', 990 - strlen(hdr));
	block[990] = '\n';
	assert_ok(safe_write_atomic(env, block, sizeof(block), 0644, &err), err);
	b = open_boot(AGENT_BOOT_GRUB, env, NULL, cmdline, cmdline);
	assert_false(boot_try_once(b, 'b', &err));
	assert_error_contains(err, "environment block full");
	ferry_error_clear(&err);
	boot_close(b);
	/* A NUL in a line is refused: written back, the name or value would change
	 * (found by tests/fuzz/fuzz_grubenv.c; input in tests/fuzz/regress/grubenv). */
	block[strlen(hdr) + 3] = '\0';
	assert_ok(safe_write_atomic(env, block, sizeof(block), 0644, &err), err);
	b = open_boot(AGENT_BOOT_GRUB, env, NULL, cmdline, cmdline);
	assert_false(boot_get_status(b, &s, &err));
	assert_error_contains(err, "NUL byte");
	ferry_error_clear(&err);
	boot_close(b);
	free(env);
	free(cmdline);
	test_tmpdir_remove(dir);
}

/* A U-Boot environment of 16 KiB in a file, optionally redundant. */
static char *uboot_setup(const char *dir, bool redundant)
{
	char *config = path_in(dir, "fw_env.config");
	char *text = NULL;
	if (redundant)
		assert_true(asprintf(&text, "%s/env0 0x0 0x4000\n%s/env1 0x0 0x4000\n", dir, dir) > 0);
	else
		assert_true(asprintf(&text, "%s/env0 0x0 0x4000\n", dir) > 0);
	free(test_write_file(dir, "fw_env.config", text, strlen(text)));
	free(text);
	free(sh("cd %s && dd if=/dev/zero of=env0 bs=16k count=1 2>/dev/null && "
		"dd if=/dev/zero of=env1 bs=16k count=1 2>/dev/null && printf 'bootdelay=1\\n' > defenv && "
		"fw_setenv -c %s -f defenv bootcmd 'run ferry_boot' 2>/dev/null", dir, config));
	return config;
}

static void run_uboot_interop(bool redundant)
{
	char *dir = test_tmpdir();
	char *config = uboot_setup(dir, redundant);
	char *cmdline = test_write_file(dir, "cmdline", "ferry.slot=a", 12);
	struct ferry_error *err = NULL;
	struct boot *b = open_boot(AGENT_BOOT_UBOOT, NULL, config, cmdline, cmdline);
	struct boot_status s = get(b);
	assert_int_equal(s.booted, 'a');
	assert_int_equal(s.order[0], 'a');
	/* Ours -> fw_printenv. */
	assert_ok(boot_try_once(b, 'b', &err), err);
	char *out = sh("fw_printenv -c %s 2>/dev/null", config);
	assert_non_null(strstr(out, "BOOT_ORDER=B A\n"));
	assert_non_null(strstr(out, "BOOT_B_LEFT=1\n"));
	assert_non_null(strstr(out, "bootcmd=run ferry_boot\n"));
	free(out);
	/* fw_setenv -> ours. */
	free(sh("fw_setenv -c %s BOOT_B_LEFT 0 2>/dev/null", config));
	s = get(b);
	assert_int_equal(s.left[1], 0);
	assert_int_equal(boot_status_next(&s), 'a');
	assert_ok(boot_mark_good(b, 'a', &err), err);
	out = sh("fw_printenv -c %s -n BOOT_ORDER 2>/dev/null", config);
	assert_string_equal(out, "A B\n");
	free(out);
	boot_close(b);
	free(config);
	free(cmdline);
	test_tmpdir_remove(dir);
}

static void test_boot_uboot_interop_with_fw_setenv(void **state)
{
	(void)state;
	if (!have_tool("fw_setenv") || !have_tool("fw_printenv"))
		skip();   /* needs libubootenv-tool */
	run_uboot_interop(false);
	run_uboot_interop(true);
}

static void test_boot_uboot_refuses_blank_environment(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *text = NULL;
	assert_true(asprintf(&text, "%s/env0 0x0 0x4000\n", dir) > 0);
	char *config = test_write_file(dir, "fw_env.config", text, strlen(text));
	free(text);
	char zeros[16384] = { 0 };
	free(test_write_file(dir, "env0", zeros, sizeof(zeros)));
	char *cmdline = test_write_file(dir, "cmdline", "ferry.slot=a", 12);
	struct boot *b = open_boot(AGENT_BOOT_UBOOT, NULL, config, cmdline, cmdline);
	struct ferry_error *err = NULL;
	assert_false(boot_try_once(b, 'b', &err));
	assert_error_contains(err, "no valid U-Boot environment");
	ferry_error_free(err);
	boot_close(b);
	free(config);
	free(cmdline);
	test_tmpdir_remove(dir);
}

static void test_boot_script_protocol(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *statefile = path_in(dir, "calls");
	char *script = NULL;
	assert_true(asprintf(&script,
			     "#!/bin/sh\n"
			     "echo \"$*\" >> %s\n"
			     "case $1 in\n"
			     "status) echo booted=b; echo primary=a; echo a_left=3; echo b_left=0; echo boot_id=7;;\n"
			     "try-once|mark-good|rollback) [ \"$2\" = a ] || [ \"$2\" = b ] || exit 3;;\n"
			     "*) exit 2;;\n"
			     "esac\n", statefile) > 0);
	char *path = test_write_file(dir, "boot.sh", script, strlen(script));
	assert_int_equal(chmod(path, 0755), 0);
	struct boot *b = open_boot(AGENT_BOOT_SCRIPT, path, NULL, NULL, NULL);
	struct ferry_error *err = NULL;
	struct boot_status s = get(b);
	assert_int_equal(s.booted, 'b');
	assert_int_equal(s.order[0], 'a');
	assert_int_equal(s.left[1], 0);
	assert_string_equal(s.boot_id, "7");
	assert_true(boot_status_fell_back(&s));
	assert_ok(boot_try_once(b, 'b', &err), err);
	assert_ok(boot_mark_good(b, 'b', &err), err);
	assert_ok(boot_rollback(b, 'a', &err), err);
	char *calls = NULL;
	size_t len = 0;
	assert_ok(read_file_limited(statefile, 4096, &calls, &len, &err), err);
	assert_string_equal(calls, "status\ntry-once b\nmark-good b\nrollback a\n");
	free(calls);
	boot_close(b);
	/* A failing script is an error naming it and the verb. */
	free(test_write_file(dir, "bad.sh", "#!/bin/sh\nexit 4\n", 17));
	char *bad = path_in(dir, "bad.sh");
	assert_int_equal(chmod(bad, 0755), 0);
	b = open_boot(AGENT_BOOT_SCRIPT, bad, NULL, NULL, NULL);
	assert_false(boot_try_once(b, 'b', &err));
	assert_error_contains(err, "bad.sh try-once b: exited with status 4");
	assert_int_equal(ferry_error_code(err), FERRY_E_HANDLER);
	ferry_error_free(err);
	boot_close(b);
	free(bad);
	free(script);
	free(path);
	free(statefile);
	test_tmpdir_remove(dir);
}

/* A hung boot script is killed after the timeout with a clear error, and
 * runs with a clean environment. */
static void test_boot_script_hung_is_killed_after_timeout(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *envfile = path_in(dir, "env"), *script = NULL;
	assert_true(asprintf(&script, "#!/bin/sh\nenv > %s\nexec sleep 60\n", envfile) > 0);
	char *path = test_write_file(dir, "hang.sh", script, strlen(script));
	assert_int_equal(chmod(path, 0755), 0);
	setenv("FERRY_TEST_LEAK", "1", 1);
	struct boot *b = NULL;
	struct ferry_error *err = NULL;
	struct boot_params p = { .type = AGENT_BOOT_SCRIPT, .script = path, .timeout_sec = 1 };
	assert_ok(boot_open_params(&p, &b, &err), err);
	time_t t0 = time(NULL);
	assert_false(boot_mark_good(b, 'a', &err));
	assert_true(time(NULL) - t0 < 10);
	assert_error_contains(err, "hang.sh mark-good a: timed out after 1 s");
	assert_int_equal(ferry_error_code(err), FERRY_E_HANDLER);
	ferry_error_free(err);
	char *env = NULL;
	size_t len = 0;
	err = NULL;
	assert_ok(read_file_limited(envfile, 65536, &env, &len, &err), err);
	assert_null(strstr(env, "FERRY_TEST_LEAK"));
	assert_non_null(strstr(env, "PATH="));
	unsetenv("FERRY_TEST_LEAK");
	free(env);
	boot_close(b);
	free(path);
	free(script);
	free(envfile);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_file_trial_commit_and_fallback),
		cmocka_unit_test(test_boot_file_exhausted_counters_start_over),
		cmocka_unit_test(test_boot_file_refuses_bad_env),
		cmocka_unit_test(test_boot_cmdline_names_the_running_slot),
		cmocka_unit_test(test_boot_grub_interop_with_grub_editenv),
		cmocka_unit_test(test_boot_grub_refuses_foreign_file_and_full_block),
		cmocka_unit_test(test_boot_uboot_interop_with_fw_setenv),
		cmocka_unit_test(test_boot_uboot_refuses_blank_environment),
		cmocka_unit_test(test_boot_script_protocol),
		cmocka_unit_test(test_boot_script_hung_is_killed_after_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
