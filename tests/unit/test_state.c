/* Tests for agent/state.c: state changes with their records in one
 * transaction, the hash chain, resume data, export marks, pruning, and
 * survival of SIGKILL at any moment. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "agent/state.h"
#include "common/auditlog.h"

static struct state *open_state(const char *dir)
{
	struct state *s = NULL;
	struct ferry_error *err = NULL;
	struct agent_kv seed[] = { { "gateway-os", "2.3.0" }, { "app", "1.0.0" } };
	assert_ok(state_open(dir, "gw-0001", seed, 2, &s, &err), err);
	return s;
}

static void go(struct state *s, enum agent_state to, const char *event, const char *result)
{
	struct ferry_error *err = NULL;
	struct state_change c = { .set_state = true, .state = to };
	struct auditlog_fields ev = { .event = event, .result = result };
	assert_ok(state_apply(s, &c, &ev, NULL, &err), err);
}

/* Joins records into an export-style buffer and verifies the chain. */
static void assert_chain_intact(struct state *s, uint64_t *n_out)
{
	struct state_records r;
	struct state_info info;
	struct ferry_error *err = NULL;
	assert_ok(state_get(s, &info, &err), err);
	assert_ok(state_records_after(s, 0, 0, &r, &err), err);
	size_t len = 0;
	for (size_t i = 0; i < r.n; i++)
		len += strlen(r.lines[i]) + 1;
	char *buf = calloc(1, len + 1);
	for (size_t i = 0; i < r.n; i++) {
		strcat(buf, r.lines[i]);
		strcat(buf, "\n");
	}
	struct auditlog_chain c;
	if (r.n) {
		assert_ok(auditlog_chain_verify(buf, len, "agent.db", "gw-0001", NULL, &c, &err), err);
		assert_string_equal(c.last_hash, info.last_hash);
		assert_int_equal(c.last_seq, info.last_seq);
	}
	if (n_out)
		*n_out = r.n;
	free(buf);
	state_records_clear(&r);
	state_info_clear(&info);
}

static void test_state_new_db_is_idle_and_seeded(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state(dir);
	struct state_info info;
	struct ferry_error *err = NULL;
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.state, AGENT_STATE_IDLE);
	assert_int_equal(info.last_seq, 0);
	assert_string_equal(info.last_hash, AUDITLOG_GENESIS_PREV);
	assert_false(info.has_txn);
	state_info_clear(&info);
	char *v = NULL;
	assert_ok(state_installed_version(s, "gateway-os", &v, &err), err);
	assert_string_equal(v, "2.3.0");
	free(v);
	assert_ok(state_installed_version(s, "nothing", &v, &err), err);
	assert_null(v);
	struct agent_kv *kv = NULL;
	size_t n = 0;
	assert_ok(state_installed(s, &kv, &n, &err), err);
	assert_int_equal(n, 2);
	assert_string_equal(kv[0].key, "app");
	state_kv_free(kv, n);
	state_close(s);
	/* The seed applies only on creation; another device's db is refused. */
	struct agent_kv other[] = { { "gateway-os", "9.9.9" } };
	assert_ok(state_open(dir, "gw-0001", other, 1, &s, &err), err);
	assert_ok(state_installed_version(s, "gateway-os", &v, &err), err);
	assert_string_equal(v, "2.3.0");
	free(v);
	state_close(s);
	s = NULL;
	assert_false(state_open(dir, "gw-0002", NULL, 0, &s, &err));
	assert_error_contains(err, "belongs to device 'gw-0001', not 'gw-0002'");
	ferry_error_free(err);
	test_tmpdir_remove(dir);
}

