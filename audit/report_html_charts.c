/* report_html_charts: the HTML report's charts over time (columns or lines
 * per week, oldest left) and the failure chart by code. Inline SVG only;
 * legends are HTML lists beside the chart, so long names wrap instead of
 * being cut or overlapping. Charts show at most CHART_SERIES_MAX series
 * (a note says what was left out); every number is in the section's table. */
#include "audit/report_html.h"

#include <stdlib.h>
#include <string.h>

#define CHART_SERIES_MAX 8
#define PLOT_LEFT 56
#define PLOT_TOP 10
#define PLOT_H 200
#define PLOT_W (CHART_WIDTH - PLOT_LEFT - 20)
#define DATE_W 76            /* px a "YYYY-MM-DD" tick label needs */

struct series {
	const char *name;
	const char *color;
	long long *v;            /* per week, oldest first */
	long long size;          /* what ranks it (devices, total) */
};

struct weekly {
	const char *title;
	const char **weeks;      /* oldest first (borrowed) */
	size_t n_weeks;
	struct series s[CHART_SERIES_MAX];
	size_t n_series;
	bool lines;              /* lines (percentages), else stacked columns */
	const char *unit;        /* "%" or "" */
};

static const char *const palette[CHART_SERIES_MAX] = {
	"#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457",
};

/* versions, newest first: no red or green, which mean failure and success */
static const char *const version_palette[CHART_SERIES_MAX] = {
	"#1565c0", "#00838f", "#6a1b9a", "#ef6c00", "#5d4037", "#ad1457", "#827717", "#455a64",
};

static void y_axis(long long max, const char *unit, FILE *out)
{
	for (int k = 0; k <= 2; k++) {
		int y = PLOT_TOP + PLOT_H - k * PLOT_H / 2;
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#%s\"/>"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld%s</text>\n", PLOT_LEFT, y,
			PLOT_LEFT + PLOT_W, y, k ? "e6e6e6" : "999", PLOT_LEFT - 6, y + 4, max * k / 2, unit);
	}
}

/* A date under every step-th column, the newest always. */
static void x_axis(const struct weekly *w, double colw, FILE *out)
{
	size_t step = (size_t)(DATE_W / colw) + 1;
	for (size_t i = 0; i < w->n_weeks; i++) {
		if ((w->n_weeks - 1 - i) % step)
			continue;
		double x = PLOT_LEFT + colw * ((double)i + 0.5);
		const char *anchor = x < PLOT_LEFT + DATE_W / 2 ? "start" :
				     x > PLOT_LEFT + PLOT_W - DATE_W / 2 ? "end" : "middle";
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">", x, PLOT_TOP + PLOT_H + 16, anchor);
		report_html_esc(w->weeks[i], out);
		fputs("</text>", out);
	}
	fputc('\n', out);
}

static void columns(const struct weekly *w, double colw, long long max, FILE *out)
{
	for (size_t i = 0; i < w->n_weeks; i++) {
		double y = PLOT_TOP + PLOT_H;
		for (size_t k = 0; k < w->n_series; k++) {
			double h = (double)w->s[k].v[i] * PLOT_H / (double)max;
			if (w->s[k].v[i] <= 0)
				continue;
			y -= h;
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
				PLOT_LEFT + colw * (double)i + 1, y, colw > 3 ? colw - 2 : 1, h, w->s[k].color);
		}
	}
	fputc('\n', out);
}

static void lines(const struct weekly *w, double colw, long long max, FILE *out)
{
	for (size_t k = 0; k < w->n_series; k++) {
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", w->s[k].color);
		for (size_t i = 0; i < w->n_weeks; i++)
			fprintf(out, "%s%.1f,%.1f", i ? " " : "", PLOT_LEFT + colw * ((double)i + 0.5),
				PLOT_TOP + PLOT_H - (double)w->s[k].v[i] * PLOT_H / (double)max);
		fputs("\"/>", out);
		for (size_t i = 0; i < w->n_weeks; i++)
			fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>",
				PLOT_LEFT + colw * ((double)i + 0.5),
				PLOT_TOP + PLOT_H - (double)w->s[k].v[i] * PLOT_H / (double)max, w->s[k].color);
		fputc('\n', out);
	}
}

static void legend(const struct weekly *w, FILE *out)
{
	fputs("<ul class=\"legend\">", out);
	for (size_t k = 0; k < w->n_series; k++) {
		fprintf(out, "<li><span class=\"sw\" style=\"background:%s\"></span>", w->s[k].color);
		report_html_esc(w->s[k].name, out);
		fputs("</li>", out);
	}
	fputs("</ul>\n", out);
}

