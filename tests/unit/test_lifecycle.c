/* Tests for the lifecycle module (agent/lifecycle.h): install (plan,
 * begin, stream, activate, arm) from a real bundle, start-up conclusions
 * after a boot (trial, fall back), commit with its health check, rollback,
 * recovery, on a virtual device (file bootloader) with real hooks and a
 * real update module that write down what they saw — the bootloader's environment and agent.db's
 * state — when the lifecycle called them: that is how the ordering promises
 * of lifecycle.h are checked. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/faillog_store.h"
#include "agent/lifecycle.h"
#include "common/bundle_write.h"
#include "common/safefile.h"

#define IMAGE_LEN (64 * 1024)   /* the A/B image of the test bundle; slots are twice that */

struct device {
	char *dir;
	struct agent_config *c;
	struct state *s;
	struct boot *b;
};

/* The update module "rec": answers SupportsRollback, writes one line per
 * commit or rollback into seen with the bootloader env and agent.db's state
 * (an int) at that moment ($d: the device's directory); fails ArtifactCommit when fail-commit exists. */
static const char module_text[] =
	"case \"$1\" in\n"
	"SupportsRollback) echo Yes ;;\n"
	"ArtifactCommit|ArtifactRollback)\n"
	"  echo \"$1 env=$(tr -d ' \\n' < $d/bootenv.json)"
	" state=$(sqlite3 $d/state/agent.db \"select value from meta where key='state'\")\" >> $d/seen\n"
	"  [ \"$1\" = ArtifactCommit ] && [ -e $d/fail-commit ] && exit 1 ;;\n"
	"esac\n"
	"exit 0\n";

/* The bundle's health check hook as kept on the device: writes down the env
 * and fails when fail-check exists. */
static const char check_text[] =
	"echo \"check env=$(tr -d ' \\n' < $d/bootenv.json)\" >> $d/seen\n"
	"[ ! -e $d/fail-check ] || { echo 'service app did not start' >&2; exit 1; }\n";

/* Writes body as an executable shell script with $d the device's directory. */
static void write_script(struct device *d, const char *name, const char *body)
{
	char *text = NULL;
	assert_true(asprintf(&text, "#!/bin/sh\nd=%s\n%s", d->dir, body) > 0);
	char *path = test_write_file(d->dir, name, text, strlen(text));
	assert_int_equal(chmod(path, 0755), 0);
	free(path);
	free(text);
}

static char *record_log_text(struct device *d, const char *line);

static void device_open(struct device *d)
{
	struct ferry_error *err = NULL;
	const char *json = "{\"format\":1,\"device\":{\"id\":\"gw-0001\",\"type\":\"gw-x\","
			   "\"installed\":{\"os\":\"1.0.0\"}},\"slots\":{\"rootfs\":{\"a\":\"a.img\",\"b\":\"b.img\"}},"
			   "\"state_dir\":\"state\",\"modules_dir\":\"modules\",\"hooks_dir\":\"hooks.d\","
			   "\"bootloader\":{\"type\":\"file\",\"path\":\"bootenv.json\"}}";
	d->dir = test_tmpdir();
	char *path = test_write_file(d->dir, "agent.json", json, strlen(json));
	assert_ok(agent_config_load(path, &d->c, &err), err);
	assert_ok(lifecycle_open(d->c, &d->s, &d->b, &err), err);
	write_script(d, "modules/rec", module_text);
	char slot[IMAGE_LEN * 2] = { 0 };
	free(test_write_file(d->dir, "a.img", slot, sizeof(slot)));
	free(test_write_file(d->dir, "b.img", slot, sizeof(slot)));
	write_script(d, "state/hooks/health_check", check_text);
	free(path);
}

static void device_close(struct device *d)
{
	boot_close(d->b);
	state_close(d->s);
	agent_config_free(d->c);
	test_tmpdir_remove(d->dir);
}

static void touch(struct device *d, const char *name)
{
	free(test_write_file(d->dir, name, "", 0));
}

/* What the hooks and the module wrote down, in order ("" when nothing). */
static char *seen(struct device *d)
{
	char *path = NULL, *text = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/seen", d->dir) > 0);
	if (access(path, F_OK) != 0)
		text = strdup("");
	else
		assert_ok(read_file_limited(path, 65536, &text, &len, &err), err);
	unlink(path);
	free(path);
	return text;
}

