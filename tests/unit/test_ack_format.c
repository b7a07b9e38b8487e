/* Tests for common/ack_format.c: HQ's ack round trips, is canonical, keeps a
 * newer minor version's field and refuses a newer major or bad fields. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/ack_format.h"

static void test_ack_format_round_trips_canonically(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct ack_doc a = { .device = "gw-0001", .seq = 30, .issued = "2026-11-27T10:00:00Z" }, back;
	char *text = NULL;
	assert_ok(ack_format_serialize(&a, &text, &err), err);
	assert_string_equal(text, "{\"device\":\"gw-0001\",\"format\":1,\"issued\":\"2026-11-27T10:00:00Z\",\"seq\":30}");
	assert_ok(ack_format_parse(text, strlen(text), "ack/gw-0001.json", &back, &err), err);
	assert_string_equal(back.device, "gw-0001");
	assert_int_equal(back.seq, 30);
	assert_int_equal(back.format, ACK_FORMAT);
	free(text);
}

static void test_ack_format_keeps_newer_minor_refuses_newer_major(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct ack_doc back;
	const char *minor = "{\"device\":\"gw-0001\",\"format\":1,\"issued\":\"2026-11-27T10:00:00Z\",\"keep\":true,\"seq\":3}";
	assert_ok(ack_format_parse(minor, strlen(minor), "ack", &back, &err), err);
	assert_int_equal(back.n_unknown, 1);
	const char *major = "{\"device\":\"gw-0001\",\"format\":2,\"issued\":\"2026-11-27T10:00:00Z\",\"seq\":3}";
	assert_false(ack_format_parse(major, strlen(major), "ack", &back, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_error_contains(err, "format 2 is newer");
	ferry_error_free(err);
}

static void test_ack_format_refuses_bad_fields(void **state)
{
	(void)state;
	const char *bad[] = {
		"{\"device\":\"gw-0001\",\"issued\":\"2026-11-27T10:00:00Z\",\"seq\":3}",            /* no format */
		"{\"device\":\"gw-0001\",\"format\":1,\"issued\":\"2026-11-27T10:00:00Z\",\"seq\":0}", /* seq */
		"{\"device\":\"gw-0001\",\"format\":1,\"issued\":\"today\",\"seq\":3}",                 /* issued */
		"{\"device\":\"GW 1\",\"format\":1,\"issued\":\"2026-11-27T10:00:00Z\",\"seq\":3}",    /* device */
		"{\"device\":\"gw-0001\",\"format\":1,\"issued\":\"2026-11-27T10:00:00Z\",\"seq\":\"3\"}",
		"{\"device\":\"gw-0001\",\"format\":1,\"format\":1,\"issued\":\"2026-11-27T10:00:00Z\",\"seq\":3}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ferry_error *err = NULL;
		struct ack_doc back;
		assert_false(ack_format_parse(bad[i], strlen(bad[i]), "ack", &back, &err));
		assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
		ferry_error_free(err);
	}
	struct ferry_error *err = NULL;
	char *text = NULL;
	struct ack_doc a = { .device = "gw-0001", .seq = 0, .issued = "2026-11-27T10:00:00Z" };
	assert_false(ack_format_serialize(&a, &text, &err));
	assert_null(text);
	ferry_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_format_round_trips_canonically),
		cmocka_unit_test(test_ack_format_keeps_newer_minor_refuses_newer_major),
		cmocka_unit_test(test_ack_format_refuses_bad_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
