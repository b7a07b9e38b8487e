/* db_pg: the PostgreSQL backend of the HQ database (libpq), for several import
 * stations and report servers sharing one database.
 * Owns the PostgreSQL schema and its migrations (the same versions and steps
 * as db_sqlite.c, in PostgreSQL types) and the SQL that differs from SQLite's;
 * the report queries are report_sql.c's (audit_db_report_sql), run unchanged;
 * statements go through db_pg_conn.c (which batches an import's records).
 * Promises: two imports of one device never both extend its chain — inside a
 * transaction, chain_tail takes the device's advisory lock until commit, and
 * reads the tail after it (READ COMMITTED: a fresh snapshot per statement). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/db_backend.h"
#include "audit/db_pg_conn.h"

/* Ordered and compared like SQLite's BINARY collation, whatever the cluster's locale. */
#define CTEXT "TEXT COLLATE \"C\""

static const char *const migrations[] = {
	/* 1: the registry, the records, the import journal, policy serials */
	"CREATE TABLE devices ("
	" id " CTEXT " PRIMARY KEY, type " CTEXT ", hw_revision BIGINT,"
	" fingerprint TEXT NOT NULL, public_key TEXT NOT NULL, registered_at " CTEXT " NOT NULL,"
	" last_seen " CTEXT ", inventory_time " CTEXT ", inventory TEXT,"
	" security_version BIGINT, policy_serial BIGINT);"
	"CREATE TABLE device_versions (device " CTEXT " NOT NULL REFERENCES devices(id),"
	" name " CTEXT " NOT NULL, version " CTEXT " NOT NULL, PRIMARY KEY (device, name));"
	"CREATE TABLE device_groups (device " CTEXT " NOT NULL REFERENCES devices(id),"
	" grp " CTEXT " NOT NULL, PRIMARY KEY (device, grp));"
	"CREATE TABLE records ("
	" device " CTEXT " NOT NULL REFERENCES devices(id), seq BIGINT NOT NULL,"
	" hash TEXT NOT NULL, prev TEXT NOT NULL, time " CTEXT ", boot BIGINT,"
	" event " CTEXT " NOT NULL, bundle " CTEXT ", version " CTEXT ", result " CTEXT ","
	" reason " CTEXT ", media_serial TEXT, media_label TEXT, line TEXT NOT NULL,"
	" PRIMARY KEY (device, seq));"
	"CREATE TABLE imports ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time " CTEXT " NOT NULL,"
	" media_dir TEXT, media_label TEXT, media_serial TEXT, device " CTEXT ", file TEXT,"
	" records_new BIGINT NOT NULL, records_known BIGINT NOT NULL, outcome TEXT NOT NULL,"
	" reason TEXT);"
	"CREATE TABLE policy_serials (device " CTEXT " NOT NULL, serial BIGINT NOT NULL,"
	" first_seen TEXT NOT NULL, PRIMARY KEY (device, serial));",
	/* 2: what the reports and `events --since` filter on */
	"CREATE INDEX records_event ON records (event);"
	"CREATE INDEX records_time ON records (time);"
	"CREATE INDEX imports_device ON imports (device, time);",
	/* 3: one key belongs to one device: a device must not sign as another */
	"CREATE UNIQUE INDEX devices_fingerprint ON devices (fingerprint);",
	/* 4: the devices' signatures over imported exports, to re-verify later */
	"CREATE TABLE export_sigs (device " CTEXT " NOT NULL REFERENCES devices(id),"
	" first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL, fingerprint TEXT NOT NULL,"
	" signature BYTEA NOT NULL, imported_at TEXT NOT NULL, PRIMARY KEY (device, first_seq, last_seq));",
	/* 5: the ferry_code name of a failure (common/error.h), when the device gave one */
	"ALTER TABLE records ADD COLUMN code " CTEXT ";",
	/* 6: failure log excerpts, each the one its record names by SHA-256 */
	"CREATE TABLE failure_logs (device " CTEXT " NOT NULL, seq BIGINT NOT NULL,"
	" sha256 TEXT NOT NULL, data BYTEA NOT NULL, imported_at TEXT NOT NULL,"
	" PRIMARY KEY (device, seq), FOREIGN KEY (device, seq) REFERENCES records (device, seq));",
	/* 7: the work order and technician a record names (issue 18), and the
	 * orders HQ learnt of (`ferry-audit order import`) */
	"ALTER TABLE records ADD COLUMN work_order " CTEXT ";"
	"ALTER TABLE records ADD COLUMN technician " CTEXT ";"
	"CREATE INDEX records_work_order ON records (work_order);"
	"CREATE TABLE orders (id " CTEXT " PRIMARY KEY, technician " CTEXT " NOT NULL,"
	" operations TEXT NOT NULL, scope TEXT NOT NULL, not_before " CTEXT " NOT NULL,"
	" not_after " CTEXT " NOT NULL, signer TEXT NOT NULL, imported_at TEXT NOT NULL,"
	" body TEXT NOT NULL);",
	/* 8: what runs on each device (its inventory's software: SBOM components,
	 * support dates) and the device's warranty */
	"CREATE TABLE device_software (device " CTEXT " NOT NULL REFERENCES devices(id),"
	" bundle " CTEXT " NOT NULL, version " CTEXT " NOT NULL, support_until " CTEXT ","
	" components_truncated BIGINT NOT NULL, PRIMARY KEY (device, bundle));"
	"CREATE TABLE device_components (device " CTEXT " NOT NULL REFERENCES devices(id),"
	" bundle " CTEXT " NOT NULL, seq BIGINT NOT NULL, name " CTEXT " NOT NULL,"
	" version " CTEXT " NOT NULL, licence " CTEXT ", PRIMARY KEY (device, bundle, seq));"
	"ALTER TABLE devices ADD COLUMN warranty_until " CTEXT ";",
};
/* Steps beyond AUDIT_DB_SCHEMA_VERSION wait until db.h counts them (main and
 * this backend gain a step at the same time); fewer steps would be a bug. */
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) >= AUDIT_DB_SCHEMA_VERSION,
	       "every schema version needs its PostgreSQL migration");