static void go(struct device *d, enum agent_state to, const struct state_txn *t, const char *event)
{
	struct ferry_error *err = NULL;
	struct state_change c = { .set_state = true, .state = to, .begin_txn = t };
	struct auditlog_fields ev = { .event = event, .result = "info" };
	assert_ok(state_apply(d->s, &c, &ev, NULL, &err), err);
}

/* As lifecycle_install leaves it: verifying -> installing, the module's
 * ArtifactInstall done, slot b armed (-> installed when finished). */
static void install(struct device *d, bool finished)
{
	struct ferry_error *err = NULL;
	static const char detail[] =
		"{\"payloads\":[{\"name\":\"os\",\"handler\":\"rootfs-ab\",\"size\":1,\"sha256\":\"00\"},"
		"{\"name\":\"app\",\"handler\":\"module\",\"target\":\"rec\",\"size\":1,\"sha256\":\"00\"}],"
		"\"needs_reboot\":true}";
	struct state_txn t = { .bundle = "os", .version = "2.0.0", .security_version = 4,
			       .target_slot = "b", .previous_slot = "a", .detail = (char *)detail,
			       .usb_serial = "USB9", .usb_vendor = "0781", .usb_product = "5567" };
	go(d, AGENT_STATE_VERIFYING, &t, "install.started");
	go(d, AGENT_STATE_INSTALLING, NULL, "install.writing");
	touch(d, "state/work/app/.ferry-install-started");
	assert_ok(boot_try_once(d->b, 'b', &err), err);
	if (finished)
		go(d, AGENT_STATE_INSTALLED, NULL, "install.finished");
}

