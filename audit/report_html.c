/* report_html: the report as one self-contained page: inline CSS, inline SVG
 * bar charts, no script, no network, readable offline and printable. The
 * output is well-formed XML (polyglot XHTML) so tests can parse it strictly. */
#include "audit/report.h"

#include <stdlib.h>
#include <string.h>

#define CHART_MAX_BARS 30
#define CHART_WIDTH 760
#define CHART_LABEL_W 300
#define CHART_BAR_H 22
#define CHART_LABEL_MAX 34   /* bytes of a bar label that fit CHART_LABEL_W */

static void esc(const char *s, FILE *out)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* A label cut to what fits beside the bars (whole UTF-8 characters) + "…";
 * the full label is the element's title. */
static void label_short(char *label, FILE *out)
{
	size_t n = label ? strlen(label) : 0;
	bool cut = n > CHART_LABEL_MAX;
	if (cut) {
		n = CHART_LABEL_MAX - 1;
		while (n > 0 && ((unsigned char)label[n] & 0xC0) == 0x80)
			n--;
		label[n] = '\0';
	}
	esc(label, out);
	if (cut)
		fputs("\xe2\x80\xa6", out);
}

static const char *color_for(const char *col)
{
	static const struct { const char *name, *color; } map[] = {
		{ "success", "#2e7d32" }, { "installed", "#2e7d32" }, { "failure", "#c62828" },
		{ "failed", "#c62828" }, { "refused", "#ef6c00" }, { "rollbacks", "#6a1b9a" },
		{ "count", "#c62828" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(col, map[i].name) == 0)
			return map[i].color;
	return "#1565c0";
}

static long long cell_num(const struct audit_table *t, size_t r, int c)
{
	const char *v = audit_table_cell(t, r, (size_t)c);
	return v ? atoll(v) : 0;
}

static void chart(const struct report_section *s, FILE *out)
{
	const struct audit_table *t = &s->table;
	size_t bars = t->n_rows < CHART_MAX_BARS ? t->n_rows : CHART_MAX_BARS;
	long long max = 1;
	for (size_t r = 0; r < bars; r++) {
		long long sum = 0;
		for (int v = 0; v < s->n_values; v++)
			sum += cell_num(t, r, s->values[v]);
		if (sum > max)
			max = sum;
	}
	int legend = s->n_values > 1 ? 24 : 0;
	int height = (int)bars * CHART_BAR_H + 8 + legend;
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\"><title>", CHART_WIDTH, height, CHART_WIDTH, height);
	esc(s->title, out);
	fputs("</title>\n", out);
	const int span = CHART_WIDTH - CHART_LABEL_W - 70;
	for (size_t r = 0; r < bars; r++) {
		int y = (int)r * CHART_BAR_H + 4;
		char *label = report_bar_label(s, r);
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\"><title>", CHART_LABEL_W - 8, y + 15);
		esc(label ? label : "", out);
		fputs("</title>", out);
		label_short(label, out);
		fputs("</text>", out);
		free(label);
		double x = CHART_LABEL_W;
		long long sum = 0;
		for (int v = 0; v < s->n_values; v++) {
			long long n = cell_num(t, r, s->values[v]);
			double w = (double)n * span / (double)max;
			sum += n;
			if (n > 0)
				fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
					x, y, w < 1 ? 1 : w, CHART_BAR_H - 6, color_for(t->cols[s->values[v]]));
			x += w;
		}
		fprintf(out, "<text x=\"%.1f\" y=\"%d\">%lld</text>\n", x + 6, y + 15, sum);
	}
	for (int v = 0; legend && v < s->n_values; v++) {
		int lx = CHART_LABEL_W + v * 130, ly = (int)bars * CHART_BAR_H + 12;
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">", lx, ly, color_for(t->cols[s->values[v]]), lx + 16, ly + 11);
		esc(t->cols[s->values[v]], out);
		fputs("</text>\n", out);
	}
	fputs("</svg>\n", out);
	if (t->n_rows > bars)
		fprintf(out, "<p class=\"note\">Chart shows the first %d of %zu rows; the table lists all.</p>\n",
			CHART_MAX_BARS, t->n_rows);
}

