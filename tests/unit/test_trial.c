/* Tests for agent/trial.c: start-up conclusions after a boot, commit with
 * its health check, rollback, on a virtual device (file bootloader). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/trial.h"

struct device {
	char *dir;
	struct agent_config *c;
	struct state *s;
	struct boot *b;
};

static void device_open(struct device *d)
{
	struct ferry_error *err = NULL;
	char *path = NULL;
	const char *json = "{\"format\":1,\"device\":{\"id\":\"gw-0001\",\"type\":\"gw-x\","
			   "\"installed\":{\"os\":\"1.0.0\"}},\"slots\":{\"rootfs\":{\"a\":\"a.img\",\"b\":\"b.img\"}},"
			   "\"bootloader\":{\"type\":\"file\",\"path\":\"bootenv.json\"}}";
	d->dir = test_tmpdir();
	path = test_write_file(d->dir, "agent.json", json, strlen(json));
	assert_ok(agent_config_load(path, &d->c, &err), err);
	assert_ok(agent_open_device(d->c, &d->s, &d->b, &err), err);
	free(path);
}

static void device_close(struct device *d)
{
	boot_close(d->b);
	state_close(d->s);
	agent_config_free(d->c);
	test_tmpdir_remove(d->dir);
}

static void go(struct device *d, enum agent_state to, const struct state_txn *t, const char *event)
{
	struct ferry_error *err = NULL;
	struct state_change c = { .set_state = true, .state = to, .begin_txn = t };
	struct state_event ev = { .event = event, .result = "info" };
	assert_ok(state_apply(d->s, &c, &ev, NULL, &err), err);
}

/* verifying -> installing (-> installed when arm_and_finish) with slot b armed. */
static void install(struct device *d, bool arm_and_finish)
{
	struct ferry_error *err = NULL;
	struct state_txn t = { .bundle = "os", .version = "2.0.0", .security_version = 4,
			       .target_slot = "b", .previous_slot = "a" };
	go(d, AGENT_STATE_VERIFYING, &t, "install.started");
	go(d, AGENT_STATE_INSTALLING, NULL, "install.writing");
	assert_ok(boot_try_once(d->b, 'b', &err), err);
	if (arm_and_finish)
		go(d, AGENT_STATE_INSTALLED, NULL, "install.finished");
}

static enum agent_startup_outcome reboot(struct device *d)
{
	struct ferry_error *err = NULL;
	enum agent_startup_outcome o;
	char booted;
	assert_ok(agent_virtual_reboot(d->c, d->s, d->b, NULL, &booted, &o, &err), err);
	return o;
}

static enum agent_state state_of(struct device *d)
{
	struct state_info info;
	struct ferry_error *err = NULL;
	assert_ok(state_get(d->s, &info, &err), err);
	enum agent_state st = info.state;
	state_info_clear(&info);
	return st;
}

static bool failing_check(void *ctx, const struct agent_config *c, const struct state_info *info,
			  struct ferry_error **err)
{
	(void)c;
	(void)info;
	(*(int *)ctx)++;
	return ferry_error_set(err, "service app did not start");
}

static bool passing_check(void *ctx, const struct agent_config *c, const struct state_info *info,
			  struct ferry_error **err)
{
	(void)c;
	(void)err;
	assert_string_equal(info->txn.bundle, "os");
	(*(int *)ctx)++;
	return true;
}

static void test_trial_commit_runs_health_check_then_marks_good(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	enum agent_commit_outcome out;
	int calls = 0;
	device_open(&d);
	install(&d, true);
	assert_int_equal(reboot(&d), AGENT_STARTUP_TRIAL);
	assert_ok(agent_commit(d.c, d.s, d.b, passing_check, &calls, &out, &err), err);
	assert_int_equal(out, AGENT_COMMIT_DONE);
	assert_int_equal(calls, 1);
	assert_int_equal(state_of(&d), AGENT_STATE_COMMITTED);
	char *v = NULL;
	assert_ok(state_installed_version(d.s, "os", &v, &err), err);
	assert_string_equal(v, "2.0.0");
	free(v);
	assert_int_equal(reboot(&d), AGENT_STARTUP_NORMAL);
	/* A second commit has nothing to do. */
	assert_ok(agent_commit(d.c, d.s, d.b, passing_check, &calls, &out, &err), err);
	assert_int_equal(out, AGENT_COMMIT_NOTHING);
	assert_int_equal(calls, 1);
	device_close(&d);
}