static enum lifecycle_startup_outcome reboot(struct device *d)
{
	struct ferry_error *err = NULL;
	enum lifecycle_startup_outcome o;
	char booted;
	assert_ok(lifecycle_virtual_reboot(d->c, d->s, d->b, &booted, &o, &err), err);
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

static char *installed(struct device *d)
{
	char *v = NULL;
	struct ferry_error *err = NULL;
	assert_ok(state_installed_version(d->s, "os", &v, &err), err);
	return v;
}

static char booted_slot(struct device *d)
{
	struct boot_status bs;
	struct ferry_error *err = NULL;
	assert_ok(boot_get_status(d->b, &bs, &err), err);
	return bs.booted;
}

/* A device in trial: installed, rebooted into slot b. */
static void trial(struct device *d)
{
	device_open(d);
	install(d, true);
	assert_int_equal(reboot(d), LIFECYCLE_STARTUP_TRIAL);
}

/* A commit that fails because the file fail exists: rolled back; returns why. */
static char *commit_failing(struct device *d, const char *fail)
{
	struct ferry_error *err = NULL;
	enum lifecycle_commit_outcome out;
	char *why = NULL;
	touch(d, fail);
	assert_ok(lifecycle_commit(d->c, d->s, d->b, &out, &why, &err), err);
	assert_int_equal(out, LIFECYCLE_COMMIT_ROLLED_BACK);
	assert_int_equal(state_of(d), AGENT_STATE_ROLLED_BACK);
	char *line = test_last_record(d->s);
	assert_non_null(strstr(line, "\"event\":\"boot.rolled_back\""));
	assert_non_null(strstr(line, "\"result\":\"failure\""));
	free(line);
	return why;
}

/* The next boot runs the old slot again, as a normal boot, with the old version. */
static void expect_back_on_a(struct device *d)
{
	assert_int_equal(reboot(d), LIFECYCLE_STARTUP_NORMAL);
	assert_int_equal(booted_slot(d), 'a');
	char *v = installed(d);
	assert_string_equal(v, "1.0.0");
	free(v);
}

/* --- begin, stream, activate, arm: lifecycle_install over a real bundle --- */

/* A bundle (unsigned: admission is install.c's, not the lifecycle's) of
 * edge-os 2.0.0: an A/B image, a payload for the module "rec" and, when
 * post_install is not NULL, that post_install hook. *m: its manifest. */
static char *make_bundle(struct device *d, const char *post_install, struct manifest **m)
{
	struct ferry_error *err = NULL;
	char image[IMAGE_LEN];
	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (char)(i * 131 % 251);
	free(test_write_file(d->dir, "in/rootfs.img", image, sizeof(image)));
	free(test_write_file(d->dir, "in/app.bin", "app 2\n", 6));
	if (post_install)
		free(test_write_file(d->dir, "in/post.sh", post_install, strlen(post_install)));
	char *spec = NULL, *bundle = NULL;
	assert_true(asprintf(&spec,
		"{\"format\":1,\"name\":\"os\",\"version\":\"2.0.0\",\"security_version\":4,"
		"\"created\":\"2026-11-24T10:00:00Z\",\"variants\":[{\"id\":\"gw\","
		"\"compatible\":{\"device_type\":[\"gw-x\"]},\"payloads\":["
		"{\"name\":\"os\",\"handler\":\"rootfs-ab\",\"file\":\"rootfs.img\"},"
		"{\"name\":\"app\",\"handler\":\"module\",\"target\":\"rec\",\"file\":\"app.bin\"}]%s}]}",
		post_install ? ",\"hooks\":{\"post_install\":{\"file\":\"post.sh\"}}" : "") > 0);
	char *spec_path = test_write_file(d->dir, "in/spec.json", spec, strlen(spec));
	assert_true(asprintf(&bundle, "%s/os.ferry", d->dir) > 0);
	struct bundle_create_opts o = { .level = 1, .threads = 1 };
	assert_ok(bundle_create(spec_path, bundle, &o, m, &err), err);
	free(spec_path);
	free(spec);
	return bundle;
}

static struct lifecycle_install_result install_bundle(struct device *d, const char *post_install)
{
	struct ferry_error *err = NULL;
	struct manifest *m = NULL;
	char *bundle = make_bundle(d, post_install, &m);
	json_t *signers = json_array();
	struct lifecycle_update u = { .path = bundle, .m = m, .v = &m->variants[0], .signers = signers,
				      .usb_serial = "USB1" };
	struct lifecycle_install_result res;
	assert_ok(lifecycle_install(d->c, d->s, d->b, &u, &res, &err), err);
	json_decref(signers);
	manifest_free(m);
	free(bundle);
	return res;
}

/* The events of the last n records, space-separated. */
static char *last_events(struct device *d, size_t n)
{
	struct state_records r;
	struct ferry_error *err = NULL;
	char *out = calloc(1, 1024);
	assert_ok(state_records_last(d->s, n, &r, &err), err);
	for (size_t i = 0; i < r.n; i++) {
		const char *e = strstr(r.lines[i], "\"event\":\"");
		assert_non_null(e);
		e += 9;
		strncat(out, e, (size_t)(strchr(e, '"') - e));
		strcat(out, i + 1 < r.n ? " " : "");
	}
	state_records_clear(&r);
	return out;
}

static void test_lifecycle_install_streams_activates_then_arms(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	device_open(&d);
	struct lifecycle_install_result res = install_bundle(&d, NULL);
	assert_int_equal(res.outcome, LIFECYCLE_INSTALL_REBOOT_PENDING);
	assert_int_equal(res.slot, 'b');
	lifecycle_install_result_clear(&res);
	assert_int_equal(state_of(&d), AGENT_STATE_INSTALLED);
	char *ev = last_events(&d, 3);
	assert_string_equal(ev, "install.started install.writing install.finished");
	free(ev);
	/* stream: the image is in slot b; arm: slot b boots next, once. */
	char *slot = NULL, *image = NULL, *path = NULL;
	size_t len = 0, ilen = 0;
	assert_true(asprintf(&path, "%s/b.img", d.dir) > 0);
	assert_ok(read_file_limited(path, 1 << 20, &slot, &len, &err), err);
	free(path);
	assert_true(asprintf(&path, "%s/in/rootfs.img", d.dir) > 0);
	assert_ok(read_file_limited(path, 1 << 20, &image, &ilen, &err), err);
	assert_true(len >= ilen && memcmp(slot, image, ilen) == 0);
	free(path);
	free(slot);
	free(image);
	struct boot_status bs;
	assert_ok(boot_get_status(d.b, &bs, &err), err);
	assert_int_equal(boot_status_next(&bs), 'b');
	assert_int_equal(bs.left[1], 1);
	/* trial, then commit: the version of the bundle is installed. */
	assert_int_equal(reboot(&d), LIFECYCLE_STARTUP_TRIAL);
	enum lifecycle_commit_outcome out;
	char *why = NULL;
	assert_ok(lifecycle_commit(d.c, d.s, d.b, &out, &why, &err), err);
	assert_int_equal(out, LIFECYCLE_COMMIT_DONE);
	char *v = installed(&d);
	assert_string_equal(v, "2.0.0");
	free(v);
	free(seen(&d));
	device_close(&d);
}

/* A failure after activation (post_install) undoes every payload and never
 * arms the bootloader: the old slot boots next; state failed. */
static void test_lifecycle_install_failure_undoes_and_never_arms(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	device_open(&d);
	struct lifecycle_install_result res = install_bundle(&d, "echo no >&2; exit 1\n");
	assert_int_equal(res.outcome, LIFECYCLE_INSTALL_FAILED);
	assert_string_equal(res.step, "post_install");
	lifecycle_install_result_clear(&res);
	assert_int_equal(state_of(&d), AGENT_STATE_FAILED);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"install.failed\""));
	assert_non_null(strstr(line, "\"step\":\"post_install\""));
	char *log = record_log_text(&d, line);   /* the hook's own words, not only its status */
	assert_non_null(strstr(log, "== step output ==\nno\n"));
	free(log);
	free(line);
	char *s = seen(&d);
	assert_non_null(strstr(s, "ArtifactRollback"));
	free(s);
	struct boot_status bs;
	assert_ok(boot_get_status(d.b, &bs, &err), err);
	assert_int_equal(boot_status_next(&bs), 'a');
	assert_int_equal(reboot(&d), LIFECYCLE_STARTUP_NORMAL);
	assert_int_equal(booted_slot(&d), 'a');
	device_close(&d);
}

