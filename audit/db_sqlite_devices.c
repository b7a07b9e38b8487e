/* db_sqlite_devices: the SQLite backend's registry (devices, their keys and
 * last contact) and what inventories tell about them (versions, groups,
 * software and its components, warranty). The connection and the shared
 * statement helpers are db_sqlite.c's (db_sqlite_int.h). */
#include <stdlib.h>
#include <string.h>

#include "audit/db_sqlite_int.h"

#define DEVICE_COLUMNS "d.id, d.type, d.hw_revision, d.fingerprint, d.public_key, " \
	"d.registered_at, d.last_seen, (SELECT max(seq) FROM records r WHERE r.device = d.id), " \
	"d.policy_serial, d.security_version, " \
	"(SELECT group_concat(x, ', ') FROM (SELECT name || ' ' || version AS x" \
	" FROM device_versions v WHERE v.device = d.id ORDER BY name)), " \
	"(SELECT group_concat(grp, ', ') FROM (SELECT grp FROM device_groups g" \
	" WHERE g.device = d.id ORDER BY grp)) FROM devices d"

static void device_from_row(sqlite3_stmt *st, struct audit_device *d)
{
	d->id = col_strdup(st, 0);
	d->type = col_strdup(st, 1);
	d->hw_revision = col_int(st, 2, -1);
	d->fingerprint = col_strdup(st, 3);
	d->public_key = col_strdup(st, 4);
	d->registered_at = col_strdup(st, 5);
	d->last_seen = col_strdup(st, 6);
	d->last_seq = col_int(st, 7, 0);
	d->policy_serial = col_int(st, 8, -1);
	d->security_version = col_int(st, 9, -1);
	d->installed = col_strdup(st, 10);
	d->groups = col_strdup(st, 11);
}

bool sq_device_get(void *impl, const char *id, struct audit_device *out, bool *found,
		   struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	*found = false;
	if (!sq_prepare(s, "SELECT " DEVICE_COLUMNS " WHERE d.id = ?1", &st, err))
		return false;
	bind_text(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		device_from_row(st, out);
		*found = true;
	} else if (rc != SQLITE_DONE) {
		sq_fail(s, err, "reading devices");
		goto out;
	}
	ok = true;
out:
	sqlite3_finalize(st);
	return ok;
}

bool sq_device_list(void *impl, audit_device_cb cb, void *ctx, struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	bool ok = false;
	int rc;
	if (!sq_prepare(s, "SELECT " DEVICE_COLUMNS " ORDER BY d.id", &st, err))
		return false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_device d = { 0 };
		device_from_row(st, &d);
		bool go = cb(&d, ctx, err);
		audit_device_clear(&d);
		if (!go)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, err, "reading devices");
		goto out;
	}
	ok = true;
out:
	sqlite3_finalize(st);
	return ok;
}

bool sq_device_put_key(void *impl, const char *id, const char *fingerprint,
		       const char *public_key, const char *now, struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	if (!sq_prepare(s, "INSERT INTO devices (id, fingerprint, public_key, registered_at)"
			" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET"
			" fingerprint = excluded.fingerprint, public_key = excluded.public_key,"
			" registered_at = excluded.registered_at," INVENTORY_TIME_ON_NEW_KEY, &st, err))
		return false;
	bind_text(st, 1, id);
	bind_text(st, 2, fingerprint);
	bind_text(st, 3, public_key);
	bind_text(st, 4, now);
	return sq_step_done(s, st, "registering device", err);
}

bool sq_device_seen(void *impl, const char *device, const char *time,
		    struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	if (!time)
		return true;
	if (!sq_prepare(s, "UPDATE devices SET last_seen = ?2 WHERE id = ?1"
			" AND (last_seen IS NULL OR last_seen < ?2)", &st, err))
		return false;
	bind_text(st, 1, device);
	bind_text(st, 2, time);
	return sq_step_done(s, st, "updating last_seen", err);
}

/* Replaces the rows of table (device, col) for device with values. */
static bool sq_replace_list(struct sq *s, const char *table, const char *device,
			    const char *const *a, const char *const *b, size_t n,
			    struct ferry_error **err)
{
	char sql[160];
	sqlite3_stmt *st = NULL;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE device = ?1", table);
	if (!sq_prepare(s, sql, &st, err))
		return false;
	bind_text(st, 1, device);
	if (!sq_step_done(s, st, table, err))
		return false;
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s VALUES (?1, ?2%s)", table, b ? ", ?3" : "");
	for (size_t i = 0; i < n; i++) {
		if (!sq_prepare(s, sql, &st, err))
			return false;
		bind_text(st, 1, device);
		bind_text(st, 2, a[i]);
		if (b)
			bind_text(st, 3, b[i]);
		if (!sq_step_done(s, st, table, err))
			return false;
	}
	return true;
}

