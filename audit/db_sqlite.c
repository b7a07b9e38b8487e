/* db_sqlite: the SQLite backend of the HQ database (WAL, synchronous=FULL;
 * a bulk import: synchronous=NORMAL and a WAL fsync at its end).
 * Owns applying the schema's migrations (schema_version table, steps applied
 * in order, each in its own transaction; the steps are db_sqlite_schema.c's)
 * and every SQL statement ferry-audit runs but the registry's
 * (db_sqlite_devices.c; what the two share: db_sqlite_int.h).
 * The report queries are report_sql.c's (audit_db_report_sql), shared with
 * PostgreSQL. */
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/db_sqlite_int.h"
#include "common/safefile.h"


/* What the last failure means (the codes db_pg.c gives the same failures). */
enum ferry_code sq_code(struct sq *s)
{
	switch (s->db ? sqlite3_errcode(s->db) & 0xff : SQLITE_CANTOPEN) {
	case SQLITE_CONSTRAINT: return FERRY_E_INTEGRITY;
	case SQLITE_BUSY: case SQLITE_LOCKED: return FERRY_E_BUSY;
	case SQLITE_NOTADB: return FERRY_E_CONFIG;
	case SQLITE_FULL: return FERRY_E_NOSPACE;
	case SQLITE_IOERR: case SQLITE_CANTOPEN: return FERRY_E_IO;
	default: return FERRY_E_INTERNAL;
	}
}

bool sq_fail(struct sq *s, struct ferry_error **err, const char *what)
{
	return ferry_error_setc(err, sq_code(s), "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

bool sq_exec(struct sq *s, const char *sql, const char *what, struct ferry_error **err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ferry_error_setc(err, sq_code(s), "%s: %s: %s", s->path, what, msg ? msg : "failed");
		sqlite3_free(msg);
		return false;
	}
	return true;
}

bool sq_prepare(struct sq *s, const char *sql, sqlite3_stmt **st, struct ferry_error **err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return sq_fail(s, err, "prepare");
	return true;
}

/* Runs a statement that returns no rows; binds are done by the caller. */
bool sq_step_done(struct sq *s, sqlite3_stmt *st, const char *what, struct ferry_error **err)
{
	bool ok = sqlite3_step(st) == SQLITE_DONE;
	if (!ok)
		sq_fail(s, err, what);
	sqlite3_finalize(st);
	return ok;
}

/* Binds a string or NULL. */
void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* bind_text without a copy: v must live until the statement is reset and
 * its bindings cleared (the import's rows, one step each). */
void bind_borrowed(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

void bind_int_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

char *col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

int64_t col_int(sqlite3_stmt *st, int i, int64_t absent)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? absent : sqlite3_column_int64(st, i);
}

static bool sq_schema_version(void *impl, int64_t *version, struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	if (!sq_prepare(s, "SELECT coalesce(max(version), 0) FROM schema_version", &st, err))
		return false;
	bool ok = sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		*version = sqlite3_column_int64(st, 0);
	else
		sq_fail(s, err, "reading schema_version");
	sqlite3_finalize(st);
	return ok;
}

static bool sq_migrate(struct sq *s, struct ferry_error **err)
{
	int64_t have = 0;
	const int64_t want = AUDIT_DB_SCHEMA_VERSION;
	if (!sq_exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
		     "creating schema_version", err) ||
	    !sq_schema_version(s, &have, err))
		return false;
	if (have > want)
		return ferry_error_setc(err, FERRY_E_CONFIG, "%s: schema version %lld is newer than "
					"this ferry-audit knows (%lld): use a newer ferry-audit", s->path,
					(long long)have, (long long)want);
	for (int64_t v = have + 1; v <= want; v++) {
		char step[64];
		snprintf(step, sizeof(step), "INSERT INTO schema_version VALUES (%lld)", (long long)v);
		if (!sq_exec(s, "BEGIN IMMEDIATE", "migration", err))
			return false;
		if (!sq_exec(s, audit_sqlite_migrations[v - 1], "migration", err) ||
		    !sq_exec(s, step, "migration", err) || !sq_exec(s, "COMMIT", "migration", err)) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			ferry_error_prefix(err, "schema migration to version %lld", (long long)v);
			return false;
		}
	}
	return true;
}

