/* Tests for common/error.c: first error wins, context is prepended. */
#include "testutil.h"

#include <errno.h>

#include "common/error.h"

static void test_error_first_message_wins_and_prefix_adds_context(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	assert_false(ferry_error_set(&err, "size: must be positive"));
	assert_false(ferry_error_set(&err, "ignored"));
	ferry_error_prefix(&err, "%s", "manifest.json");
	assert_string_equal(ferry_error_message(err), "manifest.json: size: must be positive");
	ferry_error_clear(&err);
	assert_null(err);
	assert_string_equal(ferry_error_message(NULL), "");
	ferry_error_prefix(&err, "nothing to prefix");
	assert_null(err);
	assert_false(ferry_error_set(NULL, "no error wanted"));
}

static void test_error_errno_appends_strerror(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	ferry_error_errno(&err, ENOENT, "%s", "/x");
	assert_string_equal(ferry_error_message(err), "/x: No such file or directory");
	assert_int_equal(err->errnum, ENOENT);
	assert_int_equal(ferry_error_code(err), FERRY_E_IO);
	ferry_error_free(err);
}

static void test_error_codes_classify_once_and_map_to_exit_codes(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	ferry_error_setc(&err, FERRY_E_SIGNATURE, "manifest.sig: bad signature");
	ferry_error_classify(&err, FERRY_E_IO);
	assert_int_equal(ferry_error_code(err), FERRY_E_SIGNATURE);
	assert_int_equal(ferry_exit_code(err), 1);
	ferry_error_clear(&err);
	ferry_error_set(&err, "agent.json: missing");
	assert_int_equal(ferry_error_code(err), FERRY_E_NONE);
	ferry_error_classify(&err, FERRY_E_CONFIG);
	assert_int_equal(ferry_exit_code(err), 2);
	ferry_error_clear(&err);
	ferry_error_errno(&err, ENOSPC, "slot");
	assert_int_equal(ferry_error_code(err), FERRY_E_NOSPACE);
	ferry_error_clear(&err);
	assert_int_equal(ferry_exit_code(NULL), 0);
	for (int c = 0; c < FERRY_E_COUNT_; c++)
		assert_int_equal(ferry_code_from_name(ferry_code_name((enum ferry_code)c)), c);
	assert_string_equal(ferry_code_name(FERRY_E_MEDIUM_GONE), "medium-gone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_first_message_wins_and_prefix_adds_context),
		cmocka_unit_test(test_error_errno_appends_strerror),
		cmocka_unit_test(test_error_codes_classify_once_and_map_to_exit_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