static void weekly_svg(const struct weekly *w, FILE *out)
{
	long long max = w->lines ? 100 : 1;
	for (size_t i = 0; !w->lines && i < w->n_weeks; i++) {
		long long sum = 0;
		for (size_t k = 0; k < w->n_series; k++)
			sum += w->s[k].v[i];
		max = sum > max ? sum : max;
	}
	max += max % 2;   /* the middle tick stays a whole number */
	int height = PLOT_TOP + PLOT_H + 24;
	double colw = (double)PLOT_W / (double)(w->n_weeks ? w->n_weeks : 1);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\"><title>", CHART_WIDTH, height, CHART_WIDTH, height);
	report_html_esc(w->title, out);
	fputs("</title>\n", out);
	y_axis(max, w->unit, out);
	if (w->lines)
		lines(w, colw, max, out);
	else
		columns(w, colw, max, out);
	x_axis(w, colw, out);
	fputs("</svg>\n", out);
	legend(w, out);
}

/* The distinct values of column c of the weekly table t (newest week first),
 * oldest week first; NULL when out of memory. */
static const char **weeks_of(const struct audit_table *t, size_t *n)
{
	const char **weeks = calloc(t->n_rows + 1, sizeof(*weeks));
	*n = 0;
	for (size_t r = t->n_rows; weeks && r-- > 0;) {
		const char *wk = audit_table_cell(t, r, 0);
		if (wk && (*n == 0 || strcmp(weeks[*n - 1], wk) != 0))
			weeks[(*n)++] = wk;
	}
	return weeks;
}

static size_t week_index(const char **weeks, size_t n, const char *wk)
{
	for (size_t i = n; i-- > 0;)
		if (wk && strcmp(weeks[i], wk) == 0)
			return i;
	return n;
}

static void weekly_free(struct weekly *w)
{
	for (size_t k = 0; k < w->n_series; k++)
		free(w->s[k].v);
	free(w->weeks);
}

static long long num(const struct audit_table *t, size_t r, size_t c)
{
	const char *v = audit_table_cell(t, r, c);
	return v ? atoll(v) : 0;
}

void report_html_chart_weeks(const struct report_section *s, FILE *out)
{
	const struct audit_table *t = &s->table;
	struct weekly w = { .title = s->title, .unit = "" };
	if (!(w.weeks = weeks_of(t, &w.n_weeks)))
		return;
	for (int v = 0; v < s->n_values && w.n_series < CHART_SERIES_MAX; v++) {
		struct series *se = &w.s[w.n_series++];
		se->name = t->cols[s->values[v]];
		se->color = report_html_color(se->name);
		if (!(se->v = calloc(w.n_weeks + 1, sizeof(*se->v))))
			goto out;
		for (size_t r = 0; r < t->n_rows; r++)
			se->v[week_index(w.weeks, w.n_weeks, audit_table_cell(t, r, 0))] +=
				num(t, r, (size_t)s->values[v]);
	}
	weekly_svg(&w, out);
out:
	weekly_free(&w);
}

/* The distinct values of column c, in order of first appearance (borrowed). */
static size_t distinct(const struct audit_table *t, size_t c, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t r = 0; r < t->n_rows; r++) {
		const char *v = audit_table_cell(t, r, c);
		size_t i = 0;
		while (v && i < n && strcmp(out[i], v) != 0)
			i++;
		if (v && i == n && n < max)
			out[n++] = v;
	}
	return n;
}

