/* Tests for audit/db.c and its backends (db_sqlite.c, db_pg.c: every test
 * runs on both, see db_target.h): migrations, the registry, records and chain
 * tails, transactions, inventory and event filters. */
#include "db_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/db.h"

struct fixture {
	char *dir;
	char *path;
	struct audit_db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ferry_error *err = NULL;
	f->dir = test_tmpdir();
	f->path = test_db_target_new(f->dir);
	if (!audit_db_open(f->path, &f->db, &err))
		fail_msg("%s", ferry_error_message(err));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	audit_db_close(f->db);
	test_tmpdir_remove(f->dir);
	test_db_target_drop(f->path);
	free(f);
	return 0;
}

static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";

static void hash_of(int64_t seq, char out[65])
{
	snprintf(out, 65, "%064llx", (long long)seq);
}

static void register_device(struct audit_db *db, const char *id)
{
	struct ferry_error *err = NULL;
	char fpr[41];
	snprintf(fpr, sizeof(fpr), "%040zx", strlen(id) * 131 + (size_t)id[strlen(id) - 1]);
	assert_ok(audit_db_device_put_key(db, id, fpr, "-----BEGIN PGP PUBLIC KEY BLOCK-----",
					  "2026-11-01T00:00:00Z", &err), err);
}

static bool insert(struct audit_db *db, const char *dev, int64_t seq, const char *event,
		   const char *result, const char *time, struct ferry_error **err)
{
	char hash[65], prev[65];
	hash_of(seq, hash);
	if (seq == 1)
		strcpy(prev, zeros);
	else
		hash_of(seq - 1, prev);
	struct audit_record r = {
		.device = dev, .seq = seq, .hash = hash, .prev = prev, .line = "{}", .time = time,
		.event = event, .bundle = "gateway-os", .version = "2.4.1", .result = result,
		.boot = 1,
	};
	return audit_db_record_insert(db, &r, err);
}

static void test_db_migrates_new_database_to_current_version(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	int64_t v = 0;
	assert_ok(audit_db_schema_version(f->db, &v, &err), err);
	assert_int_equal(v, AUDIT_DB_SCHEMA_VERSION);
	assert_string_equal(audit_db_backend_name(f->db), test_db_is_pg() ? "postgresql" : "sqlite");
}

static void test_db_reopen_keeps_data_and_does_not_migrate_again(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	register_device(f->db, "gw-0001");
	audit_db_close(f->db);
	f->db = NULL;
	assert_ok(audit_db_open(f->path, &f->db, &err), err);
	struct audit_device d;
	bool found = false;
	assert_ok(audit_db_device_get(f->db, "gw-0001", &d, &found, &err), err);
	assert_true(found);
	audit_device_clear(&d);
	assert_int_equal(test_db_int(f->path, "SELECT count(*) FROM schema_version"), AUDIT_DB_SCHEMA_VERSION);
}

static void test_db_refuses_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct audit_db *db = NULL;
	test_db_exec(f->path, "INSERT INTO schema_version VALUES (99)");
	assert_false(audit_db_open(f->path, &db, &err));
	assert_null(db);
	assert_error_contains(err, "schema version 99 is newer");
	assert_int_equal(ferry_error_code(err), FERRY_E_CONFIG);
	ferry_error_free(err);
}

/* PostgreSQL: a database that is not there is refused, naming it (not the password). */
static void refuses_a_missing_server_database(void)
{
	struct ferry_error *err = NULL;
	struct audit_db *db = NULL;
	char *target = NULL;
	const char *base = getenv("FERRY_TEST_PG");
	assert_true(asprintf(&target, "postgresql://ferry:secret@/ferry_nosuchdb%s", strstr(base, "?")) > 0);
	assert_false(audit_db_open(target, &db, &err));
	assert_null(db);
	assert_error_contains(err, "ferry_nosuchdb");
	assert_null(strstr(ferry_error_message(err), "secret"));   /* never a password in a message */
	assert_int_equal(ferry_error_code(err), FERRY_E_CONFIG);
	ferry_error_free(err);
	free(target);
}

