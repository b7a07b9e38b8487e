/* report_metrics: the health metrics section of the report. Reads the
 * metrics devices put in boot.committed / boot.rolled_back records
 * (detail.metrics), and shows per bundle, device type, version and metric the
 * number of samples, the median and the 90th percentile (nearest rank: the
 * value at position ceil(p/100 * n) of the sorted samples, so both backends
 * give the same figures: they only hand over the records, C computes), and the
 * change of the median against the previous version (SemVer order) of the
 * same bundle and type, flagged when it is worse by more than the threshold.
 * Promises: nothing a device wrote is trusted: a sample that is not a finite
 * number within REPORT_METRIC_ABS_MAX, or whose name is not [a-z0-9_.]{1,64},
 * is left out and named with its reason in the metrics_ignored section. */
#include "audit/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/semver.h"

struct sample {
	const char *bundle, *type, *version;   /* borrowed from the rows */
	char *metric;                          /* owned: the record's JSON is gone */
	struct semver sv;
	bool semver;
	double value;
};

struct gather {
	struct sample *s;
	size_t n, cap;
	struct audit_table *ignored;
	size_t n_ignored;         /* all, also those beyond the table's rows */
};

bool report_metric_higher_is_worse(const char *name)
{
	size_t n = strlen(name);
	if (strstr(name, "free"))
		return false;
	return !(n > 6 && strcmp(name + n - 6, "_per_s") == 0);
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > REPORT_METRIC_NAME_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.") == n;
}

__attribute__((format(printf, 4, 5)))
static bool ignore(struct gather *g, const char *device, const char *seq, const char *fmt, ...)
{
	char reason[160];
	va_list ap;
	g->n_ignored++;
	if (g->ignored->n_rows >= REPORT_METRIC_IGNORED_ROWS)
		return true;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	const char *cells[] = { device, seq, reason };
	return report_table_add(g->ignored, cells, NULL);
}

static bool add_sample(struct gather *g, const struct sample *s)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct sample *grown = realloc(g->s, cap * sizeof(*grown));
		if (!grown)
			return false;
		g->s = grown;
		g->cap = cap;
	}
	g->s[g->n] = *s;
	if (!(g->s[g->n].metric = strdup(s->metric)))
		return false;
	g->s[g->n].semver = semver_parse(s->version, &g->s[g->n].sv, NULL);
	g->n++;
	return true;
}

static bool gather_metrics(struct gather *g, const struct audit_table *t, size_t r, json_t *metrics);

/* The samples of one record row: bundle, version, type, device, seq, line. */
static bool gather_row(struct gather *g, const struct audit_table *t, size_t r)
{
	const char *device = audit_table_cell(t, r, 3), *seq = audit_table_cell(t, r, 4);
	const char *line = audit_table_cell(t, r, 5);
	json_t *doc = json_loadb(line, strlen(line), JSON_REJECT_DUPLICATES, NULL);
	json_t *metrics = json_object_get(json_object_get(doc, "detail"), "metrics");
	bool ok = !doc ? ignore(g, device, seq, "%s", "record is not JSON")
		  : !metrics || gather_metrics(g, t, r, metrics);
	json_decref(doc);
	return ok;
}

static bool gather_metrics(struct gather *g, const struct audit_table *t, size_t r, json_t *metrics)
{
	const char *device = audit_table_cell(t, r, 3), *seq = audit_table_cell(t, r, 4);
	if (!json_is_object(metrics))
		return ignore(g, device, seq, "%s", "detail.metrics is not an object");
	if (json_object_size(metrics) > REPORT_METRICS_PER_RECORD)
		return ignore(g, device, seq, "%s", "more than " REPORT_METRICS_PER_RECORD_TEXT " metrics");
	const char *name;
	json_t *v;
	json_object_foreach(metrics, name, v) {
		struct sample s = { .bundle = audit_table_cell(t, r, 0), .version = audit_table_cell(t, r, 1),
				    .type = audit_table_cell(t, r, 2), .metric = (char *)name };   /* copied by add_sample */
		bool ok = true;
		if (!name_ok(name))
			ok = ignore(g, device, seq, "%s", "a metric name is not [a-z0-9_.]{1,64}");
		else if (!json_is_number(v))
			ok = ignore(g, device, seq, "metric %s is not a number", name);
		else if (!isfinite(s.value = json_number_value(v)) || fabs(s.value) > REPORT_METRIC_ABS_MAX)
			ok = ignore(g, device, seq, "metric %s is out of range (|v| <= 1e15)", name);
		else
			ok = add_sample(g, &s);
		if (!ok)
			return false;
	}
	return true;
}

