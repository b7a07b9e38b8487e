/* report_csv: the report as CSV (RFC 4180 quoting). Each section is a block:
 * a header row, then its rows; the first column names the section so one
 * file can be split again; blocks are separated by an empty line. A text
 * cell a spreadsheet would take for a formula (= + - @, tab, CR first) gets
 * a leading ' and quotes: device strings never run as formulas. */
#include "audit/report.h"

#include <stdbool.h>
#include <string.h>

static bool formula_like(const char *v)
{
	return *v && strchr("=+-@\t\r", *v) != NULL;
}

static void csv_cell(const char *v, bool numeric, FILE *out)
{
	if (!v)
		return;
	bool guard = !numeric && formula_like(v);
	if (!guard && !strpbrk(v, ",\"\r\n")) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	if (guard)
		fputc('\'', out);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

static void csv_block(const char *id, const struct audit_table *t, FILE *out)
{
	fputs("section", out);
	for (size_t c = 0; c < t->n_cols; c++) {
		fputc(',', out);
		csv_cell(t->cols[c], false, out);
	}
	fputs("\r\n", out);
	for (size_t r = 0; r < t->n_rows; r++) {
		csv_cell(id, false, out);
		for (size_t c = 0; c < t->n_cols; c++) {
			fputc(',', out);
			csv_cell(audit_table_cell(t, r, c), t->numeric[c], out);
		}
		fputs("\r\n", out);
	}
}

void report_csv(const struct report *r, FILE *out)
{
	if (r->summary.n_cols)
		csv_block("summary", &r->summary, out);
	for (size_t i = 0; i < r->n_sections; i++) {
		if (i || r->summary.n_cols)
			fputs("\r\n", out);
		csv_block(r->sections[i].id, &r->sections[i].table, out);
	}
}
