/* db: the HQ database, the one module of ferry-audit that talks SQL.
 * Commands call these functions only; a backend (db_sqlite.c, db_pg.c) fills
 * struct audit_db_ops (db_backend.h). Promises: the schema is migrated to the
 * current version on open; writes between begin and commit are all-or-nothing. */
#ifndef FERRY_AUDIT_DB_H
#define FERRY_AUDIT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/inventory.h"

#define AUDIT_DB_SCHEMA_VERSION 8

struct audit_db;

/* target: a file name (SQLite), "sqlite:FILE", or PostgreSQL: "postgresql://…"
 * (a libpq URI), "postgresql:" alone (the PG* environment variables) or
 * "postgresql:KEY=VALUE …" (a libpq conninfo). Other schemes are refused. */
bool audit_db_open(const char *target, struct audit_db **out, struct ferry_error **err);
void audit_db_close(struct audit_db *db);
const char *audit_db_backend_name(const struct audit_db *db);
bool audit_db_schema_version(struct audit_db *db, int64_t *version, struct ferry_error **err);

bool audit_db_begin(struct audit_db *db, struct ferry_error **err);
bool audit_db_commit(struct audit_db *db, struct ferry_error **err);
void audit_db_rollback(struct audit_db *db);
/* A batch: one transaction around many (an import commits once per batch
 * of files, not once per file). Inside it begin, commit and rollback are a
 * savepoint, its release and a rollback to it: each file still changes all
 * or nothing, and nothing is durable before audit_db_batch_commit (which
 * rolls the batch back when the commit fails). Not nested. */
bool audit_db_batch_begin(struct audit_db *db, struct ferry_error **err);
bool audit_db_batch_commit(struct audit_db *db, struct ferry_error **err);
bool audit_db_in_batch(const struct audit_db *db);
/* A bulk import: many batches one after the other, on one connection. The
 * backend may then store differently while every commit keeps its meaning
 * (SQLite: checkpoints in a thread of their own, docs/hq.md). Off again
 * before the connection is used otherwise; failing to turn it on is no
 * failure of the import (it stores as without). */
bool audit_db_bulk(struct audit_db *db, bool on, struct ferry_error **err);

/* A registered device. Strings are owned by the struct (audit_device_clear). */
struct audit_device {
	char *id;
	char *type;              /* NULL until an inventory says it */
	int64_t hw_revision;     /* -1 when unknown */
	char *fingerprint;
	char *public_key;        /* armored */
	char *registered_at;     /* RFC 3339 UTC */
	char *last_seen;         /* time of its newest record or inventory; NULL: never */
	int64_t last_seq;        /* highest imported contiguous seq, 0: none */
	int64_t policy_serial;   /* from its newest inventory, -1 when unknown */
	int64_t security_version;
	char *installed;         /* "name version, …" from its inventory, or NULL */
	char *groups;            /* "canary, north", or NULL */
};
void audit_device_clear(struct audit_device *d);

bool audit_db_device_get(struct audit_db *db, const char *id, struct audit_device *out,
			 bool *found, struct ferry_error **err);
/* Inserts id with fingerprint and key, or replaces the key of an existing id. */
bool audit_db_device_put_key(struct audit_db *db, const char *id, const char *fingerprint,
			     const char *public_key, const char *now, struct ferry_error **err);
typedef bool (*audit_device_cb)(const struct audit_device *d, void *ctx, struct ferry_error **err);
bool audit_db_device_list(struct audit_db *db, audit_device_cb cb, void *ctx,
			  struct ferry_error **err);

/* One verified audit record, as stored. Strings are borrowed. */
struct audit_record {
	const char *device;
	int64_t seq;
	const char *hash, *prev, *line;
	const char *time, *event, *bundle, *version, *result, *reason;
	const char *code;        /* the record's reason code (ferry_code_name), or NULL */
	const char *media_serial, *media_label;
	int64_t boot;            /* -1 when absent */
	const char *work_order, *technician;   /* the record's "order" and "technician", or NULL */
};
/* Highest stored seq of device (0 and 64 '0's when none). Inside a
 * transaction it holds the device's chain until commit or rollback, so two
 * importers of one device never both extend it (SQLite: BEGIN IMMEDIATE
 * already holds the whole database; PostgreSQL: an advisory lock per device). */
bool audit_db_chain_tail(struct audit_db *db, const char *device, int64_t *seq,
			 char hash[65], struct ferry_error **err);
/* Hash of the stored record device/seq; *found false when there is none. */
bool audit_db_record_hash(struct audit_db *db, const char *device, int64_t seq, char hash[65],
			  bool *found, struct ferry_error **err);
