/* Tests for common/rfc3339.c: the one timestamp form of ferry's documents. */
#include "testutil.h"

#include <string.h>

#include "common/rfc3339.h"

static void test_rfc3339_parses_and_formats_utc(void **state)
{
	(void)state;
	int64_t t = 0;
	char out[RFC3339_UTC_LEN + 1];
	struct ferry_error *err = NULL;
	assert_ok(rfc3339_parse_utc("1970-01-01T00:00:00Z", &t, &err), err);
	assert_int_equal(t, 0);
	assert_ok(rfc3339_parse_utc("2026-11-24T10:00:00Z", &t, &err), err);
	assert_int_equal(t, 1795514400);
	assert_true(rfc3339_format_utc(t, out));
	assert_string_equal(out, "2026-11-24T10:00:00Z");
	assert_true(rfc3339_valid_utc("2028-02-29T23:59:59Z"));
}

static void test_rfc3339_rejects_other_shapes_and_dates(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "2026-11-24", "2026-11-24T10:00:00", "2026-11-24T10:00:00+00:00",
		"2026-11-24t10:00:00z", "2026-11-24 10:00:00Z", "2026-11-24T10:00:00.5Z",
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2027-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-24T24:00:00Z",
		"2026-11-24T10:60:00Z", "2026-11-24T10:00:60Z", "0000-01-01T00:00:00Z",
		"+026-11-24T10:00:00Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t;
		struct ferry_error *err = NULL;
		if (rfc3339_parse_utc(bad[i], &t, &err))
			fail_msg("'%s' was accepted", bad[i]);
		assert_error_contains(err, bad[i]);
		ferry_error_free(err);
	}
	assert_false(rfc3339_valid_utc(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339_parses_and_formats_utc),
		cmocka_unit_test(test_rfc3339_rejects_other_shapes_and_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