/* Advisory lock keys (pg_advisory_xact_lock(int, int)): "fery", and what. */
#define LOCK_CLASS 0x66657279
#define LOCK_MIGRATE 0

static bool pg_schema_version(void *impl, int64_t *version, struct ferry_error **err)
{
	struct pg *p = impl;
	PGresult *r = pg_run(p, "SELECT to_regclass('schema_version') IS NOT NULL", NULL,
			     PGRES_TUPLES_OK, "reading schema_version", err);
	bool exists = r && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	*version = 0;
	if (!r || !exists)
		return r != NULL;   /* a new database: version 0 */
	r = pg_run(p, "SELECT coalesce(max(version), 0) FROM schema_version", NULL, PGRES_TUPLES_OK,
		   "reading schema_version", err);
	if (r)
		*version = cell_int(r, 0, 0, 0);
	PQclear(r);
	return r != NULL;
}

/* The pending steps in one transaction (DDL is transactional here), under a
 * lock so that two stations opening a new database do not both migrate it. */
static bool pg_migrate_locked(struct pg *p, int64_t want, struct ferry_error **err)
{
	struct params ps = { 0 };
	int64_t have = 0;
	p_int(&ps, LOCK_CLASS);
	p_int(&ps, LOCK_MIGRATE);
	PGresult *r = pg_run(p, "SELECT pg_advisory_xact_lock($1::int, $2::int)", &ps, PGRES_TUPLES_OK,
			     "migration lock", err);
	PQclear(r);
	if (!r || !pg_cmd(p, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
			  NULL, "creating schema_version", err) ||
	    !pg_schema_version(p, &have, err))
		return false;
	for (int64_t v = have + 1; v <= want; v++) {
		struct params pv = { 0 };
		p_int(&pv, v);
		r = PQexec(p->conn, migrations[v - 1]);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			pg_fail(p, r, "migration", err);
		PQclear(r);
		if (!ok || !pg_cmd(p, "INSERT INTO schema_version VALUES ($1)", &pv, "migration", err)) {
			ferry_error_prefix(err, "schema migration to version %lld", (long long)v);
			return false;
		}
	}
	return true;
}

static bool pg_migrate(struct pg *p, struct ferry_error **err)
{
	int64_t have = 0;
	const int64_t want = AUDIT_DB_SCHEMA_VERSION;
	if (!pg_schema_version(p, &have, err))
		return false;
	if (have > want)
		return ferry_error_setc(err, FERRY_E_CONFIG, "%s: schema version %lld is newer than this "
					"ferry-audit knows (%lld): use a newer ferry-audit", p->name,
					(long long)have, (long long)want);
	if (have == want)
		return true;   /* a read-only (reporting) role never needs to write here */
	if (!pg_cmd(p, "BEGIN", NULL, "migration", err))
		return false;
	if (!pg_migrate_locked(p, want, err) || !pg_cmd(p, "COMMIT", NULL, "migration", err)) {
		PQclear(PQexec(p->conn, "ROLLBACK"));
		return false;
	}
	return true;
}

static void pg_close(void *impl)
{
	struct pg *p = impl;
	if (!p)
		return;
	pg_records_drop(p);
	PQfinish(p->conn);
	free(p->name);
	free(p);
}

static void notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;   /* "relation already exists, skipping" and the like */
}

/* The target for a message: "postgresql://user:secret@host/db" loses ":secret"
 * (in place); a conninfo's password=… is cut off. */