static void test_db_refuses_a_file_that_is_not_a_database(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct audit_db *db = NULL;
	if (test_db_is_pg())
		return refuses_a_missing_server_database();
	char *path = test_write_file(f->dir, "notes.txt", "hello, this is not sqlite at all......."
				     "........................................................", 96);
	assert_false(audit_db_open(path, &db, &err));
	assert_error_contains(err, "notes.txt");
	ferry_error_free(err);
	free(path);
}

static void test_db_refuses_unknown_backend_scheme(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct audit_db *db = NULL;
	assert_false(audit_db_open("mysql://hq/ferry", &db, &err));
	assert_error_contains(err, "no database backend");
	assert_int_equal(ferry_error_code(err), FERRY_E_CONFIG);
	ferry_error_free(err);
}

static void test_db_register_replaces_key_of_same_id(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	register_device(f->db, "gw-0001");
	assert_ok(audit_db_device_put_key(f->db, "gw-0001", "1111222233334444555566667777888899990000",
					  "KEY2", "2026-11-02T00:00:00Z", &err), err);
	struct audit_device d;
	bool found;
	assert_ok(audit_db_device_get(f->db, "gw-0001", &d, &found, &err), err);
	assert_string_equal(d.fingerprint, "1111222233334444555566667777888899990000");
	assert_int_equal(d.last_seq, 0);
	assert_null(d.last_seen);
	audit_device_clear(&d);
	assert_ok(audit_db_device_get(f->db, "gw-0404", &d, &found, &err), err);
	assert_false(found);
}

static void test_db_refuses_one_key_for_two_devices(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	assert_ok(audit_db_device_put_key(f->db, "gw-0001", "FPR1", "K", "2026-11-01T00:00:00Z", &err), err);
	assert_false(audit_db_device_put_key(f->db, "gw-0002", "FPR1", "K", "2026-11-01T00:00:00Z", &err));
	assert_error_contains(err, "fingerprint");
	assert_int_equal(ferry_error_code(err), FERRY_E_INTEGRITY);
	ferry_error_free(err);
}

static void test_db_chain_tail_follows_inserts(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	int64_t seq = -1;
	char hash[65], want[65];
	register_device(f->db, "gw-0001");
	assert_ok(audit_db_chain_tail(f->db, "gw-0001", &seq, hash, &err), err);
	assert_int_equal(seq, 0);
	assert_string_equal(hash, zeros);
	assert_ok(audit_db_begin(f->db, &err), err);
	for (int64_t i = 1; i <= 5; i++)
		assert_ok(insert(f->db, "gw-0001", i, "install.finished", "success", "2026-11-20T10:00:00Z", &err), err);
	assert_ok(audit_db_commit(f->db, &err), err);
	assert_ok(audit_db_chain_tail(f->db, "gw-0001", &seq, hash, &err), err);
	assert_int_equal(seq, 5);
	hash_of(5, want);
	assert_string_equal(hash, want);
	bool found = false;
	assert_ok(audit_db_record_hash(f->db, "gw-0001", 3, hash, &found, &err), err);
	assert_true(found);
	hash_of(3, want);
	assert_string_equal(hash, want);
	assert_ok(audit_db_record_hash(f->db, "gw-0001", 6, hash, &found, &err), err);
	assert_false(found);
}

static void test_db_insert_of_a_stored_seq_is_refused(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	register_device(f->db, "gw-0001");
	assert_ok(insert(f->db, "gw-0001", 1, "install.started", "info", NULL, &err), err);
	assert_false(insert(f->db, "gw-0001", 1, "install.started", "info", NULL, &err));
	assert_error_contains(err, "gw-0001/1");
	assert_int_equal(ferry_error_code(err), FERRY_E_INTEGRITY);
	ferry_error_free(err);
}

static void test_db_insert_for_unregistered_device_is_refused(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	assert_false(insert(f->db, "ghost", 1, "install.started", "info", NULL, &err));
	assert_non_null(err);
	ferry_error_free(err);
}

struct collect {
	int n;
	int64_t last_seq;
};

