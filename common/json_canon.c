/* json_canon: is a text exactly json_dump_canonical() of the value parsed
 * from it? One pass over the bytes for the common case (plain ASCII strings,
 * integers), so that HQ's import does not serialize every record again; any
 * spelling the scan is not sure of falls back to dumping and comparing, so
 * the answer is always the same as the comparison's. The same pass hands a
 * reader the members of a canonical object (json_canon_members), so that the
 * import reads records without building a tree. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

enum scan { SCAN_CANONICAL, SCAN_NOT, SCAN_UNSURE };

#define CANON_DEPTH_MAX 32

struct canon_scan {
	const char *p, *end;
	int depth_max;                 /* deeper: unsure */
	json_canon_member_cb cb;       /* each member of the top-level object */
	void *ctx;
	/* the last key seen per open object (NULL before its first key) */
	const char *key[CANON_DEPTH_MAX];
	size_t key_len[CANON_DEPTH_MAX];
	int depth;
};

/* A string the canonical dump writes byte for byte: printable ASCII without
 * '"' or '\\' (jansson escapes nothing else in it). Anything else: unsure. */
static enum scan scan_string(struct canon_scan *s, const char **start, size_t *len)
{
	const char *p = ++s->p;
	while (p < s->end && *p != '"') {
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			return SCAN_UNSURE;
		p++;
	}
	if (p >= s->end)
		return SCAN_NOT;
	*start = s->p;
	*len = (size_t)(p - s->p);
	s->p = p + 1;
	return SCAN_CANONICAL;
}

/* An integer in its shortest spelling; "-0", fractions and exponents: unsure
 * (the dump may or may not spell them alike). */
static enum scan scan_number(struct canon_scan *s)
{
	const char *p = s->p;
	if (*p == '-')
		p++;
	if (p >= s->end || *p < '0' || *p > '9' || (*p == '0' && p != s->p))
		return SCAN_UNSURE;
	const char *digits = p;
	while (p < s->end && *p >= '0' && *p <= '9')
		p++;
	if (*digits == '0' && p - digits > 1)
		return SCAN_NOT;
	if (p < s->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return SCAN_UNSURE;
	if (p - digits > 18)   /* jansson may refuse it as too big: unsure */
		return SCAN_UNSURE;
	s->p = p;
	return SCAN_CANONICAL;
}

static enum scan scan_literal(struct canon_scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return SCAN_NOT;
	s->p += n;
	return SCAN_CANONICAL;
}

/* Keys strictly ascending by bytes (strcmp, as JSON_SORT_KEYS sorts them). */
static enum scan key_in_order(struct canon_scan *s, const char *k, size_t n)
{
	const char *prev = s->key[s->depth - 1];
	size_t pn = s->key_len[s->depth - 1];
	if (prev) {
		int c = memcmp(prev, k, pn < n ? pn : n);
		if (c > 0 || (c == 0 && pn >= n))
			return SCAN_NOT;
	}
	s->key[s->depth - 1] = k;
	s->key_len[s->depth - 1] = n;
	return SCAN_CANONICAL;
}

static enum scan scan_value(struct canon_scan *s);

/* "{" or "[" already current: members separated by "," and nothing else. */
static enum scan scan_container(struct canon_scan *s, bool object)
{
	char close = object ? '}' : ']';
	enum scan r = SCAN_CANONICAL;
	if (s->depth == s->depth_max)
		return SCAN_UNSURE;
	s->key[s->depth] = NULL;
	s->key_len[s->depth++] = 0;
	s->p++;
	for (bool first = true; r == SCAN_CANONICAL; first = false) {
		if (s->p < s->end && *s->p == close && first)
			break;
		if (!first && (s->p >= s->end || *s->p++ != ','))
			return SCAN_NOT;
		const char *k = NULL, *v;
		size_t n = 0;
		if (object) {
			if (s->p >= s->end || *s->p != '"')
				return SCAN_NOT;
			if ((r = scan_string(s, &k, &n)) != SCAN_CANONICAL ||
			    (r = key_in_order(s, k, n)) != SCAN_CANONICAL)
				return r;
			if (s->p >= s->end || *s->p++ != ':')
				return SCAN_NOT;
		}
		v = s->p;
		r = scan_value(s);
		if (r == SCAN_CANONICAL && object && s->depth == 1 && s->cb &&
		    !s->cb(k, n, v, (size_t)(s->p - v), s->ctx))
			return SCAN_UNSURE;
		if (r == SCAN_CANONICAL && s->p < s->end && *s->p == close)
			break;
	}
	if (r != SCAN_CANONICAL)
		return r;
	s->p++;
	s->depth--;
	return SCAN_CANONICAL;
}

static enum scan scan_value(struct canon_scan *s)
{
	const char *k;
	size_t n;
	if (s->p >= s->end)
		return SCAN_NOT;
	switch (*s->p) {
	case '{': return scan_container(s, true);
	case '[': return scan_container(s, false);
	case '"': return scan_string(s, &k, &n);
	case 't': return scan_literal(s, "true");
	case 'f': return scan_literal(s, "false");
	case 'n': return scan_literal(s, "null");
	default: return scan_number(s);
	}
}

bool json_canonical_text(const json_t *value, const char *text, size_t len)
{
	struct canon_scan s = { .p = text, .end = text + len, .depth_max = CANON_DEPTH_MAX };
	enum scan r = scan_value(&s);
	if (r == SCAN_CANONICAL && s.p == s.end)
		return true;
	if (r == SCAN_NOT)
		return false;
	char *canon = json_dump_canonical(value);
	bool same = canon && strlen(canon) == len && memcmp(canon, text, len) == 0;
	free(canon);
	return same;
}

bool json_canon_members(const char *text, size_t len, json_canon_member_cb cb, void *ctx)
{
	struct canon_scan s = { .p = text, .end = text + len, .depth_max = JSON_CANON_DEPTH,
				.cb = cb, .ctx = ctx };
	return len && *text == '{' && scan_value(&s) == SCAN_CANONICAL && s.p == s.end;
}