static void sq_close(void *impl)
{
	struct sq *s = impl;
	if (!s)
		return;
	sq_ckpt_stop(s->ckpt);
	sqlite3_finalize(s->ins_record);
	sqlite3_finalize(s->copy_insert);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* No global lock around every allocation to count memory nobody asks for
 * (5% of an import's storing thread). sqlite3_config must come before any
 * other SQLite call of the process: once, at the first open, before any
 * connection (and so any checkpointer thread) exists. */
static pthread_once_t sq_config_once = PTHREAD_ONCE_INIT;

static void sq_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static bool sq_open(const char *target, void **impl, struct ferry_error **err)
{
	pthread_once(&sq_config_once, sq_config);
	struct sq *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(target))) {
		free(s);
		return ferry_error_set(err, "out of memory");
	}
	char *dir = strdup(target);
	bool made = dir && mkdir_p(dirname(dir), 0700, err);
	free(dir);
	if (!made)
		goto fail;
	/* One thread uses a connection (the importer's verification threads
	 * never touch it): no mutex around every call. */
	if (sqlite3_open_v2(target, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sq_fail(s, err, "cannot open database");
		goto fail;
	}
	/* An import holds the write lock while GnuPG checks one export's
	 * signature (audit/ingest.c), so stations queue behind each other's
	 * checks: under make asan on a loaded machine four of them waited more
	 * than 10 s and refused a file with "database is locked". PostgreSQL
	 * waits for a lock without a limit; here a minute. */
	sqlite3_busy_timeout(s->db, 60000);
	/* a file that is not a database fails here, before anything is written */
	if (!sq_exec(s, "PRAGMA journal_mode=WAL", "setting WAL mode", err) ||
	    !sq_exec(s, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; " AUDIT_SQLITE_CACHE,
		     "setting pragmas", err) ||
	    !sq_migrate(s, err))
		goto fail;
	*impl = s;
	return true;
fail:
	sq_close(s);
	return false;
}

static bool sq_begin(void *impl, struct ferry_error **err)
{
	return sq_exec(impl, "BEGIN IMMEDIATE", "begin", err);
}

/* SQLite's own handle of this connection's WAL (NULL: none open). */
static sqlite3_file *sq_wal(struct sq *s)
{
	sqlite3_file *f = NULL;
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) != SQLITE_OK ||
	    !f || !f->pMethods)
		return NULL;
	return f;
}

/* A bulk import waits for the checkpointer once the WAL holds this much:
 * the next batch then starts the WAL over (it cannot while a checkpoint
 * lags behind, and every batch would add to it). */
#define SQ_BULK_WAL_MAX (1024 * 1024 * 1024)

static bool sq_commit(void *impl, struct ferry_error **err)
{
	struct sq *s = impl;
	if (!sq_exec(s, "COMMIT", "commit", err))
		return false;
	if (!s->ckpt)
		return true;
	sq_ckpt_nudge(s->ckpt);
	sqlite3_file *wal = sq_wal(s);
	sqlite3_int64 size = 0;
	if (wal && wal->pMethods->xFileSize(wal, &size) == SQLITE_OK && size > SQ_BULK_WAL_MAX)
		sq_ckpt_wait(s->ckpt);
	return true;
}

/* Makes every transaction committed so far durable: their frames are in the
 * WAL, or were copied into the database file by a checkpoint that synced it
 * before the WAL could start over. Through SQLite's own handle of the WAL
 * (the name of a symlinked database's WAL is the link target's). */
static bool sq_sync_wal(struct sq *s, struct ferry_error **err)
{
	sqlite3_file *wal = sq_wal(s);
	if (!wal)
		return ferry_error_setc(err, FERRY_E_IO, "%s: no WAL to sync", s->path);
	if (wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) != SQLITE_OK)
		return ferry_error_setc(err, FERRY_E_IO, "%s: syncing the WAL failed", s->path);
	return true;
}

/* True when the database is in WAL mode (a filesystem may refuse it). */
static bool sq_is_wal(struct sq *s)
{
	sqlite3_stmt *st = NULL;
	bool wal = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
		   sqlite3_step(st) == SQLITE_ROW &&
		   strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	return wal;
}