static bool collect_cb(const struct audit_record *r, void *ctx, struct ferry_error **err)
{
	(void)err;
	struct collect *c = ctx;
	c->n++;
	c->last_seq = r->seq;
	return true;
}

/* More records than one batch of db_pg_conn: every one is read back inside
 * the transaction already, and stored by the commit. */
static void test_db_many_inserts_in_one_transaction_read_back(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	int64_t seq;
	char hash[65], want[65];
	bool found = false;
	register_device(f->db, "gw-0001");
	assert_ok(audit_db_begin(f->db, &err), err);
	for (int64_t i = 1; i <= 250; i++)
		assert_ok(insert(f->db, "gw-0001", i, "install.started", "info", "2026-11-20T10:00:00Z", &err), err);
	assert_ok(audit_db_chain_tail(f->db, "gw-0001", &seq, hash, &err), err);
	assert_int_equal(seq, 250);
	assert_ok(audit_db_record_hash(f->db, "gw-0001", 170, hash, &found, &err), err);
	hash_of(170, want);
	assert_true(found);
	assert_string_equal(hash, want);
	assert_ok(audit_db_commit(f->db, &err), err);
	struct collect c = { 0 };
	struct audit_event_filter flt = { .device = "gw-0001", .by_seq = true };
	assert_ok(audit_db_events(f->db, &flt, collect_cb, &c, &err), err);
	assert_int_equal(c.n, 250);
	assert_int_equal(c.last_seq, 250);
}

/* A stored seq inserted again fails the transaction (at the insert or at
 * the latest at commit), and nothing of it is kept. */
