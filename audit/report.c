/* report: gathers the report's sections from the database and dispatches to
 * the renderer of the asked format. See report.h. */
#include "audit/report.h"

#include <stdlib.h>
#include <string.h>

#include "audit/shown.h"
#include "common/rfc3339.h"

struct section_spec {
	enum audit_query q;
	const char *id, *title, *empty;
	unsigned label_mask;
	int values[REPORT_MAX_VALUES];
	int n_values;
	enum report_chart chart;
	report_derive_fn derive;    /* NULL: the query's rows are the section */
};

static const struct section_spec specs[] = {
	{ AUDIT_Q_FLEET_BY_VERSION, "fleet_by_version", "Fleet by installed version",
	  "no inventory imported yet", 0x3, { 2 }, 1, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_FLEET_BY_TYPE, "fleet_by_type", "Fleet by device type and hardware revision",
	  "no devices registered", 0x3, { 2 }, 1, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_INSTALLS_BY_BUNDLE, "installs_by_bundle", "Installs by bundle (success, failure, refused)",
	  "no installs recorded", 0x3, { 2, 3, 4 }, 3, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_FAILURES_BY_REASON, "failures_by_reason", "Failures and refusals by reason code (with an example)",
	  "no failures or refusals recorded", 0x1, { 5 }, 1, REPORT_CHART_BY_CODE, NULL },
	{ AUDIT_Q_ROLLBACKS, "rollbacks", "Rollbacks and fall-backs (newest 200)", "no rollbacks or fall-backs recorded", 0, { 0 }, 0, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_STALE_DEVICES, "stale_devices", "Devices not seen recently",
	  "every device was seen recently", 0, { 0 }, 0, REPORT_CHART_BARS, NULL },
	/* the chart stacks install outcomes only: rollbacks are other events, in the table */
	{ AUDIT_Q_RINGS, "rings", "Per rollout ring (installs: succeeded, failed; rollbacks in the table)",
	  "no devices registered", 0x1, { 2, 3 }, 2, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_POLICY_SERIALS, "policy_serials", "Trust policy serial in use",
	  "no inventory imported yet", 0x1, { 1 }, 1, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_CHANGES_BY_ORDER, "changes_by_order", "Changes by technician and work order (first 500)",
	  "no record names a work order", 0, { 0 }, 0, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_ORDERS, "orders", "Work orders: used, expired unused, not used yet",
	  "no work orders imported or used", 0, { 0 }, 0, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_INSTALLS_BY_WEEK, "installs_by_week", "Installs per week (success, failure, refused)",
	  "no dated installs recorded", 0x1, { 1, 2, 3 }, 3, REPORT_CHART_WEEKS, report_installs_by_week },
	{ AUDIT_Q_VERSIONS_BY_WEEK, "versions_by_week", "Devices per version per week (from their installs)",
	  "no successful installs recorded", 0x6, { 3 }, 1, REPORT_CHART_VERSIONS, report_versions_by_week },
	{ AUDIT_Q_RINGS_BY_WEEK, "rings_by_week", "Rollout progress per ring: share of devices on the newest version",
	  "no devices registered, or none with a dated install yet", 0x2, { 4 }, 1, REPORT_CHART_RINGS,
	  report_rings_by_week },
};
_Static_assert(sizeof(specs) / sizeof(specs[0]) == AUDIT_Q_COUNT - 1, "one section per query");

void report_time_text(time_t t, char out[32])
{
	if (!rfc3339_format_utc((int64_t)t, out))
		strcpy(out, "0001-01-01T00:00:00Z");   /* before the calendar: older than anything */
}

bool report_build(struct audit_db *db, time_t now, long stale_days, struct report *out,
		  struct ferry_error **err)
{
	memset(out, 0, sizeof(*out));
	report_time_text(now, out->generated);
	report_time_text(now - (time_t)stale_days * 86400, out->stale_before);
	out->stale_days = stale_days;
	struct audit_query_params p = { .stale_before = out->stale_before };
	if (!audit_db_query(db, AUDIT_Q_SUMMARY, &p, &out->summary, err))
		goto fail;
	/* Every renderer shows only visible text: device strings are untrusted. */
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct report_section *s = &out->sections[i];
		s->id = specs[i].id;
		s->title = specs[i].title;
		s->empty = specs[i].empty;
		s->label_mask = specs[i].label_mask;
		s->n_values = specs[i].n_values;
		memcpy(s->values, specs[i].values, sizeof(s->values));
		out->n_sections = i + 1;
		s->chart = specs[i].chart;
		/* the orders section compares with the report's time, not the stale cut */
		struct audit_query_params at_now = { .stale_before = out->generated };
		if (!audit_db_query(db, specs[i].q, specs[i].q == AUDIT_Q_ORDERS ? &at_now : &p,
				    &s->table, err) || !shown_table(&s->table, err))
			goto fail;
		if (specs[i].derive && !specs[i].derive(&s->table, now, &s->note, err))
			goto fail;
	}
	return true;
fail:
	ferry_error_prefix(err, "report");
	report_free(out);
	return false;
}

void report_free(struct report *r)
{
	audit_table_clear(&r->summary);
	for (size_t i = 0; i < r->n_sections; i++) {
		audit_table_clear(&r->sections[i].table);
		free(r->sections[i].note);
		r->sections[i].note = NULL;
	}
	r->n_sections = 0;
}

long long report_summary_value(const struct report *r, const char *name)
{
	for (size_t c = 0; c < r->summary.n_cols && r->summary.n_rows; c++)
		if (strcmp(r->summary.cols[c], name) == 0 && audit_table_cell(&r->summary, 0, c))
			return atoll(audit_table_cell(&r->summary, 0, c));
	return 0;
}

char *report_bar_label(const struct report_section *s, size_t row)
{
	size_t len = 1;
	for (size_t c = 0; c < s->table.n_cols; c++) {
		const char *v = audit_table_cell(&s->table, row, c);
		if ((s->label_mask & (1u << c)) && v)
			len += strlen(v) + 1;
	}
	char *label = calloc(1, len);
	if (!label)
		return NULL;
	for (size_t c = 0; c < s->table.n_cols; c++) {
		const char *v = audit_table_cell(&s->table, row, c);
		if (!(s->label_mask & (1u << c)) || !v)
			continue;
		if (*label)
			strcat(label, " ");
		strcat(label, v);
	}
	return label;
}

static const char *const formats[] = { "text", "csv", "json", "html" };

bool report_format_known(const char *format)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(format, formats[i]) == 0)
			return true;
	return false;
}

bool report_render(const struct report *r, const char *format, FILE *out, struct ferry_error **err)
{
	if (strcmp(format, "text") == 0)
		report_text(r, out);
	else if (strcmp(format, "csv") == 0)
		report_csv(r, out);
	else if (strcmp(format, "json") == 0)
		return report_json(r, out, err);
	else if (strcmp(format, "html") == 0)
		report_html(r, out);
	else
		return ferry_error_set(err, "unknown report format '%s' (text, csv, json, html)", format);
	return true;
}
