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

/* The same numbers on every target: a 32-bit time_t (Debian 12 armhf) ends
 * in 2038, ferry's times do not (a key's expiry, a device's wrong clock). */
static void test_rfc3339_covers_years_1_to_9999_on_every_target(void **state)
{
	(void)state;
	static const struct { const char *text; int64_t epoch; } known[] = {
		{ "0001-01-01T00:00:00Z", -62135596800LL }, { "1969-12-31T23:59:59Z", -1 },
		{ "2038-01-19T03:14:08Z", 2147483648LL },   { "2099-01-01T00:00:00Z", 4070908800LL },
		{ "2400-02-29T12:00:00Z", 13574606400LL },  { "9999-12-31T23:59:59Z", 253402300799LL },
	};
	char out[RFC3339_UTC_LEN + 1];
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		int64_t t = 0;
		assert_true(rfc3339_parse_utc(known[i].text, &t, NULL));
		assert_int_equal(t, known[i].epoch);
		assert_true(rfc3339_format_utc(t, out));
		assert_string_equal(out, known[i].text);
	}
	for (int64_t t = -62135596800LL; t < 253402300799LL; t += 86400LL * 997 + 3599) {
		int64_t back = 0;
		assert_true(rfc3339_format_utc(t, out));
		assert_true(rfc3339_parse_utc(out, &back, NULL));
		assert_int_equal(back, t);
	}
	assert_false(rfc3339_format_utc(-62135596801LL, out));
	assert_false(rfc3339_format_utc(253402300800LL, out));
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
		cmocka_unit_test(test_rfc3339_covers_years_1_to_9999_on_every_target),
		cmocka_unit_test(test_rfc3339_rejects_other_shapes_and_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
