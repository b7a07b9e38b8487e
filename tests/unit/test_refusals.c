/* Tests for agent/refusals.c: one refusal alone keeps its own record; many
 * make one record with their count and the first REFUSALS_KEPT files; the
 * stick's fields are on it. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/refusals.h"
#include "common/auditlog.h"

static json_t *last_record(struct state *s)
{
	struct ferry_error *err = NULL;
	struct state_records r;
	json_error_t je;
	assert_ok(state_records_last(s, 1, &r, &err), err);
	assert_int_equal(r.n, 1);
	json_t *j = json_loads(r.lines[0], 0, &je);
	state_records_clear(&r);
	assert_non_null(j);
	return j;
}

static void add_n(struct refusals *rf, size_t n, const char *code)
{
	struct ferry_error *err = NULL;
	for (size_t i = 0; i < n; i++) {
		char file[32];
		snprintf(file, sizeof(file), "junk-%zu.ferry", i);
		json_t *d = json_pack("{s:s,s:s}", "file", file, "reason", "not a bundle");
		assert_ok(refusals_add(rf, false, NULL, NULL, file, code, "not a bundle", d, &err), err);
		json_decref(d);
	}
}

static void test_refusals_one_keeps_its_own_record(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = NULL;
	struct ferry_error *err = NULL;
	struct refusals rf = { 0 };
	assert_ok(state_open(dir, "gw-0001", NULL, 0, &s, &err), err);
	add_n(&rf, 1, "signature");
	struct auditlog_fields media = { .usb_serial = "S123", .media_label = "FERRY" };
	assert_ok(refusals_record(&rf, s, &media, &err), err);
	json_t *j = last_record(s);
	assert_string_equal(json_string_value(json_object_get(j, "event")), "install.refused");
	assert_string_equal(json_string_value(json_object_get(j, "code")), "signature");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "detail"), "file")),
			    "junk-0.ferry");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "media"), "label")), "FERRY");
	json_decref(j);
	refusals_clear(&rf);
	state_close(s);
	test_tmpdir_remove(dir);
}

static void test_refusals_many_make_one_bounded_record(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct state *s = NULL;
	struct ferry_error *err = NULL;
	struct refusals rf = { 0 };
	struct state_info info;
	assert_ok(state_open(dir, "gw-0001", NULL, 0, &s, &err), err);
	add_n(&rf, 1250, "unreadable");   /* not a ferry code: no record code */
	struct auditlog_fields media = { 0 };
	assert_ok(refusals_record(&rf, s, &media, &err), err);
	assert_ok(state_get(s, &info, &err), err);
	assert_int_equal(info.last_seq, 1);
	state_info_clear(&info);
	json_t *j = last_record(s), *d = json_object_get(j, "detail");
	assert_null(json_object_get(j, "code"));
	assert_int_equal(json_integer_value(json_object_get(d, "count")), 1250);
	assert_int_equal(json_array_size(json_object_get(d, "files")), REFUSALS_KEPT);
	assert_int_equal(json_integer_value(json_object_get(d, "files_cut")), 1250 - REFUSALS_KEPT);
	assert_non_null(strstr(json_string_value(json_object_get(d, "reason")), "1250 bundles refused"));
	json_decref(j);
	refusals_clear(&rf);
	state_close(s);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals_one_keeps_its_own_record),
		cmocka_unit_test(test_refusals_many_make_one_bounded_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
