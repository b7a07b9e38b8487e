/* report_time: the report's sections over time, derived in C from rows the
 * report queries give (report_sql.c): installs per week, devices per version
 * per week, and per ring the share of devices on the newest version per
 * week. Weeks start on Monday (UTC) and are named by that date; a section
 * covers at most REPORT_WEEKS weeks up to the report's week, newest first.
 * Days come from the records' own times (a device's clock): rows whose day
 * is not a date are left out, rows after the report's week too. A version
 * counts from the week of its successful install (install.finished) until
 * the device's next one; a boot.rolled_back of the running version returns
 * the device to the version it ran before. */
#include "audit/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rfc3339.h"
#include "common/semver.h"

struct window {
	int64_t first, last;   /* week numbers (weeks since the Monday 1969-12-29) */
	size_t n;
};

static int64_t week_of(int64_t epoch)
{
	int64_t days = epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400);
	int64_t d = days + 3;   /* 1970-01-01 was a Thursday */
	return d >= 0 ? d / 7 : -((-d + 6) / 7);
}

/* The week of a "YYYY-MM-DD" day; false when it is not a date. */
static bool day_week(const char *day, int64_t *week)
{
	char text[32];
	int64_t epoch;
	if (!day || strlen(day) != 10)
		return false;
	snprintf(text, sizeof(text), "%sT00:00:00Z", day);
	if (!rfc3339_parse_utc(text, &epoch, NULL))
		return false;
	*week = week_of(epoch);
	return true;
}

static void week_label(int64_t week, char out[32])
{
	char t[32];
	rfc3339_format_utc((week * 7 - 3) * 86400, t);
	snprintf(out, 32, "%.10s", t);
}

/* Up to REPORT_WEEKS weeks ending with now's, starting no earlier than the
 * first week of column day_col that is a date; n 0 when there is none. */
static struct window window_of(const struct audit_table *t, size_t day_col, time_t now)
{
	struct window w = { .last = week_of((int64_t)now) };
	w.first = w.last + 1;
	for (size_t r = 0; r < t->n_rows; r++) {
		int64_t wk;
		if (day_week(audit_table_cell(t, r, day_col), &wk) && wk < w.first)
			w.first = wk;
	}
	if (w.first < w.last - (REPORT_WEEKS - 1))
		w.first = w.last - (REPORT_WEEKS - 1);
	w.n = w.first <= w.last ? (size_t)(w.last - w.first + 1) : 0;
	return w;
}

/* Ends a derivation: t becomes derived when ok, else derived is dropped. */
static bool table_done(struct audit_table *t, struct audit_table *derived, bool ok)
{
	if (!ok) {
		audit_table_clear(derived);
		return false;
	}
	audit_table_clear(t);
	*t = *derived;
	return true;
}

/* day, success, failure, refused (per day) -> week, success, failure, refused */
bool report_installs_by_week(struct audit_table *t, time_t now, char **note, struct ferry_error **err)
{
	static const char *const cols[] = { "week", "success", "failure", "refused" };
	static const bool num[] = { false, true, true, true };
	struct window w = window_of(t, 0, now);
	long long (*sum)[3] = calloc(w.n ? w.n : 1, sizeof(*sum));
	struct audit_table out;
	(void)note;
	if (!sum)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "installs by week: out of memory");
	for (size_t r = 0; r < t->n_rows; r++) {
		int64_t wk;
		if (!day_week(audit_table_cell(t, r, 0), &wk) || wk < w.first || wk > w.last)
			continue;
		for (size_t c = 0; c < 3; c++) {
			const char *v = audit_table_cell(t, r, c + 1);
			sum[wk - w.first][c] += v ? atoll(v) : 0;
		}
	}
	bool ok = report_table_init(&out, cols, num, 4, err);
	for (size_t i = w.n; ok && i-- > 0;) {
		char week[32], n[3][24];
		week_label(w.first + (int64_t)i, week);
		for (size_t c = 0; c < 3; c++)
			snprintf(n[c], sizeof(n[c]), "%lld", sum[i][c]);
		const char *cells[] = { week, n[0], n[1], n[2] };
		ok = report_table_add(&out, cells, err);
	}
	free(sum);
	return table_done(t, &out, ok);
}