/* A row's longer text (a rollback's failure log) folded under the row. */
static void row_details(const char *text, size_t n_cols, FILE *out)
{
	fprintf(out, "<tr class=\"log\"><td colspan=\"%zu\"><details><summary>failure log</summary><pre>",
		n_cols);
	esc(text, out);
	fputs("</pre></details></td></tr>\n", out);
}

static void table(const struct report_section *s, FILE *out)
{
	const struct audit_table *t = &s->table;
	fputs("<table>\n<thead><tr>", out);
	for (size_t c = 0; c < t->n_cols; c++) {
		fputs(t->numeric[c] ? "<th class=\"num\">" : "<th>", out);
		esc(t->cols[c], out);
		fputs("</th>", out);
	}
	fputs("</tr></thead>\n<tbody>\n", out);
	for (size_t r = 0; r < t->n_rows; r++) {
		fputs("<tr>", out);
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *v = audit_table_cell(t, r, c);
			/* short values (ids, versions, times) never wrap; long reasons do */
			bool worse = v && strcmp(t->cols[c], "regression") == 0 && strcmp(v, "worse") == 0;
			fputs(t->numeric[c] ? "<td class=\"num\">" : worse ? "<td class=\"k bad\">"
				: v && strlen(v) > 32 ? "<td>" : "<td class=\"k\">", out);
			esc(v ? v : "\xe2\x80\x93", out);
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
		if (s->details && s->details[r])
			row_details(s->details[r], t->n_cols, out);
	}
	fputs("</tbody>\n</table>\n", out);
}

static const char css[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;"
	"max-width:60rem;margin:2rem auto;padding:0 1rem;background:#fff}"
	"h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;"
	"border-bottom:2px solid #e0e0e0;padding-bottom:.2rem}"
	".meta{color:#555;margin-top:0}.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}"
	".card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:8rem}"
	".card b{display:block;font-size:1.5rem}.card.bad b{color:#c62828}"
	"table{border-collapse:collapse;margin:.5rem 0 1rem;min-width:50%}"
	"th,td{border-bottom:1px solid #e6e6e6;padding:.25rem .7rem;text-align:left}"
	"th{background:#f5f5f5}.num{text-align:right;font-variant-numeric:tabular-nums}"
	".k,.num,th{white-space:nowrap}"
	".chart{display:block;max-width:100%;height:auto;font-size:13px}"
	"td.bad{color:#c62828;font-weight:bold}.chart text{fill:#333}.empty,.note{color:#666;font-style:italic}"
	"pre{white-space:pre-wrap;font-size:12px;background:#f7f7f7;padding:.5rem;max-height:30rem;"
	"overflow:auto}@media print{body{margin:0}}";

void report_html(const struct report *r, FILE *out)
{
	long long refused = report_summary_value(r, "refused_imports");
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width\"/>\n", out);
	fprintf(out, "<title>ferry fleet report %s</title>\n<style>%s</style>\n</head>\n<body>\n",
		r->generated, css);
	fprintf(out, "<h1>ferry fleet report</h1>\n<p class=\"meta\">Generated %s by ferry-audit. "
		"Devices not seen since %s (%ld days) count as stale.</p>\n",
		r->generated, r->stale_before, r->stale_days);
	fputs("<div class=\"cards\">", out);
	fprintf(out, "<div class=\"card\"><b>%lld</b>devices</div>", report_summary_value(r, "devices"));
	fprintf(out, "<div class=\"card\"><b>%lld</b>audit records</div>", report_summary_value(r, "records"));
	fprintf(out, "<div class=\"card\"><b>%lld</b>imports</div>", report_summary_value(r, "imports"));
	fprintf(out, "<div class=\"card%s\"><b>%lld</b>refused imports</div>", refused ? " bad" : "", refused);
	fputs("</div>\n", out);
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct report_section *s = &r->sections[i];
		fprintf(out, "<section id=\"%s\">\n<h2>", s->id);
		esc(s->title, out);
		fputs("</h2>\n", out);
		if (s->table.n_rows == 0) {
			fputs("<p class=\"empty\">", out);
			esc(s->empty, out);
			fputs("</p>\n</section>\n", out);
			continue;
		}
		if (s->n_values > 0)
			chart(s, out);
		table(s, out);
		fputs("</section>\n", out);
	}
	fputs("</body>\n</html>\n", out);
}