static const char *without_password(char *conninfo)
{
	char *auth = strstr(conninfo, "://"), *at, *colon;
	if (auth && (at = strchr(auth + 3, '@')) && (colon = memchr(auth + 3, ':', (size_t)(at - auth - 3))))
		memmove(colon, at, strlen(at) + 1);
	char *pw = strstr(conninfo, "password=");
	if (pw)
		strcpy(pw, "password=…");
	return *conninfo ? conninfo : "postgresql: (from the PG* environment)";
}

/* target: what follows "postgresql:": "//host/db?…" (a URI), "" (the PG*
 * environment variables say everything) or "key=value …" (a conninfo). */
static bool pg_open(const char *target, void **impl, struct ferry_error **err)
{
	struct pg *p = calloc(1, sizeof(*p));
	char *conninfo = NULL;
	if (!p || asprintf(&conninfo, "%s%s", strncmp(target, "//", 2) == 0 ? "postgresql:" : "",
			   target) < 0) {
		free(p);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo, "ferry-audit", NULL };
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
		const char *msg = p->conn ? PQerrorMessage(p->conn) : "out of memory";
		int n = (int)strcspn(msg, "\n");
		ferry_error_setc(err, FERRY_E_CONFIG, "%s: cannot connect: %.*s",
				 without_password(conninfo), n, msg);
		free(conninfo);
		goto fail;
	}
	free(conninfo);
	PQsetNoticeProcessor(p->conn, notice_ignore, NULL);
	if (asprintf(&p->name, "postgresql:%s", PQdb(p->conn)) < 0) {
		p->name = NULL;
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto fail;
	}
	if (!pg_migrate(p, err))
		goto fail;
	*impl = p;
	return true;
fail:
	pg_close(p);
	return false;
}

static bool pg_begin(void *impl, struct ferry_error **err)
{
	return pg_cmd(impl, "BEGIN", NULL, "begin", err);
}

/* A transaction that failed part-way answers COMMIT with ROLLBACK: an error here. */
static bool pg_commit(void *impl, struct ferry_error **err)
{
	struct pg *p = impl;
	PGresult *r = pg_run(p, "COMMIT", NULL, PGRES_COMMAND_OK, "commit", err);
	bool ok = r && strcmp(PQcmdStatus(r), "COMMIT") == 0;
	if (r && !ok)
		ferry_error_setc(err, FERRY_E_INTERNAL, "%s: commit: the transaction was rolled back",
				 p->name);
	PQclear(r);
	return ok;
}

