/* Tests for common/stick.c: the folders of stick layout 1 opened beneath
 * ferry/, the layout version in MEDIA.json, links and bad names refused. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/media.h"
#include "common/stick.h"

static char *top_of(const char *dir)
{
	char *top = stick_top(dir);
	assert_non_null(top);
	return top;
}

static void test_stick_creates_and_opens_every_place(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *top = top_of(dir), *path = NULL;
	struct ferry_error *err = NULL;
	struct stick_dir d;
	const enum stick_place places[] = { STICK_TOP, STICK_BUNDLES, STICK_POLICY, STICK_AUDIT, STICK_ACK };
	const char *const rel[] = { "", "/bundles", "/policy", "/audit", "/ack" };
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		char want[512];
		snprintf(want, sizeof(want), "%s%s", top, rel[i]);
		assert_ok(stick_dir_open(top, places[i], NULL, true, &d, &err), err);
		assert_true(d.fd >= 0);
		assert_string_equal(d.path, want);
		stick_dir_close(&d);
	}
	assert_ok(stick_dir_open(top, STICK_DEVICE_AUDIT, "gw-0001", true, &d, &err), err);
	assert_ok(stick_dir_file(&d, STICK_INVENTORY, &path, &err), err);
	assert_non_null(strstr(path, "/ferry/audit/gw-0001/inventory.json"));
	stick_dir_close(&d);
	free(path);
	free(top);
	test_tmpdir_remove(dir);
}

static void test_stick_absent_folder_is_not_an_error(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *top = top_of(dir);
	struct ferry_error *err = NULL;
	struct stick_dir d;
	assert_ok(stick_dir_open(top, STICK_DEVICE_AUDIT, "gw-0001", false, &d, &err), err);
	assert_int_equal(d.fd, -1);
	assert_non_null(strstr(d.path, "/ferry/audit/gw-0001"));
	stick_dir_close(&d);
	free(top);
	test_tmpdir_remove(dir);
}

static void test_stick_refuses_links_bad_ids_and_bad_names(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *top = top_of(dir), *elsewhere = NULL, *link = NULL, *path = NULL;
	struct ferry_error *err = NULL;
	struct stick_dir d;
	assert_true(asprintf(&elsewhere, "%s/elsewhere", dir) > 0 && asprintf(&link, "%s/ack", top) > 0);
	assert_int_equal(mkdir(elsewhere, 0755), 0);
	assert_int_equal(mkdir(top, 0755), 0);
	assert_int_equal(symlink(elsewhere, link), 0);
	assert_false(stick_dir_open(top, STICK_ACK, NULL, true, &d, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_UNSAFE);
	assert_int_equal(d.fd, -1);
	ferry_error_clear(&err);
	assert_false(stick_dir_open(top, STICK_DEVICE_AUDIT, "../etc", true, &d, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_clear(&err);
	assert_ok(stick_dir_open(top, STICK_AUDIT, NULL, true, &d, &err), err);
	assert_false(stick_dir_file(&d, "../x", &path, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_UNSAFE);
	assert_null(path);
	ferry_error_free(err);
	stick_dir_close(&d);
	free(elsewhere);
	free(link);
	free(top);
	test_tmpdir_remove(dir);
}

static void write_index(const char *dir, const char *text)
{
	free(test_write_file(dir, "ferry/" STICK_INDEX, text, strlen(text)));
}

static void test_stick_layout_read_from_media_json(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *top = top_of(dir);
	struct ferry_error *err = NULL;
	struct stick_dir d;
	assert_ok(stick_layout_check(top, &err), err);   /* no MEDIA.json: layout 1 */
	write_index(dir, "{\"format\": 1}");
	assert_ok(stick_layout_check(top, &err), err);   /* written before the field */
	write_index(dir, "{\"format\": 1, \"layout\": 1}");
	assert_ok(stick_layout_check(top, &err), err);
	write_index(dir, "not json: media.c reports it, the layout is 1");
	assert_ok(stick_layout_check(top, &err), err);
	write_index(dir, "{\"format\": 1, \"layout\": 2}");
	assert_false(stick_layout_check(top, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_error_contains(err, "MEDIA.json: stick layout 2 is newer than this program knows (1)");
	ferry_error_clear(&err);
	/* Nothing below a stick of a newer layout is opened or made. */
	assert_false(stick_dir_open(top, STICK_ACK, NULL, true, &d, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_clear(&err);
	write_index(dir, "{\"format\": 1, \"layout\": \"one\"}");
	assert_false(stick_layout_check(top, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_free(err);
	free(top);
	test_tmpdir_remove(dir);
}

/* media_scan (the agent's and ferry-pack's reader) refuses a newer layout;
 * MEDIA.json written by media_index_serialize names layout 1. */
static void test_stick_media_scan_refuses_newer_layout(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct ferry_error *err = NULL;
	struct media_stick *s = NULL;
	struct media_index idx = { .created = "2026-11-27T09:56:40Z" }, *back = NULL;
	char *text = media_index_serialize(&idx);
	assert_non_null(strstr(text, "\"layout\": 1"));
	assert_ok(media_index_parse(text, strlen(text), STICK_INDEX, &back, &err), err);
	assert_int_equal(back->layout, STICK_LAYOUT);
	media_index_free(back);
	write_index(dir, text);
	assert_ok(media_scan(dir, &s, &err), err);
	assert_null(s->index_problem);
	media_stick_free(s);
	s = NULL;
	write_index(dir, "{\"bundles\": [], \"created\": \"2026-11-27T09:56:40Z\", \"format\": 1, \"layout\": 2}");
	assert_false(media_scan(dir, &s, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_error_contains(err, "MEDIA.json");
	ferry_error_free(err);
	free(text);
	test_tmpdir_remove(dir);
}

/* ferry-pack write: a stick of a newer layout gets nothing written. */
static void test_stick_media_write_refuses_newer_layout(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *src = test_write_file(dir, "in/os-1.0.0.ferry", "bundle", 6);
	char *stick = NULL, *bundles = NULL;
	struct ferry_error *err = NULL;
	struct media_write_bundle b = { .source = src, .file = "os-1.0.0.ferry", .name = "os", .version = "1.0.0" };
	struct media_write_options opt = { .writer = "test" };
	assert_true(asprintf(&stick, "%s/stick", dir) > 0 && asprintf(&bundles, "%s/ferry/bundles", stick) > 0);
	write_index(stick, "{\"format\": 1, \"layout\": 2}");
	assert_false(media_write(stick, &b, 1, &opt, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_int_not_equal(access(bundles, F_OK), 0);
	ferry_error_free(err);
	free(src);
	free(stick);
	free(bundles);
	test_tmpdir_remove(dir);
}

/* A failure log on a stick has one spelling per record seq. */
static void test_stick_log_names_round_trip_and_nothing_else(void **state)
{
	(void)state;
	char name[32];
	uint64_t seq = 0;
	assert_true(stick_log_name(12, name, NULL));
	assert_string_equal(name, "00000012.zst");
	assert_true(stick_log_name_parse(name, &seq));
	assert_int_equal(seq, 12);
	assert_true(stick_log_name_parse("123456789.zst", &seq));
	assert_int_equal(seq, 123456789);
	const char *bad[] = { "12.zst", "0000012.zst", "00000000.zst", "00000012.zst.sig",
			      "00000012.ZST", "0000001a.zst", "../00000012.zst", "000000012.zst", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (stick_log_name_parse(bad[i], &seq))
			fail_msg("accepted '%s'", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stick_creates_and_opens_every_place),
		cmocka_unit_test(test_stick_absent_folder_is_not_an_error),
		cmocka_unit_test(test_stick_refuses_links_bad_ids_and_bad_names),
		cmocka_unit_test(test_stick_log_names_round_trip_and_nothing_else),
		cmocka_unit_test(test_stick_layout_read_from_media_json),
		cmocka_unit_test(test_stick_media_scan_refuses_newer_layout),
		cmocka_unit_test(test_stick_media_write_refuses_newer_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
