/* report_table: tables the report computes itself (not straight from SQL):
 * built row by row, cells copied, numeric flags set from what the cells hold. */
#include "audit/report.h"

#include <stdlib.h>
#include <string.h>

bool report_table_init(struct audit_table *t, const char *const *cols, size_t n_cols)
{
	memset(t, 0, sizeof(*t));
	t->cols = calloc(n_cols, sizeof(*t->cols));
	t->numeric = calloc(n_cols, sizeof(*t->numeric));
	if (!t->cols || !t->numeric) {
		audit_table_clear(t);
		return false;
	}
	t->n_cols = n_cols;
	for (size_t c = 0; c < n_cols; c++) {
		t->numeric[c] = true;
		if (!(t->cols[c] = strdup(cols[c]))) {
			audit_table_clear(t);
			return false;
		}
	}
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

bool report_table_append(struct audit_table *t, const char *const *cells)
{
	char **grown = realloc(t->cells, (t->n_rows + 1) * t->n_cols * sizeof(*grown));
	if (!grown)
		return false;
	t->cells = grown;
	char **row = &t->cells[t->n_rows * t->n_cols];
	memset(row, 0, t->n_cols * sizeof(*row));
	t->n_rows++;   /* counted now: audit_table_clear frees what was copied */
	for (size_t c = 0; c < t->n_cols; c++) {
		if (!cells[c])
			continue;
		if (!(row[c] = strdup(cells[c])))
			return false;
		if (!is_integer(cells[c]))
			t->numeric[c] = false;
	}
	return true;
}
