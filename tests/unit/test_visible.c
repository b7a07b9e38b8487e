/* Tests for common/visible.c: control characters and bytes that are not
 * UTF-8 become visible escapes; everything else is kept; truncation never
 * splits a character or an escape. */
#include "testutil.h"

#include <string.h>

#include "common/visible.h"

static void test_visible_escapes_control_characters(void **state)
{
	(void)state;
	char out[128];
	assert_false(visible_text("a\x1b[2Jb\nc\rd\x07" "e\x7f", out, sizeof(out)));
	assert_string_equal(out, "a\\x1b[2Jb\\x0ac\\x0dd\\x07e\\x7f");
	assert_false(visible_text("back\\slash", out, sizeof(out)));
	assert_string_equal(out, "back\\\\slash");   /* an escape cannot be forged */
}

static void test_visible_keeps_plain_text_and_utf8(void **state)
{
	(void)state;
	char out[128];
	assert_true(visible_text("FIELD-01 Müller €", out, sizeof(out)));
	assert_string_equal(out, "FIELD-01 Müller €");
}

static void test_visible_escapes_bad_utf8_and_c1(void **state)
{
	(void)state;
	char out[128];
	assert_false(visible_text("a\x9b" "1m", out, sizeof(out)));          /* 8-bit CSI alone */
	assert_string_equal(out, "a\\x9b1m");
	assert_false(visible_text("a\xc2\x9b" "1m", out, sizeof(out)));      /* U+009B as UTF-8 */
	assert_string_equal(out, "a\\xc2\\x9b1m");
	assert_false(visible_text("\xc0\xaf", out, sizeof(out)));            /* overlong '/' */
	assert_string_equal(out, "\\xc0\\xaf");
	assert_false(visible_text("\xed\xa0\x80", out, sizeof(out)));        /* a surrogate */
	assert_string_equal(out, "\\xed\\xa0\\x80");
}

static void test_visible_truncates_on_boundaries(void **state)
{
	(void)state;
	char out[6];
	assert_false(visible_text("ab\x1b" "cd", out, sizeof(out)));
	assert_string_equal(out, "ab");                   /* "\x1b" does not fit whole */
	assert_false(visible_text("abcü", out, 5));
	assert_string_equal(out, "abc");                  /* ü is two bytes */
	char buf[16] = "x\ny";
	assert_false(visible_in_place(buf, sizeof(buf)));
	assert_string_equal(buf, "x\\x0ay");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visible_escapes_control_characters),
		cmocka_unit_test(test_visible_keeps_plain_text_and_utf8),
		cmocka_unit_test(test_visible_escapes_bad_utf8_and_c1),
		cmocka_unit_test(test_visible_truncates_on_boundaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