static void pg_rollback(void *impl)
{
	struct pg *p = impl;
	pg_records_drop(p);
	if (PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		PQclear(PQexec(p->conn, "ROLLBACK"));
}

/* Batched records belong to the savepoint they were added in. */
static bool pg_savepoint(void *impl, struct ferry_error **err)
{
	return pg_records_flush(impl, err) && pg_cmd(impl, "SAVEPOINT file", NULL, "savepoint", err);
}

static bool pg_release(void *impl, struct ferry_error **err)
{
	return pg_records_flush(impl, err) && pg_cmd(impl, "RELEASE SAVEPOINT file", NULL, "release", err);
}

static void pg_rollback_to(void *impl)
{
	struct pg *p = impl;
	pg_records_drop(p);
	if (PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		PQclear(PQexec(p->conn, "ROLLBACK TO SAVEPOINT file; RELEASE SAVEPOINT file"));
}

#define DEVICE_COLUMNS "d.id, d.type, d.hw_revision, d.fingerprint, d.public_key, " \
	"d.registered_at, d.last_seen, (SELECT max(seq) FROM records r WHERE r.device = d.id), " \
	"d.policy_serial, d.security_version, " \
	"(SELECT string_agg(name || ' ' || version, ', ' ORDER BY name)" \
	" FROM device_versions v WHERE v.device = d.id), " \
	"(SELECT string_agg(grp, ', ' ORDER BY grp) FROM device_groups g WHERE g.device = d.id)" \
	" FROM devices d"

static void device_from_row(const PGresult *r, int row, struct audit_device *d)
{
	d->id = cell_dup(r, row, 0);
	d->type = cell_dup(r, row, 1);
	d->hw_revision = cell_int(r, row, 2, -1);
	d->fingerprint = cell_dup(r, row, 3);
	d->public_key = cell_dup(r, row, 4);
	d->registered_at = cell_dup(r, row, 5);
	d->last_seen = cell_dup(r, row, 6);
	d->last_seq = cell_int(r, row, 7, 0);
	d->policy_serial = cell_int(r, row, 8, -1);
	d->security_version = cell_int(r, row, 9, -1);
	d->installed = cell_dup(r, row, 10);
	d->groups = cell_dup(r, row, 11);
}

static bool pg_device_get(void *impl, const char *id, struct audit_device *out, bool *found,
			  struct ferry_error **err)
{
	struct params ps = { 0 };
	memset(out, 0, sizeof(*out));
	*found = false;
	p_text(&ps, id);
	PGresult *r = pg_run(impl, "SELECT " DEVICE_COLUMNS " WHERE d.id = $1", &ps, PGRES_TUPLES_OK,
			     "reading devices", err);
	if (!r)
		return false;
	if (PQntuples(r) == 1) {
		device_from_row(r, 0, out);
		*found = true;
	}
	PQclear(r);
	return true;
}

/* The whole list first: cb may run other statements on this connection. */
static bool pg_device_list(void *impl, audit_device_cb cb, void *ctx, struct ferry_error **err)
{
	PGresult *r = pg_run(impl, "SELECT " DEVICE_COLUMNS " ORDER BY d.id", NULL, PGRES_TUPLES_OK,
			     "reading devices", err);
	bool ok = r != NULL;
	for (int i = 0; ok && i < PQntuples(r); i++) {
		struct audit_device d = { 0 };
		device_from_row(r, i, &d);
		ok = cb(&d, ctx, err);
		audit_device_clear(&d);
	}
	PQclear(r);
	return ok;
}

static bool pg_device_put_key(void *impl, const char *id, const char *fingerprint,
			      const char *public_key, const char *now, struct ferry_error **err)
{
	struct params ps = { 0 };
	p_text(&ps, id);
	p_text(&ps, fingerprint);
	p_text(&ps, public_key);
	p_text(&ps, now);
	return pg_cmd(impl, "INSERT INTO devices (id, fingerprint, public_key, registered_at)"
		      " VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET"
		      " fingerprint = excluded.fingerprint, public_key = excluded.public_key,"
		      " registered_at = excluded.registered_at," INVENTORY_TIME_ON_NEW_KEY, &ps,
		      "registering device", err);
}

static bool pg_device_seen(void *impl, const char *device, const char *time,
			   struct ferry_error **err)
{
	struct params ps = { 0 };
	if (!time)
		return true;
	p_text(&ps, device);
	p_text(&ps, time);
	return pg_cmd(impl, "UPDATE devices SET last_seen = $2 WHERE id = $1"
		      " AND (last_seen IS NULL OR last_seen < $2)", &ps, "updating last_seen", err);
}

/* FNV-1a: the device's advisory lock key (a collision only serialises two devices). */
static int32_t device_lock_key(const char *device)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *c = (const unsigned char *)device; *c; c++)
		h = (h ^ *c) * 16777619u;
	return (int32_t)h;
}

/* Runs a query returning (seq, hash) of at most one record. */
static bool pg_hash_row(struct pg *p, const char *sql, const struct params *ps, int64_t *seq_out,
			char hash[65], bool *found, struct ferry_error **err)
{
	PGresult *r = pg_run(p, sql, ps, PGRES_TUPLES_OK, "reading records", err);
	*found = false;
	if (!r)
		return false;
	if (PQntuples(r) == 1) {
		*seq_out = cell_int(r, 0, 0, 0);
		snprintf(hash, 65, "%s", PQgetvalue(r, 0, 1));
		*found = true;
	}
	PQclear(r);
	return true;
}

static bool pg_chain_tail(void *impl, const char *device, int64_t *seq, char hash[65],
			  struct ferry_error **err)
{
	struct pg *p = impl;
	struct params lock = { 0 }, ps = { 0 };
	bool found;
	*seq = 0;
	memset(hash, '0', 64);
	hash[64] = '\0';
	if (PQtransactionStatus(p->conn) == PQTRANS_INTRANS) {
		p_int(&lock, LOCK_CLASS);
		p_int(&lock, device_lock_key(device));
		PGresult *r = pg_run(p, "SELECT pg_advisory_xact_lock($1::int, $2::int)", &lock,
				     PGRES_TUPLES_OK, "locking the device's chain", err);
		PQclear(r);
		if (!r)
			return false;
	}
	p_text(&ps, device);
	return pg_hash_row(p, "SELECT seq, hash FROM records WHERE device = $1"
			   " ORDER BY seq DESC LIMIT 1", &ps, seq, hash, &found, err);
}

static bool pg_record_hash(void *impl, const char *device, int64_t seq, char hash[65], bool *found,
			   struct ferry_error **err)
{
	struct params ps = { 0 };
	int64_t got;
	p_text(&ps, device);
	p_int(&ps, seq);
	return pg_hash_row(impl, "SELECT seq, hash FROM records WHERE device = $1 AND seq = $2", &ps,
			   &got, hash, found, err);
}