static void test_db_duplicate_in_a_transaction_fails_it(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	int64_t seq;
	char hash[65];
	register_device(f->db, "gw-0001");
	for (int64_t i = 1; i <= 3; i++)
		assert_ok(insert(f->db, "gw-0001", i, "install.started", "info", NULL, &err), err);
	assert_ok(audit_db_begin(f->db, &err), err);
	bool ok = true;
	for (int64_t i = 4; ok && i <= 10; i++)
		ok = insert(f->db, "gw-0001", i, "install.started", "info", NULL, &err);
	ok = ok && insert(f->db, "gw-0001", 3, "install.started", "info", NULL, &err) &&
	     audit_db_commit(f->db, &err);
	assert_false(ok);
	assert_int_equal(ferry_error_code(err), FERRY_E_INTEGRITY);
	assert_error_contains(err, "gw-0001/");
	ferry_error_free(err);
	err = NULL;
	audit_db_rollback(f->db);
	assert_ok(audit_db_chain_tail(f->db, "gw-0001", &seq, hash, &err), err);
	assert_int_equal(seq, 3);
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Four batches of two files' savepoints, through db (bulk or not). */
static void store_batches(struct audit_db *db, struct audit_db *other)
{
	struct ferry_error *err = NULL;
	int64_t seq = 0, next = 1;
	char hash[65];
	for (int batch = 0; batch < 4; batch++) {
		assert_ok(audit_db_batch_begin(db, &err), err);
		for (int file = 0; file < 2; file++) {
			assert_ok(audit_db_begin(db, &err), err);
			for (int i = 0; i < 100; i++, next++)
				assert_ok(insert(db, "gw-0001", next, "install.started", "info",
						 "2026-11-20T10:00:00Z", &err), err);
			assert_ok(audit_db_commit(db, &err), err);
		}
		assert_ok(audit_db_batch_commit(db, &err), err);
		assert_ok(audit_db_chain_tail(other, "gw-0001", &seq, hash, &err), err);
		assert_int_equal(seq, next - 1);
	}
}

/* A bulk import (audit_db_bulk): batches of savepoints, each batch seen by
 * another connection once committed; off again, everything is stored and,
 * on SQLite, already copied into the database file by the checkpointer
 * thread (its last checkpoint runs before it stops), and the database file
 * holds it alone once the connections close. */
static void test_db_bulk_import_stores_every_batch(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct audit_db *other = NULL;
	int64_t seq = 0;
	char hash[65];
	register_device(f->db, "gw-0001");
	off_t before = test_db_is_pg() ? 0 : file_size(f->path);
	assert_ok(audit_db_bulk(f->db, true, &err), err);
	assert_ok(audit_db_bulk(f->db, true, &err), err);   /* once is enough */
	assert_ok(audit_db_open(f->path, &other, &err), err);
	store_batches(f->db, other);
	assert_ok(audit_db_bulk(f->db, false, &err), err);
	assert_ok(audit_db_bulk(f->db, false, &err), err);
	if (!test_db_is_pg())   /* 800 records: far more than the 4 KiB pages it had */
		assert_true(file_size(f->path) > before + 100 * 1024);
	audit_db_close(other);
	audit_db_close(f->db);
	f->db = NULL;
	assert_int_equal(test_db_int(f->path, "SELECT count(*) FROM records"), 800);
	if (!test_db_is_pg()) {
		char *wal = NULL;
		assert_true(asprintf(&wal, "%s-wal", f->path) > 0);
		assert_int_equal(access(wal, F_OK), -1);
		free(wal);
	}
	assert_ok(audit_db_open(f->path, &f->db, &err), err);
	assert_ok(audit_db_chain_tail(f->db, "gw-0001", &seq, hash, &err), err);
	assert_int_equal(seq, 800);
}

/* SQLite's WAL of a database opened through a symlink lies beside the
 * link's target: the bulk import's final sync finds it (through SQLite's
 * own handle), and the data is there after the connections close. (On
 * PostgreSQL the same without a link: bulk changes nothing there.) */
static void test_db_bulk_import_through_a_symlink(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct audit_db *db = NULL, *other = NULL;
	char *link = NULL;
	register_device(f->db, "gw-0001");
	if (test_db_is_pg()) {
		assert_non_null(link = strdup(f->path));
	} else {
		assert_true(asprintf(&link, "%s/link.db", f->dir) > 0);
		assert_int_equal(symlink(f->path, link), 0);
	}
	assert_ok(audit_db_open(link, &db, &err), err);
	assert_ok(audit_db_open(link, &other, &err), err);
	assert_ok(audit_db_bulk(db, true, &err), err);
	store_batches(db, other);
	assert_ok(audit_db_bulk(db, false, &err), err);
	audit_db_close(other);
	audit_db_close(db);
	assert_int_equal(test_db_int(f->path, "SELECT count(*) FROM records"), 800);
	free(link);
}

static void test_db_rollback_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	int64_t seq;
	char hash[65];
	register_device(f->db, "gw-0001");
	assert_ok(audit_db_begin(f->db, &err), err);
	assert_ok(insert(f->db, "gw-0001", 1, "install.started", "info", NULL, &err), err);
	assert_ok(insert(f->db, "gw-0001", 2, "install.finished", "success", NULL, &err), err);
	audit_db_rollback(f->db);
	assert_ok(audit_db_chain_tail(f->db, "gw-0001", &seq, hash, &err), err);
	assert_int_equal(seq, 0);
}

static void test_db_inventory_only_newer_or_changed_applies(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	bool applied = false;
	const char *names[] = { "gateway-os", "app" }, *versions[] = { "2.4.1", "1.0.0" };
	const char *groups[] = { "canary", NULL };
	register_device(f->db, "gw-0001");
	struct audit_inventory inv = {
		.device = "gw-0001", .type = "gw-x", .time = "2026-11-20T10:00:00Z", .raw = "{}",
		.hw_revision = 2, .security_version = 7, .policy_serial = 12, .n_installed = 2,
		.names = names, .versions = versions, .groups = groups,
	};
	assert_ok(audit_db_inventory_put(f->db, &inv, "2026-11-27T00:00:00Z", &applied, &err), err);
	assert_true(applied);
	const char *old_versions[] = { "2.3.0", "0.9.0" };
	inv.time = "2026-11-19T10:00:00Z";
	inv.versions = old_versions;
	assert_ok(audit_db_inventory_put(f->db, &inv, "2026-11-27T00:00:00Z", &applied, &err), err);
	assert_false(applied);
	/* the same second: the same document is no news, another one wins */
	inv.time = "2026-11-20T10:00:00Z";
	inv.versions = versions;
	assert_ok(audit_db_inventory_put(f->db, &inv, "2026-11-27T00:00:00Z", &applied, &err), err);
	assert_false(applied);
	inv.raw = "{\"other\":1}";
	assert_ok(audit_db_inventory_put(f->db, &inv, "2026-11-27T00:00:00Z", &applied, &err), err);
	assert_true(applied);
	struct audit_device d;
	bool found;
	assert_ok(audit_db_device_get(f->db, "gw-0001", &d, &found, &err), err);
	assert_string_equal(d.type, "gw-x");
	assert_int_equal(d.hw_revision, 2);
	assert_int_equal(d.policy_serial, 12);
	assert_string_equal(d.installed, "app 1.0.0, gateway-os 2.4.1");
	assert_string_equal(d.groups, "canary");
	assert_string_equal(d.last_seen, "2026-11-20T10:00:00Z");
	audit_device_clear(&d);
}