static int version_order(const void *a, const void *b)
{
	return report_version_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* One chart of bundle: its versions stacked per week, the newest on top;
 * beyond CHART_SERIES_MAX the oldest are one series. */
static void bundle_chart(const struct audit_table *t, const char *bundle, struct weekly *w, FILE *out)
{
	const char **vers = calloc(t->n_rows + 1, sizeof(*vers));
	size_t n = 0;
	for (size_t r = 0; vers && r < t->n_rows; r++) {
		const char *v = audit_table_cell(t, r, 2);
		size_t i = 0;
		if (!v || strcmp(audit_table_cell(t, r, 1), bundle) != 0)
			continue;
		while (i < n && strcmp(vers[i], v) != 0)
			i++;
		if (i == n)
			vers[n++] = v;
	}
	if (!vers)
		return;
	qsort(vers, n, sizeof(*vers), version_order);
	size_t lumped = n > CHART_SERIES_MAX ? n - CHART_SERIES_MAX + 1 : 0;
	w->n_series = n - (lumped ? lumped - 1 : 0);
	for (size_t k = 0; k < w->n_series; k++) {
		w->s[k].name = lumped && k == 0 ? "older versions" : vers[k + (lumped ? lumped - 1 : 0)];
		w->s[k].color = lumped && k == 0 ? "#bdbdbd" : version_palette[w->n_series - 1 - k];
		w->s[k].v = calloc(w->n_weeks + 1, sizeof(long long));
	}
	for (size_t r = 0; r < t->n_rows; r++) {
		const char *v = audit_table_cell(t, r, 2);
		if (!v || strcmp(audit_table_cell(t, r, 1), bundle) != 0)
			continue;
		size_t i = 0;
		while (strcmp(vers[i], v) != 0)
			i++;
		size_t k = lumped ? (i < lumped ? 0 : i - lumped + 1) : i;
		if (w->s[k].v)
			w->s[k].v[week_index(w->weeks, w->n_weeks, audit_table_cell(t, r, 0))] += num(t, r, 3);
	}
	fputs("<h3>", out);
	report_html_esc(bundle, out);
	fputs("</h3>\n", out);
	weekly_svg(w, out);
	for (size_t k = 0; k < w->n_series; k++) {
		free(w->s[k].v);
		w->s[k].v = NULL;
	}
	w->n_series = 0;
	free(vers);
}

void report_html_chart_versions(const struct report_section *s, FILE *out)
{
	const struct audit_table *t = &s->table;
	const char *bundles[CHART_SERIES_MAX + 1];
	size_t n = distinct(t, 1, bundles, CHART_SERIES_MAX + 1);
	struct weekly w = { .title = s->title, .unit = "" };
	if (!(w.weeks = weeks_of(t, &w.n_weeks)))
		return;
	for (size_t b = 0; b < n && b < CHART_SERIES_MAX; b++)
		bundle_chart(t, bundles[b], &w, out);
	if (n > CHART_SERIES_MAX)
		fprintf(out, "<p class=\"note\">Charts show the first %d bundles; the table and the CSV and "
			"JSON reports have them all.</p>\n", CHART_SERIES_MAX);
	weekly_free(&w);
}

static int ring_order(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	return x->size != y->size ? (x->size > y->size ? -1 : 1) : strcmp(x->name, y->name);
}

/* week, ring, devices, on_newest, percent: a line per ring (the largest CHART_SERIES_MAX). */
void report_html_chart_rings(const struct report_section *s, FILE *out)
{
	const struct audit_table *t = &s->table;
	struct weekly w = { .title = s->title, .unit = "%", .lines = true };
	struct series *all = calloc(t->n_rows + 1, sizeof(*all));
	size_t n = 0;
	for (size_t r = 0; all && r < t->n_rows; r++) {
		const char *ring = audit_table_cell(t, r, 1);
		size_t i = 0;
		while (ring && i < n && strcmp(all[i].name, ring) != 0)
			i++;
		if (ring && i == n)
			all[n++] = (struct series){ .name = ring, .size = num(t, r, 2) };
	}
	if (!all || !(w.weeks = weeks_of(t, &w.n_weeks)))
		goto out;
	qsort(all, n, sizeof(*all), ring_order);
	char *names[CHART_SERIES_MAX] = { 0 };
	for (size_t k = 0; k < n && k < CHART_SERIES_MAX; k++) {
		struct series *se = &w.s[w.n_series++];
		size_t len = strlen(all[k].name) + 32;
		if ((names[k] = malloc(len)))
			snprintf(names[k], len, "%s (%lld devices)", all[k].name, all[k].size);
		se->name = names[k] ? names[k] : all[k].name;
		se->color = palette[k];
		se->v = calloc(w.n_weeks + 1, sizeof(*se->v));
		for (size_t r = 0; se->v && r < t->n_rows; r++)
			if (strcmp(audit_table_cell(t, r, 1), all[k].name) == 0)
				se->v[week_index(w.weeks, w.n_weeks, audit_table_cell(t, r, 0))] = num(t, r, 4);
	}
	weekly_svg(&w, out);
	if (n > CHART_SERIES_MAX)
		fprintf(out, "<p class=\"note\">The chart shows the %d largest of %zu rings; the table and the "
			"CSV and JSON reports have them all.</p>\n", CHART_SERIES_MAX, n);
	for (size_t k = 0; k < CHART_SERIES_MAX; k++)
		free(names[k]);
out:
	weekly_free(&w);
	free(all);
}

/* code, …, result (4), count (5), …: a bar per code, failures and refusals
 * stacked, the code alone as its label (the table has whole reasons). */
void report_html_chart_by_code(const struct report_section *s, FILE *out)
{
	static const char *const cols[] = { "code", "failure", "refused" };
	static const bool numeric[] = { false, true, true };
	const struct audit_table *t = &s->table;
	const char *codes[64];
	size_t n = distinct(t, 0, codes, 64);
	struct report_section bars = { .title = s->title, .label_mask = 1, .values = { 1, 2 }, .n_values = 2 };
	if (!report_table_init(&bars.table, cols, numeric, 3, NULL))
		return;
	for (size_t i = 0; i < n; i++) {
		long long f = 0, rf = 0;
		for (size_t r = 0; r < t->n_rows; r++) {
			if (strcmp(audit_table_cell(t, r, 0), codes[i]) != 0)
				continue;
			const char *result = audit_table_cell(t, r, 4);
			*(result && strcmp(result, "refused") == 0 ? &rf : &f) += num(t, r, 5);
		}
		char fs[24], rs[24];
		snprintf(fs, sizeof(fs), "%lld", f);
		snprintf(rs, sizeof(rs), "%lld", rf);
		const char *cells[] = { strcmp(codes[i], "-") ? codes[i] : "(no code)", fs, rs };
		if (!report_table_add(&bars.table, cells, NULL))
			break;
	}
	report_html_bars(&bars, out);
	audit_table_clear(&bars.table);
}
