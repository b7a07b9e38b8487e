/* auditlog_bound: see auditlog.h. Keeps what a device writes into one audit
 * record small whatever a stick or bundle carries: every string, array and
 * object of a record's detail is capped, and the cut is marked in the record,
 * so a hostile input can make a record shorter, never longer or unwritable. */
#include "auditlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "visible.h"

/* Length of the longest prefix of s not over max bytes that ends on a UTF-8
 * character boundary (jansson refuses a cut character). */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

char *auditlog_string_bound(const char *s, size_t max, bool *cut)
{
	size_t len = strlen(s), n = utf8_prefix(s, len, max);
	char *out = NULL;
	if (n == len)
		return strdup(s);
	*cut = true;
	if (asprintf(&out, "%.*s…[%zu bytes cut]", (int)n, s, len - n) < 0)
		return NULL;
	return out;
}

static json_t *bound_value(const json_t *v, int depth, bool *cut);

static json_t *bound_array(const json_t *v, int depth, bool *cut)
{
	json_t *out = json_array();
	size_t i, n = json_array_size(v);
	for (i = 0; out && i < n && i < AUDITLOG_DETAIL_ITEMS_MAX; i++)
		json_array_append_new(out, bound_value(json_array_get(v, i), depth + 1, cut));
	if (out && n > AUDITLOG_DETAIL_ITEMS_MAX) {
		char more[64];
		snprintf(more, sizeof(more), "…[%zu more cut]", n - AUDITLOG_DETAIL_ITEMS_MAX);
		json_array_append_new(out, json_string(more));
		*cut = true;
	}
	return out;
}

static json_t *bound_object(const json_t *v, int depth, bool *cut)
{
	json_t *out = json_object(), *item;
	const char *key;
	size_t kept = 0;
	json_object_foreach((json_t *)v, key, item) {
		if (kept == AUDITLOG_DETAIL_ITEMS_MAX || strlen(key) > 64) {
			*cut = true;   /* a key is a name, never payload: too long is dropped */
			if (kept == AUDITLOG_DETAIL_ITEMS_MAX)
				break;
			continue;
		}
		json_object_set_new(out, key, bound_value(item, depth + 1, cut));
		kept++;
	}
	return out;
}

static json_t *bound_value(const json_t *v, int depth, bool *cut)
{
	if (depth > AUDITLOG_DETAIL_DEPTH_MAX && (json_is_array(v) || json_is_object(v))) {
		*cut = true;
		return json_string("…[nested too deep, cut]");
	}
	if (json_is_string(v)) {
		char *s = auditlog_string_bound(json_string_value(v), AUDITLOG_STRING_MAX, cut);
		json_t *out = s ? json_string(s) : NULL;
		free(s);
		return out ? out : json_null();
	}
	if (json_is_array(v))
		return bound_array(v, depth, cut);
	if (json_is_object(v))
		return bound_object(v, depth, cut);
	return json_deep_copy(v);
}

json_t *auditlog_detail_bound(const json_t *detail)
{
	bool cut = false;
	json_t *out = bound_value(detail, 0, &cut);
	char *text = out ? json_dump_canonical(out) : NULL;
	if (text && strlen(text) > AUDITLOG_DETAIL_MAX) {
		/* Within every cap and still too large: keep only its reason. */
		const char *reason = json_string_value(json_object_get(out, "reason"));
		json_t *small = json_object();
		if (reason)
			json_object_set(small, "reason", json_object_get(out, "reason"));
		json_decref(out);
		out = small;
		cut = true;
	}
	free(text);
	if (out && cut)
		json_object_set_new(out, "truncated", json_true());
	return out;
}

/* The start of the last max bytes of s (len bytes) on a character boundary. */
static size_t utf8_tail_start(const char *s, size_t len, size_t max)
{
	size_t start = len > max ? len - max : 0;
	while (start < len && ((unsigned char)s[start] & 0xC0) == 0x80)
		start++;
	return start;
}

char *auditlog_tail_bound(const char *s, size_t max)
{
	size_t len = strlen(s), start = utf8_tail_start(s, len, max);
	size_t size = 4 * (len - start) + 1;
	char *vis = malloc(size), *out = NULL;
	if (!vis)
		return NULL;
	visible_text(s + start, vis, size);
	/* Escapes may have made it longer: keep the end of what is shown. */
	size_t vlen = strlen(vis), vstart = utf8_tail_start(vis, vlen, max);
	if (start == 0 && vstart == 0)
		return vis;
	if (asprintf(&out, "[… %zu bytes cut] %s", start + vstart, vis + vstart) < 0)
		out = NULL;
	free(vis);
	return out;
}
