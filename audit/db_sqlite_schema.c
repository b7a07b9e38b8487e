/* db_sqlite_schema: the SQLite schema of the HQ database as its ordered
 * migrations, one step per schema version (db_sqlite.c applies them; db_pg.c
 * has the same steps in PostgreSQL types). A schema change is a new step at
 * the end here and in db_pg.c, and AUDIT_DB_SCHEMA_VERSION one higher. */
#include "audit/db_backend.h"

const char *const audit_sqlite_migrations[] = {
	/* 1: the registry, the records, the import journal, policy serials */
	"CREATE TABLE devices ("
	" id TEXT PRIMARY KEY, type TEXT, hw_revision INTEGER,"
	" fingerprint TEXT NOT NULL, public_key TEXT NOT NULL, registered_at TEXT NOT NULL,"
	" last_seen TEXT, inventory_time TEXT, inventory TEXT,"
	" security_version INTEGER, policy_serial INTEGER);"
	"CREATE TABLE device_versions (device TEXT NOT NULL REFERENCES devices(id),"
	" name TEXT NOT NULL, version TEXT NOT NULL, PRIMARY KEY (device, name));"
	"CREATE TABLE device_groups (device TEXT NOT NULL REFERENCES devices(id),"
	" grp TEXT NOT NULL, PRIMARY KEY (device, grp));"
	"CREATE TABLE records ("
	" device TEXT NOT NULL REFERENCES devices(id), seq INTEGER NOT NULL,"
	" hash TEXT NOT NULL, prev TEXT NOT NULL, time TEXT, boot INTEGER,"
	" event TEXT NOT NULL, bundle TEXT, version TEXT, result TEXT, reason TEXT,"
	" media_serial TEXT, media_label TEXT, line TEXT NOT NULL,"
	" PRIMARY KEY (device, seq));"
	"CREATE TABLE imports ("
	" id INTEGER PRIMARY KEY, time TEXT NOT NULL, media_dir TEXT, media_label TEXT,"
	" media_serial TEXT, device TEXT, file TEXT, records_new INTEGER NOT NULL,"
	" records_known INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT);"
	"CREATE TABLE policy_serials (device TEXT NOT NULL, serial INTEGER NOT NULL,"
	" first_seen TEXT NOT NULL, PRIMARY KEY (device, serial));",
	/* 2: what the reports and `events --since` filter on */
	"CREATE INDEX records_event ON records (event);"
	"CREATE INDEX records_time ON records (time);"
	"CREATE INDEX imports_device ON imports (device, time);",
	/* 3: one key belongs to one device: a device must not sign as another */
	"CREATE UNIQUE INDEX devices_fingerprint ON devices (fingerprint);",
	/* 4: the devices' signatures over imported exports, to re-verify later */
	"CREATE TABLE export_sigs (device TEXT NOT NULL REFERENCES devices(id),"
	" first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, fingerprint TEXT NOT NULL,"
	" signature BLOB NOT NULL, imported_at TEXT NOT NULL, PRIMARY KEY (device, first_seq, last_seq));",
	/* 5: the reason code of a failure or refusal (ferry_code_name), to group by */
	"ALTER TABLE records ADD COLUMN code TEXT",
	/* 6: failure log excerpts, each the one its record names by SHA-256 */
	"CREATE TABLE failure_logs (device TEXT NOT NULL, seq INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL, data BLOB NOT NULL, imported_at TEXT NOT NULL,"
	" PRIMARY KEY (device, seq), FOREIGN KEY (device, seq) REFERENCES records (device, seq))",
	/* 7: the work order and technician a record names (issue 18), and the
	 * orders HQ learnt of (`ferry-audit order import`) */
	"ALTER TABLE records ADD COLUMN work_order TEXT;"
	"ALTER TABLE records ADD COLUMN technician TEXT;"
	"CREATE INDEX records_work_order ON records (work_order);"
	"CREATE TABLE orders (id TEXT PRIMARY KEY, technician TEXT NOT NULL,"
	" operations TEXT NOT NULL, scope TEXT NOT NULL, not_before TEXT NOT NULL,"
	" not_after TEXT NOT NULL, signer TEXT NOT NULL, imported_at TEXT NOT NULL,"
	" body TEXT NOT NULL)",
	/* 8: what runs on each device (its inventory's software: SBOM components,
	 * support dates) and the device's warranty */
	"CREATE TABLE device_software (device TEXT NOT NULL REFERENCES devices(id),"
	" bundle TEXT NOT NULL, version TEXT NOT NULL, support_until TEXT,"
	" components_truncated INTEGER NOT NULL, PRIMARY KEY (device, bundle));"
	"CREATE TABLE device_components (device TEXT NOT NULL REFERENCES devices(id),"
	" bundle TEXT NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,"
	" licence TEXT, PRIMARY KEY (device, bundle, seq));"
	"ALTER TABLE devices ADD COLUMN warranty_until TEXT;",
};
_Static_assert(sizeof(audit_sqlite_migrations) / sizeof(audit_sqlite_migrations[0]) ==
		       AUDIT_DB_SCHEMA_VERSION, "AUDIT_DB_SCHEMA_VERSION must count the migrations");
