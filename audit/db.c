/* db: picks the backend for a target and forwards every call to it.
 * See db.h; the SQL itself lives in the backends (db_sqlite.c, db_pg.c). */
#include "audit/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/db_backend.h"

struct audit_db {
	const struct audit_db_ops *ops;
	void *impl;
	bool in_batch;   /* begin/commit/rollback are a savepoint of the batch */
};

static const struct audit_db_ops *const backends[] = { &audit_db_sqlite_ops, &audit_db_pg_ops };

bool audit_db_open(const char *target, struct audit_db **out, struct ferry_error **err)
{
	const struct audit_db_ops *ops = backends[0];
	const char *rest = target;
	*out = NULL;
	if (!target || !*target)
		return ferry_error_set(err, "no database given (--db FILE)");
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i]->scheme);
		if (strncmp(target, backends[i]->scheme, n) == 0) {
			ops = backends[i];
			rest = target + n;
		}
	}
	/* "scheme://" that no backend claims: do not mistake it for a file name */
	const char *colon = strstr(rest, "://");
	if (rest == target && colon && strspn(target, "abcdefghijklmnopqrstuvwxyz+") == (size_t)(colon - target))
		return ferry_error_setc(err, FERRY_E_CONFIG, "%s: no database backend for this scheme "
					"(built in: sqlite:FILE, postgresql://…)", target);
	struct audit_db *db = calloc(1, sizeof(*db));
	if (!db)
		return ferry_error_set(err, "out of memory");
	db->ops = ops;
	if (!ops->open(rest, &db->impl, err)) {
		free(db);
		return false;
	}
	*out = db;
	return true;
}

void audit_db_close(struct audit_db *db)
{
	if (!db)
		return;
	db->ops->close(db->impl);
	free(db);
}

const char *audit_db_backend_name(const struct audit_db *db) { return db->ops->name; }

bool audit_db_schema_version(struct audit_db *db, int64_t *version, struct ferry_error **err)
{
	return db->ops->schema_version(db->impl, version, err);
}

bool audit_db_begin(struct audit_db *db, struct ferry_error **err)
{
	return db->in_batch ? db->ops->savepoint(db->impl, err) : db->ops->begin(db->impl, err);
}

bool audit_db_commit(struct audit_db *db, struct ferry_error **err)
{
	return db->in_batch ? db->ops->release(db->impl, err) : db->ops->commit(db->impl, err);
}

void audit_db_rollback(struct audit_db *db)
{
	if (db->in_batch)
		db->ops->rollback_to(db->impl);
	else
		db->ops->rollback(db->impl);
}

bool audit_db_batch_begin(struct audit_db *db, struct ferry_error **err)
{
	if (db->in_batch)
		return true;
	db->in_batch = db->ops->begin(db->impl, err);
	return db->in_batch;
}

bool audit_db_batch_commit(struct audit_db *db, struct ferry_error **err)
{
	if (!db->in_batch)
		return true;
	db->in_batch = false;
	if (db->ops->commit(db->impl, err))
		return true;
	db->ops->rollback(db->impl);
	return false;
}

bool audit_db_in_batch(const struct audit_db *db)
{
	return db->in_batch;
}

bool audit_db_bulk(struct audit_db *db, bool on, struct ferry_error **err)
{
	return !db->ops->bulk || db->ops->bulk(db->impl, on, err);
}

bool audit_db_device_get(struct audit_db *db, const char *id, struct audit_device *out,
			 bool *found, struct ferry_error **err)
{
	return db->ops->device_get(db->impl, id, out, found, err);
}

bool audit_db_device_put_key(struct audit_db *db, const char *id, const char *fingerprint,
			     const char *public_key, const char *now, struct ferry_error **err)
{
	return db->ops->device_put_key(db->impl, id, fingerprint, public_key, now, err);
}

bool audit_db_device_list(struct audit_db *db, audit_device_cb cb, void *ctx,
			  struct ferry_error **err)
{
	return db->ops->device_list(db->impl, cb, ctx, err);
}

bool audit_db_chain_tail(struct audit_db *db, const char *device, int64_t *seq, char hash[65],
			 struct ferry_error **err)
{
	return db->ops->chain_tail(db->impl, device, seq, hash, err);
}

bool audit_db_record_hash(struct audit_db *db, const char *device, int64_t seq, char hash[65],
			  bool *found, struct ferry_error **err)
{
	return db->ops->record_hash(db->impl, device, seq, hash, found, err);
}

bool audit_db_record_insert(struct audit_db *db, const struct audit_record *r,
			    struct ferry_error **err)
{
	return db->ops->record_insert(db->impl, r, err);
}

bool audit_db_device_seen(struct audit_db *db, const char *device, const char *time,
			  struct ferry_error **err)
{
	return db->ops->device_seen(db->impl, device, time, err);
}