static bool pg_record_insert(void *impl, const struct audit_record *r, struct ferry_error **err)
{
	return pg_records_add(impl, r, err);
}

/* Row by row (single-row mode): a device's chain may be millions of records.
 * cb must not use this connection. */
static bool pg_events(void *impl, const struct audit_event_filter *f, audit_record_cb cb, void *ctx,
		      struct ferry_error **err)
{
	struct pg *p = impl;
	struct params ps = { 0 };
	char sql[512];
	bool ok = true;
	PGresult *r;
	snprintf(sql, sizeof(sql), "SELECT device, seq, hash, prev, line, time, event, bundle, version,"
		 " result, reason, media_serial, media_label, boot, code FROM records"
		 " WHERE ($1::text IS NULL OR device = $1) AND ($2::text IS NULL OR time >= $2)"
		 " ORDER BY %s LIMIT $3::bigint", f->by_seq ? "device, seq" : "time, device, seq");
	p_text(&ps, f->device);
	p_text(&ps, f->since);
	p_int_or_null(&ps, f->limit > 0 ? f->limit : -1);
	if (!pg_records_flush(p, err))
		return false;
	if (!PQsendQueryParams(p->conn, sql, ps.n, NULL, ps.v, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(p->conn))
		return pg_fail(p, NULL, "reading records", err);
	while ((r = PQgetResult(p->conn))) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && ok) {
			struct audit_record rec = {
				.device = cell(r, 0, 0), .seq = cell_int(r, 0, 1, 0), .hash = cell(r, 0, 2),
				.prev = cell(r, 0, 3), .line = cell(r, 0, 4), .time = cell(r, 0, 5),
				.event = cell(r, 0, 6), .bundle = cell(r, 0, 7), .version = cell(r, 0, 8),
				.result = cell(r, 0, 9), .reason = cell(r, 0, 10),
				.media_serial = cell(r, 0, 11), .media_label = cell(r, 0, 12),
				.boot = cell_int(r, 0, 13, -1), .code = cell(r, 0, 14),
			};
			ok = cb(&rec, ctx, err);
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && ok) {
			ok = pg_fail(p, r, "reading records", err);
		}
		PQclear(r);   /* after a stop, the rest is read and dropped */
	}
	return ok;
}

/* Replaces the rows of table (device, a[, b]) for device. */
static bool pg_replace_list(struct pg *p, const char *table, const char *device,
			    const char *const *a, const char *const *b, size_t n,
			    struct ferry_error **err)
{
	char sql[160];
	struct params ps = { 0 };
	p_text(&ps, device);
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE device = $1", table);
	if (!pg_cmd(p, sql, &ps, table, err))
		return false;
	snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES ($1, $2%s) ON CONFLICT DO NOTHING", table,
		 b ? ", $3" : "");
	for (size_t i = 0; i < n; i++) {
		ps.n = 1;
		p_text(&ps, a[i]);
		if (b)
			p_text(&ps, b[i]);
		if (!pg_cmd(p, sql, &ps, table, err))
			return false;
	}
	return true;
}

static bool pg_software_put(void *impl, const char *device, const struct inventory_software *sw,
			    size_t n, struct ferry_error **err)
{
	struct pg *p = impl;
	struct params ps = { 0 };
	p_text(&ps, device);
	if (!pg_cmd(p, "DELETE FROM device_components WHERE device = $1", &ps, "device_components", err) ||
	    !pg_cmd(p, "DELETE FROM device_software WHERE device = $1", &ps, "device_software", err))
		return false;
	for (size_t i = 0; i < n; i++) {
		ps.n = 1;
		p_text(&ps, sw[i].bundle);
		p_text(&ps, sw[i].version);
		p_text(&ps, sw[i].support_until);
		p_int(&ps, sw[i].truncated);
		if (!pg_cmd(p, "INSERT INTO device_software VALUES ($1, $2, $3, $4, $5)", &ps,
			    "device_software", err))
			return false;
		for (size_t c = 0; c < sw[i].n_components; c++) {
			ps.n = 2;
			p_int(&ps, (int64_t)c);
			p_text(&ps, sw[i].names[c]);
			p_text(&ps, sw[i].versions[c]);
			p_text(&ps, sw[i].licences[c]);
			if (!pg_cmd(p, "INSERT INTO device_components VALUES ($1, $2, $3, $4, $5, $6)", &ps,
				    "device_components", err))
				return false;
		}
	}
	return true;
}

static bool pg_warranty_put(void *impl, const char *device, const char *date, bool *found,
			    struct ferry_error **err)
{
	struct params ps = { 0 };
	p_text(&ps, device);
	p_text(&ps, date);
	PGresult *r = pg_run(impl, "UPDATE devices SET warranty_until = $2 WHERE id = $1", &ps,
			     PGRES_COMMAND_OK, "warranty", err);
	if (!r)
		return false;
	*found = atoll(PQcmdTuples(r)) > 0;
	PQclear(r);
	return true;
}

