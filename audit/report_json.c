/* report_json: the report as one JSON document (format 1): summary figures
 * and, per section, its rows as objects keyed by column name; integer
 * columns are JSON integers, absent cells null. */
#include "audit/report.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static json_t *cell_json(const struct audit_table *t, size_t r, size_t c)
{
	const char *v = audit_table_cell(t, r, c);
	if (!v)
		return json_null();
	return t->numeric[c] ? json_integer(strtoll(v, NULL, 10)) : json_string(v);
}

static json_t *rows_json(const struct audit_table *t)
{
	json_t *rows = json_array();
	for (size_t r = 0; rows && r < t->n_rows; r++) {
		json_t *o = json_object();
		for (size_t c = 0; o && c < t->n_cols; c++)
			json_object_set_new(o, t->cols[c], cell_json(t, r, c));
		json_array_append_new(rows, o);
	}
	return rows;
}

bool report_json(const struct report *r, FILE *out, struct ferry_error **err)
{
	bool ok = false;
	json_t *summary = NULL, *root = json_object(), *sections = json_object();
	if (!root || !sections)
		goto oom;
	json_t *rows = rows_json(&r->summary);
	summary = rows && json_array_size(rows) ? json_incref(json_array_get(rows, 0)) : json_object();
	json_decref(rows);
	json_object_set_new(root, "format", json_integer(1));
	json_object_set_new(root, "generated", json_string(r->generated));
	if (*r->device)
		json_object_set_new(root, "device", json_string(r->device));
	json_object_set_new(root, "stale_days", json_integer(r->stale_days));
	json_object_set_new(root, "stale_before", json_string(r->stale_before));
	json_object_set(root, "summary", summary);
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct report_section *s = &r->sections[i];
		json_t *sec = json_object(), *cols = json_array();
		for (size_t c = 0; cols && c < s->table.n_cols; c++)
			json_array_append_new(cols, json_string(s->table.cols[c]));
		json_object_set_new(sec, "title", json_string(s->title));
		if (s->note)
			json_object_set_new(sec, "note", json_string(s->note));
		json_object_set_new(sec, "columns", cols);
		json_object_set_new(sec, "rows", rows_json(&s->table));
		json_object_set_new(sections, s->id, sec);
	}
	json_object_set(root, "sections", sections);
	if (json_dumpf(root, out, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
		goto oom;
	fputc('\n', out);
	ok = true;
	goto out;
oom:
	ferry_error_set(err, "writing the JSON report failed");
out:
	json_decref(summary);
	json_decref(sections);
	json_decref(root);
	return ok;
}
