/* Tests for common/progress.c: a bar line fits the terminal at any width. */
#include "testutil.h"

#include <string.h>

#include "common/progress.h"

#define GiB (UINT64_C(1) << 30)

static void test_progress_line_fits_every_width(void **state)
{
	(void)state;
	char line[512];
	for (int cols = 10; cols <= 300; cols++) {
		size_t n = progress_line(line, sizeof(line), cols, "rootfs-gw-a-very-long-payload-name.img",
					 GiB / 3, 2 * GiB, 123.4);
		if ((int)n > cols - 1 || strlen(line) != n)
			fail_msg("%d columns: %zu characters: '%s'", cols, n, line);
		assert_non_null(strstr(line, "%"));
	}
}

static void test_progress_line_narrow_keeps_the_percentage(void **state)
{
	(void)state;
	char line[512];
	progress_line(line, sizeof(line), 40, "writing", GiB, 2 * GiB, 50);
	assert_non_null(strstr(line, " 50%"));
	assert_non_null(strchr(line, '['));
	assert_null(strstr(line, "MiB/s"));
}

static void test_progress_line_wide_shows_all_and_caps_the_bar(void **state)
{
	(void)state;
	char line[512];
	progress_line(line, sizeof(line), 200, "writing", GiB, 2 * GiB, 50);
	assert_non_null(strstr(line, "1024.0/2048.0 MiB 50 MiB/s"));
	const char *open = strchr(line, '['), *close = strchr(line, ']');
	assert_int_equal(close - open - 1, PROGRESS_BAR_MAX);
	/* half done: half the bar is filled */
	assert_int_equal(strspn(open + 1, "#"), PROGRESS_BAR_MAX / 2);
}

static void test_progress_line_counts_done_over_total_not_more(void **state)
{
	(void)state;
	char line[512];
	progress_line(line, sizeof(line), 120, "reading back", 3 * GiB, 2 * GiB, 0);
	assert_non_null(strstr(line, "100%"));
	progress_line(line, sizeof(line), 120, "empty", 0, 0, 0);
	assert_non_null(strstr(line, "  0%"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress_line_fits_every_width),
		cmocka_unit_test(test_progress_line_narrow_keeps_the_percentage),
		cmocka_unit_test(test_progress_line_wide_shows_all_and_caps_the_bar),
		cmocka_unit_test(test_progress_line_counts_done_over_total_not_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
