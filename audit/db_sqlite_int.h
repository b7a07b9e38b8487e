/* db_sqlite_int: what the files of the SQLite backend share: the connection
 * (struct sq), its statement helpers (db_sqlite.c) and the registry's
 * operations (db_sqlite_devices.c), which db_sqlite.c's ops table lists.
 * Only the backend's own files include it. */
#ifndef FERRY_AUDIT_DB_SQLITE_INT_H
#define FERRY_AUDIT_DB_SQLITE_INT_H

#include <sqlite3.h>

#include "audit/db_backend.h"
#include "audit/db_sqlite_ckpt.h"

struct sq {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *ins_record;   /* the hot path of an import: prepared once */
	sqlite3_stmt *copy_insert;  /* migrate: the insert of copy_table's rows */
	const char *copy_table;
	struct sq_ckpt *ckpt;       /* a bulk import's checkpointer, or NULL */
};

/* What the last failure means (the codes db_pg.c gives the same failures). */
enum ferry_code sq_code(struct sq *s);
/* Sets *err from the connection's last error, "path: what: message"; false. */
bool sq_fail(struct sq *s, struct ferry_error **err, const char *what);
bool sq_exec(struct sq *s, const char *sql, const char *what, struct ferry_error **err);
bool sq_prepare(struct sq *s, const char *sql, sqlite3_stmt **st, struct ferry_error **err);
/* Runs a statement that returns no rows and finalizes it. */
bool sq_step_done(struct sq *s, sqlite3_stmt *st, const char *what, struct ferry_error **err);
/* A string or NULL (copied); without a copy (v lives until the reset); an
 * integer, NULL when negative. */
void bind_text(sqlite3_stmt *st, int i, const char *v);
void bind_borrowed(sqlite3_stmt *st, int i, const char *v);
void bind_int_or_null(sqlite3_stmt *st, int i, int64_t v);
char *col_strdup(sqlite3_stmt *st, int i);
int64_t col_int(sqlite3_stmt *st, int i, int64_t absent);

/* The registry (db_sqlite_devices.c): audit_db_ops entries. */
bool sq_device_get(void *impl, const char *id, struct audit_device *out, bool *found,
		   struct ferry_error **err);
bool sq_device_list(void *impl, audit_device_cb cb, void *ctx, struct ferry_error **err);
bool sq_device_put_key(void *impl, const char *id, const char *fingerprint, const char *key,
		       const char *now, struct ferry_error **err);
bool sq_device_seen(void *impl, const char *device, const char *time, struct ferry_error **err);
bool sq_inventory_put(void *impl, const struct audit_inventory *inv, const char *now, bool *applied,
		      struct ferry_error **err);
bool sq_software_put(void *impl, const char *device, const struct inventory_software *sw, size_t n,
		     struct ferry_error **err);
bool sq_warranty_put(void *impl, const char *device, const char *date, bool *found,
		     struct ferry_error **err);

#endif
