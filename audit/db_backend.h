/* db_backend: what a database backend of ferry-audit implements.
 * db.c dispatches every audit_db_* call through one of these tables; only
 * backends include this header. impl is the backend's own connection. */
#ifndef FERRY_AUDIT_DB_BACKEND_H
#define FERRY_AUDIT_DB_BACKEND_H

#include "audit/db.h"

/* SQL of device_put_key's update (both backends): a new key means a
 * re-provisioned device, whose clock starts afresh; the newest inventory
 * time of the old one must not hide the new one's inventories. */
#define INVENTORY_TIME_ON_NEW_KEY \
	" inventory_time = CASE WHEN devices.fingerprint = excluded.fingerprint" \
	" THEN devices.inventory_time ELSE NULL END"

struct audit_db_ops {
	const char *name;          /* "sqlite", "postgresql" */
	const char *scheme;        /* "sqlite:" prefix of a target; open gets the rest */
	bool (*open)(const char *target, void **impl, struct ferry_error **err);
	void (*close)(void *impl);
	bool (*schema_version)(void *impl, int64_t *version, struct ferry_error **err);
	bool (*begin)(void *impl, struct ferry_error **err);
	bool (*commit)(void *impl, struct ferry_error **err);
	void (*rollback)(void *impl);
	bool (*savepoint)(void *impl, struct ferry_error **err);
	bool (*release)(void *impl, struct ferry_error **err);
	void (*rollback_to)(void *impl);
	/* optional: a bulk import of many batches starts (on) or ends */
	bool (*bulk)(void *impl, bool on, struct ferry_error **err);
	bool (*device_get)(void *impl, const char *id, struct audit_device *out, bool *found,
			   struct ferry_error **err);
	bool (*device_put_key)(void *impl, const char *id, const char *fingerprint,
			       const char *public_key, const char *now, struct ferry_error **err);
	bool (*device_list)(void *impl, audit_device_cb cb, void *ctx, struct ferry_error **err);
	bool (*chain_tail)(void *impl, const char *device, int64_t *seq, char hash[65],
			   struct ferry_error **err);
	bool (*record_hash)(void *impl, const char *device, int64_t seq, char hash[65], bool *found,
			    struct ferry_error **err);
	bool (*record_insert)(void *impl, const struct audit_record *r, struct ferry_error **err);
	bool (*device_seen)(void *impl, const char *device, const char *time, struct ferry_error **err);
	bool (*events)(void *impl, const struct audit_event_filter *f, audit_record_cb cb, void *ctx,
		       struct ferry_error **err);
	bool (*inventory_put)(void *impl, const struct audit_inventory *inv, const char *now,
			      bool *applied, struct ferry_error **err);
	bool (*import_log)(void *impl, const struct audit_import *imp, struct ferry_error **err);
	bool (*export_sig_put)(void *impl, const struct audit_export_sig *e, const char *now,
			       struct ferry_error **err);
	bool (*export_sigs)(void *impl, const char *device, audit_export_sig_cb cb, void *ctx,
			    struct ferry_error **err);
	bool (*failure_log_put)(void *impl, const struct audit_failure_log *l, const char *now,
				struct ferry_error **err);
	/* the row of device/seq: *sha and *data copied (caller frees) */
	bool (*failure_log_row)(void *impl, const char *device, int64_t seq, char **sha, void **data,
				size_t *len, bool *found, struct ferry_error **err);
	bool (*record_line)(void *impl, const char *device, int64_t seq, char **line, bool *found,
			    struct ferry_error **err);
	/* replaces the device's software and components (device_software, device_components) */
	bool (*software_put)(void *impl, const char *device, const struct inventory_software *sw, size_t n,
			     struct ferry_error **err);
	bool (*warranty_put)(void *impl, const char *device, const char *date, bool *found,
			     struct ferry_error **err);
	bool (*query)(void *impl, enum audit_query q, const struct audit_query_params *p,
		      struct audit_table *out, struct ferry_error **err);
	/* table: one of audit_db_tables (never user input) */
	bool (*table_rows)(void *impl, const char *table, audit_row_cb cb, void *ctx,
			   struct ferry_error **err);
	bool (*table_insert)(void *impl, const char *table, const struct audit_row *r,
			     struct ferry_error **err);
};

extern const struct audit_db_ops audit_db_sqlite_ops;
extern const struct audit_db_ops audit_db_pg_ops;
/* The report queries (enum audit_query), in SQL both backends run: "?1" is
 * the one parameter, the field of struct audit_query_params that
 * audit_db_query_arg names (PostgreSQL gets it untyped: compare it with a
 * text column so that its type is inferred). */
extern const char *const audit_db_report_sql[AUDIT_Q_COUNT];
/* SQLite's schema steps (db_sqlite_schema.c): step v brings version v-1 to v. */
extern const char *const audit_sqlite_migrations[];   /* AUDIT_DB_SCHEMA_VERSION steps */
/* The value of a report query's one parameter ?1 (report_sql.c says which). */
const char *audit_db_query_arg(enum audit_query q, const struct audit_query_params *p);
/* "INSERT INTO table (a, b)<overriding> VALUES ($1, $2), ($3, $4)…" for
 * n_rows rows of cols (both backends take $N). Caller frees; NULL: out of memory. */
char *audit_db_insert_sql(const char *table, const char *const *cols, size_t n_cols, size_t n_rows,
			  const char *overriding);
/* Page cache of an HQ connection: the records table and its indexes outgrow
 * SQLite's 2 MiB default long before a fleet's history does (bench/audit.sh). */
#define AUDIT_SQLITE_CACHE "PRAGMA cache_size=-65536"


#endif
