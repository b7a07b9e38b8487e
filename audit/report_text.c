/* report_text: the report as aligned plain-text tables for a terminal, each
 * cut after REPORT_ROWS_SHOWN rows with a line saying how many more. */
#include "audit/report.h"

#include <stdio.h>

#include <string.h>

/* Wider cells are cut ("...") so tables stay readable in a terminal; the
 * CSV, JSON and HTML reports carry them whole. */
#define TEXT_CELL_MAX 60

/* The cell as shown: "-" when absent, cut to TEXT_CELL_MAX bytes. */
static const char *shown(const char *v, char buf[TEXT_CELL_MAX + 1])
{
	if (!v)
		return "-";
	size_t n = strlen(v);
	if (n <= TEXT_CELL_MAX)
		return v;
	n = TEXT_CELL_MAX - 3;
	while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
		n--;
	snprintf(buf, TEXT_CELL_MAX + 1, "%.*s...", (int)n, v);
	return buf;
}

static void print_table(const struct audit_table *t, FILE *out)
{
	size_t width[32] = { 0 };
	size_t n = t->n_cols < 32 ? t->n_cols : 32;
	size_t rows = t->n_rows < REPORT_ROWS_SHOWN ? t->n_rows : REPORT_ROWS_SHOWN;
	for (size_t c = 0; c < n; c++) {
		width[c] = strlen(t->cols[c]);
		for (size_t r = 0; r < rows; r++) {
			char buf[TEXT_CELL_MAX + 1];
			size_t l = strlen(shown(audit_table_cell(t, r, c), buf));
			if (l > width[c])
				width[c] = l;
		}
	}
	for (size_t c = 0; c < n; c++)
		fprintf(out, "  %-*s", (int)width[c], t->cols[c]);
	fputc('\n', out);
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < n; c++) {
			char buf[TEXT_CELL_MAX + 1];
			const char *v = shown(audit_table_cell(t, r, c), buf);
			/* numbers right-aligned, text left-aligned */
			fprintf(out, t->numeric[c] ? "  %*s" : "  %-*s", (int)width[c], v);
		}
		fputc('\n', out);
	}
	if (t->n_rows > rows)
		fprintf(out, "  ... and %zu more rows (--format csv or json lists every row)\n", t->n_rows - rows);
}

void report_text(const struct report *r, FILE *out)
{
	if (*r->device)
		fprintf(out, "ferry device report %s, %s\n", r->device, r->generated);
	else
		fprintf(out, "ferry fleet report, %s\n%lld devices, %lld audit records, %lld imports (%lld refused)\n",
			r->generated, report_summary_value(r, "devices"), report_summary_value(r, "records"),
			report_summary_value(r, "imports"), report_summary_value(r, "refused_imports"));
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct report_section *s = &r->sections[i];
		fprintf(out, "\n%s", s->title);
		if (strcmp(s->id, "stale_devices") == 0)
			fprintf(out, " (%ld days, before %s)", r->stale_days, r->stale_before);
		fputc('\n', out);
		if (s->note)
			fprintf(out, "  %s\n", s->note);
		if (s->table.n_rows == 0)
			fprintf(out, "  (%s)\n", s->empty);
		else
			print_table(&s->table, out);
	}
}