/* plan: a device without the slot pair the bundle writes refuses it before
 * anything is written or a transaction begins. */
static void test_lifecycle_install_refused_when_the_device_lacks_a_slot(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	device_open(&d);
	const char *json = "{\"format\":1,\"device\":{\"id\":\"gw-0001\",\"type\":\"gw-x\"},"
			   "\"state_dir\":\"state\",\"modules_dir\":\"modules\","
			   "\"bootloader\":{\"type\":\"file\",\"path\":\"bootenv.json\"}}";
	char *path = test_write_file(d.dir, "agent.json", json, strlen(json));
	agent_config_free(d.c);
	assert_ok(agent_config_load(path, &d.c, &err), err);
	free(path);
	struct lifecycle_install_result res = install_bundle(&d, NULL);
	assert_int_equal(res.outcome, LIFECYCLE_INSTALL_REFUSED);
	assert_non_null(strstr(res.why, "no slot pair 'rootfs'"));
	lifecycle_install_result_clear(&res);
	assert_int_equal(state_of(&d), AGENT_STATE_IDLE);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"install.refused\""));
	free(line);
	char *s = seen(&d);
	assert_string_equal(s, "");
	free(s);
	device_close(&d);
}

/* commit: the check before the slot is marked good, the payloads' commit
 * after it and before the state commits. */
static void test_lifecycle_commit_checks_marks_good_then_keeps(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	enum lifecycle_commit_outcome out;
	char *why = NULL;
	trial(&d);
	assert_ok(lifecycle_commit(d.c, d.s, d.b, &out, &why, &err), err);
	assert_int_equal(out, LIFECYCLE_COMMIT_DONE);
	assert_null(why);
	char *s = seen(&d);
	assert_string_equal(s, "check env={\"BOOTED\":\"B\",\"BOOT_A_LEFT\":\"3\",\"BOOT_B_LEFT\":\"0\","
			       "\"BOOT_ID\":\"2\",\"BOOT_ORDER\":\"BA\"}\n"
			       "ArtifactCommit env={\"BOOTED\":\"B\",\"BOOT_A_LEFT\":\"3\",\"BOOT_B_LEFT\":\"3\","
			       "\"BOOT_ID\":\"2\",\"BOOT_ORDER\":\"BA\"} state=4\n");
	free(s);
	assert_int_equal(state_of(&d), AGENT_STATE_COMMITTED);
	char *v = installed(&d);
	assert_string_equal(v, "2.0.0");
	free(v);
	assert_int_equal(reboot(&d), LIFECYCLE_STARTUP_NORMAL);
	/* A second commit has nothing to do and runs nothing. */
	assert_ok(lifecycle_commit(d.c, d.s, d.b, &out, &why, &err), err);
	assert_int_equal(out, LIFECYCLE_COMMIT_NOTHING);
	s = seen(&d);
	assert_string_equal(s, "");
	free(s);
	device_close(&d);
}

