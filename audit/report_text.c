/* report_text: the report as aligned plain-text tables for a terminal. */
#include "audit/report.h"

#include <string.h>

static void print_table(const struct audit_table *t, FILE *out)
{
	size_t width[32] = { 0 };
	size_t n = t->n_cols < 32 ? t->n_cols : 32;
	for (size_t c = 0; c < n; c++) {
		width[c] = strlen(t->cols[c]);
		for (size_t r = 0; r < t->n_rows; r++) {
			const char *v = audit_table_cell(t, r, c);
			size_t l = strlen(v ? v : "-");
			if (l > width[c])
				width[c] = l;
		}
	}
	for (size_t c = 0; c < n; c++)
		fprintf(out, "  %-*s", (int)width[c], t->cols[c]);
	fputc('\n', out);
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < n; c++) {
			const char *v = audit_table_cell(t, r, c);
			/* numbers right-aligned, text left-aligned */
			fprintf(out, t->numeric[c] ? "  %*s" : "  %-*s", (int)width[c], v ? v : "-");
		}
		fputc('\n', out);
	}
}

void report_text(const struct report *r, FILE *out)
{
	fprintf(out, "ferry fleet report, %s\n", r->generated);
	fprintf(out, "%lld devices, %lld audit records, %lld imports (%lld refused)\n",
		report_summary_value(r, "devices"), report_summary_value(r, "records"),
		report_summary_value(r, "imports"), report_summary_value(r, "refused_imports"));
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct report_section *s = &r->sections[i];
		fprintf(out, "\n%s", s->title);
		if (strcmp(s->id, "stale_devices") == 0)
			fprintf(out, " (%ld days, before %s)", r->stale_days, r->stale_before);
		fputc('\n', out);
		if (s->table.n_rows == 0)
			fprintf(out, "  (%s)\n", s->empty);
		else
			print_table(&s->table, out);
	}
}