static void test_state_transition_and_record_commit_together(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state(dir);
	struct ferry_error *err = NULL;
	struct state_txn t = { .bundle = "gateway-os", .version = "2.4.1", .variant = "gw-x",
			       .security_version = 7, .target_slot = "b", .previous_slot = "a" };
	struct state_change c = { .set_state = true, .state = AGENT_STATE_VERIFYING, .begin_txn = &t };
	struct auditlog_fields ev = { .event = "install.started", .bundle = "gateway-os", .version = "2.4.1",
				  .result = "info" };
	uint64_t seq = 0;
	assert_ok(state_apply(s, &c, &ev, &seq, &err), err);
	assert_int_equal(seq, 1);
	go(s, AGENT_STATE_INSTALLING, "install.writing", "info");
	go(s, AGENT_STATE_INSTALLED, "install.finished", "success");
	go(s, AGENT_STATE_TRIAL, "boot.trial", "info");
	struct state_change commit = { .set_state = true, .state = AGENT_STATE_COMMITTED, .clear_txn = true,
				       .installed_name = "gateway-os", .installed_version = "2.4.1",
				       .security_version = 7 };
	struct auditlog_fields cev = { .event = "boot.committed", .result = "success" };
	assert_ok(state_apply(s, &commit, &cev, &seq, &err), err);
	assert_int_equal(seq, 5);
	struct state_info info;
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.state, AGENT_STATE_COMMITTED);
	assert_int_equal(info.security_version, 7);
	assert_false(info.has_txn);
	state_info_clear(&info);
	/* security_version never goes down. */
	struct state_change lower = { .security_version = 3 };
	struct auditlog_fields lev = { .event = "test", .result = "info" };
	assert_ok(state_apply(s, &lower, &lev, NULL, &err), err);
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.security_version, 7);
	state_info_clear(&info);
	assert_chain_intact(s, NULL);
	state_close(s);
	test_tmpdir_remove(dir);
}

static void test_state_refuses_illegal_transition_without_effect(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state(dir);
	struct ferry_error *err = NULL;
	struct state_change c = { .set_state = true, .state = AGENT_STATE_COMMITTED,
				  .installed_name = "gateway-os", .installed_version = "9.0.0" };
	struct auditlog_fields ev = { .event = "boot.committed", .result = "success" };
	assert_false(state_apply(s, &c, &ev, NULL, &err));
	assert_error_contains(err, "cannot go from idle to committed");
	ferry_error_clear(&err);
	/* A change without its record is refused too. */
	struct state_change c2 = { .set_state = true, .state = AGENT_STATE_VERIFYING };
	assert_false(state_apply(s, &c2, NULL, NULL, &err));
	assert_error_contains(err, "needs its audit record");
	ferry_error_clear(&err);
	/* A record that cannot be built rolls the state change back. */
	struct auditlog_fields bad = { .event = "install.started", .result = "maybe" };
	assert_false(state_apply(s, &c2, &bad, NULL, &err));
	ferry_error_clear(&err);
	struct state_info info;
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.state, AGENT_STATE_IDLE);
	assert_int_equal(info.last_seq, 0);
	state_info_clear(&info);
	char *v = NULL;
	assert_ok(state_installed_version(s, "gateway-os", &v, &err), err);
	assert_string_equal(v, "2.3.0");
	free(v);
	assert_true(state_transition_allowed(AGENT_STATE_TRIAL, AGENT_STATE_ROLLED_BACK));
	assert_false(state_transition_allowed(AGENT_STATE_FAILED, AGENT_STATE_TRIAL));
	state_close(s);
	test_tmpdir_remove(dir);
}

static void test_state_keeps_resume_data(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state(dir);
	struct ferry_error *err = NULL;
	struct state_txn t = { .bundle = "os", .version = "2.0.0", .target_slot = "b",
			       .usb_serial = "AA01", .detail = "{\"path\":\"/media/x.ferry\"}" };
	struct state_change c = { .set_state = true, .state = AGENT_STATE_VERIFYING, .begin_txn = &t };
	struct auditlog_fields ev = { .event = "install.started", .result = "info" };
	assert_ok(state_apply(s, &c, &ev, NULL, &err), err);
	go(s, AGENT_STATE_INSTALLING, "install.writing", "info");
	struct state_progress p = { .payload = "rootfs", .handler = "rootfs-ab", .phase = "writing",
				    .offset = 8388608 };
	assert_ok(state_progress_set(s, &p, &err), err);
	p.offset = 12582912;
	assert_ok(state_progress_set(s, &p, &err), err);
	state_close(s);
	/* After a restart, the transaction and its progress are there. */
	s = open_state(dir);
	struct state_info info;
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.state, AGENT_STATE_INSTALLING);
	assert_true(info.has_txn);
	assert_string_equal(info.txn.target_slot, "b");
	assert_string_equal(info.txn.usb_serial, "AA01");
	assert_string_equal(info.txn.detail, "{\"path\":\"/media/x.ferry\"}");
	assert_non_null(info.txn.started);
	state_info_clear(&info);
	struct state_progress got;
	bool found = false;
	assert_ok(state_progress_get(s, "rootfs", &got, &found, &err), err);
	assert_true(found);
	assert_int_equal(got.offset, 12582912);
	assert_string_equal(got.phase, "writing");
	state_progress_clear(&got);
	/* Ending the transaction drops its progress. */
	struct state_change fail = { .set_state = true, .state = AGENT_STATE_FAILED, .clear_txn = true };
	struct auditlog_fields fev = { .event = "install.finished", .result = "failure" };
	assert_ok(state_apply(s, &fail, &fev, NULL, &err), err);
	assert_ok(state_progress_get(s, "rootfs", &got, &found, &err), err);
	assert_false(found);
	state_close(s);
	test_tmpdir_remove(dir);
}