static void test_db_events_filter_by_device_and_since(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	register_device(f->db, "gw-0001");
	register_device(f->db, "gw-0002");
	assert_ok(insert(f->db, "gw-0001", 1, "install.started", "info", "2026-11-01T10:00:00Z", &err), err);
	assert_ok(insert(f->db, "gw-0001", 2, "install.finished", "success", "2026-11-21T10:00:00Z", &err), err);
	assert_ok(insert(f->db, "gw-0002", 1, "install.started", "info", "2026-11-22T10:00:00Z", &err), err);
	struct collect c = { 0 };
	struct audit_event_filter flt = { .device = "gw-0001" };
	assert_ok(audit_db_events(f->db, &flt, collect_cb, &c, &err), err);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	flt = (struct audit_event_filter){ .since = "2026-11-21" };
	assert_ok(audit_db_events(f->db, &flt, collect_cb, &c, &err), err);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	flt = (struct audit_event_filter){ .device = "gw-0001", .since = "2026-11-21" };
	assert_ok(audit_db_events(f->db, &flt, collect_cb, &c, &err), err);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.last_seq, 2);
}

static void test_db_query_counts_installs_by_bundle(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct audit_table t;
	register_device(f->db, "gw-0001");
	assert_ok(insert(f->db, "gw-0001", 1, "install.started", "info", NULL, &err), err);
	assert_ok(insert(f->db, "gw-0001", 2, "install.finished", "failure", NULL, &err), err);
	assert_ok(insert(f->db, "gw-0001", 3, "install.finished", "success", NULL, &err), err);
	assert_ok(audit_db_query(f->db, AUDIT_Q_INSTALLS_BY_BUNDLE, NULL, &t, &err), err);
	assert_int_equal(t.n_rows, 1);
	assert_string_equal(t.cols[2], "success");
	assert_string_equal(audit_table_cell(&t, 0, 0), "gateway-os");
	assert_string_equal(audit_table_cell(&t, 0, 2), "1");
	assert_string_equal(audit_table_cell(&t, 0, 3), "1");
	assert_true(t.numeric[2]);
	assert_false(t.numeric[0]);
	audit_table_clear(&t);
}

static void put_order(struct audit_db *db, const char *id, const char *not_after)
{
	static const char *const cols[] = { "id", "technician", "operations", "scope", "not_before",
					    "not_after", "signer", "imported_at", "body" };
	const char *v[] = { id, "t.alice", "install", "{}", "2026-11-01T00:00:00Z", not_after,
			    "D", "2026-11-01T00:00:00Z", "{}" };
	struct audit_cell cells[9];
	struct ferry_error *err = NULL;
	for (size_t i = 0; i < 9; i++)
		cells[i] = (struct audit_cell){ .v = v[i], .len = strlen(v[i]) };
	struct audit_row row = { .n = 9, .cols = cols, .cells = cells };
	assert_ok(audit_db_table_insert(db, "orders", &row, &err), err);
}

/* Migration 7: a record's order and technician are stored and reported;
 * orders imported at HQ are used, expired unused or not used yet. */