/* A bulk import (bench/audit.sh, docs/hq.md): its batches commit with
 * synchronous=NORMAL (atomic and in order, not yet synced) and do not
 * checkpoint on this connection. The WAL's automatic checkpoint copied each
 * batch into the database file on the importer's thread after its commit,
 * and each commit waited for its fsync: a third of the import's time. The
 * checkpointer thread (db_sqlite_ckpt.c) copies batch N with a connection
 * of its own while batch N+1 is stored, and the last batch before it stops;
 * then the WAL is synced, so that when the import returns everything it
 * stored is durable, as with synchronous=FULL. A power cut during the import
 * loses at most the batches not yet synced, which the next import stores
 * again. Not in WAL mode: nothing changes. */
static bool sq_bulk(void *impl, bool on, struct ferry_error **err)
{
	struct sq *s = impl;
	if (!on) {
		if (!s->ckpt)
			return true;
		sq_ckpt_stop(s->ckpt);
		s->ckpt = NULL;
		return sq_exec(s, "PRAGMA wal_autocheckpoint=1000; PRAGMA synchronous=FULL",
			       "ending a bulk import", err) &&
		       sq_sync_wal(s, err);
	}
	if (s->ckpt || !sq_is_wal(s))
		return true;
	return sq_ckpt_start(s->path, &s->ckpt, err) &&
	       sq_exec(s, "PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=NORMAL",
		       "starting a bulk import", err);
}

static void sq_rollback(void *impl)
{
	struct sq *s = impl;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static bool sq_savepoint(void *impl, struct ferry_error **err)
{
	return sq_exec(impl, "SAVEPOINT file", "savepoint", err);
}

static bool sq_release(void *impl, struct ferry_error **err)
{
	return sq_exec(impl, "RELEASE file", "release", err);
}

static void sq_rollback_to(void *impl)
{
	struct sq *s = impl;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK TO file; RELEASE file", NULL, NULL, NULL);
}


/* Runs a query returning (seq, hash) of at most one record of device; seq,
 * when >= 0, is bound as ?2. */
static bool sq_hash_row(struct sq *s, const char *sql, const char *device, int64_t seq,
			int64_t *seq_out, char hash[65], bool *found, struct ferry_error **err)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;
	*found = false;
	if (!sq_prepare(s, sql, &st, err))
		return false;
	bind_text(st, 1, device);
	if (seq >= 0)
		sqlite3_bind_int64(st, 2, seq);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq_out = sqlite3_column_int64(st, 0);
		snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(st, 1));
		*found = true;
	} else if (rc != SQLITE_DONE) {
		sq_fail(s, err, "reading records");
		goto out;
	}
	ok = true;
out:
	sqlite3_finalize(st);
	return ok;
}

static bool sq_chain_tail(void *impl, const char *device, int64_t *seq, char hash[65],
			  struct ferry_error **err)
{
	bool found;
	*seq = 0;
	memset(hash, '0', 64);
	hash[64] = '\0';
	return sq_hash_row(impl, "SELECT seq, hash FROM records WHERE device = ?1"
			   " ORDER BY seq DESC LIMIT 1", device, -1, seq, hash, &found, err);
}

static bool sq_record_hash(void *impl, const char *device, int64_t seq, char hash[65], bool *found,
			   struct ferry_error **err)
{
	int64_t got;
	return sq_hash_row(impl, "SELECT seq, hash FROM records WHERE device = ?1 AND seq = ?2",
			   device, seq, &got, hash, found, err);
}