/* A new state in dir holding n "test.event" records (seq 1 to n). */
static struct state *open_state_with_records(const char *dir, int n)
{
	struct state *s = open_state(dir);
	struct ferry_error *err = NULL;
	struct auditlog_fields ev = { .event = "test.event", .result = "info" };
	for (int i = 0; i < n; i++)
		assert_ok(state_record(s, &ev, NULL, &err), err);
	return s;
}

/* An export is bounded: the oldest records that fit the budget, at least
 * one, the rest left for the next stick. */
static void test_state_unacked_respects_budget(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state_with_records(dir, 10);
	struct ferry_error *err = NULL;
	struct state_records all, r;
	assert_ok(state_records_after(s, 0, 0, &all, &err), err);
	size_t three = 0;
	for (size_t i = 0; i < 3; i++)
		three += strlen(all.lines[i]) + 1;
	assert_ok(state_records_unacked(s, three, &r, &err), err);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.first_seq, 1);
	assert_int_equal(r.last_seq, 3);
	state_records_clear(&r);
	assert_ok(state_records_unacked(s, 1, &r, &err), err);
	assert_int_equal(r.n, 1);
	state_records_clear(&r);
	state_records_clear(&all);
	state_close(s);
	test_tmpdir_remove(dir);
}

static void test_state_export_marks_and_prune(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state_with_records(dir, 6);
	struct ferry_error *err = NULL;
	struct auditlog_fields ev = { .event = "test.event", .result = "info" };
	struct state_records r;
	assert_ok(state_records_unacked(s, 1u << 20, &r, &err), err);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.first_seq, 1);
	state_records_clear(&r);
	assert_ok(state_mark_exported(s, 4, &err), err);
	assert_ok(state_mark_exported(s, 2, &err), err);   /* never backwards */
	/* Exported is not acknowledged: a lost stick must not lose records. */
	assert_ok(state_records_unacked(s, 1u << 20, &r, &err), err);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.first_seq, 1);
	state_records_clear(&r);
	/* An ack beyond what was exported prunes only what was exported. */
	uint64_t pruned = 0;
	assert_ok(state_prune(s, 6, &pruned, &err), err);
	assert_int_equal(pruned, 4);
	assert_ok(state_records_after(s, 0, 0, &r, &err), err);
	assert_int_equal(r.first_seq, 5);
	state_records_clear(&r);
	assert_ok(state_records_unacked(s, 1u << 20, &r, &err), err);
	assert_int_equal(r.first_seq, 5);
	assert_int_equal(r.n, 2);
	state_records_clear(&r);
	/* Everything exported and acked: the newest record stays, the chain goes on. */
	assert_ok(state_mark_exported(s, 100, &err), err);
	assert_ok(state_prune(s, 100, &pruned, &err), err);
	assert_int_equal(pruned, 1);
	uint64_t seq = 0;
	assert_ok(state_record(s, &ev, &seq, &err), err);
	assert_int_equal(seq, 7);
	/* The kept newest record was acknowledged: only seq 7 travels. */
	assert_ok(state_records_unacked(s, 1u << 20, &r, &err), err);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.first_seq, 7);
	state_records_clear(&r);
	assert_chain_intact(s, NULL);
	assert_ok(state_records_last(s, 1, &r, &err), err);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.first_seq, 7);
	state_records_clear(&r);
	struct state_info info;
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.exported_seq, 6);
	assert_int_equal(info.first_seq, 6);
	state_info_clear(&info);
	state_close(s);
	test_tmpdir_remove(dir);
}

