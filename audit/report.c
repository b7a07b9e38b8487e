/* report: gathers the report's sections from the database and dispatches to
 * the renderer of the asked format. See report.h. */
#include "audit/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/faillog_text.h"
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
	{ AUDIT_Q_PAST_SUPPORT, "past_support", "Devices running software past its support date",
	  "no device runs software past its support date", 0, { 0 }, 0, REPORT_CHART_BARS, NULL },
	{ AUDIT_Q_SUPPORT_BEFORE_WARRANTY, "support_before_warranty",
	  "Devices whose software support ends before their warranty",
	  "no support period ends before a warranty", 0, { 0 }, 0, REPORT_CHART_BARS, NULL },
};
/* every query a section but the summary and the metric samples (report_metrics.c) */
_Static_assert(sizeof(specs) / sizeof(specs[0]) == AUDIT_Q_COUNT - 3,
	       "one section per query but the summary, metric samples and one device's SBOM");
_Static_assert(sizeof(specs) / sizeof(specs[0]) + 2 <= REPORT_MAX_SECTIONS, "room for computed sections");

void report_time_text(time_t t, char out[32])
{
	if (!rfc3339_format_utc((int64_t)t, out))
		strcpy(out, "0001-01-01T00:00:00Z");   /* before the calendar: older than anything */
}

/* The HTML report's view of a rollback's failure log: its text, bounded,
 * every line made visible; a log that cannot be read says why instead. */
static char *log_details(struct audit_db *db, const char *device, const char *seq)
{
	struct ferry_error *why = NULL;
	char *text = NULL, *shown = NULL;
	if (!faillog_text_get(db, device, atoll(seq), &text, NULL, &why)) {
		shown = shown_visible(ferry_error_message(why));
		ferry_error_free(why);
		return shown;
	}
	shown = shown_lines(text, REPORT_LOG_SHOWN_MAX);
	free(text);
	return shown;
}

static bool rollback_details(struct audit_db *db, struct report_section *s, struct ferry_error **err)
{
	const struct audit_table *t = &s->table;
	if (!t->n_rows)
		return true;
	if (!(s->details = calloc(t->n_rows, sizeof(*s->details))))
		return ferry_error_set(err, "out of memory");
	for (size_t r = 0; r < t->n_rows; r++) {
		const char *cmd = audit_table_cell(t, r, 6), *seq = audit_table_cell(t, r, 7);
		if (cmd && seq && strcmp(cmd, "-") != 0 &&
		    !(s->details[r] = log_details(db, audit_table_cell(t, r, 0), seq)))
			return ferry_error_set(err, "out of memory");
	}
	return true;
}

static struct report_section *next_section(struct report *r, const char *id, const char *title,
					   const char *empty)
{
	struct report_section *s = &r->sections[r->n_sections++];
	s->id = id;
	s->title = title;
	s->empty = empty;
	return s;
}

static bool metrics_sections(struct audit_db *db, struct report *out, struct ferry_error **err)
{
	struct audit_table rows = { 0 };
	if (!audit_db_query(db, AUDIT_Q_METRIC_SAMPLES, NULL, &rows, err))
		return false;
	snprintf(out->metrics_title, sizeof(out->metrics_title), "Health metrics per version "
		 "(median, p90; regression: the median more than %.3g%% worse than the previous version's)",
		 out->regression_pct);
	struct report_section *m = next_section(out, "metrics", out->metrics_title,
						"no metrics reported");
	struct report_section *ig = next_section(out, "metrics_ignored",
		"Metric samples left out (first 100)", "every metric sample was usable");
	bool ok = report_metrics_build(&rows, out->regression_pct, &m->table, &ig->table,
				       &out->metrics_ignored, err) &&
		  shown_table(&m->table, err) && shown_table(&ig->table, err);
	audit_table_clear(&rows);
	return ok;
}

bool report_build_opts(struct audit_db *db, time_t now, const struct report_options *o,
		       struct report *out, struct ferry_error **err)
{
	memset(out, 0, sizeof(*out));
	report_time_text(now, out->generated);
	report_time_text(now - (time_t)o->stale_days * 86400, out->stale_before);
	out->stale_days = o->stale_days;
	out->regression_pct = o->regression_pct;
	char today[11];
	snprintf(today, sizeof(today), "%.10s", out->generated);
	struct audit_query_params p = { .stale_before = out->stale_before, .today = today };
	/* the orders section compares with the report's time, not the stale cut */
	struct audit_query_params at_now = { .stale_before = out->generated, .today = today };
	if (!audit_db_query(db, AUDIT_Q_SUMMARY, &p, &out->summary, err))
		goto fail;
	/* Every renderer shows only visible text: device strings are untrusted. */
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct report_section *s = next_section(out, specs[i].id, specs[i].title, specs[i].empty);
		s->label_mask = specs[i].label_mask;
		s->n_values = specs[i].n_values;
		memcpy(s->values, specs[i].values, sizeof(s->values));
		s->chart = specs[i].chart;
		if (!audit_db_query(db, specs[i].q, specs[i].q == AUDIT_Q_ORDERS ? &at_now : &p,
				    &s->table, err) ||
		    (specs[i].q == AUDIT_Q_ROLLBACKS && !rollback_details(db, s, err)) ||
		    !shown_table(&s->table, err))
			goto fail;
		if (specs[i].derive && !specs[i].derive(&s->table, now, &s->note, err))
			goto fail;
	}
	if (!metrics_sections(db, out, err))
		goto fail;
	return true;
fail:
	ferry_error_prefix(err, "report");
	report_free(out);
	return false;
}

bool report_build(struct audit_db *db, time_t now, long stale_days, struct report *out,
		  struct ferry_error **err)
{
	struct report_options o = { .stale_days = stale_days, .regression_pct = REPORT_REGRESSION_DEFAULT };
	return report_build_opts(db, now, &o, out, err);
}

void report_free(struct report *r)
{
	audit_table_clear(&r->summary);
	for (size_t i = 0; i < r->n_sections; i++) {
		struct report_section *s = &r->sections[i];
		for (size_t row = 0; s->details && row < s->table.n_rows; row++)
			free(s->details[row]);
		free(s->details);
		s->details = NULL;
		free(s->note);
		s->note = NULL;
		audit_table_clear(&s->table);
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