static bool pg_inventory_put(void *impl, const struct audit_inventory *inv, const char *now,
			     bool *applied, struct ferry_error **err)
{
	struct pg *p = impl;
	struct params ps = { 0 };
	*applied = false;
	p_text(&ps, inv->device);
	p_text(&ps, inv->type);
	p_int_or_null(&ps, inv->hw_revision);
	p_text(&ps, inv->time);
	p_text(&ps, inv->raw);
	p_int_or_null(&ps, inv->security_version);
	p_int_or_null(&ps, inv->policy_serial);
	PGresult *r = pg_run(p, "UPDATE devices SET type = $2, hw_revision = $3, inventory_time = $4,"
			     " inventory = $5, security_version = $6, policy_serial = $7"
			     " WHERE id = $1 AND (inventory_time IS NULL OR inventory_time < $4"
			     " OR (inventory_time = $4 AND inventory IS DISTINCT FROM $5))", &ps,
			     PGRES_COMMAND_OK, "storing inventory", err);
	if (!r)
		return false;
	bool changed = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	if (!changed)
		return true;   /* this one, or a newer one, is stored already */
	size_t n_groups = 0;
	while (inv->groups && inv->groups[n_groups])
		n_groups++;
	if (!pg_replace_list(p, "device_versions", inv->device, inv->names, inv->versions,
			     inv->n_installed, err) ||
	    !pg_replace_list(p, "device_groups", inv->device, inv->groups, NULL, n_groups, err) ||
	    !pg_device_seen(p, inv->device, inv->time, err))
		return false;
	if (inv->policy_serial >= 0) {
		struct params pp = { 0 };
		p_text(&pp, inv->device);
		p_int(&pp, inv->policy_serial);
		p_text(&pp, now);
		if (!pg_cmd(p, "INSERT INTO policy_serials VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			    &pp, "storing policy serial", err))
			return false;
	}
	*applied = true;
	return true;
}

static bool pg_import_log(void *impl, const struct audit_import *imp, struct ferry_error **err)
{
	struct params ps = { 0 };
	p_text(&ps, imp->time);
	p_text(&ps, imp->media_dir);
	p_text(&ps, imp->media_label);
	p_text(&ps, imp->media_serial);
	p_text(&ps, imp->device);
	p_text(&ps, imp->file);
	p_int(&ps, imp->records_new);
	p_int(&ps, imp->records_known);
	p_text(&ps, imp->outcome);
	p_text(&ps, imp->reason);
	return pg_cmd(impl, "INSERT INTO imports (time, media_dir, media_label, media_serial, device,"
		      " file, records_new, records_known, outcome, reason)"
		      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", &ps, "journaling import", err);
}

static bool pg_export_sig_put(void *impl, const struct audit_export_sig *e, const char *now,
			      struct ferry_error **err)
{
	struct params ps = { 0 };
	p_text(&ps, e->device);
	p_int(&ps, e->first_seq);
	p_int(&ps, e->last_seq);
	p_text(&ps, e->fingerprint);
	p_bin(&ps, e->sig, e->sig_len);
	p_text(&ps, now);
	return pg_cmd(impl, "INSERT INTO export_sigs VALUES ($1, $2, $3, $4, $5, $6)"
		      " ON CONFLICT DO NOTHING", &ps, "storing an export signature", err);
}

static bool pg_failure_log_put(void *impl, const struct audit_failure_log *l, const char *now,
			       struct ferry_error **err)
{
	struct params ps = { 0 };
	p_text(&ps, l->device);
	p_int(&ps, l->seq);
	p_text(&ps, l->sha256);
	p_bin(&ps, l->data, l->len);
	p_text(&ps, now);
	return pg_cmd(impl, "INSERT INTO failure_logs VALUES ($1, $2, $3, $4, $5)"
		      " ON CONFLICT DO NOTHING", &ps, "storing a failure log", err);
}

/* One row of (text[, bytea]) for device/seq: *a and *b copied (caller frees). */
static bool pg_row_text_blob(void *impl, const char *sql, const char *device, int64_t seq,
			     char **a, void **b, size_t *b_len, bool *found, struct ferry_error **err)
{
	struct params ps = { 0 };
	p_text(&ps, device);
	p_int(&ps, seq);
	*found = false;
	PGresult *r = pg_run(impl, sql, &ps, PGRES_TUPLES_OK, "reading a record", err);
	bool ok = r != NULL;
	if (ok && PQntuples(r) == 1) {
		*a = strdup(PQgetvalue(r, 0, 0));
		unsigned char *bin = NULL;
		size_t n = 0;
		if (b && (bin = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 1), &n)) &&
		    (*b = malloc(n ? n : 1)))
			memcpy(*b, bin, n);
		if (bin)
			PQfreemem(bin);
		if (!*a || (b && !*b))
			ok = ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		if (b_len)
			*b_len = n;
		*found = ok;
	}
	PQclear(r);
	return ok;
}

static bool pg_failure_log_row(void *impl, const char *device, int64_t seq, char **sha,
			       void **data, size_t *len, bool *found, struct ferry_error **err)
{
	return pg_row_text_blob(impl, "SELECT sha256, data FROM failure_logs WHERE device = $1"
				" AND seq = $2", device, seq, sha, data, len, found, err);
}

static bool pg_record_line(void *impl, const char *device, int64_t seq, char **line, bool *found,
			   struct ferry_error **err)
{
	*line = NULL;
	return pg_row_text_blob(impl, "SELECT line FROM records WHERE device = $1 AND seq = $2",
				device, seq, line, NULL, NULL, found, err);
}

/* The whole list first: cb may run other statements on this connection. */
static bool pg_export_sigs(void *impl, const char *device, audit_export_sig_cb cb, void *ctx,
			   struct ferry_error **err)
{
	struct params ps = { 0 };
	p_text(&ps, device);
	PGresult *r = pg_run(impl, "SELECT first_seq, last_seq, fingerprint, signature FROM export_sigs"
			     " WHERE device = $1 ORDER BY first_seq, last_seq", &ps, PGRES_TUPLES_OK,
			     "reading export signatures", err);
	bool ok = r != NULL;
	for (int i = 0; ok && i < PQntuples(r); i++) {
		size_t len = 0;
		unsigned char *sig = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 3), &len);
		if (!sig)
			return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		struct audit_export_sig e = {
			.device = device, .first_seq = cell_int(r, i, 0, 0), .last_seq = cell_int(r, i, 1, 0),
			.fingerprint = cell(r, i, 2), .sig = sig, .sig_len = len,
		};
		ok = cb(&e, ctx, err);
		PQfreemem(sig);
	}
	PQclear(r);
	return ok;
}