static void test_state_boot_count_goes_into_records(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state(dir);
	struct ferry_error *err = NULL;
	struct state_change boot = { .new_boot = true, .boot_id = "b1" };
	assert_ok(state_apply(s, &boot, NULL, NULL, &err), err);
	assert_ok(state_apply(s, &boot, NULL, NULL, &err), err);
	struct auditlog_fields ev = { .event = "test.event", .result = "info" };
	assert_ok(state_record(s, &ev, NULL, &err), err);
	struct state_records r;
	assert_ok(state_records_last(s, 1, &r, &err), err);
	assert_non_null(strstr(r.lines[0], "\"boot\":2"));
	state_records_clear(&r);
	struct state_info info;
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.boot_count, 2);
	assert_string_equal(info.boot_id, "b1");
	state_info_clear(&info);
	state_close(s);
	test_tmpdir_remove(dir);
}

/* The caller's record is the record format's own struct: every field it sets
 * reaches the line, and the journal's own fields win over whatever it holds. */
static void test_state_record_keeps_every_field_the_caller_set(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state(dir);
	struct ferry_error *err = NULL;
	json_t *detail = json_pack("{s:s}", "reason", "disk full");
	struct auditlog_fields ev = {
		.seq = 99, .prev = "x", .time = "1999-01-01T00:00:00Z", .boot = 7, .device = "other",
		.event = "install.finished", .bundle = "gateway-os", .version = "2.4.1",
		.result = "failure", .code = "nospace", .usb_serial = "S1", .media_label = "FERRY",
		.usb_vendor = "0781", .usb_product = "5567", .detail = detail,
		.log = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	};
	assert_ok(state_record(s, &ev, NULL, &err), err);
	struct state_records r;
	struct auditlog_record rec;
	assert_ok(state_records_last(s, 1, &r, &err), err);
	assert_ok(auditlog_line_parse(r.lines[0], strlen(r.lines[0]), &rec, &err), err);
	assert_int_equal(rec.f.seq, 1);
	assert_string_equal(rec.f.prev, AUDITLOG_GENESIS_PREV);
	assert_string_equal(rec.f.device, "gw-0001");
	assert_int_equal(rec.f.boot, 0);
	assert_string_not_equal(rec.f.time, ev.time);
	assert_string_equal(rec.f.event, ev.event);
	assert_string_equal(rec.f.bundle, ev.bundle);
	assert_string_equal(rec.f.version, ev.version);
	assert_string_equal(rec.f.result, ev.result);
	assert_string_equal(rec.f.code, ev.code);
	assert_string_equal(rec.f.usb_serial, ev.usb_serial);
	assert_string_equal(rec.f.media_label, ev.media_label);
	assert_string_equal(rec.f.usb_vendor, ev.usb_vendor);
	assert_string_equal(rec.f.usb_product, ev.usb_product);
	assert_string_equal(rec.f.log, ev.log);
	assert_string_equal(json_string_value(json_object_get(rec.f.detail, "reason")), "disk full");
	auditlog_record_clear(&rec);
	state_records_clear(&r);
	json_decref(detail);
	state_close(s);
	test_tmpdir_remove(dir);
}

/* The child of the crash test: walks idle/committed -> verifying -> failed
 * forever; each record's event names the state it enters, so the state and
 * the last record must always agree. */
static void crash_child(const char *dir)
{
	struct state *s = NULL;
	struct ferry_error *err = NULL;
	if (!state_open(dir, "gw-0001", NULL, 0, &s, &err))
		_exit(3);
	for (;;) {
		struct state_info info;
		if (!state_get(s, &info, &err))
			_exit(4);
		enum agent_state next = info.state == AGENT_STATE_VERIFYING ? AGENT_STATE_FAILED
								       : AGENT_STATE_VERIFYING;
		state_info_clear(&info);
		struct state_change c = { .set_state = true, .state = next };
		struct auditlog_fields ev = { .event = state_name(next), .result = "info" };
		if (!state_apply(s, &c, &ev, NULL, &err))
			_exit(5);
	}
}

