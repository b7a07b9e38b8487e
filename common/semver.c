/* semver: see semver.h. */
#include "semver.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool is_ident_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Parses a numeric part of exactly n bytes: digits, no leading zero, fits uint64. */
static bool parse_number(const char *text, const char *s, size_t n, const char *what,
			 uint64_t *out, struct ferry_error **err)
{
	if (n == 0)
		return ferry_error_set(err, "'%s': missing %s version", text, what);
	if (!all_digits(s, n))
		return ferry_error_set(err, "'%s': %s version must be a number", text, what);
	if (n > 1 && s[0] == '0')
		return ferry_error_set(err, "'%s': leading zero in %s version", text, what);
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return ferry_error_set(err, "'%s': %s version too large", text, what);
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Checks dot-separated identifiers of s[0..n): non-empty, [0-9A-Za-z-];
 * numeric prerelease identifiers must not have leading zeros. */
static bool check_identifiers(const char *text, const char *s, size_t n, bool prerelease,
			      struct ferry_error **err)
{
	const char *what = prerelease ? "pre-release" : "build metadata";
	size_t i = 0;
	for (;;) {
		size_t j = i;
		while (j < n && s[j] != '.') {
			if (!is_ident_char(s[j]))
				return ferry_error_set(err, "'%s': invalid character in %s", text, what);
			j++;
		}
		if (j == i)
			return ferry_error_set(err, "'%s': empty %s identifier", text, what);
		if (prerelease && j - i > 1 && s[i] == '0' && all_digits(s + i, j - i))
			return ferry_error_set(err, "'%s': leading zero in %s identifier", text, what);
		if (j == n)
			return true;
		i = j + 1;
	}
}

bool semver_parse(const char *text, struct semver *out, struct ferry_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return ferry_error_set(err, "empty version");
	size_t len = strlen(text);
	size_t core_end = strcspn(text, "-+");
	const char *pre = NULL, *build = NULL;
	size_t pre_len = 0, build_len = 0;
	if (text[core_end] == '-') {
		pre = text + core_end + 1;
		pre_len = strcspn(pre, "+");
		if (pre[pre_len] == '+') {
			build = pre + pre_len + 1;
			build_len = len - (size_t)(build - text);
		}
	} else if (text[core_end] == '+') {
		build = text + core_end + 1;
		build_len = len - core_end - 1;
	}

	/* major.minor.patch */
	const char *names[3] = { "major", "minor", "patch" };
	uint64_t nums[3];
	size_t i = 0;
	for (int k = 0; k < 3; k++) {
		size_t j = i;
		while (j < core_end && text[j] != '.')
			j++;
		if (k < 2 && j >= core_end)
			return ferry_error_set(err, "'%s': not MAJOR.MINOR.PATCH", text);
		if (k == 2 && j != core_end)
			return ferry_error_set(err, "'%s': not MAJOR.MINOR.PATCH", text);
		if (!parse_number(text, text + i, j - i, names[k], &nums[k], err))
			return false;
		i = j + 1;
	}
	if (pre && !check_identifiers(text, pre, pre_len, true, err))
		return false;
	if (build && !check_identifiers(text, build, build_len, false, err))
		return false;

	out->major = nums[0];
	out->minor = nums[1];
	out->patch = nums[2];
	if (pre && !(out->prerelease = strndup(pre, pre_len)))
		return ferry_error_set(err, "out of memory");
	if (build && !(out->build = strndup(build, build_len))) {
		semver_free(out);
		return ferry_error_set(err, "out of memory");
	}
	return true;
}

bool semver_valid(const char *text)
{
	struct semver v;
	if (!semver_parse(text, &v, NULL))
		return false;
	semver_free(&v);
	return true;
}

void semver_free(struct semver *v)
{
	if (!v)
		return;
	free(v->prerelease);
	free(v->build);
	v->prerelease = v->build = NULL;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Numeric identifiers have no leading zeros, so a longer one is larger:
 * no overflow however long they are. */
static int cmp_numeric(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return an < bn ? -1 : 1;
	int c = memcmp(a, b, an);
	return c < 0 ? -1 : c > 0;
}

/* semver.org §11.4: identifier by identifier; numeric < alphanumeric;
 * a shorter list of equal leading identifiers is lower. */
static int cmp_prerelease(const char *a, const char *b)
{
	for (;;) {
		size_t an = strcspn(a, "."), bn = strcspn(b, ".");
		bool anum = all_digits(a, an), bnum = all_digits(b, bn);
		int c;
		if (anum && bnum)
			c = cmp_numeric(a, an, b, bn);
		else if (anum != bnum)
			c = anum ? -1 : 1;
		else {
			size_t n = an < bn ? an : bn;
			c = memcmp(a, b, n);
			c = c ? (c < 0 ? -1 : 1) : cmp_u64(an, bn);
		}
		if (c)
			return c;
		a += an;
		b += bn;
		if (!*a || !*b)
			return *a ? 1 : (*b ? -1 : 0);
		a++;
		b++;
	}
}

int semver_compare(const struct semver *a, const struct semver *b)
{
	int c = cmp_u64(a->major, b->major);
	if (!c)
		c = cmp_u64(a->minor, b->minor);
	if (!c)
		c = cmp_u64(a->patch, b->patch);
	if (c)
		return c;
	/* A pre-release version has lower precedence than the normal version. */
	if (!a->prerelease || !b->prerelease)
		return a->prerelease ? -1 : (b->prerelease ? 1 : 0);
	return cmp_prerelease(a->prerelease, b->prerelease);
}

bool semver_compare_text(const char *a, const char *b, int *result, struct ferry_error **err)
{
	struct semver va, vb;
	if (!semver_parse(a, &va, err))
		return false;
	if (!semver_parse(b, &vb, err)) {
		semver_free(&va);
		return false;
	}
	*result = semver_compare(&va, &vb);
	semver_free(&va);
	semver_free(&vb);
	return true;
}

/* --- ranges ------------------------------------------------------------ */

static const struct {
	const char *text;
	enum semver_op op;
} op_table[] = {   /* two-character operators first */
	{ ">=", SEMVER_OP_GE }, { "<=", SEMVER_OP_LE }, { "!=", SEMVER_OP_NE },
	{ "=", SEMVER_OP_EQ },  { ">", SEMVER_OP_GT },  { "<", SEMVER_OP_LT },
};

const char *semver_op_name(enum semver_op op)
{
	for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++)
		if (op_table[i].op == op)
			return op_table[i].text;
	return "?";
}

static bool parse_integer_operand(const char *s, int64_t *out, struct ferry_error **err)
{
	size_t n = strlen(s);
	if (n == 0 || !all_digits(s, n))
		return ferry_error_set(err, "'%s' is not a non-negative integer", s);
	if (n > 1 && s[0] == '0')
		return ferry_error_set(err, "'%s': leading zero", s);
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return ferry_error_set(err, "'%s' is too large", s);
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_comparator(const char *tok, enum semver_range_kind kind,
			     struct semver_comparator *c, struct ferry_error **err)
{
	c->op = SEMVER_OP_EQ;
	const char *operand = tok;
	for (size_t i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++) {
		size_t n = strlen(op_table[i].text);
		if (strncmp(tok, op_table[i].text, n) == 0) {
			c->op = op_table[i].op;
			operand = tok + n;
			break;
		}
	}
	if (!*operand)
		return ferry_error_set(err, "'%s': operator without operand", tok);
	if (kind == SEMVER_RANGE_INTEGER)
		return parse_integer_operand(operand, &c->number, err);
	return semver_parse(operand, &c->version, err);
}

bool semver_range_parse(const char *text, enum semver_range_kind kind, struct semver_range *out,
			struct ferry_error **err)
{
	bool ok = false;
	char *copy = NULL;
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (!text || !(copy = strdup(text))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	size_t max = strlen(text) / 2 + 1;
	out->items = calloc(max, sizeof(*out->items));
	if (!out->items) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (char *s = copy; *s;) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (isspace((unsigned char)*s)) {
			ferry_error_set(err, "range '%s': comparators are separated by spaces only", text);
			goto out;
		}
		char *end = s + strcspn(s, " \t\n\r\v\f");
		char saved = *end;
		*end = '\0';
		struct ferry_error *cerr = NULL;
		if (!parse_comparator(s, kind, &out->items[out->n], &cerr)) {
			ferry_error_set(err, "range '%s': %s", text, ferry_error_message(cerr));
			ferry_error_free(cerr);
			goto out;
		}
		out->n++;
		*end = saved;
		s = end;
	}
	if (out->n == 0) {
		ferry_error_set(err, "range '%s': no comparator", text);
		goto out;
	}
	ok = true;
out:
	free(copy);
	if (!ok)
		semver_range_free(out);
	return ok;
}

void semver_range_free(struct semver_range *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		semver_free(&r->items[i].version);
	free(r->items);
	r->items = NULL;
	r->n = 0;
}

static bool op_holds(enum semver_op op, int c)
{
	switch (op) {
	case SEMVER_OP_EQ: return c == 0;
	case SEMVER_OP_NE: return c != 0;
	case SEMVER_OP_GT: return c > 0;
	case SEMVER_OP_GE: return c >= 0;
	case SEMVER_OP_LT: return c < 0;
	case SEMVER_OP_LE: return c <= 0;
	}
	return false;
}

bool semver_range_match_version(const struct semver_range *r, const struct semver *v)
{
	if (r->kind != SEMVER_RANGE_VERSION)
		return false;
	for (size_t i = 0; i < r->n; i++)
		if (!op_holds(r->items[i].op, semver_compare(v, &r->items[i].version)))
			return false;
	return true;
}

bool semver_range_match_integer(const struct semver_range *r, int64_t n)
{
	if (r->kind != SEMVER_RANGE_INTEGER)
		return false;
	for (size_t i = 0; i < r->n; i++) {
		int64_t b = r->items[i].number;
		if (!op_holds(r->items[i].op, n < b ? -1 : n > b))
			return false;
	}
	return true;
}

bool semver_range_text_matches(const char *range, const char *version, bool *matches,
			       struct ferry_error **err)
{
	struct semver_range r;
	struct semver v;
	if (!semver_range_parse(range, SEMVER_RANGE_VERSION, &r, err))
		return false;
	if (!semver_parse(version, &v, err)) {
		semver_range_free(&r);
		return false;
	}
	*matches = semver_range_match_version(&r, &v);
	semver_free(&v);
	semver_range_free(&r);
	return true;
}

bool semver_range_text_matches_integer(const char *range, int64_t n, bool *matches,
				       struct ferry_error **err)
{
	struct semver_range r;
	if (!semver_range_parse(range, SEMVER_RANGE_INTEGER, &r, err))
		return false;
	*matches = semver_range_match_integer(&r, n);
	semver_range_free(&r);
	return true;
}