static int version_cmp(const struct sample *a, const struct sample *b)
{
	if (a->semver != b->semver)
		return a->semver ? 1 : -1;   /* versions that are not SemVer first, by text */
	int c = a->semver ? semver_compare(&a->sv, &b->sv) : 0;
	return c ? c : strcmp(a->version, b->version);
}

static int sample_cmp(const void *pa, const void *pb)
{
	const struct sample *a = pa, *b = pb;
	int c = strcmp(a->bundle, b->bundle);
	if (!c)
		c = strcmp(a->type, b->type);
	if (!c)
		c = strcmp(a->metric, b->metric);
	if (!c)
		c = version_cmp(a, b);
	if (!c)
		c = a->value < b->value ? -1 : a->value > b->value;
	return c;
}

static bool same_series(const struct sample *a, const struct sample *b)
{
	return strcmp(a->bundle, b->bundle) == 0 && strcmp(a->type, b->type) == 0 &&
	       strcmp(a->metric, b->metric) == 0;
}

/* Nearest rank: the sorted value at position ceil(p/100 * n), 1-based. */
static double sample_percentile(const struct sample *s, size_t n, unsigned p)
{
	size_t rank = ((size_t)p * n + 99) / 100;
	return s[rank ? rank - 1 : 0].value;
}

struct version_figures {
	const struct sample *first;
	size_t n;
	double median, p90;
};

static bool emit(struct audit_table *t, const struct version_figures *cur,
		 const struct version_figures *prev, double threshold)
{
	char n[24], median[32], p90[32], change[32] = "", *flag = NULL;
	const struct sample *s = cur->first;
	snprintf(n, sizeof(n), "%zu", cur->n);
	snprintf(median, sizeof(median), "%.15g", cur->median);
	snprintf(p90, sizeof(p90), "%.15g", cur->p90);
	if (prev && prev->median != 0) {
		double pct = (cur->median - prev->median) / fabs(prev->median) * 100.0;
		bool worse = report_metric_higher_is_worse(s->metric) ? pct > threshold : pct < -threshold;
		snprintf(change, sizeof(change), "%+.1f", pct);
		flag = worse ? "worse" : NULL;
	}
	const char *cells[] = { s->bundle, s->type, s->version, s->metric, n, median, p90,
				prev ? prev->first->version : NULL, *change ? change : NULL, flag };
	return report_table_add(t, cells, NULL);
}

/* One row per run of samples of the same series and version, sorted. */
static bool tabulate(const struct gather *g, struct audit_table *t, double threshold, size_t *cut)
{
	struct version_figures prev = { 0 };
	for (size_t i = 0; i < g->n;) {
		size_t j = i + 1;
		while (j < g->n && same_series(&g->s[i], &g->s[j]) && version_cmp(&g->s[i], &g->s[j]) == 0)
			j++;
		struct version_figures cur = { &g->s[i], j - i, sample_percentile(&g->s[i], j - i, 50),
					       sample_percentile(&g->s[i], j - i, 90) };
		bool has_prev = prev.first && same_series(prev.first, cur.first);
		if (t->n_rows >= REPORT_METRIC_ROWS)
			(*cut)++;
		else if (!emit(t, &cur, has_prev ? &prev : NULL, threshold))
			return false;
		prev = cur;
		i = j;
	}
	return true;
}

static const char *const metric_cols[] = { "bundle", "type", "version", "metric", "samples",
					   "median", "p90", "previous", "change_pct", "regression" };
static const char *const ignored_cols[] = { "device", "seq", "reason" };

bool report_metrics_build(const struct audit_table *rows, double threshold, struct audit_table *out,
			  struct audit_table *ignored, size_t *n_ignored, struct ferry_error **err)
{
	struct gather g = { .ignored = ignored };
	bool ok = false;
	size_t cut = 0;
	if (!report_table_init(out, metric_cols, NULL, 10, NULL) ||
	    !report_table_init(ignored, ignored_cols, NULL, 3, NULL))
		goto out;
	for (size_t r = 0; r < rows->n_rows; r++)
		if (!gather_row(&g, rows, r))
			goto out;
	if (g.n)
		qsort(g.s, g.n, sizeof(*g.s), sample_cmp);
	if (!tabulate(&g, out, threshold, &cut))
		goto out;
	if (cut && !ignore(&g, "-", "-", "%s", "more series than the report shows (" REPORT_METRIC_ROWS_TEXT ")"))
		goto out;
	report_table_infer_numeric(out);
	report_table_infer_numeric(ignored);
	*n_ignored = g.n_ignored;
	ok = true;
out:
	if (!ok)
		ferry_error_set(err, "metrics: out of memory");
	for (size_t i = 0; i < g.n; i++) {
		semver_free(&g.s[i].sv);
		free(g.s[i].metric);
	}
	free(g.s);
	return ok;
}