static bool sq_record_insert(void *impl, const struct audit_record *r, struct ferry_error **err)
{
	struct sq *s = impl;
	if (!s->ins_record &&
	    !sq_prepare(s, "INSERT INTO records (device, seq, hash, prev, time, boot, event, bundle,"
			" version, result, reason, media_serial, media_label, line, code, work_order,"
			" technician) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
			" ?14, ?15, ?16, ?17)",
			&s->ins_record, err))
		return false;
	sqlite3_stmt *st = s->ins_record;
	bind_borrowed(st, 1, r->device);
	sqlite3_bind_int64(st, 2, r->seq);
	bind_borrowed(st, 3, r->hash);
	bind_borrowed(st, 4, r->prev);
	bind_borrowed(st, 5, r->time);
	bind_int_or_null(st, 6, r->boot);
	bind_borrowed(st, 7, r->event);
	bind_borrowed(st, 8, r->bundle);
	bind_borrowed(st, 9, r->version);
	bind_borrowed(st, 10, r->result);
	bind_borrowed(st, 11, r->reason);
	bind_borrowed(st, 12, r->media_serial);
	bind_borrowed(st, 13, r->media_label);
	bind_borrowed(st, 14, r->line);
	bind_borrowed(st, 15, r->code);
	bind_borrowed(st, 16, r->work_order);
	bind_borrowed(st, 17, r->technician);
	bool ok = sqlite3_step(st) == SQLITE_DONE;
	if (!ok)
		ferry_error_setc(err, sq_code(s), "%s: inserting record %s/%lld: %s", s->path, r->device,
				 (long long)r->seq, sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ok;
}

static bool sq_events(void *impl, const struct audit_event_filter *f, audit_record_cb cb, void *ctx,
		      struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	bool ok = false;
	int rc;
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT device, seq, hash, prev, line, time, event, bundle, version,"
		 " result, reason, media_serial, media_label, boot, code FROM records"
		 " WHERE (?1 IS NULL OR device = ?1) AND (?2 IS NULL OR time >= ?2)"
		 " ORDER BY %s LIMIT ?3", f->by_seq ? "device, seq" : "time, device, seq");
	if (!sq_prepare(s, sql, &st, err))
		return false;
	bind_text(st, 1, f->device);
	bind_text(st, 2, f->since);
	sqlite3_bind_int64(st, 3, f->limit > 0 ? f->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c[15];
		for (int i = 0; i < 15; i++)
			c[i] = (const char *)sqlite3_column_text(st, i);
		struct audit_record r = {
			.device = c[0], .seq = sqlite3_column_int64(st, 1), .hash = c[2],
			.prev = c[3], .line = c[4], .time = c[5], .event = c[6], .bundle = c[7],
			.version = c[8], .result = c[9], .reason = c[10], .media_serial = c[11],
			.media_label = c[12], .boot = col_int(st, 13, -1), .code = c[14],
		};
		if (!cb(&r, ctx, err))
			goto out;
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, err, "reading records");
		goto out;
	}
	ok = true;
out:
	sqlite3_finalize(st);
	return ok;
}