/* The versions seen, each with its devices per week of the window. */
struct version {
	const char *bundle, *version;   /* borrowed from the query's table */
	long *weeks;
};
struct versions {
	struct version *v;
	size_t n;
	size_t weeks;
};

static void versions_free(struct versions *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i].weeks);
	free(vs->v);
}

/* Index of bundle/version, added when new; -1 when out of memory. */
static long version_index(struct versions *vs, const char *bundle, const char *version)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].bundle, bundle) == 0 && strcmp(vs->v[i].version, version) == 0)
			return (long)i;
	struct version *grown = realloc(vs->v, (vs->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	vs->v = grown;
	long *weeks = calloc(vs->weeks ? vs->weeks : 1, sizeof(*weeks));
	if (!weeks)
		return -1;
	vs->v[vs->n] = (struct version){ bundle, version, weeks };
	return (long)vs->n++;
}

int report_version_cmp(const char *a, const char *b)
{
	int r;
	return semver_compare_text(a, b, &r, NULL) ? r : strcmp(a, b);
}

static int version_order(const void *a, const void *b)
{
	const struct version *x = a, *y = b;
	int r = strcmp(x->bundle, y->bundle);
	return r ? r : report_version_cmp(x->version, y->version);
}

/* Walks the rows (device, bundle, version, event, day from column off on)
 * of one device and bundle from row *r on: cur[i] is the version index the
 * device ran in week i of the window (-1: unknown). Returns false when out
 * of memory. */
static bool walk_bundle(const struct audit_table *t, size_t off, size_t *r, const struct window *w,
			struct versions *vs, long *cur)
{
	const char *dev = audit_table_cell(t, *r, off), *bundle = audit_table_cell(t, *r, off + 1);
	const char *ring = off ? audit_table_cell(t, *r, 0) : NULL;
	long current = -1, prev = -1;
	for (size_t i = 0; i < w->n; i++)
		cur[i] = -1;
	for (; *r < t->n_rows; (*r)++) {
		const char *d = audit_table_cell(t, *r, off), *b = audit_table_cell(t, *r, off + 1);
		const char *ver = audit_table_cell(t, *r, off + 2), *ev = audit_table_cell(t, *r, off + 3);
		if (!d || !b || strcmp(d, dev) != 0 || strcmp(b, bundle) != 0)
			break;
		if (ring && strcmp(audit_table_cell(t, *r, 0), ring) != 0)
			break;
		long v = ver && ev ? version_index(vs, b, ver) : -2;
		if (v == -1)
			return false;
		if (v < 0)
			continue;
		if (strcmp(ev, "install.finished") == 0) {
			prev = current;
			current = v;
		} else if (current == v) {   /* boot.rolled_back of the running version */
			current = prev;
			prev = -1;
		}
		int64_t wk;
		if (!day_week(audit_table_cell(t, *r, off + 4), &wk) || wk > w->last)
			continue;
		for (size_t i = wk > w->first ? (size_t)(wk - w->first) : 0; i < w->n; i++)
			cur[i] = current;
	}
	return true;
}

static int version_ptr_order(const void *a, const void *b)
{
	return version_order(*(const struct version *const *)a, *(const struct version *const *)b);
}

/* The versions sorted by bundle and precedence (pointers into vs); NULL when out of memory. */
static struct version **versions_sorted(const struct versions *vs)
{
	struct version **p = calloc(vs->n ? vs->n : 1, sizeof(*p));
	for (size_t i = 0; p && i < vs->n; i++)
		p[i] = &vs->v[i];
	if (p)
		qsort(p, vs->n, sizeof(*p), version_ptr_order);
	return p;
}

static bool versions_table(const struct versions *vs, const struct window *w, struct audit_table *out,
			   struct ferry_error **err)
{
	static const char *const cols[] = { "week", "bundle", "version", "devices" };
	static const bool num[] = { false, false, false, true };
	struct version **sorted = versions_sorted(vs);
	if (!sorted)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "versions by week: out of memory");
	bool ok = report_table_init(out, cols, num, 4, err);
	for (size_t i = w->n; ok && i-- > 0;) {
		char week[32], n[24];
		week_label(w->first + (int64_t)i, week);
		for (size_t v = 0; ok && v < vs->n; v++) {
			if (!sorted[v]->weeks[i])
				continue;
			snprintf(n, sizeof(n), "%ld", sorted[v]->weeks[i]);
			const char *cells[] = { week, sorted[v]->bundle, sorted[v]->version, n };
			ok = report_table_add(out, cells, err);
		}
	}
	free(sorted);
	return ok;
}