static void test_db_work_orders_stored_and_reported(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct audit_table t;
	char hash[65];
	register_device(f->db, "gw-0001");
	hash_of(1, hash);
	struct audit_record r = {
		.device = "gw-0001", .seq = 1, .hash = hash, .prev = zeros, .line = "{}",
		.time = "2026-11-02T00:00:00Z", .event = "install.finished", .bundle = "gateway-os",
		.version = "2.4.1", .result = "success", .boot = 1, .work_order = "wo-1",
		.technician = "t.alice",
	};
	assert_ok(audit_db_record_insert(f->db, &r, &err), err);
	assert_ok(insert(f->db, "gw-0001", 2, "boot.trial", "info", NULL, &err), err);
	put_order(f->db, "wo-1", "2026-11-03T00:00:00Z");
	put_order(f->db, "wo-2", "2026-11-03T00:00:00Z");
	put_order(f->db, "wo-3", "2099-01-01T00:00:00Z");
	assert_ok(audit_db_query(f->db, AUDIT_Q_CHANGES_BY_ORDER, NULL, &t, &err), err);
	assert_int_equal(t.n_rows, 1);
	assert_string_equal(audit_table_cell(&t, 0, 0), "t.alice");
	assert_string_equal(audit_table_cell(&t, 0, 1), "wo-1");
	assert_string_equal(audit_table_cell(&t, 0, 3), "install.finished");
	audit_table_clear(&t);
	struct audit_query_params now = { .stale_before = "2026-12-01T00:00:00Z" };
	assert_ok(audit_db_query(f->db, AUDIT_Q_ORDERS, &now, &t, &err), err);
	assert_int_equal(t.n_rows, 3);
	assert_string_equal(t.cols[2], "status");
	/* ordered by status, then id */
	assert_string_equal(audit_table_cell(&t, 0, 0), "wo-2");
	assert_string_equal(audit_table_cell(&t, 0, 2), "expired unused");
	assert_string_equal(audit_table_cell(&t, 1, 0), "wo-3");
	assert_string_equal(audit_table_cell(&t, 1, 2), "not used yet");
	assert_string_equal(audit_table_cell(&t, 2, 0), "wo-1");
	assert_string_equal(audit_table_cell(&t, 2, 2), "used");
	assert_string_equal(audit_table_cell(&t, 2, 4), "1");
	audit_table_clear(&t);
}

static void test_db_import_journal_is_counted(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct audit_table t;
	struct audit_import imp = { .time = "2026-11-27T00:00:00Z", .device = "gw-0001",
				    .file = "audit/gw-0001/x.jsonl", .outcome = "refused",
				    .reason = "gap" };
	assert_ok(audit_db_import_log(f->db, &imp, &err), err);
	assert_ok(audit_db_query(f->db, AUDIT_Q_SUMMARY, NULL, &t, &err), err);
	assert_string_equal(t.cols[3], "refused_imports");
	assert_string_equal(audit_table_cell(&t, 0, 3), "1");
	audit_table_clear(&t);
}

static bool count_sig(const struct audit_export_sig *e, void *ctx, struct ferry_error **err)
{
	(void)err;
	int *n = ctx;
	assert_int_equal(e->sig_len, 3);
	assert_memory_equal(e->sig, "\x01\x00\x02", 3);
	(*n)++;
	return true;
}

static void test_db_export_signature_kept_once_per_range(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	int n = 0;
	register_device(f->db, "gw-0001");
	struct audit_export_sig e = { .device = "gw-0001", .first_seq = 1, .last_seq = 10,
				      .fingerprint = "FPR", .sig = "\x01\x00\x02", .sig_len = 3 };
	assert_ok(audit_db_export_sig_put(f->db, &e, "2026-11-27T00:00:00Z", &err), err);
	assert_ok(audit_db_export_sig_put(f->db, &e, "2026-11-28T00:00:00Z", &err), err);
	assert_ok(audit_db_export_sigs(f->db, "gw-0001", count_sig, &n, &err), err);
	assert_int_equal(n, 1);
}