static bool sq_import_log(void *impl, const struct audit_import *imp, struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	if (!sq_prepare(s, "INSERT INTO imports (time, media_dir, media_label, media_serial, device,"
			" file, records_new, records_known, outcome, reason)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &st, err))
		return false;
	bind_text(st, 1, imp->time);
	bind_text(st, 2, imp->media_dir);
	bind_text(st, 3, imp->media_label);
	bind_text(st, 4, imp->media_serial);
	bind_text(st, 5, imp->device);
	bind_text(st, 6, imp->file);
	sqlite3_bind_int64(st, 7, imp->records_new);
	sqlite3_bind_int64(st, 8, imp->records_known);
	bind_text(st, 9, imp->outcome);
	bind_text(st, 10, imp->reason);
	return sq_step_done(s, st, "journaling import", err);
}

static bool sq_export_sig_put(void *impl, const struct audit_export_sig *e, const char *now,
			      struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	if (!sq_prepare(s, "INSERT OR IGNORE INTO export_sigs VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err))
		return false;
	bind_text(st, 1, e->device);
	sqlite3_bind_int64(st, 2, e->first_seq);
	sqlite3_bind_int64(st, 3, e->last_seq);
	bind_text(st, 4, e->fingerprint);
	sqlite3_bind_blob(st, 5, e->sig, (int)e->sig_len, SQLITE_TRANSIENT);
	bind_text(st, 6, now);
	return sq_step_done(s, st, "storing an export signature", err);
}

static bool sq_failure_log_put(void *impl, const struct audit_failure_log *l, const char *now,
			       struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	if (!sq_prepare(s, "INSERT OR IGNORE INTO failure_logs VALUES (?1, ?2, ?3, ?4, ?5)", &st, err))
		return false;
	bind_text(st, 1, l->device);
	sqlite3_bind_int64(st, 2, l->seq);
	bind_text(st, 3, l->sha256);
	sqlite3_bind_blob(st, 4, l->data, (int)l->len, SQLITE_TRANSIENT);
	bind_text(st, 5, now);
	return sq_step_done(s, st, "storing a failure log", err);
}

/* One row of (text, blob) for device/seq: *a and *b copied (caller frees). */
static bool sq_row_text_blob(struct sq *s, const char *sql, const char *device, int64_t seq,
			     char **a, void **b, size_t *b_len, bool *found, struct ferry_error **err)
{
	sqlite3_stmt *st = NULL;
	*found = false;
	if (!sq_prepare(s, sql, &st, err))
		return false;
	bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, seq);
	int rc = sqlite3_step(st);
	bool ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		size_t n = b ? (size_t)sqlite3_column_bytes(st, 1) : 0;
		*a = strdup(t ? t : "");
		if (b && (*b = malloc(n ? n : 1)))
			memcpy(*b, sqlite3_column_blob(st, 1), n);
		if (!*a || (b && !*b))
			ok = ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		if (b_len)
			*b_len = n;
		*found = ok;
	} else if (!ok) {
		sq_fail(s, err, "reading a record");
	}
	sqlite3_finalize(st);
	return ok;
}

static bool sq_failure_log_row(void *impl, const char *device, int64_t seq, char **sha,
			       void **data, size_t *len, bool *found, struct ferry_error **err)
{
	return sq_row_text_blob(impl, "SELECT sha256, data FROM failure_logs WHERE device = ?1"
				" AND seq = ?2", device, seq, sha, data, len, found, err);
}

static bool sq_record_line(void *impl, const char *device, int64_t seq, char **line, bool *found,
			   struct ferry_error **err)
{
	*line = NULL;
	return sq_row_text_blob(impl, "SELECT line FROM records WHERE device = ?1 AND seq = ?2",
				device, seq, line, NULL, NULL, found, err);
}

static bool sq_export_sigs(void *impl, const char *device, audit_export_sig_cb cb, void *ctx,
			   struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	bool ok = false;
	int rc;
	if (!sq_prepare(s, "SELECT first_seq, last_seq, fingerprint, signature FROM export_sigs"
			" WHERE device = ?1 ORDER BY first_seq, last_seq", &st, err))
		return false;
	bind_text(st, 1, device);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_export_sig e = {
			.device = device, .first_seq = sqlite3_column_int64(st, 0),
			.last_seq = sqlite3_column_int64(st, 1),
			.fingerprint = (const char *)sqlite3_column_text(st, 2),
			.sig = sqlite3_column_blob(st, 3), .sig_len = (size_t)sqlite3_column_bytes(st, 3),
		};
		if (!cb(&e, ctx, err))
			goto out;
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, err, "reading export signatures");
		goto out;
	}
	ok = true;
out:
	sqlite3_finalize(st);
	return ok;
}

/* Appends the current row of st to t, growing the cell array as needed. */
static bool table_add_row(struct audit_table *t, sqlite3_stmt *st, size_t *cap)
{
	if ((t->n_rows + 1) * t->n_cols > *cap) {
		size_t ncap = *cap ? *cap * 2 : 16 * t->n_cols;
		char **c = realloc(t->cells, ncap * sizeof(*c));
		if (!c)
			return false;
		t->cells = c;
		*cap = ncap;
	}
	for (size_t i = 0; i < t->n_cols; i++) {
		int type = sqlite3_column_type(st, (int)i);
		char **cell = &t->cells[t->n_rows * t->n_cols + i];
		*cell = type == SQLITE_NULL ? NULL : col_strdup(st, (int)i);
		if (type != SQLITE_NULL && type != SQLITE_INTEGER)
			t->numeric[i] = false;
	}
	t->n_rows++;
	return true;
}

