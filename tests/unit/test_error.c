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
	assert_int_equal(err->code, ENOENT);
	ferry_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_first_message_wins_and_prefix_adds_context),
		cmocka_unit_test(test_error_errno_appends_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