struct copy_ctx {
	struct audit_db *to;
	const char *table;
	int rows;
};

static bool copy_cb(const struct audit_row *r, void *ctx, struct ferry_error **err)
{
	struct copy_ctx *c = ctx;
	c->rows++;
	return audit_db_table_insert(c->to, c->table, r, err);
}

/* The table seam of ferry-audit migrate: every row of every table, blobs and
 * NULLs as they were, into another database of the same backend. */
static void test_db_tables_copy_into_another_database(void **state)
{
	struct fixture *f = *state;
	struct ferry_error *err = NULL;
	struct audit_db *to = NULL;
	char *target = test_db_target_new(f->dir);
	int n = 0;
	register_device(f->db, "gw-0001");
	assert_ok(insert(f->db, "gw-0001", 1, "install.started", "info", NULL, &err), err);
	struct audit_export_sig e = { .device = "gw-0001", .first_seq = 1, .last_seq = 1,
				      .fingerprint = "FPR", .sig = "\x01\x00\x02", .sig_len = 3 };
	assert_ok(audit_db_export_sig_put(f->db, &e, "2026-11-27T00:00:00Z", &err), err);
	struct audit_import imp = { .time = "2026-11-27T00:00:00Z", .file = "x", .outcome = "refused" };
	assert_ok(audit_db_import_log(f->db, &imp, &err), err);
	if (!test_db_is_pg()) {   /* two files need two names */
		free(target);
		assert_true(asprintf(&target, "%s/copy.db", f->dir) > 0);
	}
	assert_ok(audit_db_open(target, &to, &err), err);
	assert_ok(audit_db_begin(to, &err), err);
	for (size_t i = 0; audit_db_tables[i]; i++) {
		struct copy_ctx c = { .to = to, .table = audit_db_tables[i] };
		assert_ok(audit_db_table_rows(f->db, c.table, copy_cb, &c, &err), err);
		if (strcmp(c.table, "records") == 0 || strcmp(c.table, "imports") == 0)
			assert_int_equal(c.rows, 1);
	}
	assert_ok(audit_db_commit(to, &err), err);
	assert_ok(audit_db_export_sigs(to, "gw-0001", count_sig, &n, &err), err);
	assert_int_equal(n, 1);
	int64_t seq;
	char hash[65], want[65];
	assert_ok(audit_db_chain_tail(to, "gw-0001", &seq, hash, &err), err);
	hash_of(1, want);
	assert_int_equal(seq, 1);
	assert_string_equal(hash, want);
	assert_false(audit_db_table_rows(f->db, "sqlite_master", copy_cb, NULL, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_INTERNAL);
	ferry_error_free(err);
	audit_db_close(to);
	if (test_db_is_pg())
		test_db_target_drop(target);
	else
		free(target);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_db_migrates_new_database_to_current_version),
		T(test_db_reopen_keeps_data_and_does_not_migrate_again),
		T(test_db_refuses_newer_schema),
		T(test_db_refuses_a_file_that_is_not_a_database),
		T(test_db_refuses_unknown_backend_scheme),
		T(test_db_register_replaces_key_of_same_id),
		T(test_db_refuses_one_key_for_two_devices),
		T(test_db_chain_tail_follows_inserts),
		T(test_db_insert_of_a_stored_seq_is_refused),
		T(test_db_insert_for_unregistered_device_is_refused),
		T(test_db_many_inserts_in_one_transaction_read_back),
		T(test_db_duplicate_in_a_transaction_fails_it),
		T(test_db_bulk_import_stores_every_batch),
		T(test_db_bulk_import_through_a_symlink),
		T(test_db_rollback_leaves_nothing),
		T(test_db_inventory_only_newer_or_changed_applies),
		T(test_db_events_filter_by_device_and_since),
		T(test_db_query_counts_installs_by_bundle),
		T(test_db_work_orders_stored_and_reported),
		T(test_db_import_journal_is_counted),
		T(test_db_export_signature_kept_once_per_range),
		T(test_db_tables_copy_into_another_database),
	};
	return test_db_run(tests, sizeof(tests) / sizeof(tests[0]));
}