static bool sq_query(void *impl, enum audit_query q, const struct audit_query_params *p,
		     struct audit_table *out, struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	bool ok = false;
	size_t cap = 0;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((unsigned)q >= AUDIT_Q_COUNT)
		return ferry_error_set(err, "unknown report query %d", (int)q);
	if (!sq_prepare(s, audit_db_report_sql[q], &st, err))
		return false;
	if (sqlite3_bind_parameter_count(st) >= 1)
		bind_text(st, 1, audit_db_query_arg(q, p));
	out->n_cols = (size_t)sqlite3_column_count(st);
	out->cols = calloc(out->n_cols, sizeof(*out->cols));
	out->numeric = calloc(out->n_cols, sizeof(*out->numeric));
	if (!out->cols || !out->numeric)
		goto oom;
	for (size_t i = 0; i < out->n_cols; i++) {
		out->numeric[i] = true;
		if (!(out->cols[i] = strdup(sqlite3_column_name(st, (int)i))))
			goto oom;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!table_add_row(out, st, &cap))
			goto oom;
	if (rc != SQLITE_DONE) {
		sq_fail(s, err, "report query");
		goto out;
	}
	ok = true;
	goto out;
oom:
	ferry_error_set(err, "out of memory");
out:
	sqlite3_finalize(st);
	if (!ok)
		audit_table_clear(out);
	return ok;
}

static bool sq_table_rows(void *impl, const char *table, audit_row_cb cb, void *ctx,
			  struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	char sql[96];
	bool ok = true;
	int rc;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	if (!sq_prepare(s, sql, &st, err))
		return false;
	size_t n = (size_t)sqlite3_column_count(st);
	const char **cols = calloc(n + 1, sizeof(*cols));
	struct audit_cell *cells = calloc(n + 1, sizeof(*cells));
	if (!cols || !cells)
		ok = ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	for (size_t i = 0; ok && i < n; i++)
		cols[i] = sqlite3_column_name(st, (int)i);
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (size_t i = 0; i < n; i++) {
			int type = sqlite3_column_type(st, (int)i);
			cells[i].bytes = type == SQLITE_BLOB;
			cells[i].v = type == SQLITE_NULL ? NULL : cells[i].bytes ?
				     sqlite3_column_blob(st, (int)i) : (const char *)sqlite3_column_text(st, (int)i);
			cells[i].len = (size_t)sqlite3_column_bytes(st, (int)i);
		}
		struct audit_row r = { .n = n, .cols = cols, .cells = cells };
		ok = cb(&r, ctx, err);
	}
	if (ok && rc != SQLITE_DONE)
		ok = sq_fail(s, err, table);
	free(cols);
	free(cells);
	sqlite3_finalize(st);
	return ok;
}

static bool sq_table_insert(void *impl, const char *table, const struct audit_row *r,
			    struct ferry_error **err)
{
	struct sq *s = impl;
	if (s->copy_table != table) {
		char *sql = audit_db_insert_sql(table, r->cols, r->n, 1, "");
		sqlite3_finalize(s->copy_insert);
		s->copy_insert = NULL;
		s->copy_table = NULL;
		bool ok = sql && sq_prepare(s, sql, &s->copy_insert, err);
		free(sql);
		if (!ok)
			return sql ? false : ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		s->copy_table = table;
	}
	sqlite3_stmt *st = s->copy_insert;
	for (size_t i = 0; i < r->n; i++) {
		const struct audit_cell *c = &r->cells[i];
		if (!c->v)
			sqlite3_bind_null(st, (int)i + 1);
		else if (c->bytes)
			sqlite3_bind_blob(st, (int)i + 1, c->v, (int)c->len, SQLITE_TRANSIENT);
		else
			sqlite3_bind_text(st, (int)i + 1, c->v, (int)c->len, SQLITE_TRANSIENT);
	}
	bool ok = sqlite3_step(st) == SQLITE_DONE;
	if (!ok)
		sq_fail(s, err, table);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ok;
}

const struct audit_db_ops audit_db_sqlite_ops = {
	.name = "sqlite",
	.scheme = "sqlite:",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.bulk = sq_bulk,
	.device_get = sq_device_get,
	.device_put_key = sq_device_put_key,
	.device_list = sq_device_list,
	.device_seen = sq_device_seen,
	.chain_tail = sq_chain_tail,
	.record_hash = sq_record_hash,
	.record_insert = sq_record_insert,
	.events = sq_events,
	.inventory_put = sq_inventory_put,
	.import_log = sq_import_log,
	.export_sig_put = sq_export_sig_put,
	.export_sigs = sq_export_sigs,
	.failure_log_put = sq_failure_log_put,
	.failure_log_row = sq_failure_log_row,
	.record_line = sq_record_line,
	.query = sq_query,
	.software_put = sq_software_put,
	.warranty_put = sq_warranty_put,
	.table_rows = sq_table_rows,
	.table_insert = sq_table_insert,
};
