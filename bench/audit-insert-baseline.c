/* audit-insert-baseline: the machine's own limit for bench/audit.sh: the same
 * rows ferry-audit import stores, inserted bare into the same schema (made
 * by audit_db_open, same pragmas) with one prepared statement in ONE transaction. Parsing
 * the lines is not timed; only the inserts and the commit are.
 *   audit-insert-baseline DB STICK_DIR   prints "<rows> rows <seconds> s" */
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/db_backend.h"
#include "common/auditlog.h"
#include "common/safefile.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *media_str(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(json_object_get(rec, "media"), key));
}

static void bind(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Inserts every line of one export file; returns the seconds spent in sqlite. */
static double insert_file(sqlite3_stmt *st, const char *path, long *rows)
{
	char *data = NULL, hash[SHA256_HEX_LEN + 1];
	size_t len = 0;
	double spent = 0;
	if (!read_file_limited(path, AUDITLOG_EXPORT_MAX, &data, &len, NULL))
		return 0;
	for (char *p = data, *nl; p < data + len && (nl = memchr(p, '\n', (size_t)(data + len - p))); p = nl + 1) {
		struct auditlog_record r = { 0 };
		*nl = '\0';
		auditlog_line_hash(p, (size_t)(nl - p), hash);
		if (!auditlog_line_parse(p, (size_t)(nl - p), &r, NULL))
			continue;
		const char *reason = json_string_value(json_object_get(json_object_get(r.json, "detail"), "reason"));
		double t0 = now_s();
		bind(st, 1, r.f.device);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)r.f.seq);
		bind(st, 3, hash);
		bind(st, 4, r.f.prev);
		bind(st, 5, r.f.time);
		sqlite3_bind_int64(st, 6, r.f.boot);
		bind(st, 7, r.f.event);
		bind(st, 8, r.f.bundle);
		bind(st, 9, r.f.version);
		bind(st, 10, r.f.result);
		bind(st, 11, reason);
		bind(st, 12, media_str(r.json, "usb_serial"));
		bind(st, 13, media_str(r.json, "label"));
		bind(st, 14, p);
		if (sqlite3_step(st) == SQLITE_DONE)
			(*rows)++;
		sqlite3_reset(st);
		spent += now_s() - t0;
		auditlog_record_clear(&r);
	}
	free(data);
	return spent;
}

int main(int argc, char **argv)
{
	struct ferry_error *err = NULL;
	struct audit_db *adb = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char audit_dir[4096];
	long rows = 0;
	double spent = 0;
	if (argc != 3) {
		fprintf(stderr, "usage: audit-insert-baseline DB STICK_DIR\n");
		return 2;
	}
	if (!audit_db_open(argv[1], &adb, &err)) {
		fprintf(stderr, "%s\n", ferry_error_message(err));
		return 1;
	}
	audit_db_close(adb);
	snprintf(audit_dir, sizeof(audit_dir), "%s/ferry/audit", argv[2]);
	if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; " AUDIT_SQLITE_CACHE,
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO records (device, seq, hash, prev, time, boot, event, bundle,"
			       " version, result, reason, media_serial, media_label, line)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	struct dirent **devs = NULL;
	int n = scandir(audit_dir, &devs, NULL, alphasort);
	double t0 = now_s();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	spent += now_s() - t0;
	for (int i = 0; i < n; i++) {
		char dir[4200], sql[256];
		struct dirent **files = NULL;
		if (devs[i]->d_name[0] != '.') {
			snprintf(sql, sizeof(sql), "INSERT INTO devices (id, fingerprint, public_key, registered_at)"
				 " VALUES ('%.64s', '%.64s', 'k', 'now')", devs[i]->d_name, devs[i]->d_name);
			sqlite3_exec(db, sql, NULL, NULL, NULL);
			snprintf(dir, sizeof(dir), "%s/%s", audit_dir, devs[i]->d_name);
			int m = scandir(dir, &files, NULL, alphasort);
			for (int j = 0; j < m; j++) {
				size_t l = strlen(files[j]->d_name);
				if (l > 6 && strcmp(files[j]->d_name + l - 6, ".jsonl") == 0) {
					char path[8400];
					snprintf(path, sizeof(path), "%s/%s", dir, files[j]->d_name);
					spent += insert_file(st, path, &rows);
				}
				free(files[j]);
			}
			free(files);
		}
		free(devs[i]);
	}
	free(devs);
	t0 = now_s();
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		fprintf(stderr, "commit: %s\n", sqlite3_errmsg(db));
	spent += now_s() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("%ld rows %.3f s\n", rows, spent);
	return rows > 0 ? 0 : 1;
}
