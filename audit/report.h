/* report: the fleet report of ferry-audit, gathered from the database once
 * and rendered as text, CSV, JSON or one self-contained HTML page.
 * Renderers only format what report_build gathered: no SQL, no I/O but the
 * FILE they are given. */
#ifndef FERRY_AUDIT_REPORT_H
#define FERRY_AUDIT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "audit/db.h"

#define REPORT_MAX_VALUES 3
#define REPORT_WEEKS 52        /* the weekly sections cover at most this many weeks */
#define REPORT_ROWS_SHOWN 20   /* text and HTML tables show this many rows, then "and N more" */

/* How the HTML report charts a section (report_html*.c). */
enum report_chart {
	REPORT_CHART_BARS,         /* a bar per row, values stacked (none when n_values is 0) */
	REPORT_CHART_BY_CODE,      /* failures_by_reason: a bar per code, failure/refused stacked */
	REPORT_CHART_WEEKS,        /* week + value columns: stacked columns per week */
	REPORT_CHART_VERSIONS,     /* week, bundle, version, devices: per bundle, versions stacked */
	REPORT_CHART_RINGS,        /* week, ring, ..., percent: a line per ring */
};

/* the spec table's sections and the computed ones after them (report.c) */
#define REPORT_MAX_SECTIONS (AUDIT_Q_COUNT + 2)
#define REPORT_REGRESSION_DEFAULT 10.0   /* percent */
#define REPORT_LOG_SHOWN_MAX (8 * 1024)  /* bytes of a failure log the HTML report embeds */

struct report_section {
	const char *id;            /* "fleet_by_version": JSON key, CSV first column */
	const char *title;
	const char *empty;         /* what an empty table means */
	unsigned label_mask;       /* chart: columns joined into a bar's label */
	int values[REPORT_MAX_VALUES];   /* chart: stacked numeric columns */
	int n_values;              /* 0: no chart, a table only */
	enum report_chart chart;
	char *note;                /* what the numbers mean beyond the title, or NULL (owned) */
	struct audit_table table;
	char **details;            /* per row: a longer text (HTML: <details>), or NULL */
};

struct report {
	char generated[32];        /* RFC 3339 UTC */
	char device[40];           /* a one-device report's device, else "" */
	char stale_before[32];
	long stale_days;
	double regression_pct;
	char metrics_title[160];
	size_t metrics_ignored;    /* samples left out of the metrics section */
	struct audit_table summary;
	struct report_section sections[REPORT_MAX_SECTIONS];   /* or a device's (report_device.c) */
	size_t n_sections;
};

struct report_options {
	long stale_days;
	double regression_pct;     /* a median worse by more than this is flagged */
};
bool report_build_opts(struct audit_db *db, time_t now, const struct report_options *o,
		       struct report *out, struct ferry_error **err);
/* report_build_opts with the default regression threshold. */
bool report_build(struct audit_db *db, time_t now, long stale_days, struct report *out,
		  struct ferry_error **err);
/* The report of one registered device (report_device.c): sections "device"
 * (field, value) and "history" (its records, newest first). */
bool report_build_device(struct audit_db *db, time_t now, const char *id, struct report *out,
			 struct ferry_error **err);
void report_free(struct report *r);
/* RFC 3339 UTC text of t; a time before the calendar reads as its start. */
void report_time_text(time_t t, char out[32]);

/* format: text | csv | json | html. */
bool report_render(const struct report *r, const char *format, FILE *out, struct ferry_error **err);
bool report_format_known(const char *format);

/* One renderer per file (report_<format>.c). */
void report_text(const struct report *r, FILE *out);
void report_csv(const struct report *r, FILE *out);
bool report_json(const struct report *r, FILE *out, struct ferry_error **err);
void report_html(const struct report *r, FILE *out);

/* A summary figure by column name, or 0. */
long long report_summary_value(const struct report *r, const char *name);
/* The label of a chart bar: the masked columns of row joined with " ". Caller frees. */
char *report_bar_label(const struct report_section *s, size_t row);

/* Building a table in C (report_table.c): init with the columns, add rows of
 * n_cols cells (copied; NULL: absent). numeric NULL: every column numeric
 * until report_table_infer_numeric sets the flags from the cells (a column
 * of integers or NULL only is numeric, as SQL types it). */
bool report_table_init(struct audit_table *t, const char *const *cols, const bool *numeric, size_t n,
		       struct ferry_error **err);
bool report_table_add(struct audit_table *t, const char *const *cells, struct ferry_error **err);
void report_table_infer_numeric(struct audit_table *t);

/* Weekly sections derived from their query's rows (report_time.c): each
 * replaces t by its weekly table, newest week first; may set *note. */
typedef bool (*report_derive_fn)(struct audit_table *t, time_t now, char **note, struct ferry_error **err);
bool report_installs_by_week(struct audit_table *t, time_t now, char **note, struct ferry_error **err);
bool report_versions_by_week(struct audit_table *t, time_t now, char **note, struct ferry_error **err);
/* Version precedence: SemVer where both are, else byte order. */
int report_version_cmp(const char *a, const char *b);
bool report_rings_by_week(struct audit_table *t, time_t now, char **note, struct ferry_error **err);

/* report_metrics.c: the metrics section from AUDIT_Q_METRIC_SAMPLES rows.
 * Metric names: at most REPORT_METRIC_NAME_MAX of [a-z0-9_.]; values finite,
 * |v| <= REPORT_METRIC_ABS_MAX; at most REPORT_METRICS_PER_RECORD per record. */
#define REPORT_METRIC_NAME_MAX 64
#define REPORT_METRIC_ABS_MAX 1e15
#define REPORT_METRICS_PER_RECORD 32
#define REPORT_METRICS_PER_RECORD_TEXT "32"
#define REPORT_METRIC_ROWS 2000
#define REPORT_METRIC_ROWS_TEXT "2000"
#define REPORT_METRIC_IGNORED_ROWS 100
bool report_metrics_build(const struct audit_table *rows, double threshold, struct audit_table *out,
			  struct audit_table *ignored, size_t *n_ignored, struct ferry_error **err);
/* Higher values are worse (times, sizes, counts) unless the name contains
 * "free" or ends in "_per_s" (docs/hq.md). */
bool report_metric_higher_is_worse(const char *name);


#endif