/* device, bundle, version, event, day (by device, bundle, seq)
 * -> week, bundle, version, devices */
bool report_versions_by_week(struct audit_table *t, time_t now, char **note, struct ferry_error **err)
{
	struct window w = window_of(t, 4, now);
	struct versions vs = { .weeks = w.n };
	struct audit_table out = { 0 };
	long *cur = calloc(w.n ? w.n : 1, sizeof(*cur));
	bool ok = cur != NULL;
	(void)note;
	for (size_t r = 0; ok && r < t->n_rows;) {
		if (!(ok = walk_bundle(t, 0, &r, &w, &vs, cur)))
			break;
		for (size_t i = 0; i < w.n; i++)
			if (cur[i] >= 0)
				vs.v[cur[i]].weeks[i]++;
	}
	if (!ok)
		ferry_error_setc(err, FERRY_E_INTERNAL, "versions by week: out of memory");
	else
		ok = versions_table(&vs, &w, &out, err);
	free(cur);
	versions_free(&vs);
	return table_done(t, &out, ok);
}

/* Per bundle the index of its newest version (-1 where none); the note names them. */
static bool newest_versions(struct versions *vs, long *newest, char **note)
{
	for (size_t i = 0; i < vs->n; i++) {
		newest[i] = -1;
		for (size_t j = 0; j < vs->n; j++)
			if (strcmp(vs->v[i].bundle, vs->v[j].bundle) == 0 &&
			    (newest[i] < 0 || report_version_cmp(vs->v[j].version, vs->v[newest[i]].version) > 0))
				newest[i] = (long)j;
	}
	size_t len = 64;
	for (size_t i = 0; i < vs->n; i++)
		len += strlen(vs->v[i].bundle) + strlen(vs->v[i].version) + 3;
	char *text = malloc(len);
	if (!text)
		return false;
	strcpy(text, "Newest version: ");
	bool any = false;
	for (size_t i = 0; i < vs->n; i++) {
		if (newest[i] != (long)i)
			continue;
		sprintf(text + strlen(text), "%s%s %s", any ? ", " : "", vs->v[i].bundle, vs->v[i].version);
		any = true;
	}
	if (!any)
		strcat(text, "none installed yet");
	free(*note);
	*note = text;
	return true;
}

struct ring_weeks {
	long devices;
	long *on_newest;   /* per week of the window */
};

/* One device of a ring (rows from *r on): adds it to rw. */
static bool ring_device(const struct audit_table *t, size_t *r, const struct window *w, struct versions *vs,
			const long *newest, long *cur, struct ring_weeks *rw)
{
	const char *ring = audit_table_cell(t, *r, 0), *dev = audit_table_cell(t, *r, 1);
	unsigned char *state = calloc(w->n ? w->n : 1, 1);   /* bit 1: a version known, bit 2: an old one */
	if (!state)
		return false;
	rw->devices++;
	while (*r < t->n_rows && strcmp(audit_table_cell(t, *r, 0), ring) == 0 &&
	       strcmp(audit_table_cell(t, *r, 1), dev) == 0) {
		if (!audit_table_cell(t, *r, 2)) {   /* a device without installs */
			(*r)++;
			continue;
		}
		if (!walk_bundle(t, 1, r, w, vs, cur)) {
			free(state);
			return false;
		}
		for (size_t i = 0; i < w->n; i++)
			if (cur[i] >= 0)
				state[i] |= 1 | (newest[cur[i]] == cur[i] ? 0 : 2);
	}
	for (size_t i = 0; i < w->n; i++)
		rw->on_newest[i] += state[i] == 1;
	free(state);
	return true;
}

