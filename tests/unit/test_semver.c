/* Tests for common/semver.c: strict parsing, semver.org precedence, ranges. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/semver.h"

static int cmp(const char *a, const char *b)
{
	int r = 99;
	struct ferry_error *err = NULL;
	assert_ok(semver_compare_text(a, b, &r, &err), err);
	return r;
}

static void test_semver_parses_all_parts(void **state)
{
	(void)state;
	struct semver v;
	struct ferry_error *err = NULL;
	assert_ok(semver_parse("1.22.333-alpha.1+build.5", &v, &err), err);
	assert_int_equal(v.major, 1);
	assert_int_equal(v.minor, 22);
	assert_int_equal(v.patch, 333);
	assert_string_equal(v.prerelease, "alpha.1");
	assert_string_equal(v.build, "build.5");
	semver_free(&v);
	assert_ok(semver_parse("0.0.0", &v, &err), err);
	assert_null(v.prerelease);
	assert_null(v.build);
	semver_free(&v);
	assert_ok(semver_parse("1.0.0+001.exp-sha", &v, &err), err);   /* leading zeros fine in build */
	assert_null(v.prerelease);
	assert_string_equal(v.build, "001.exp-sha");
	semver_free(&v);
	assert_ok(semver_parse("1.0.0-x-y-z.--", &v, &err), err);
	assert_string_equal(v.prerelease, "x-y-z.--");
	semver_free(&v);
	assert_true(semver_valid("18446744073709551615.0.0"));
}

static void test_semver_rejects_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "", "empty" },
		{ "1", "MAJOR.MINOR.PATCH" },
		{ "1.2", "MAJOR.MINOR.PATCH" },
		{ "1.2.3.4", "MAJOR.MINOR.PATCH" },
		{ "01.2.3", "leading zero in major" },
		{ "1.02.3", "leading zero in minor" },
		{ "1.2.03", "leading zero in patch" },
		{ "v1.2.3", "major version must be a number" },
		{ " 1.2.3", "must be a number" },
		{ "1.2.3 ", "must be a number" },
		{ "1..3", "missing minor" },
		{ "1.2.3-", "empty pre-release" },
		{ "1.2.3-a..b", "empty pre-release" },
		{ "1.2.3-01", "leading zero in pre-release" },
		{ "1.2.3-alpha.01", "leading zero in pre-release" },
		{ "1.2.3-al_pha", "invalid character in pre-release" },
		{ "1.2.3+", "empty build" },
		{ "1.2.3+a+b", "invalid character in build" },
		{ "1.2.3-é", "invalid character" },
		{ "18446744073709551616.0.0", "too large" },
		{ "-1.2.3", "MAJOR.MINOR.PATCH" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct semver v;
		struct ferry_error *err = NULL;
		if (semver_parse(bad[i].text, &v, &err))
			fail_msg("'%s' was accepted", bad[i].text);
		assert_error_contains(err, bad[i].needle);
		assert_null(v.prerelease);
		ferry_error_free(err);
	}
}