/* Inside a transaction a backend may send records in batches (PostgreSQL):
 * a refused record then fails a later call of the transaction, at the latest
 * the commit; every read in the transaction sees the records added before it. */
bool audit_db_record_insert(struct audit_db *db, const struct audit_record *r,
			    struct ferry_error **err);
/* Moves the device's last_seen forward to time (never back). */
bool audit_db_device_seen(struct audit_db *db, const char *device, const char *time,
			  struct ferry_error **err);

struct audit_event_filter {
	const char *device;      /* NULL: all */
	const char *since;       /* RFC 3339 or YYYY-MM-DD prefix; NULL: all */
	int64_t limit;           /* 0: no limit */
	bool by_seq;             /* order by device and seq (a chain), not by time */
};
typedef bool (*audit_record_cb)(const struct audit_record *r, void *ctx, struct ferry_error **err);
bool audit_db_events(struct audit_db *db, const struct audit_event_filter *f, audit_record_cb cb,
		     void *ctx, struct ferry_error **err);

/* A device's newest inventory (signed by it); strings borrowed. */
struct audit_inventory {
	const char *device, *type, *time, *raw;
	int64_t hw_revision, security_version, policy_serial;   /* -1 when absent */
	size_t n_installed;
	const char *const *names, *const *versions;
	const char *const *groups;   /* NULL-terminated or NULL */
	const struct inventory_software *software;   /* what runs there (n_software entries) */
	size_t n_software;
};
/* Stores it unless the same or a newer inventory is already there (*applied
 * says which; two written in the same second: the later import wins);
 * records its policy serial as seen; replaces the device's software. */
bool audit_db_inventory_put(struct audit_db *db, const struct audit_inventory *inv,
			    const char *now, bool *applied, struct ferry_error **err);

/* Sets (date "YYYY-MM-DD") or clears (NULL) the device's warranty end;
 * *found false when no such device is registered. */
bool audit_db_warranty_put(struct audit_db *db, const char *device, const char *date, bool *found,
			   struct ferry_error **err);

/* One line of the import journal: a file (or folder) looked at. */
struct audit_import {
	const char *time, *media_dir, *media_label, *media_serial;
	const char *device, *file;
	int64_t records_new, records_known;
	const char *outcome;     /* "imported" | "unchanged" | "refused" */
	const char *reason;      /* why it was refused, else NULL */
};
bool audit_db_import_log(struct audit_db *db, const struct audit_import *imp,
			 struct ferry_error **err);

/* The device's detached signature over an imported export file (records
 * first..last, one line each plus "\n"), kept so the stored chain can be
 * re-verified against the device key later (ferry-audit check). */
struct audit_export_sig {
	const char *device;
	int64_t first_seq, last_seq;
	const char *fingerprint;     /* the key that signed it (registered then) */
	const void *sig;
	size_t sig_len;
};
/* A failure log excerpt a device exported beside its records (common/faillog.h):
 * the one its record device/seq names by sha256. */
struct audit_failure_log {
	const char *device;
	int64_t seq;
	char sha256[65];
	void *data;                  /* the zstd bytes; from failure_log_get: caller frees */
	size_t len;
};
/* Stores it unless the device's record seq has one already. */
bool audit_db_failure_log_put(struct audit_db *db, const struct audit_failure_log *l,
			      const char *now, struct ferry_error **err);
/* The stored excerpt of device/seq; *found false when there is none. */
bool audit_db_failure_log_get(struct audit_db *db, const char *device, int64_t seq,
			      struct audit_failure_log *out, bool *found, struct ferry_error **err);
/* The stored line of record device/seq (caller frees); *found false when none. */
bool audit_db_record_line(struct audit_db *db, const char *device, int64_t seq, char **line,
			  bool *found, struct ferry_error **err);

/* Stores it unless the same range is stored already. */
bool audit_db_export_sig_put(struct audit_db *db, const struct audit_export_sig *e, const char *now,
			     struct ferry_error **err);
typedef bool (*audit_export_sig_cb)(const struct audit_export_sig *e, void *ctx,
				    struct ferry_error **err);
/* The stored signatures of device, by first seq. */
bool audit_db_export_sigs(struct audit_db *db, const char *device, audit_export_sig_cb cb,
			  void *ctx, struct ferry_error **err);

/* A small result table for reports: cells are strings (NULL when absent);
 * numeric[c] says that every present cell of column c is an integer. */