static bool rings_table(const struct audit_table *t, const struct window *w, struct ring_weeks *rings,
			size_t n_rings, const size_t *first_row, struct audit_table *out, struct ferry_error **err)
{
	static const char *const cols[] = { "week", "ring", "devices", "on_newest", "percent" };
	static const bool num[] = { false, false, true, true, true };
	bool ok = report_table_init(out, cols, num, 5, err);
	for (size_t i = w->n; ok && i-- > 0;) {
		char week[32], dev[24], on[24], pct[8];
		week_label(w->first + (int64_t)i, week);
		for (size_t g = 0; ok && g < n_rings; g++) {
			long d = rings[g].devices, o = rings[g].on_newest[i];
			snprintf(dev, sizeof(dev), "%ld", d);
			snprintf(on, sizeof(on), "%ld", o);
			snprintf(pct, sizeof(pct), "%ld", d ? (o * 100 + d / 2) / d : 0);
			const char *cells[] = { week, audit_table_cell(t, first_row[g], 0), dev, on, pct };
			ok = report_table_add(out, cells, err);
		}
	}
	return ok;
}

/* The rings' devices and weeks on the newest versions; false when out of memory. */
static bool rings_gather(const struct audit_table *t, const struct window *w, struct versions *vs,
			 struct ring_weeks *rings, size_t *n_rings, size_t *first_row, char **note)
{
	long *newest = calloc(vs->n ? vs->n : 1, sizeof(*newest)), *cur = calloc(w->n ? w->n : 1, sizeof(*cur));
	bool ok = newest && cur && newest_versions(vs, newest, note);
	for (size_t r = 0; ok && r < t->n_rows;) {
		if (*n_rings == 0 || strcmp(audit_table_cell(t, r, 0), audit_table_cell(t, first_row[*n_rings - 1], 0))) {
			first_row[*n_rings] = r;
			ok = (rings[(*n_rings)++].on_newest = calloc(w->n ? w->n : 1, sizeof(long))) != NULL;
		}
		ok = ok && ring_device(t, &r, w, vs, newest, cur, &rings[*n_rings - 1]);
	}
	free(newest);
	free(cur);
	return ok;
}

/* ring, device, bundle, version, event, day (by ring, device, bundle, seq;
 * bundle NULL for a device without installs)
 * -> week, ring, devices, on_newest, percent; the note names the newest versions */
bool report_rings_by_week(struct audit_table *t, time_t now, char **note, struct ferry_error **err)
{
	struct window w = window_of(t, 5, now);
	struct versions vs = { .weeks = w.n };
	struct audit_table out = { 0 };
	struct ring_weeks *rings = calloc(t->n_rows + 1, sizeof(*rings));
	size_t n_rings = 0, *first_row = calloc(t->n_rows + 1, sizeof(*first_row));
	bool ok = rings && first_row;
	for (size_t r = 0; ok && r < t->n_rows; r++)   /* every version first: the newest is known before */
		if (audit_table_cell(t, r, 2) && audit_table_cell(t, r, 3))
			ok = version_index(&vs, audit_table_cell(t, r, 2), audit_table_cell(t, r, 3)) >= 0;
	ok = ok && rings_gather(t, &w, &vs, rings, &n_rings, first_row, note);
	if (!ok)
		ferry_error_setc(err, FERRY_E_INTERNAL, "rings by week: out of memory");
	else
		ok = rings_table(t, &w, rings, n_rings, first_row, &out, err);
	for (size_t g = 0; rings && g < n_rings; g++)
		free(rings[g].on_newest);
	free(rings);
	free(first_row);
	versions_free(&vs);
	return table_done(t, &out, ok);
}
