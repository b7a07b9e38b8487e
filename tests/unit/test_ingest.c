/* Tests for audit/ingest.c: idempotent import of signed export files and
 * continuation of the stored chain (gap, fork), with a real device key and
 * a real HQ database (SQLite, then PostgreSQL: db_target.h). */
#include "db_target.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/ingest.h"
#include "common/auditlog.h"
#include "common/json.h"
#include "common/pgp.h"
#include "common/safefile.h"

struct fixture {
	char *dir, *home, *out, *target;
	struct pgp *pgp;
	struct audit_db *db;
	struct audit_device dev;
	char fpr[PGP_FPR_LEN + 1];
	char *lines[40];
};

/* 40 chained records of gw-0001; variant changes record 15's event (a fork). */
static void make_chain(struct fixture *f, bool variant)
{
	struct ferry_error *err = NULL;
	char prev[SHA256_HEX_LEN + 1] = AUDITLOG_GENESIS_PREV;
	for (int i = 0; i < 40; i++) {
		free(f->lines[i]);
		struct auditlog_fields fl = {
			.seq = (uint64_t)i + 1, .prev = prev, .time = "2026-11-20T10:00:00Z", .boot = 1,
			.device = "gw-0001", .event = variant && i == 14 ? "boot.rolled_back" : "install.started",
			.result = "info",
		};
		assert_ok(auditlog_line_build(&fl, &f->lines[i], &err), err);
		auditlog_line_hash(f->lines[i], strlen(f->lines[i]), prev);
	}
}

/* Writes records first..last as a signed export; returns its path. */
static char *export(struct fixture *f, int first, int last)
{
	struct ferry_error *err = NULL;
	char *path = NULL;
	assert_ok(auditlog_export_write(f->out, "gw-0001", f->lines + first - 1, (size_t)(last - first + 1),
					f->pgp, f->fpr, &path, &err), err);
	return path;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ferry_error *err = NULL;
	bool found;
	f->dir = test_tmpdir();
	if (asprintf(&f->home, "%s/g", f->dir) < 0 || asprintf(&f->out, "%s/audit/gw-0001", f->dir) < 0)
		return -1;
	f->target = test_db_target_new(f->dir);
	assert_ok(pgp_open(f->home, &f->pgp, &err), err);
	assert_ok(pgp_create_key(f->pgp, "gw-0001", 0, f->fpr, &err), err);
	assert_ok(audit_db_open(f->target, &f->db, &err), err);
	assert_ok(audit_db_device_put_key(f->db, "gw-0001", f->fpr, "KEY", "2026-11-01T00:00:00Z", &err), err);
	assert_ok(audit_db_device_get(f->db, "gw-0001", &f->dev, &found, &err), err);
	make_chain(f, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 40; i++)
		free(f->lines[i]);
	audit_device_clear(&f->dev);
	audit_db_close(f->db);
	pgp_close(f->pgp);
	pgp_kill_daemons(f->home);
	test_tmpdir_remove(f->dir);
	test_db_target_drop(f->target);
	free(f->home);
	free(f->out);
	free(f);
	return 0;
}

static void imports(struct fixture *f, const char *path, int64_t want_new, int64_t want_known)
{
	struct ferry_error *err = NULL;
	struct ingest_result r;
	assert_ok(ingest_export(f->db, f->pgp, &f->dev, AT_FDCWD, path, &r, &err), err);
	assert_int_equal(r.records_new, want_new);
	assert_int_equal(r.records_known, want_known);
}

static void refuses(struct fixture *f, const char *path, const char *needle)
{
	struct ferry_error *err = NULL;
	struct ingest_result r;
	int64_t before, after;
	char hash[65];
	assert_ok(audit_db_chain_tail(f->db, "gw-0001", &before, hash, &err), err);
	assert_false(ingest_export(f->db, f->pgp, &f->dev, AT_FDCWD, path, &r, &err));
	assert_error_contains(err, needle);
	ferry_error_free(err);
	err = NULL;
	assert_ok(audit_db_chain_tail(f->db, "gw-0001", &after, hash, &err), err);
	assert_int_equal(before, after);
}

static void test_ingest_reimport_changes_nothing(void **state)
{
	struct fixture *f = *state;
	char *p = export(f, 1, 10);
	imports(f, p, 10, 0);
	imports(f, p, 0, 10);
	free(p);
}

static void test_ingest_continues_the_stored_chain(void **state)
{
	struct fixture *f = *state;
	char *a = export(f, 1, 10), *b = export(f, 11, 20), *c = export(f, 5, 30);
	imports(f, a, 10, 0);
	imports(f, b, 10, 0);
	imports(f, c, 10, 16);   /* an overlapping later export adds only what is new */
	free(a);
	free(b);
	free(c);
}

static void test_ingest_refuses_a_gap(void **state)
{
	struct fixture *f = *state;
	char *a = export(f, 1, 10), *c = export(f, 21, 30);
	imports(f, a, 10, 0);
	refuses(f, c, "gap: records 11-20 missing");
	free(a);
	free(c);
}

