/* Tests for agent/metrics.c: key=value metrics from health checks and hooks. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/metrics.h"

static void test_metrics_parses_names_and_numbers(void **state)
{
	(void)state;
	json_t *m = NULL, *r = NULL;
	const char text[] = "# from the app\nboot_time_ms=812\n\n mem_free_kb = 20480 \napp.latency_p50=1.5e1\r\nboot_time_ms=900";
	metrics_parse(text, sizeof text - 1, &m, &r);
	assert_null(r);
	assert_int_equal(json_object_size(m), 3);
	assert_int_equal(json_integer_value(json_object_get(m, "boot_time_ms")), 900);
	assert_int_equal(json_integer_value(json_object_get(m, "mem_free_kb")), 20480);
	assert_true(json_number_value(json_object_get(m, "app.latency_p50")) == 15.0);
	json_decref(m);
}

/* Hostile lines: each refused with its reason, the good ones kept. */
static void test_metrics_refuses_bogus_lines(void **state)
{
	(void)state;
	json_t *m = NULL, *r = NULL;
	char name65[80];
	memset(name65, 'a', 65);
	strcpy(name65 + 65, "=1");
	char *text = NULL;
	assert_true(asprintf(&text, "no equals sign\nUPPER=1\n%s\nx=\ny=nan\nz=inf\nw=1e999\nv=12abc\nok=7\n", name65) > 0);
	metrics_parse(text, strlen(text), &m, &r);
	assert_int_equal(json_object_size(m), 1);
	assert_int_equal(json_integer_value(json_object_get(m, "ok")), 7);
	assert_int_equal(json_array_size(r), METRICS_REFUSED_MAX);   /* 8 refused lines, all kept */
	assert_string_equal(json_string_value(json_array_get(r, 0)), "line 1: not name=value");
	assert_string_equal(json_string_value(json_array_get(r, 1)), "line 2: name must be 1-64 of [a-z0-9_.]");
	free(text);
	json_decref(m);
	json_decref(r);
}

static void test_metrics_at_most_32_and_nul_refused(void **state)
{
	(void)state;
	json_t *m = NULL, *r = NULL;
	char text[4096];
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(text + n, "m%d=%d\n", i, i);
	memcpy(text + n, "nul\0=1\n", 7);
	n += 7;
	metrics_parse(text, n, &m, &r);
	assert_int_equal(json_object_size(m), METRICS_MAX);
	assert_non_null(strstr(json_string_value(json_array_get(r, 0)), "more than 32 metrics"));
	json_decref(m);
	json_decref(r);
}

static void test_metrics_collect_caps_the_file_and_removes_it(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *big = malloc(METRICS_FILE_MAX + 100);
	memset(big, '\n', METRICS_FILE_MAX + 100);
	memcpy(big, "a=1\n", 4);
	char *path = test_write_file(dir, "metrics", big, METRICS_FILE_MAX + 100);
	json_t *m = NULL, *r = NULL;
	metrics_collect(path, &m, &r);
	assert_int_equal(json_integer_value(json_object_get(m, "a")), 1);
	assert_non_null(strstr(json_string_value(json_array_get(r, 0)), "larger than"));
	assert_int_equal(access(path, F_OK), -1);
	json_decref(m);
	json_decref(r);
	metrics_collect(path, &m, &r);   /* missing: nothing, nothing refused */
	assert_int_equal(json_object_size(m), 0);
	assert_null(r);
	json_decref(m);
	free(path);
	free(big);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_parses_names_and_numbers),
		cmocka_unit_test(test_metrics_refuses_bogus_lines),
		cmocka_unit_test(test_metrics_at_most_32_and_nul_refused),
		cmocka_unit_test(test_metrics_collect_caps_the_file_and_removes_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