static void test_trial_failed_health_check_rolls_back(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	enum agent_commit_outcome out;
	int calls = 0;
	device_open(&d);
	install(&d, true);
	assert_int_equal(reboot(&d), AGENT_STARTUP_TRIAL);
	assert_false(agent_commit(d.c, d.s, d.b, failing_check, &calls, &out, &err));
	assert_int_equal(out, AGENT_COMMIT_ROLLED_BACK);
	assert_error_contains(err, "health check failed: service app did not start; rolled back");
	ferry_error_free(err);
	err = NULL;
	assert_int_equal(state_of(&d), AGENT_STATE_ROLLED_BACK);
	struct state_records r;
	assert_ok(state_records_last(d.s, 1, &r, &err), err);
	assert_non_null(strstr(r.lines[0], "\"event\":\"boot.rolled_back\""));
	assert_non_null(strstr(r.lines[0], "\"result\":\"failure\""));
	assert_non_null(strstr(r.lines[0], "service app did not start"));
	state_records_clear(&r);
	/* The next boot runs the old slot again, as a normal boot. */
	assert_int_equal(reboot(&d), AGENT_STARTUP_NORMAL);
	struct boot_status bs;
	assert_ok(boot_get_status(d.b, &bs, &err), err);
	assert_int_equal(bs.booted, 'a');
	char *v = NULL;
	assert_ok(state_installed_version(d.s, "os", &v, &err), err);
	assert_string_equal(v, "1.0.0");
	free(v);
	device_close(&d);
}

static void test_trial_crash_after_arming_still_becomes_trial(void **state)
{
	(void)state;
	struct device d;
	device_open(&d);
	install(&d, false);   /* crashed between try-once and "installed" */
	assert_int_equal(state_of(&d), AGENT_STATE_INSTALLING);
	assert_int_equal(reboot(&d), AGENT_STARTUP_TRIAL);
	assert_int_equal(state_of(&d), AGENT_STATE_TRIAL);
	device_close(&d);
}

static void test_trial_startup_runs_once_per_boot(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	enum agent_startup_outcome o;
	device_open(&d);
	install(&d, true);
	assert_int_equal(reboot(&d), AGENT_STARTUP_TRIAL);
	for (int i = 0; i < 3; i++) {
		assert_ok(agent_startup(d.c, d.s, d.b, &o, &err), err);
		assert_int_equal(o, AGENT_STARTUP_SAME_BOOT);
	}
	struct state_info info;
	assert_ok(state_get(d.s, &info, &err), err);
	assert_int_equal(info.boot_count, 2);
	state_info_clear(&info);
	device_close(&d);
}

static void test_trial_committed_slot_that_fails_to_boot_is_reported(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	device_open(&d);
	/* The primary a has no tries left (it kept failing before userspace). */
	const char *text = "{\"BOOT_ORDER\":\"A B\",\"BOOT_A_LEFT\":\"0\",\"BOOT_B_LEFT\":\"3\",\"BOOTED\":\"A\",\"BOOT_ID\":\"5\"}";
	free(test_write_file(d.dir, "bootenv.json", text, strlen(text)));
	assert_int_equal(reboot(&d), AGENT_STARTUP_FELL_BACK);
	struct state_records r;
	assert_ok(state_records_last(d.s, 1, &r, &err), err);
	assert_non_null(strstr(r.lines[0], "\"event\":\"boot.fell_back\""));
	state_records_clear(&r);
	/* The running slot is made primary so that the device keeps booting. */
	struct boot_status bs;
	assert_ok(boot_get_status(d.b, &bs, &err), err);
	assert_int_equal(bs.order[0], 'b');
	assert_int_equal(reboot(&d), AGENT_STARTUP_NORMAL);
	device_close(&d);
}

static void test_trial_rollback_refused_at_rest(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	device_open(&d);
	assert_false(agent_rollback(d.c, d.s, d.b, "requested", "info", &err));
	assert_error_contains(err, "nothing to roll back: state is idle");
	ferry_error_free(err);
	device_close(&d);
}

