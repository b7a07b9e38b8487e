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