bool sq_inventory_put(void *impl, const struct audit_inventory *inv, const char *now,
		      bool *applied, struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	*applied = false;
	if (!sq_prepare(s, "UPDATE devices SET type = ?2, hw_revision = ?3, inventory_time = ?4,"
			" inventory = ?5, security_version = ?6, policy_serial = ?7"
			" WHERE id = ?1 AND (inventory_time IS NULL OR inventory_time < ?4"
			" OR (inventory_time = ?4 AND inventory IS NOT ?5))", &st, err))
		return false;
	bind_text(st, 1, inv->device);
	bind_text(st, 2, inv->type);
	bind_int_or_null(st, 3, inv->hw_revision);
	bind_text(st, 4, inv->time);
	bind_text(st, 5, inv->raw);
	bind_int_or_null(st, 6, inv->security_version);
	bind_int_or_null(st, 7, inv->policy_serial);
	if (!sq_step_done(s, st, "storing inventory", err))
		return false;
	if (sqlite3_changes(s->db) == 0)
		return true;   /* this one, or a newer one, is stored already */
	size_t n_groups = 0;
	while (inv->groups && inv->groups[n_groups])
		n_groups++;
	if (!sq_replace_list(s, "device_versions", inv->device, inv->names, inv->versions,
			     inv->n_installed, err) ||
	    !sq_replace_list(s, "device_groups", inv->device, inv->groups, NULL, n_groups, err) ||
	    !sq_device_seen(s, inv->device, inv->time, err))
		return false;
	if (inv->policy_serial >= 0) {
		if (!sq_prepare(s, "INSERT OR IGNORE INTO policy_serials VALUES (?1, ?2, ?3)", &st, err))
			return false;
		bind_text(st, 1, inv->device);
		sqlite3_bind_int64(st, 2, inv->policy_serial);
		bind_text(st, 3, now);
		if (!sq_step_done(s, st, "storing policy serial", err))
			return false;
	}
	*applied = true;
	return true;
}

bool sq_software_put(void *impl, const char *device, const struct inventory_software *sw,
		     size_t n, struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	if (!sq_prepare(s, "DELETE FROM device_components WHERE device = ?1", &st, err))
		return false;
	bind_text(st, 1, device);
	if (!sq_step_done(s, st, "device_components", err) ||
	    !sq_prepare(s, "DELETE FROM device_software WHERE device = ?1", &st, err))
		return false;
	bind_text(st, 1, device);
	if (!sq_step_done(s, st, "device_software", err))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!sq_prepare(s, "INSERT INTO device_software VALUES (?1, ?2, ?3, ?4, ?5)", &st, err))
			return false;
		bind_text(st, 1, device);
		bind_text(st, 2, sw[i].bundle);
		bind_text(st, 3, sw[i].version);
		bind_text(st, 4, sw[i].support_until);
		sqlite3_bind_int64(st, 5, sw[i].truncated);
		if (!sq_step_done(s, st, "device_software", err))
			return false;
		for (size_t c = 0; c < sw[i].n_components; c++) {
			if (!sq_prepare(s, "INSERT INTO device_components VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err))
				return false;
			bind_text(st, 1, device);
			bind_text(st, 2, sw[i].bundle);
			sqlite3_bind_int64(st, 3, (sqlite3_int64)c);
			bind_text(st, 4, sw[i].names[c]);
			bind_text(st, 5, sw[i].versions[c]);
			bind_text(st, 6, sw[i].licences[c]);
			if (!sq_step_done(s, st, "device_components", err))
				return false;
		}
	}
	return true;
}

bool sq_warranty_put(void *impl, const char *device, const char *date, bool *found,
		     struct ferry_error **err)
{
	struct sq *s = impl;
	sqlite3_stmt *st = NULL;
	if (!sq_prepare(s, "UPDATE devices SET warranty_until = ?2 WHERE id = ?1", &st, err))
		return false;
	bind_text(st, 1, device);
	bind_text(st, 2, date);
	if (!sq_step_done(s, st, "warranty", err))
		return false;
	*found = sqlite3_changes(s->db) > 0;
	return true;
}