/* What the orchestrator's callbacks saw when they ran. */
struct seen {
	struct device *d;
	int calls;
	enum agent_state state;      /* the state at the call */
	struct boot_status bs;       /* the bootloader at the call */
	bool fail;
};

static void look(struct seen *w)
{
	struct ferry_error *err = NULL;
	w->calls++;
	w->state = state_of(w->d);
	assert_ok(boot_get_status(w->d->b, &w->bs, &err), err);
}

static void undo_seen(void *ctx, const struct agent_config *c, const struct state_info *info)
{
	(void)c;
	assert_int_equal(info->state, AGENT_STATE_TRIAL);
	look(ctx);
}

static bool keep_seen(void *ctx, const struct agent_config *c, const struct state_info *info,
		      struct ferry_error **err)
{
	struct seen *w = ctx;
	(void)c, (void)info;
	look(w);
	return !w->fail || ferry_error_set(err, "old tree could not be removed");
}

/* A fallback's undo runs after the bootloader rolled back and before the
 * state says so: a crash in between redoes it at the next start. */
static void test_trial_startup_undo_runs_between_bootloader_and_state(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	struct seen w = { .d = &d };
	enum agent_startup_outcome o;
	char booted;
	device_open(&d);
	install(&d, true);
	assert_int_equal(reboot(&d), AGENT_STARTUP_TRIAL);
	assert_ok(boot_virtual_power_on(d.b, &booted, &err), err);   /* no commit: falls back */
	assert_int_equal(booted, 'a');
	assert_ok(agent_startup_undo(d.c, d.s, d.b, undo_seen, &w, &o, &err), err);
	assert_int_equal(o, AGENT_STARTUP_ROLLED_BACK);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.state, AGENT_STATE_TRIAL);        /* not yet recorded */
	assert_int_equal(w.bs.order[0], 'a');                /* already rolled back */
	assert_int_equal(w.bs.left[1], 0);
	assert_int_equal(state_of(&d), AGENT_STATE_ROLLED_BACK);
	device_close(&d);
}

/* The payloads' irreversible commit runs once the slot is marked good and
 * before the state commits; when it fails, the update is rolled back. */
static void test_trial_commit_keep_runs_after_mark_good(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	struct seen w = { .d = &d };
	enum agent_commit_outcome out;
	device_open(&d);
	install(&d, true);
	assert_int_equal(reboot(&d), AGENT_STARTUP_TRIAL);
	assert_ok(agent_commit_keep(d.c, d.s, d.b, NULL, keep_seen, &w, &out, &err), err);
	assert_int_equal(out, AGENT_COMMIT_DONE);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.state, AGENT_STATE_TRIAL);
	assert_int_equal(w.bs.order[0], 'b');
	assert_int_equal(w.bs.left[1], BOOT_DEFAULT_TRIES);   /* marked good first */
	assert_int_equal(state_of(&d), AGENT_STATE_COMMITTED);
	device_close(&d);

	struct seen f = { .d = &d, .fail = true };
	device_open(&d);
	install(&d, true);
	assert_int_equal(reboot(&d), AGENT_STARTUP_TRIAL);
	assert_false(agent_commit_keep(d.c, d.s, d.b, NULL, keep_seen, &f, &out, &err));
	assert_int_equal(out, AGENT_COMMIT_ROLLED_BACK);
	assert_error_contains(err, "commit failed: old tree could not be removed; rolled back");
	ferry_error_free(err);
	assert_int_equal(state_of(&d), AGENT_STATE_ROLLED_BACK);
	assert_int_equal(reboot(&d), AGENT_STARTUP_NORMAL);
	struct boot_status bs;
	err = NULL;
	assert_ok(boot_get_status(d.b, &bs, &err), err);
	assert_int_equal(bs.booted, 'a');
	device_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trial_commit_runs_health_check_then_marks_good),
		cmocka_unit_test(test_trial_failed_health_check_rolls_back),
		cmocka_unit_test(test_trial_crash_after_arming_still_becomes_trial),
		cmocka_unit_test(test_trial_startup_undo_runs_between_bootloader_and_state),
		cmocka_unit_test(test_trial_commit_keep_runs_after_mark_good),
		cmocka_unit_test(test_trial_startup_runs_once_per_boot),
		cmocka_unit_test(test_trial_committed_slot_that_fails_to_boot_is_reported),
		cmocka_unit_test(test_trial_rollback_refused_at_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