struct audit_table {
	size_t n_cols, n_rows;
	char **cols;
	bool *numeric;
	char **cells;            /* row-major, n_rows * n_cols */
};
static inline const char *audit_table_cell(const struct audit_table *t, size_t row, size_t col)
{
	return t->cells[row * t->n_cols + col];
}
void audit_table_clear(struct audit_table *t);

enum audit_query {
	AUDIT_Q_SUMMARY,            /* devices, records, imports, refused imports */
	AUDIT_Q_FLEET_BY_VERSION,   /* bundle, version, devices */
	AUDIT_Q_FLEET_BY_TYPE,      /* type, hw_revision, devices */
	AUDIT_Q_INSTALLS_BY_BUNDLE, /* bundle, version, success, failure, refused */
	AUDIT_Q_FAILURES_BY_REASON, /* code ('-': none), bundle, version, event, result, count,
				     * example (a reason text of the group; without a code
				     * records group by their text) */
	AUDIT_Q_ROLLBACKS,          /* device, event, bundle, version, time, reason, failure_log
	                             * (the command showing it, "-": none imported), seq: newest 200 */
	AUDIT_Q_STALE_DEVICES,      /* device, type, last_seen */
	AUDIT_Q_RINGS,              /* ring, devices, success, failure, rollbacks */
	AUDIT_Q_POLICY_SERIALS,     /* policy_serial, devices */
	AUDIT_Q_CHANGES_BY_ORDER,   /* technician, work_order, device, event, bundle, version,
	                             * time: records made under a work order (first 500) */
	AUDIT_Q_ORDERS,             /* work_order, technician, status (used, expired unused,
	                             * not used yet), devices, records, last_used, not_after */
	/* rows the report derives weekly sections from (report_time.c): */
	AUDIT_Q_INSTALLS_BY_WEEK,   /* day (YYYY-MM-DD), success, failure, refused */
	AUDIT_Q_VERSIONS_BY_WEEK,   /* device, bundle, version, event, day: installs that
				     * succeeded and rollbacks, by device, bundle, seq */
	AUDIT_Q_RINGS_BY_WEEK,      /* ring, device, bundle, version, event, day: the same per
				     * ring member; bundle NULL for a member without any */
	AUDIT_Q_METRIC_SAMPLES,     /* bundle, version, type ('-': unknown), device, seq, line of
				     * every boot.committed / boot.rolled_back with a bundle and
				     * version (not a section: report_metrics.c computes from it) */
	AUDIT_Q_PAST_SUPPORT,       /* device, type, bundle, version, support_until: devices
				     * running software whose support ended before today */
	AUDIT_Q_SUPPORT_BEFORE_WARRANTY, /* device, type, bundle, version, support_until,
				     * warranty_until: support ends before the warranty */
	AUDIT_Q_DEVICE_SBOM,        /* bundle, version, support_until, component, component_version,
				     * licence of one device (params.device; not a report section) */
	AUDIT_Q_COUNT
};
/* A report statement's one parameter ?1: a field of these, audit_db_query_arg says which. */
struct audit_query_params {
	const char *stale_before;   /* RFC 3339: devices last seen before it are stale; for
	                             * AUDIT_Q_ORDERS the report's time (orders expired before it) */
	const char *today;          /* YYYY-MM-DD: the report's day (AUDIT_Q_PAST_SUPPORT) */
	const char *device;         /* AUDIT_Q_DEVICE_SBOM's device */
};
bool audit_db_query(struct audit_db *db, enum audit_query q, const struct audit_query_params *p,
		    struct audit_table *out, struct ferry_error **err);

/* Copying a whole database (ferry-audit migrate): its tables, in an order the
 * foreign keys accept, each row as named cells. Columns are the schema's own,
 * the same on every backend at one schema version. */
extern const char *const audit_db_tables[];   /* NULL-terminated */
struct audit_cell {
	const char *v;           /* NULL: SQL NULL */
	size_t len;
	bool bytes;              /* a blob (export signature), else text */
};
struct audit_row {
	size_t n;
	const char *const *cols;
	const struct audit_cell *cells;
};
typedef bool (*audit_row_cb)(const struct audit_row *r, void *ctx, struct ferry_error **err);
bool audit_db_table_rows(struct audit_db *db, const char *table, audit_row_cb cb, void *ctx,
			 struct ferry_error **err);
/* Inserts r as it is (the journal keeps its ids); every row of one table has
 * the same columns. */
bool audit_db_table_insert(struct audit_db *db, const char *table, const struct audit_row *r,
			   struct ferry_error **err);

#endif