bool audit_db_events(struct audit_db *db, const struct audit_event_filter *f, audit_record_cb cb,
		     void *ctx, struct ferry_error **err)
{
	return db->ops->events(db->impl, f, cb, ctx, err);
}

bool audit_db_inventory_put(struct audit_db *db, const struct audit_inventory *inv,
			    const char *now, bool *applied, struct ferry_error **err)
{
	return db->ops->inventory_put(db->impl, inv, now, applied, err) &&
	       (!*applied || db->ops->software_put(db->impl, inv->device, inv->software, inv->n_software, err));
}

bool audit_db_warranty_put(struct audit_db *db, const char *device, const char *date, bool *found,
			   struct ferry_error **err)
{
	return db->ops->warranty_put(db->impl, device, date, found, err);
}

bool audit_db_import_log(struct audit_db *db, const struct audit_import *imp,
			 struct ferry_error **err)
{
	return db->ops->import_log(db->impl, imp, err);
}

bool audit_db_export_sig_put(struct audit_db *db, const struct audit_export_sig *e, const char *now,
			     struct ferry_error **err)
{
	return db->ops->export_sig_put(db->impl, e, now, err);
}

bool audit_db_export_sigs(struct audit_db *db, const char *device, audit_export_sig_cb cb,
			  void *ctx, struct ferry_error **err)
{
	return db->ops->export_sigs(db->impl, device, cb, ctx, err);
}

bool audit_db_query(struct audit_db *db, enum audit_query q, const struct audit_query_params *p,
		    struct audit_table *out, struct ferry_error **err)
{
	return db->ops->query(db->impl, q, p, out, err);
}

bool audit_db_failure_log_put(struct audit_db *db, const struct audit_failure_log *l,
			      const char *now, struct ferry_error **err)
{
	return db->ops->failure_log_put(db->impl, l, now, err);
}

bool audit_db_failure_log_get(struct audit_db *db, const char *device, int64_t seq,
			      struct audit_failure_log *out, bool *found, struct ferry_error **err)
{
	char *sha = NULL;
	memset(out, 0, sizeof *out);
	bool ok = db->ops->failure_log_row(db->impl, device, seq, &sha, &out->data, &out->len, found,
					   err);
	if (ok && *found) {
		out->device = device;
		out->seq = seq;
		snprintf(out->sha256, sizeof out->sha256, "%s", sha);
	}
	free(sha);
	return ok;
}

bool audit_db_record_line(struct audit_db *db, const char *device, int64_t seq, char **line,
			  bool *found, struct ferry_error **err)
{
	return db->ops->record_line(db->impl, device, seq, line, found, err);
}

const char *const audit_db_tables[] = { "devices", "device_versions", "device_groups", "records",
	"imports", "policy_serials", "export_sigs", "failure_logs", "orders", "device_software",
	"device_components", NULL };

static bool known_table(const char *table, struct ferry_error **err)
{
	for (size_t i = 0; audit_db_tables[i]; i++)
		if (strcmp(table, audit_db_tables[i]) == 0)
			return true;
	return ferry_error_setc(err, FERRY_E_INTERNAL, "%s: not a table of the HQ database", table);
}

bool audit_db_table_rows(struct audit_db *db, const char *table, audit_row_cb cb, void *ctx,
			 struct ferry_error **err)
{
	return known_table(table, err) && db->ops->table_rows(db->impl, table, cb, ctx, err);
}

bool audit_db_table_insert(struct audit_db *db, const char *table, const struct audit_row *r,
			   struct ferry_error **err)
{
	return known_table(table, err) && db->ops->table_insert(db->impl, table, r, err);
}

char *audit_db_insert_sql(const char *table, const char *const *cols, size_t n_cols, size_t n_rows,
			  const char *overriding)
{
	char *sql = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&sql, &len);
	if (!f)
		return NULL;
	fprintf(f, "INSERT INTO %s (", table);
	for (size_t i = 0; i < n_cols; i++)
		fprintf(f, "%s%s", i ? ", " : "", cols[i]);
	fprintf(f, ")%s VALUES ", overriding);
	for (size_t row = 0; row < n_rows; row++) {
		fputs(row ? ", (" : "(", f);
		for (size_t i = 0; i < n_cols; i++)
			fprintf(f, "%s$%zu", i ? ", " : "", row * n_cols + i + 1);
		fputc(')', f);
	}
	fclose(f);
	return sql;
}

void audit_device_clear(struct audit_device *d)
{
	free(d->id);
	free(d->type);
	free(d->fingerprint);
	free(d->public_key);
	free(d->registered_at);
	free(d->last_seen);
	free(d->installed);
	free(d->groups);
	memset(d, 0, sizeof(*d));
}

void audit_table_clear(struct audit_table *t)
{
	for (size_t i = 0; i < t->n_cols; i++)
		free(t->cols[i]);
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cols);
	free(t->numeric);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
