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
	struct audit_table table;
	char **details;            /* per row: a longer text (HTML: <details>), or NULL */
};

struct report {
	char generated[32];        /* RFC 3339 UTC */
	char stale_before[32];
	long stale_days;
	double regression_pct;
	char metrics_title[160];
	size_t metrics_ignored;    /* samples left out of the metrics section */
	struct audit_table summary;
	struct report_section sections[REPORT_MAX_SECTIONS];
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
void report_free(struct report *r);

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

/* report_table.c: a table built row by row (cells copied; NULL cells stay NULL). */
bool report_table_init(struct audit_table *t, const char *const *cols, size_t n_cols);
bool report_table_append(struct audit_table *t, const char *const *cells);

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