/* SQLite's "?1" placeholders as PostgreSQL's "$1" (the report SQL has no '?'
 * in a string literal). Caller frees. */
static char *dollar_params(const char *sql)
{
	char *out = strdup(sql);
	for (char *c = out; c && *c; c++)
		if (*c == '?' && c[1] >= '1' && c[1] <= '9')
			*c = '$';
	return out;
}

/* Integer types: int8, int2, int4; numeric (sum of bigints) when integral. */
static bool cell_is_integer(Oid type, const char *v)
{
	if (type == 20 || type == 21 || type == 23)
		return true;
	return type == 1700 && v[strspn(v, "-0123456789")] == '\0';
}

static bool table_from_result(const PGresult *r, struct audit_table *t)
{
	size_t cols = (size_t)PQnfields(r), rows = (size_t)PQntuples(r);
	t->cols = calloc(cols + 1, sizeof(*t->cols));
	t->numeric = calloc(cols + 1, sizeof(*t->numeric));
	t->cells = calloc(rows * cols + 1, sizeof(*t->cells));
	if (!t->cols || !t->numeric || !t->cells)
		return false;
	t->n_cols = cols;   /* only now: audit_table_clear walks these */
	t->n_rows = rows;
	for (size_t c = 0; c < t->n_cols; c++) {
		t->numeric[c] = true;
		if (!(t->cols[c] = strdup(PQfname(r, (int)c))))
			return false;
		for (size_t row = 0; row < t->n_rows; row++) {
			const char *v = cell(r, (int)row, (int)c);
			if (v && !cell_is_integer(PQftype(r, (int)c), v))
				t->numeric[c] = false;
			if (v && !(t->cells[row * t->n_cols + c] = strdup(v)))
				return false;
		}
	}
	return true;
}

static bool pg_query(void *impl, enum audit_query q, const struct audit_query_params *qp,
		     struct audit_table *out, struct ferry_error **err)
{
	struct params ps = { 0 };
	memset(out, 0, sizeof(*out));
	if ((unsigned)q >= AUDIT_Q_COUNT)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "unknown report query %d", (int)q);
	char *sql = dollar_params(audit_db_report_sql[q]);
	if (!sql)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	if (strstr(sql, "$1"))
		p_text(&ps, audit_db_query_arg(q, qp));
	PGresult *r = pg_run(impl, sql, &ps, PGRES_TUPLES_OK, "report query", err);
	free(sql);
	bool ok = r && table_from_result(r, out);
	if (r && !ok)
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	PQclear(r);
	if (!ok)
		audit_table_clear(out);
	return ok;
}