static void test_lifecycle_failed_health_check_rolls_back(void **state)
{
	(void)state;
	struct device d;
	trial(&d);
	char *why = commit_failing(&d, "fail-check");
	assert_non_null(strstr(why, "health check failed: "));
	free(why);
	/* The module's own undo ran while the state still said trial. */
	char *s = seen(&d);
	assert_non_null(strstr(s, "ArtifactRollback env="));
	assert_non_null(strstr(s, "state=4\n"));
	assert_null(strstr(s, "ArtifactCommit"));
	free(s);
	expect_back_on_a(&d);
	device_close(&d);
}

/* The record's "log" names the excerpt kept in state/logs/: its SHA-256
 * (the top-level key sorts after "detail", which may hold its own "log"). */
static char *record_log_text(struct device *d, const char *line)
{
	struct ferry_error *err = NULL;
	const char *at = NULL;
	for (const char *p = line; (p = strstr(p, "\"log\":\"")); p++)
		at = p;
	assert_non_null(at);
	char sha[SHA256_HEX_LEN + 1], *path = NULL, *z = NULL, *text = NULL;
	memcpy(sha, at + 7, SHA256_HEX_LEN);
	sha[SHA256_HEX_LEN] = '\0';
	assert_true(asprintf(&path, "%s/state/logs/%s.zst", d->dir, sha) > 0);
	size_t len = 0;
	assert_ok(read_file_limited(path, FAILLOG_MAX, &z, &len, &err), err);
	assert_ok(faillog_decode(z, len, sha, &text, &err), err);
	free(path);
	free(z);
	return text;
}

/* A failed health check keeps its output, the agent's log tail and the
 * site's diagnostics in a failure log named by the rollback record. */
static void test_lifecycle_failed_health_check_keeps_failure_log(void **state)
{
	(void)state;
	struct device d;
	trial(&d);
	write_script(&d, "hooks.d/diagnostics.d/10-df", "echo \"diag: hook=$FERRY_HOOK disk ok\"\n");
	free(commit_failing(&d, "fail-check"));
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"boot.rolled_back\""));
	char *text = record_log_text(&d, line);
	assert_non_null(strstr(text, "== failure ==\nhealth check failed: "));
	assert_non_null(strstr(text, "service app did not start"));
	assert_non_null(strstr(text, "diag: hook=diagnostics disk ok"));
	free(text);
	free(line);
	device_close(&d);
}

/* The health check's metrics travel in the commit's record, with the
 * agent's time from boot to commit; bogus lines are refused, not fatal. */
static void test_lifecycle_commit_records_health_metrics(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	enum lifecycle_commit_outcome out;
	char *why = NULL;
	trial(&d);
	write_script(&d, "hooks.d/health_check.d/20-metrics",
		     "printf 'boot_time_ms=1234\\nmem_free_kb = 5120.5\\nBad Key=1\\napp.rps=abc\\n' > \"$FERRY_METRICS_FILE\"\n");
	assert_ok(lifecycle_commit(d.c, d.s, d.b, &out, &why, &err), err);
	assert_int_equal(out, LIFECYCLE_COMMIT_DONE);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"boot.committed\""));
	assert_non_null(strstr(line, "\"boot_time_ms\":1234"));
	assert_non_null(strstr(line, "\"mem_free_kb\":5120.5"));
	assert_non_null(strstr(line, "\"commit_after_boot_ms\":"));
	assert_non_null(strstr(line, "\"line 3: name must be 1-64 of [a-z0-9_.]\""));
	assert_non_null(strstr(line, "\"line 4: value must be a finite number\""));
	free(line);
	free(why);
	device_close(&d);
}

/* A payload whose commit fails (after the slot was marked good) rolls the
 * update back: the previous slot first again. */
static void test_lifecycle_failed_payload_commit_rolls_back(void **state)
{
	(void)state;
	struct device d;
	trial(&d);
	char *why = commit_failing(&d, "fail-commit");
	assert_non_null(strstr(why, "commit failed: "));
	assert_non_null(strstr(why, "; rolled back"));
	free(why);
	free(seen(&d));
	expect_back_on_a(&d);
	device_close(&d);
}