static void test_state_survives_sigkill_loop(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state(dir);
	state_close(s);
	srand((unsigned)time(NULL));
	uint64_t before = 0;
	for (int round = 0; round < 30; round++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			crash_child(dir);
		usleep((useconds_t)(rand() % (20000 * test_slowdown())));
		kill(pid, SIGKILL);
		int status = 0;
		waitpid(pid, &status, 0);
		assert_true(WIFSIGNALED(status));
		s = open_state(dir);
		uint64_t n = 0;
		assert_chain_intact(s, &n);
		assert_true(n >= before);
		before = n;
		/* The state is the one the last record announced. */
		struct state_info info;
		struct state_records r;
		struct ferry_error *err = NULL;
		assert_ok(state_get(s, &info, &err), err);
		assert_ok(state_records_last(s, 1, &r, &err), err);
		if (r.n) {
			char want[64];
			snprintf(want, sizeof(want), "\"event\":\"%s\"", state_name(info.state));
			assert_non_null(strstr(r.lines[0], want));
		} else {
			assert_int_equal(info.state, AGENT_STATE_IDLE);
		}
		state_records_clear(&r);
		state_info_clear(&info);
		/* No change was applied twice: the events alternate. */
		assert_ok(state_records_after(s, 0, 0, &r, &err), err);
		for (size_t i = 0; i < r.n; i++)
			assert_non_null(strstr(r.lines[i], i % 2 ? "\"event\":\"failed\""
								  : "\"event\":\"verifying\""));
		state_records_clear(&r);
		state_close(s);
	}
	print_message("%llu records across 30 kills\n", (unsigned long long)before);
	assert_true(before > 0);
	test_tmpdir_remove(dir);
}

/* The highest security_version of target in s (0 when it has none). */
static int64_t floor_of(struct state *s, const char *target)
{
	struct security_floor *f = NULL;
	size_t n = 0;
	struct ferry_error *err = NULL;
	assert_ok(state_security_floors(s, &f, &n, &err), err);
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].target, target) == 0)
			v = f[i].value;
	security_floors_free(f, n);
	return v;
}

/* Begins a transaction writing targets, then commits it at sv. */
static void install_at(struct state *s, const char *bundle, const char *targets, int64_t sv)
{
	struct ferry_error *err = NULL;
	struct state_txn t = { .bundle = (char *)bundle, .version = "1.0.0", .security_version = sv,
			       .usb_serial = "S1", .media_label = "FERRY", .usb_vendor = "0781",
			       .usb_product = "5567", .security_targets = (char *)targets };
	struct state_change c = { .set_state = true, .state = AGENT_STATE_VERIFYING, .begin_txn = &t };
	struct auditlog_fields ev = { .event = "install.started", .result = "info" };
	assert_ok(state_apply(s, &c, &ev, NULL, &err), err);
	go(s, AGENT_STATE_INSTALLING, "install.writing", "info");
	struct state_info info;
	assert_ok(state_get(s, &info, &err), err);
	assert_string_equal(info.txn.usb_vendor, "0781");
	assert_string_equal(info.txn.usb_product, "5567");
	struct auditlog_fields rev = { .event = "install.interrupted", .result = "failure" };
	state_media_from_txn(&rev, &info);
	assert_string_equal(rev.usb_vendor, "0781");
	assert_string_equal(rev.usb_serial, "S1");
	struct state_change commit = { .set_state = true, .state = AGENT_STATE_COMMITTED,
				       .clear_txn = true, .installed_name = bundle,
				       .installed_version = "1.0.0", .security_version = sv };
	assert_ok(state_apply(s, &commit, &rev, NULL, &err), err);
	state_info_clear(&info);
}

static void test_state_security_version_per_target(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = open_state(dir);
	install_at(s, "os", "[\"bundle:os\",\"rootfs-ab:rootfs\"]", 5);
	install_at(s, "app", "[\"bundle:app\",\"files:app\"]", 2);
	assert_int_equal(floor_of(s, "bundle:os"), 5);
	assert_int_equal(floor_of(s, "rootfs-ab:rootfs"), 5);
	assert_int_equal(floor_of(s, "bundle:app"), 2);
	assert_int_equal(floor_of(s, "files:app"), 2);
	assert_int_equal(floor_of(s, ANTIROLLBACK_EVERY), 0);   /* a new database has none */
	/* a lower one never lowers a target; the device-wide value is the highest */
	install_at(s, "os2", "[\"bundle:os2\",\"rootfs-ab:rootfs\"]", 3);
	assert_int_equal(floor_of(s, "rootfs-ab:rootfs"), 5);
	struct state_info info;
	struct ferry_error *err = NULL;
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.security_version, 5);
	state_info_clear(&info);
	/* the records of the transactions carry the stick's USB ids */
	struct state_records r;
	assert_ok(state_records_last(s, 1, &r, &err), err);
	assert_non_null(strstr(r.lines[0], "\"usb_vendor\":\"0781\""));
	state_records_clear(&r);
	state_close(s);
	test_tmpdir_remove(dir);
}

