/* report_html: the report as one self-contained page: inline CSS, inline SVG
 * bar charts, no script, no network, readable offline and printable. The
 * output is well-formed XML (polyglot XHTML) so tests can parse it strictly. */
#include "audit/report_html.h"

#include <stdlib.h>
#include <string.h>

#define CHART_MAX_BARS 30
#define CHART_BAR_H 22
#define CHART_LINE_H 16      /* a wrapped label's line */

#define esc report_html_esc

void report_html_esc(const char *s, FILE *out)
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

/* The length of label's first line: at most CHART_LABEL_MAX bytes, broken
 * after the last space that fits, else at a whole UTF-8 character. */
static size_t line_len(const char *label)
{
	size_t n = strlen(label);
	if (n <= CHART_LABEL_MAX)
		return n;
	for (size_t i = CHART_LABEL_MAX; i > CHART_LABEL_MAX / 2; i--)
		if (label[i] == ' ')
			return i;
	n = CHART_LABEL_MAX;
	while (n > 1 && ((unsigned char)label[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int report_html_label_lines(const char *label)
{
	int lines = 0;
	for (const char *p = label ? label : ""; *p || lines == 0; lines++) {
		p += line_len(p);
		while (*p == ' ')
			p++;
	}
	return lines;
}

int report_html_label(const char *label, int x, int y, FILE *out)
{
	int lines = 0;
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", x, y);
	for (const char *p = label ? label : ""; *p || lines == 0; lines++) {
		size_t n = line_len(p);
		char *line = strndup(p, n);
		fprintf(out, "<tspan x=\"%d\" dy=\"%d\">", x, lines ? CHART_LINE_H : 0);
		esc(line ? line : "", out);
		fputs("</tspan>", out);
		free(line);
		p += n;
		while (*p == ' ')
			p++;
	}
	fputs("</text>", out);
	return lines;
}

const char *report_html_color(const char *col)
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

/* A row's height: its label's lines, at least one bar's. */
static int row_height(const struct report_section *s, size_t r)
{
	char *label = report_bar_label(s, r);
	int h = report_html_label_lines(label) * CHART_LINE_H + 6;
	free(label);
	return h > CHART_BAR_H ? h : CHART_BAR_H;
}

static void chart_legend(const struct report_section *s, int y, FILE *out)
{
	for (int v = 0; s->n_values > 1 && v < s->n_values; v++) {
		const char *col = s->table.cols[s->values[v]];
		int lx = CHART_LABEL_W + v * 130;
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">", lx, y, report_html_color(col), lx + 16, y + 11);
		esc(col, out);
		fputs("</text>\n", out);
	}
}

/* One bar per row (the first CHART_MAX_BARS), values stacked; labels wrap. */
void report_html_bars(const struct report_section *s, FILE *out)
{
	const struct audit_table *t = &s->table;
	size_t bars = t->n_rows < CHART_MAX_BARS ? t->n_rows : CHART_MAX_BARS;
	long long max = 1;
	int height = 8 + (s->n_values > 1 ? 24 : 0);
	for (size_t r = 0; r < bars; r++) {
		long long sum = 0;
		for (int v = 0; v < s->n_values; v++)
			sum += cell_num(t, r, s->values[v]);
		if (sum > max)
			max = sum;
		height += row_height(s, r);
	}
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\"><title>", CHART_WIDTH, height, CHART_WIDTH, height);
	esc(s->title, out);
	fputs("</title>\n", out);
	const int span = CHART_WIDTH - CHART_LABEL_W - 70;
	int y = 4;
	for (size_t r = 0; r < bars; r++) {
		int h = row_height(s, r);
		char *label = report_bar_label(s, r);
		report_html_label(label, CHART_LABEL_W - 8, y + 15, out);
		free(label);
		double x = CHART_LABEL_W;
		long long sum = 0;
		for (int v = 0; v < s->n_values; v++) {
			long long n = cell_num(t, r, s->values[v]);
			double w = (double)n * span / (double)max;
			sum += n;
			if (n > 0)
				fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
					x, y, w < 1 ? 1 : w, CHART_BAR_H - 6, report_html_color(t->cols[s->values[v]]));
			x += w;
		}
		fprintf(out, "<text x=\"%.1f\" y=\"%d\">%lld</text>\n", x + 6, y + 15, sum);
		y += h;
	}
	chart_legend(s, y + 8, out);
	fputs("</svg>\n", out);
	if (t->n_rows > bars)
		fprintf(out, "<p class=\"note\">Chart shows the first %d of %zu rows.</p>\n", CHART_MAX_BARS,
			t->n_rows);
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
	size_t shown = t->n_rows < REPORT_ROWS_SHOWN ? t->n_rows : REPORT_ROWS_SHOWN;
	for (size_t r = 0; r < shown; r++) {
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
	if (t->n_rows > shown)
		fprintf(out, "<p class=\"note\">and %zu more rows: the CSV and JSON reports have every row.</p>\n",
			t->n_rows - shown);
}

static void section_chart(const struct report_section *s, FILE *out)
{
	switch (s->chart) {
	case REPORT_CHART_BARS:
		if (s->n_values > 0)
			report_html_bars(s, out);
		break;
	case REPORT_CHART_BY_CODE: report_html_chart_by_code(s, out); break;
	case REPORT_CHART_WEEKS: report_html_chart_weeks(s, out); break;
	case REPORT_CHART_VERSIONS: report_html_chart_versions(s, out); break;
	case REPORT_CHART_RINGS: report_html_chart_rings(s, out); break;
	}
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
	"td.bad{color:#c62828;font-weight:bold}.chart text{fill:#333}h3{font-size:1rem;margin:1rem 0 .3rem}"
	".legend{list-style:none;padding:0;margin:.2rem 0 .8rem;display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;"
	"font-size:13px}.sw{display:inline-block;width:12px;height:12px;margin-right:.4rem;vertical-align:-1px}"
	"td{overflow-wrap:anywhere}.empty,.note{color:#666;font-style:italic}"
	"pre{white-space:pre-wrap;font-size:12px;background:#f7f7f7;padding:.5rem;max-height:30rem;"
	"overflow:auto}@media print{body{margin:0}}";

static void device_header(const struct report *r, FILE *out)
{
	fputs("<h1>ferry device report ", out);
	esc(r->device, out);
	fprintf(out, "</h1>\n<p class=\"meta\">Generated %s by ferry-audit.</p>\n", r->generated);
}

static void fleet_header(const struct report *r, FILE *out)
{
	long long refused = report_summary_value(r, "refused_imports");
	fprintf(out, "<h1>ferry fleet report</h1>\n<p class=\"meta\">Generated %s by ferry-audit. "
		"Devices not seen since %s (%ld days) count as stale.</p>\n",
		r->generated, r->stale_before, r->stale_days);
	fputs("<div class=\"cards\">", out);
	fprintf(out, "<div class=\"card\"><b>%lld</b>devices</div>", report_summary_value(r, "devices"));
	fprintf(out, "<div class=\"card\"><b>%lld</b>audit records</div>", report_summary_value(r, "records"));
	fprintf(out, "<div class=\"card\"><b>%lld</b>imports</div>", report_summary_value(r, "imports"));
	fprintf(out, "<div class=\"card%s\"><b>%lld</b>refused imports</div>", refused ? " bad" : "", refused);
	fputs("</div>\n", out);
}

void report_html(const struct report *r, FILE *out)
{
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width\"/>\n", out);
	fprintf(out, "<title>ferry fleet report %s</title>\n<style>%s</style>\n</head>\n<body>\n",
		r->generated, css);
	if (*r->device)
		device_header(r, out);
	else
		fleet_header(r, out);
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
		if (s->note) {
			fputs("<p class=\"meta\">", out);
			esc(s->note, out);
			fputs("</p>\n", out);
		}
		section_chart(s, out);
		table(s, out);
		fputs("</section>\n", out);
	}
	fputs("</body>\n</html>\n", out);
}