static void test_lifecycle_commit_before_the_reboot_is_refused(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	enum lifecycle_commit_outcome out;
	char *why = NULL;
	device_open(&d);
	install(&d, true);
	assert_false(lifecycle_commit(d.c, d.s, d.b, &out, &why, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_STATE);
	ferry_error_free(err);
	assert_int_equal(state_of(&d), AGENT_STATE_INSTALLED);
	device_close(&d);
}

/* arm is last: a crash between it and "installed" is still a complete trial. */
static void test_lifecycle_crash_after_arming_still_becomes_trial(void **state)
{
	(void)state;
	struct device d;
	device_open(&d);
	install(&d, false);
	assert_int_equal(state_of(&d), AGENT_STATE_INSTALLING);
	assert_int_equal(reboot(&d), LIFECYCLE_STARTUP_TRIAL);
	assert_int_equal(state_of(&d), AGENT_STATE_TRIAL);
	device_close(&d);
}

/* fall back: the payloads' undo runs after the bootloader rolled back and
 * before the state says so, so a crash in between redoes it. */
static void test_lifecycle_fallback_undoes_between_bootloader_and_state(void **state)
{
	(void)state;
	struct device d;
	trial(&d);
	assert_int_equal(reboot(&d), LIFECYCLE_STARTUP_ROLLED_BACK);   /* not committed: falls back */
	char *s = seen(&d);
	assert_string_equal(s, "ArtifactRollback env={\"BOOTED\":\"A\",\"BOOT_A_LEFT\":\"3\",\"BOOT_B_LEFT\":\"0\","
			       "\"BOOT_ID\":\"3\",\"BOOT_ORDER\":\"AB\"} state=4\n");
	free(s);
	assert_int_equal(state_of(&d), AGENT_STATE_ROLLED_BACK);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"boot.rolled_back\""));
	free(line);
	device_close(&d);
}

static void test_lifecycle_startup_runs_once_per_boot(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	enum lifecycle_startup_outcome o;
	trial(&d);
	for (int i = 0; i < 3; i++) {
		assert_ok(lifecycle_startup(d.c, d.s, d.b, &o, &err), err);
		assert_int_equal(o, LIFECYCLE_STARTUP_SAME_BOOT);
	}
	struct state_info info;
	assert_ok(state_get(d.s, &info, &err), err);
	assert_int_equal(info.boot_count, 2);
	state_info_clear(&info);
	device_close(&d);
}

static void test_lifecycle_committed_slot_that_fails_to_boot_is_reported(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	device_open(&d);
	/* The primary a has no tries left (it kept failing before userspace). */
	const char *text = "{\"BOOT_ORDER\":\"A B\",\"BOOT_A_LEFT\":\"0\",\"BOOT_B_LEFT\":\"3\",\"BOOTED\":\"A\",\"BOOT_ID\":\"5\"}";
	free(test_write_file(d.dir, "bootenv.json", text, strlen(text)));
	assert_int_equal(reboot(&d), LIFECYCLE_STARTUP_FELL_BACK);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"boot.fell_back\""));
	char *log = record_log_text(&d, line);   /* a fall-back keeps a failure log too */
	assert_non_null(strstr(log, "== failure =="));
	free(log);
	free(line);
	/* The running slot is made primary so that the device keeps booting. */
	struct boot_status bs;
	assert_ok(boot_get_status(d.b, &bs, &err), err);
	assert_int_equal(bs.order[0], 'b');
	assert_int_equal(reboot(&d), LIFECYCLE_STARTUP_NORMAL);
	device_close(&d);
}

static void test_lifecycle_rollback_undoes_payloads_then_bootloader(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	trial(&d);
	assert_ok(lifecycle_rollback(d.c, d.s, d.b, "requested", &err), err);
	char *s = seen(&d);
	/* The module ran while the trial slot was still the primary. */
	assert_non_null(strstr(s, "ArtifactRollback env={\"BOOTED\":\"B\""));
	assert_non_null(strstr(s, "\"BOOT_ORDER\":\"BA\"} state=4\n"));
	free(s);
	assert_int_equal(state_of(&d), AGENT_STATE_ROLLED_BACK);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"result\":\"info\""));
	free(line);
	assert_int_equal(reboot(&d), LIFECYCLE_STARTUP_NORMAL);
	assert_int_equal(booted_slot(&d), 'a');
	device_close(&d);
}

