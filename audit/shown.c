/* shown: see shown.h. */
#include "audit/shown.h"

#include <stdlib.h>
#include <string.h>

#include "common/visible.h"

char *shown_visible(const char *s)
{
	if (!s)
		return NULL;
	size_t size = 4 * strlen(s) + 1;   /* every byte may become "\xNN" */
	char *out = malloc(size);
	if (out)
		visible_text(s, out, size);
	return out;
}

char *shown_lines(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1), cut = n > max;
	if (cut)
		n = max;
	char *out = malloc(4 * n + 16), *w = out;
	if (!out)
		return NULL;
	for (const char *p = s; p < s + n;) {
		const char *nl = memchr(p, '\n', (size_t)(s + n - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(s + n - p);
		char *line = strndup(p, len);
		if (!line) {
			free(out);
			return NULL;
		}
		visible_text(line, w, 4 * len + 1);
		free(line);
		w += strlen(w);
		if (nl)
			*w++ = '\n';
		p += len + (nl ? 1 : 0);
	}
	strcpy(w, cut ? "\n\xe2\x80\xa6(cut)\n" : "");
	return out;
}

static bool replace(char **cell)
{
	if (!*cell)
		return true;
	char *v = shown_visible(*cell);
	if (!v)
		return false;
	free(*cell);
	*cell = v;
	return true;
}

bool shown_table(struct audit_table *t, struct ferry_error **err)
{
	for (size_t c = 0; c < t->n_cols; c++)
		if (!replace(&t->cols[c]))
			return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		if (!replace(&t->cells[i]))
			return ferry_error_set(err, "out of memory");
	return true;
}