static void test_ingest_refuses_a_fork(void **state)
{
	struct fixture *f = *state;
	char *a = export(f, 1, 20);
	imports(f, a, 20, 0);
	make_chain(f, true);   /* the same seqs, record 15 rewritten, re-chained and re-signed */
	free(a);
	a = export(f, 11, 30);
	refuses(f, a, "fork: record 15 differs");
	free(a);
}

static void test_ingest_refuses_a_file_signed_by_another_key(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	char other[PGP_FPR_LEN + 1];
	assert_ok(pgp_create_key(f->pgp, "gw-0002", 0, other, &err), err);
	memcpy(f->fpr, other, sizeof(other));
	char *a = export(f, 1, 10);
	refuses(f, a, "not signed by the device key");
	free(a);
}

/* Record seq (the last of an export, so the chain stays whole) as a newer
 * writer would make it: key set to value, still canonical. */
static void rewrite_record(struct fixture *f, int seq, const char *key, json_t *value)
{
	json_t *rec = json_loads(f->lines[seq - 1], 0, NULL);
	assert_non_null(rec);
	assert_int_equal(json_object_set_new(rec, key, value), 0);
	free(f->lines[seq - 1]);
	f->lines[seq - 1] = json_dump_canonical(rec);
	json_decref(rec);
}

/* Devices may be upgraded before HQ: a field of a newer minor version,
 * chained and signed by the device, is stored raw and re-verifies. */
static void test_ingest_accepts_unknown_field_of_same_major(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	rewrite_record(f, 10, "zz_newer", json_pack("{s:[i]}", "x", 1));
	char *a = export(f, 1, 10);
	imports(f, a, 10, 0);
	imports(f, a, 0, 10);
	bool found = false;
	char hash[65], want[SHA256_HEX_LEN + 1];
	assert_ok(audit_db_record_hash(f->db, "gw-0001", 10, hash, &found, &err), err);
	auditlog_line_hash(f->lines[9], strlen(f->lines[9]), want);
	assert_true(found);
	assert_string_equal(hash, want);
	free(a);
}

static bool code_of_seq_3(const struct audit_record *r, void *ctx, struct ferry_error **err)
{
	(void)err;
	if (r->seq == 3)
		snprintf(ctx, 32, "%s", r->code ? r->code : "(none)");
	return true;
}

/* The reason code a device gives travels into records.code. */
static void test_ingest_stores_the_reason_code(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	char code[32] = "";
	/* five records, the third a refusal with its code */
	char prev[SHA256_HEX_LEN + 1] = AUDITLOG_GENESIS_PREV;
	for (int i = 0; i < 5; i++) {
		free(f->lines[i]);
		struct auditlog_fields fl = {
			.seq = (uint64_t)i + 1, .prev = prev, .time = "2026-11-20T10:00:00Z", .boot = 1,
			.device = "gw-0001", .event = i == 2 ? "install.refused" : "install.started",
			.result = i == 2 ? "refused" : "info", .code = i == 2 ? "signature" : NULL,
		};
		assert_ok(auditlog_line_build(&fl, &f->lines[i], &err), err);
		auditlog_line_hash(f->lines[i], strlen(f->lines[i]), prev);
	}
	char *a = export(f, 1, 5);
	imports(f, a, 5, 0);
	struct audit_event_filter flt = { .device = "gw-0001", .by_seq = true };
	assert_ok(audit_db_events(f->db, &flt, code_of_seq_3, code, &err), err);
	assert_string_equal(code, "signature");
	free(a);
}

static void test_ingest_refuses_unknown_major_version(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct ingest_result r;
	char *buf = NULL, *path = NULL, name[128];
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	rewrite_record(f, 10, "format", json_integer(AUDITLOG_FORMAT + 1));
	for (int i = 0; i < 10; i++)
		fprintf(m, "%s\n", f->lines[i]);
	fclose(m);
	/* auditlog_export_write refuses to sign what it cannot read: sign by hand. */
	assert_ok(auditlog_export_name("gw-0001", 1, 10, name, sizeof(name), &err), err);
	assert_ok(mkdir_p(f->out, 0755, &err), err);
	assert_ok(path_join(f->out, name, &path, &err), err);
	assert_ok(auditlog_write_signed(path, buf, len, f->pgp, f->fpr, &err), err);
	assert_false(ingest_export(f->db, f->pgp, &f->dev, AT_FDCWD, path, &r, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_error_contains(err, "format 2 is newer");
	ferry_error_free(err);
	free(path);
	free(buf);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ingest_reimport_changes_nothing),
		T(test_ingest_continues_the_stored_chain),
		T(test_ingest_refuses_a_gap),
		T(test_ingest_refuses_a_fork),
		T(test_ingest_refuses_a_file_signed_by_another_key),
		T(test_ingest_accepts_unknown_field_of_same_major),
		T(test_ingest_refuses_unknown_major_version),
		T(test_ingest_stores_the_reason_code),
	};
	return test_db_run(tests, sizeof(tests) / sizeof(tests[0]));
}