/* agent.db as an agent of schema 1 left it: device gw-0001, security_version
 * 4, two installed bundles, an install of gateway-os 2.4.1 awaiting its
 * trial boot. Made with the statements of that agent, not with state.c. */
static void make_schema_1_db(const char *dir)
{
	char *path = NULL;
	sqlite3 *db = NULL;
	assert_true(asprintf(&path, "%s/agent.db", dir) > 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);"
		"CREATE TABLE installed (name TEXT PRIMARY KEY, version TEXT NOT NULL);"
		"CREATE TABLE txn (id INTEGER PRIMARY KEY CHECK (id = 1), bundle TEXT, version TEXT,"
		"  variant TEXT, security_version INTEGER NOT NULL DEFAULT 0, target_slot TEXT,"
		"  previous_slot TEXT, started TEXT, usb_serial TEXT, media_label TEXT, detail TEXT);"
		"CREATE TABLE progress (payload TEXT PRIMARY KEY, handler TEXT, phase TEXT,"
		"  offset INTEGER NOT NULL DEFAULT 0, data TEXT);"
		"CREATE TABLE journal (seq INTEGER PRIMARY KEY, line TEXT NOT NULL);"
		"INSERT INTO meta VALUES ('device', 'gw-0001'), ('state', 3), ('boot_count', 1),"
		"  ('boot_id', ''), ('security_version', 4), ('policy_serial', 0), ('exported_seq', 0);"
		"INSERT INTO installed VALUES ('gateway-os', '2.3.0'), ('app', '1.0.0');"
		"INSERT INTO txn (id, bundle, version, security_version, target_slot, previous_slot,"
		"  usb_serial) VALUES (1, 'gateway-os', '2.4.1', 6, 'b', 'a', 'S1');"
		"PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

static void test_state_upgrades_schema_1_in_place(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	make_schema_1_db(dir);
	struct state *s = open_state(dir);
	struct ferry_error *err = NULL;
	struct state_info info;
	/* what it held is kept; the one value seeds every target it knew */
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.state, AGENT_STATE_INSTALLED);
	assert_int_equal(info.security_version, 4);
	assert_true(info.has_txn);
	assert_string_equal(info.txn.usb_serial, "S1");
	assert_null(info.txn.usb_vendor);
	assert_null(info.txn.security_targets);
	state_info_clear(&info);
	assert_int_equal(floor_of(s, ANTIROLLBACK_EVERY), 4);
	assert_int_equal(floor_of(s, "bundle:gateway-os"), 4);
	assert_int_equal(floor_of(s, "bundle:app"), 4);
	/* the transaction begun before the upgrade names no targets: its
	 * commit raises every target */
	go(s, AGENT_STATE_TRIAL, "boot.trial", "info");
	struct state_change commit = { .set_state = true, .state = AGENT_STATE_COMMITTED,
				       .clear_txn = true, .security_version = 6 };
	struct auditlog_fields ev = { .event = "boot.committed", .result = "success" };
	assert_ok(state_apply(s, &commit, &ev, NULL, &err), err);
	assert_int_equal(floor_of(s, ANTIROLLBACK_EVERY), 6);
	state_close(s);
	/* opened again: already schema 2, nothing changes */
	s = open_state(dir);
	assert_int_equal(floor_of(s, ANTIROLLBACK_EVERY), 6);
	assert_int_equal(floor_of(s, "bundle:app"), 4);
	state_close(s);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_new_db_is_idle_and_seeded),
		cmocka_unit_test(test_state_transition_and_record_commit_together),
		cmocka_unit_test(test_state_refuses_illegal_transition_without_effect),
		cmocka_unit_test(test_state_keeps_resume_data),
		cmocka_unit_test(test_state_export_marks_and_prune),
		cmocka_unit_test(test_state_unacked_respects_budget),
		cmocka_unit_test(test_state_boot_count_goes_into_records),
		cmocka_unit_test(test_state_record_keeps_every_field_the_caller_set),
		cmocka_unit_test(test_state_survives_sigkill_loop),
		cmocka_unit_test(test_state_security_version_per_target),
		cmocka_unit_test(test_state_upgrades_schema_1_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
