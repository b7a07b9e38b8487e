/* report_table: building a report table (struct audit_table) in C, for the
 * sections derived from a query's rows (report_time.c), the one-device
 * report (report_device.c) and the computed metrics sections
 * (report_metrics.c). Cells are copied; a failed add changes nothing. */
#include "audit/report.h"

#include <stdlib.h>
#include <string.h>

bool report_table_init(struct audit_table *t, const char *const *cols, const bool *numeric, size_t n,
		       struct ferry_error **err)
{
	memset(t, 0, sizeof(*t));
	t->cols = calloc(n, sizeof(*t->cols));
	t->numeric = calloc(n, sizeof(*t->numeric));
	if (!t->cols || !t->numeric)
		goto oom;
	t->n_cols = n;
	for (size_t c = 0; c < n; c++) {
		t->numeric[c] = numeric ? numeric[c] : true;
		if (!(t->cols[c] = strdup(cols[c])))
			goto oom;
	}
	return true;
oom:
	audit_table_clear(t);
	return ferry_error_setc(err, FERRY_E_INTERNAL, "report table: out of memory");
}

bool report_table_add(struct audit_table *t, const char *const *cells, struct ferry_error **err)
{
	char **grown = realloc(t->cells, (t->n_rows + 1) * t->n_cols * sizeof(*grown));
	if (!grown)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "report table: out of memory");
	t->cells = grown;
	char **row = grown + t->n_rows * t->n_cols;
	for (size_t c = 0; c < t->n_cols; c++) {
		row[c] = cells[c] ? strdup(cells[c]) : NULL;
		if (cells[c] && !row[c]) {
			while (c)
				free(row[--c]);
			return ferry_error_setc(err, FERRY_E_INTERNAL, "report table: out of memory");
		}
	}
	t->n_rows++;
	return true;
}

static bool is_integer(const char *v)
{
	char *end = NULL;
	if (!*v)
		return false;
	strtoll(v, &end, 10);
	return *end == '\0';
}

void report_table_infer_numeric(struct audit_table *t)
{
	for (size_t c = 0; c < t->n_cols; c++) {
		t->numeric[c] = true;
		for (size_t r = 0; r < t->n_rows && t->numeric[c]; r++) {
			const char *v = audit_table_cell(t, r, c);
			if (v && !is_integer(v))
				t->numeric[c] = false;
		}
	}
}
