/* report_device: `ferry-audit report --device ID`, the report of one device:
 * what HQ knows of it (registry and newest inventory) and its audit records,
 * newest first. Rendered by the same renderers as the fleet report; text and
 * HTML show the newest REPORT_ROWS_SHOWN records, CSV and JSON all. */
#include "audit/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "audit/shown.h"
#include "common/auditlog.h"

static bool add_field(struct audit_table *t, const char *name, const char *value, struct ferry_error **err)
{
	const char *cells[] = { name, value };
	return report_table_add(t, cells, err);
}

static bool add_number(struct audit_table *t, const char *name, int64_t v, struct ferry_error **err)
{
	char n[24];
	snprintf(n, sizeof(n), "%" PRId64, v);
	return add_field(t, name, v < 0 ? NULL : n, err);
}

static bool device_table(const struct audit_device *d, struct audit_table *t, struct ferry_error **err)
{
	static const char *const cols[] = { "field", "value" };
	static const bool num[] = { false, false };
	return report_table_init(t, cols, num, 2, err) && add_field(t, "device", d->id, err) &&
	       add_field(t, "type", d->type, err) && add_number(t, "hw_revision", d->hw_revision, err) &&
	       add_field(t, "groups", d->groups, err) && add_field(t, "installed", d->installed, err) &&
	       add_field(t, "registered", d->registered_at, err) && add_field(t, "last_seen", d->last_seen, err) &&
	       add_number(t, "policy_serial", d->policy_serial, err) &&
	       add_number(t, "security_version", d->security_version, err) &&
	       add_number(t, "last_seq", d->last_seq, err) && add_field(t, "fingerprint", d->fingerprint, err);
}

static bool history_row(const struct audit_record *r, void *ctx, struct ferry_error **err)
{
	char seq[24];
	snprintf(seq, sizeof(seq), "%" PRId64, r->seq);
	const char *cells[] = { r->time, seq, r->event, r->bundle, r->version, r->result, r->code, r->reason };
	return report_table_add(ctx, cells, err);
}

/* The rows in reverse order: newest first. */
static void reverse_rows(struct audit_table *t)
{
	for (size_t a = 0, b = t->n_rows ? t->n_rows - 1 : 0; a < b; a++, b--)
		for (size_t c = 0; c < t->n_cols; c++) {
			char *x = t->cells[a * t->n_cols + c];
			t->cells[a * t->n_cols + c] = t->cells[b * t->n_cols + c];
			t->cells[b * t->n_cols + c] = x;
		}
}

static bool history_table(struct audit_db *db, const char *id, struct audit_table *t, struct ferry_error **err)
{
	static const char *const cols[] = { "time", "seq", "event", "bundle", "version", "result", "code", "reason" };
	static const bool num[] = { false, true, false, false, false, false, false, false };
	struct audit_event_filter f = { .device = id, .by_seq = true };
	if (!report_table_init(t, cols, num, 8, err) || !audit_db_events(db, &f, history_row, t, err))
		return false;
	reverse_rows(t);
	return true;
}

bool report_build_device(struct audit_db *db, time_t now, const char *id, struct report *out,
			 struct ferry_error **err)
{
	struct audit_device d = { 0 };
	bool found = false;
	memset(out, 0, sizeof(*out));
	report_time_text(now, out->generated);
	snprintf(out->device, sizeof(out->device), "%s", id);
	if (!auditlog_device_id_valid(id)) {
		ferry_error_setc(err, FERRY_E_USAGE, "--device '%s': not a device id", id);
		goto fail;
	}
	if (!audit_db_device_get(db, id, &d, &found, err))
		goto fail;
	if (!found) {
		ferry_error_setc(err, FERRY_E_USAGE, "--device %s: no such device registered", id);
		goto fail;
	}
	struct report_section *s = &out->sections[0];
	*s = (struct report_section){ .id = "device", .title = "Device", .empty = "nothing known" };
	out->n_sections = 1;
	if (!device_table(&d, &s->table, err) || !shown_table(&s->table, err))
		goto fail;
	s = &out->sections[1];
	*s = (struct report_section){ .id = "history", .title = "Audit records, newest first",
				      .empty = "no records imported yet" };
	out->n_sections = 2;
	if (!history_table(db, id, &s->table, err) || !shown_table(&s->table, err))
		goto fail;
	audit_device_clear(&d);
	return true;
fail:
	audit_device_clear(&d);
	ferry_error_prefix(err, "report");
	report_free(out);
	return false;
}
