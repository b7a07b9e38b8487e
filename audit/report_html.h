/* report_html: what the HTML report's files share (report_html.c: the page,
 * tables and bar charts; report_html_charts.c: the charts over time and by
 * code). Every text goes through report_html_esc. */
#ifndef FERRY_AUDIT_REPORT_HTML_H
#define FERRY_AUDIT_REPORT_HTML_H

#include <stdio.h>

#include "audit/report.h"

#define CHART_WIDTH 760
#define CHART_LABEL_W 300
#define CHART_LABEL_MAX 34   /* bytes of a label line that fit CHART_LABEL_W */

void report_html_esc(const char *s, FILE *out);
/* The color of a value column by its name (success green, failure red, …). */
const char *report_html_color(const char *col);
/* label as <tspan> lines of at most CHART_LABEL_MAX bytes, broken at spaces
 * (whole UTF-8 characters), right-aligned at x, the first line's baseline at
 * y; returns the number of lines. */
int report_html_label(const char *label, int x, int y, FILE *out);
int report_html_label_lines(const char *label);

/* A bar per row (the first 30), s->values stacked, labels wrapped. */
void report_html_bars(const struct report_section *s, FILE *out);
/* The section's chart by s->chart (report_html_charts.c). */
void report_html_chart_by_code(const struct report_section *s, FILE *out);
void report_html_chart_weeks(const struct report_section *s, FILE *out);
void report_html_chart_versions(const struct report_section *s, FILE *out);
void report_html_chart_rings(const struct report_section *s, FILE *out);

#endif