/* semver.org §11, every example, each pair in both directions. */
static void test_semver_orders_every_semver_org_example(void **state)
{
	(void)state;
	static const char *const chains[][9] = {
		{ "1.0.0", "2.0.0", "2.1.0", "2.1.1", NULL },
		{ "1.0.0-alpha", "1.0.0", NULL },
		{ "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		  "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", NULL },
	};
	for (size_t c = 0; c < sizeof(chains) / sizeof(chains[0]); c++)
		for (size_t i = 0; chains[c][i]; i++)
			for (size_t j = 0; chains[c][j]; j++) {
				int want = i < j ? -1 : i > j;
				int got = cmp(chains[c][i], chains[c][j]);
				if (got != want)
					fail_msg("%s vs %s: got %d, want %d", chains[c][i],
						 chains[c][j], got, want);
			}
}

static void test_semver_ignores_build_metadata(void **state)
{
	(void)state;
	assert_int_equal(cmp("1.0.0+a", "1.0.0+b"), 0);
	assert_int_equal(cmp("1.0.0-alpha+001", "1.0.0-alpha"), 0);
	assert_int_equal(cmp("1.0.0+20130313144700", "1.0.0-beta"), 1);
}

static void test_semver_compares_numbers_numerically(void **state)
{
	(void)state;
	assert_int_equal(cmp("1.10.0", "1.9.0"), 1);
	assert_int_equal(cmp("1.0.0-rc.10", "1.0.0-rc.9"), 1);
	assert_int_equal(cmp("1.0.0-2", "1.0.0-10"), -1);
	assert_int_equal(cmp("1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000"), -1);
	assert_int_equal(cmp("1.0.0-1", "1.0.0-a"), -1);      /* numeric < alphanumeric */
	assert_int_equal(cmp("1.0.0-a1", "1.0.0-a"), 1);
	assert_int_equal(cmp("1.0.0-B", "1.0.0-a"), -1);      /* ASCII order */
}

static bool in_range(const char *range, const char *version)
{
	bool m = false;
	struct ferry_error *err = NULL;
	assert_ok(semver_range_text_matches(range, version, &m, &err), err);
	return m;
}

static bool in_int_range(const char *range, int64_t n)
{
	bool m = false;
	struct ferry_error *err = NULL;
	assert_ok(semver_range_text_matches_integer(range, n, &m, &err), err);
	return m;
}

static void test_semver_range_matches_versions(void **state)
{
	(void)state;
	assert_true(in_range(">=2.0.0 <2.4.1", "2.0.0"));
	assert_true(in_range(">=2.0.0 <2.4.1", "2.3.0"));
	assert_true(in_range(">=2.0.0  <2.4.1", "2.4.0"));
	assert_false(in_range(">=2.0.0 <2.4.1", "2.4.1"));
	assert_false(in_range(">=2.0.0 <2.4.1", "1.9.9"));
	assert_true(in_range(">=2.0.0 <2.4.1", "2.4.1-rc.1"));   /* plain precedence */
	assert_true(in_range("2.3.0", "2.3.0"));
	assert_true(in_range("=2.3.0", "2.3.0+build"));
	assert_false(in_range("2.3.0", "2.3.1"));
	assert_true(in_range("!=2.3.0", "2.3.1"));
	assert_false(in_range("!=2.3.0", "2.3.0"));
	assert_true(in_range(">1.0.0", "1.0.1"));
	assert_false(in_range(">1.0.0", "1.0.0"));
	assert_true(in_range("<=1.0.0", "1.0.0"));
	assert_false(in_range("<=1.0.0", "1.0.1"));
	assert_true(in_range(" >=1.0.0 ", "1.0.0"));
}

static void test_semver_range_matches_integers(void **state)
{
	(void)state;
	assert_true(in_int_range(">=2", 2));
	assert_true(in_int_range(">=2", 9));
	assert_false(in_int_range(">=2", 1));
	assert_true(in_int_range("=3", 3));
	assert_true(in_int_range("3", 3));
	assert_false(in_int_range("=3", 4));
	assert_true(in_int_range(">=2 <5", 4));
	assert_false(in_int_range(">=2 <5", 5));
	assert_true(in_int_range("!=0", 1));
	assert_true(in_int_range("<=0", 0));
}

static void test_semver_range_rejects_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *text, *needle;
		enum semver_range_kind kind;
	} bad[] = {
		{ "", "no comparator", SEMVER_RANGE_VERSION },
		{ "   ", "no comparator", SEMVER_RANGE_VERSION },
		{ ">=", "operator without operand", SEMVER_RANGE_VERSION },
		{ ">= 2.0.0", "operator without operand", SEMVER_RANGE_VERSION },
		{ ">=2.0", "MAJOR.MINOR.PATCH", SEMVER_RANGE_VERSION },
		{ "~2.0.0", "must be a number", SEMVER_RANGE_VERSION },
		{ "^2.0.0", "must be a number", SEMVER_RANGE_VERSION },
		{ ">=2.0.0 || <1.0.0", "'||'", SEMVER_RANGE_VERSION },
		{ ">=2.0.0\t<3.0.0", "spaces only", SEMVER_RANGE_VERSION },
		{ "=>2.0.0", "must be a number", SEMVER_RANGE_VERSION },
		{ ">=2.0.0", "not a non-negative integer", SEMVER_RANGE_INTEGER },
		{ ">=-1", "not a non-negative integer", SEMVER_RANGE_INTEGER },
		{ "=02", "leading zero", SEMVER_RANGE_INTEGER },
		{ ">=99999999999999999999", "too large", SEMVER_RANGE_INTEGER },
		{ "<", "operator without operand", SEMVER_RANGE_INTEGER },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct semver_range r;
		struct ferry_error *err = NULL;
		if (semver_range_parse(bad[i].text, bad[i].kind, &r, &err))
			fail_msg("range '%s' was accepted", bad[i].text);
		assert_error_contains(err, bad[i].needle);
		assert_error_contains(err, "range '");
		assert_null(r.items);
		ferry_error_free(err);
	}
}

static void test_semver_range_kinds_do_not_mix(void **state)
{
	(void)state;
	struct semver_range r;
	struct ferry_error *err = NULL;
	assert_ok(semver_range_parse(">=2", SEMVER_RANGE_INTEGER, &r, &err), err);
	struct semver v = { .major = 3 };
	assert_false(semver_range_match_version(&r, &v));
	assert_true(semver_range_match_integer(&r, 3));
	assert_int_equal(r.n, 1);
	assert_string_equal(semver_op_name(r.items[0].op), ">=");
	semver_range_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semver_parses_all_parts),
		cmocka_unit_test(test_semver_rejects_malformed),
		cmocka_unit_test(test_semver_orders_every_semver_org_example),
		cmocka_unit_test(test_semver_ignores_build_metadata),
		cmocka_unit_test(test_semver_compares_numbers_numerically),
		cmocka_unit_test(test_semver_range_matches_versions),
		cmocka_unit_test(test_semver_range_matches_integers),
		cmocka_unit_test(test_semver_range_rejects_malformed),
		cmocka_unit_test(test_semver_range_kinds_do_not_mix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