static void test_lifecycle_rollback_refused_at_rest(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	device_open(&d);
	assert_false(lifecycle_rollback(d.c, d.s, d.b, "requested", &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_STATE);
	ferry_error_free(err);
	assert_int_equal(state_of(&d), AGENT_STATE_IDLE);
	device_close(&d);
}

/* recover: an install whose agent died is cleaned up by the next start:
 * the previous slot first again, the module aborted, state failed. */
static void test_lifecycle_recover_interrupted_install(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	enum lifecycle_startup_outcome o;
	device_open(&d);
	install(&d, false);
	assert_ok(lifecycle_startup(d.c, d.s, d.b, &o, &err), err);
	assert_int_equal(o, LIFECYCLE_STARTUP_SAME_BOOT);
	assert_int_equal(state_of(&d), AGENT_STATE_FAILED);
	char *line = test_last_record(d.s);
	assert_non_null(strstr(line, "\"event\":\"install.interrupted\""));
	/* written after the restart, it still names the stick of the install */
	assert_non_null(strstr(line, "\"usb_vendor\":\"0781\""));
	assert_non_null(strstr(line, "\"usb_product\":\"5567\""));
	assert_non_null(strstr(line, "\"usb_serial\":\"USB9\""));
	free(line);
	struct boot_status bs;
	assert_ok(boot_get_status(d.b, &bs, &err), err);
	assert_int_equal(bs.order[0], 'a');
	assert_int_equal(bs.left[1], 0);
	char *work = NULL;
	assert_true(asprintf(&work, "%s/state/work/app", d.dir) > 0);
	assert_int_not_equal(access(work, F_OK), 0);   /* the module's Cleanup ran */
	free(work);
	free(seen(&d));
	device_close(&d);
}

/* A live installer holds agent.lock: start-up leaves its install alone. */
static void test_lifecycle_recover_leaves_a_live_install_alone(void **state)
{
	(void)state;
	struct device d;
	struct ferry_error *err = NULL;
	int lock = -1;
	device_open(&d);
	install(&d, false);
	assert_ok(lifecycle_lock(d.c, &lock, &err), err);
	int again = -1;
	assert_false(lifecycle_lock(d.c, &again, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_BUSY);
	ferry_error_clear(&err);
	assert_ok(lifecycle_startup(d.c, d.s, d.b, NULL, &err), err);
	assert_int_equal(state_of(&d), AGENT_STATE_INSTALLING);
	close(lock);
	device_close(&d);
}

/* One name per idea: each start-up outcome has one stable name (the JSON of
 * `ferry-agent boot` and `reboot`). */
static void test_lifecycle_startup_outcome_names(void **state)
{
	(void)state;
	const char *want[] = { "same_boot", "normal", "trial", "rolled_back", "fell_back", "unknown_slot" };
	for (int o = LIFECYCLE_STARTUP_SAME_BOOT; o <= LIFECYCLE_STARTUP_UNKNOWN_SLOT; o++)
		assert_string_equal(lifecycle_startup_outcome_name((enum lifecycle_startup_outcome)o), want[o]);
	assert_string_equal(lifecycle_startup_outcome_name((enum lifecycle_startup_outcome)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_install_streams_activates_then_arms),
		cmocka_unit_test(test_lifecycle_install_failure_undoes_and_never_arms),
		cmocka_unit_test(test_lifecycle_install_refused_when_the_device_lacks_a_slot),
		cmocka_unit_test(test_lifecycle_commit_checks_marks_good_then_keeps),
		cmocka_unit_test(test_lifecycle_failed_health_check_rolls_back),
		cmocka_unit_test(test_lifecycle_failed_health_check_keeps_failure_log),
		cmocka_unit_test(test_lifecycle_commit_records_health_metrics),
		cmocka_unit_test(test_lifecycle_failed_payload_commit_rolls_back),
		cmocka_unit_test(test_lifecycle_commit_before_the_reboot_is_refused),
		cmocka_unit_test(test_lifecycle_crash_after_arming_still_becomes_trial),
		cmocka_unit_test(test_lifecycle_fallback_undoes_between_bootloader_and_state),
		cmocka_unit_test(test_lifecycle_startup_runs_once_per_boot),
		cmocka_unit_test(test_lifecycle_committed_slot_that_fails_to_boot_is_reported),
		cmocka_unit_test(test_lifecycle_rollback_undoes_payloads_then_bootloader),
		cmocka_unit_test(test_lifecycle_rollback_refused_at_rest),
		cmocka_unit_test(test_lifecycle_recover_interrupted_install),
		cmocka_unit_test(test_lifecycle_recover_leaves_a_live_install_alone),
		cmocka_unit_test(test_lifecycle_startup_outcome_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