/* Row by row (single-row mode); bytea cells unescaped. cb must not use this connection. */
static bool pg_table_rows(void *impl, const char *table, audit_row_cb cb, void *ctx,
			  struct ferry_error **err)
{
	struct pg *p = impl;
	char sql[96];
	bool ok = true;
	PGresult *r;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	if (!pg_records_flush(p, err))
		return false;
	if (!PQsendQuery(p->conn, sql) || !PQsetSingleRowMode(p->conn))
		return pg_fail(p, NULL, table, err);
	while ((r = PQgetResult(p->conn))) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && ok) {
			size_t n = (size_t)PQnfields(r);
			const char *cols[32];
			struct audit_cell cells[32] = { 0 };
			unsigned char *blobs[32] = { 0 };
			for (size_t i = 0; i < n && i < 32; i++) {
				cols[i] = PQfname(r, (int)i);
				cells[i].v = cell(r, 0, (int)i);
				cells[i].len = (size_t)PQgetlength(r, 0, (int)i);
				cells[i].bytes = PQftype(r, (int)i) == 17;   /* bytea */
				if (cells[i].v && cells[i].bytes) {
					blobs[i] = PQunescapeBytea((const unsigned char *)cells[i].v, &cells[i].len);
					cells[i].v = (const char *)blobs[i];
				}
			}
			struct audit_row row = { .n = n < 32 ? n : 32, .cols = cols, .cells = cells };
			ok = cb(&row, ctx, err);
			for (size_t i = 0; i < n && i < 32; i++)
				PQfreemem(blobs[i]);
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && ok) {
			ok = pg_fail(p, r, table, err);
		}
		PQclear(r);
	}
	return ok;
}

/* Prepares "copy_TABLE" once: the journal's ids are kept (OVERRIDING SYSTEM VALUE). */
static bool pg_copy_prepare(struct pg *p, const char *table, const char *name,
			    const struct audit_row *r, struct ferry_error **err)
{
	unsigned bit = 0;
	while (audit_db_tables[bit] && strcmp(audit_db_tables[bit], table) != 0)
		bit++;
	if (p->copy_prepared & (1u << bit))
		return true;
	bool imports = strcmp(table, "imports") == 0;
	char *sql = audit_db_insert_sql(table, r->cols, r->n, 1,
					 imports ? " OVERRIDING SYSTEM VALUE" : "");
	if (!sql)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	PGresult *res = PQprepare(p->conn, name, sql, 0, NULL);
	free(sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		pg_fail(p, res, table, err);
	PQclear(res);
	if (ok)
		p->copy_prepared |= 1u << bit;
	return ok;
}

static bool pg_table_insert(void *impl, const char *table, const struct audit_row *r,
			    struct ferry_error **err)
{
	struct pg *p = impl;
	char name[48];
	const char *v[32];
	int len[32], fmt[32];
	if (r->n > 32)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "%s: too many columns", table);
	snprintf(name, sizeof(name), "copy_%s", table);
	if (!pg_copy_prepare(p, table, name, r, err))
		return false;
	for (size_t i = 0; i < r->n; i++) {
		v[i] = r->cells[i].v;
		len[i] = (int)r->cells[i].len;
		fmt[i] = r->cells[i].bytes;
	}
	PGresult *res = PQexecPrepared(p->conn, name, (int)r->n, v, len, fmt, 0);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		pg_fail(p, res, table, err);
	PQclear(res);
	/* the next journal line after the copied ones gets a new id */
	if (ok && strcmp(table, "imports") == 0) {
		res = pg_run(p, "SELECT setval(pg_get_serial_sequence('imports', 'id'),"
			     " (SELECT max(id) FROM imports))", NULL, PGRES_TUPLES_OK, table, err);
		ok = res != NULL;
		PQclear(res);
	}
	return ok;
}

const struct audit_db_ops audit_db_pg_ops = {
	.name = "postgresql",
	.scheme = "postgresql:",
	.open = pg_open,
	.close = pg_close,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.rollback_to = pg_rollback_to,
	.device_get = pg_device_get,
	.device_put_key = pg_device_put_key,
	.device_list = pg_device_list,
	.device_seen = pg_device_seen,
	.chain_tail = pg_chain_tail,
	.record_hash = pg_record_hash,
	.record_insert = pg_record_insert,
	.events = pg_events,
	.inventory_put = pg_inventory_put,
	.import_log = pg_import_log,
	.export_sig_put = pg_export_sig_put,
	.export_sigs = pg_export_sigs,
	.failure_log_put = pg_failure_log_put,
	.failure_log_row = pg_failure_log_row,
	.record_line = pg_record_line,
	.query = pg_query,
	.software_put = pg_software_put,
	.warranty_put = pg_warranty_put,
	.table_rows = pg_table_rows,
	.table_insert = pg_table_insert,
};
