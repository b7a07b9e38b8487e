/* Tests for common/media.c and media_write.c: FAT-safe names, MEDIA.json,
 * scanning a stick directory, writing the layout with read-back. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/media.h"
#include "common/safefile.h"
#include "common/sha256.h"

static void test_media_name_rules(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	assert_true(media_name_check("gateway-os-2.4.1.ferry", &err));
	assert_true(media_name_check("a_b", &err));
	assert_false(media_name_check("Gateway.ferry", &err));
	assert_error_contains(err, "upper-case letter 'G'");
	ferry_error_clear(&err);
	assert_false(media_name_check("a b", &err));
	assert_error_contains(err, "byte 0x20 at 1");
	ferry_error_clear(&err);
	assert_false(media_name_check("..", &err));
	ferry_error_clear(&err);
	assert_false(media_name_check("", &err));
	ferry_error_clear(&err);
	char long_name[MEDIA_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[MEDIA_NAME_MAX] = '\0';
	assert_true(media_name_check(long_name, &err));
	long_name[MEDIA_NAME_MAX] = 'a';
	long_name[MEDIA_NAME_MAX + 1] = '\0';
	assert_false(media_name_check(long_name, &err));
	assert_error_contains(err, "name is 65 bytes, at most 64");
	ferry_error_free(err);
}

static void test_media_names_differing_in_case_refused(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	const char *ok[] = { "a.ferry", "b.ferry" };
	const char *bad[] = { "a.ferry", "x", "A.ferry" };
	assert_true(media_names_distinct(ok, 2, &err));
	assert_false(media_names_distinct(bad, 3, &err));
	assert_error_contains(err, "differ only in case");
	ferry_error_free(err);
}

static void test_media_index_roundtrip_and_strictness(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct media_index_bundle b = { .file = "x-1.0.0.ferry", .name = "x", .version = "1.0.0", .size = 5 };
	memset(b.sha256, 'a', 64);
	struct media_index idx = { .format = 1, .label = "field", .created = "2026-11-27T10:00:00Z",
				   .writer = "ferry-pack test", .bundles = &b, .n_bundles = 1 };
	char *text = media_index_serialize(&idx);
	assert_non_null(text);
	struct media_index *back = NULL;
	assert_ok(media_index_parse(text, strlen(text), "MEDIA.json", &back, &err), err);
	assert_string_equal(back->label, "field");
	assert_int_equal(back->n_bundles, 1);
	assert_string_equal(back->bundles[0].file, "x-1.0.0.ferry");
	assert_int_equal(back->bundles[0].size, 5);
	char *again = media_index_serialize(back);
	assert_string_equal(text, again);
	media_index_free(back);
	free(again);
	free(text);

	const char *bad = "{\"format\":1,\"created\":\"t\",\"bundles\":[{\"file\":\"X.ferry\",\"size\":1,"
			  "\"sha256\":\"00\"}]}";
	assert_false(media_index_parse(bad, strlen(bad), "MEDIA.json", &back, &err));
	assert_error_contains(err, "MEDIA.json: bundles[0].file");
	ferry_error_free(err);
}

static char *make_file(const char *dir, const char *name, size_t size, char fill)
{
	char *data = malloc(size + 1);
	memset(data, fill, size);
	char *p = test_write_file(dir, name, data, size);
	free(data);
	return p;
}

static void test_media_scan_lists_bundles_and_policy(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct ferry_error *err = NULL;
	struct media_stick *s = NULL;
	free(make_file(dir, "ferry/bundles/b-1.0.0.ferry", 10, 'b'));
	free(make_file(dir, "ferry/bundles/a-2.0.0.ferry", 20, 'a'));
	free(make_file(dir, "ferry/bundles/Upper-1.ferry", 1, 'u'));
	free(make_file(dir, "ferry/bundles/c-1.ferry.tmp", 1, 't'));
	free(make_file(dir, "ferry/bundles/readme.txt", 1, 'r'));
	free(make_file(dir, "ferry/policy/policy.json", 2, '{'));
	free(make_file(dir, "ferry/policy/policy.json.sig", 2, 's'));
	free(make_file(dir, "ferry/MEDIA.json", 3, 'x'));   /* damaged: only a warning */
	assert_ok(media_scan(dir, &s, &err), err);
	assert_true(s->has_ferry);
	assert_int_equal(s->n_bundles, 2);
	assert_string_equal(s->bundles[0].file, "a-2.0.0.ferry");
	assert_int_equal(s->bundles[0].size, 20);
	assert_string_equal(s->bundles[1].file, "b-1.0.0.ferry");
	assert_non_null(s->policy_dir);
	assert_null(s->index);
	assert_non_null(s->index_problem);
	assert_non_null(s->ignored);
	assert_non_null(strstr(s->ignored[0], "Upper-1.ferry: "));
	assert_null(s->ignored[1]);
	media_stick_free(s);
	test_tmpdir_remove(dir);
}

static void test_media_scan_without_ferry_dir_is_empty(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct ferry_error *err = NULL;
	struct media_stick *s = NULL;
	assert_ok(media_scan(dir, &s, &err), err);
	assert_false(s->has_ferry);
	assert_int_equal(s->n_bundles, 0);
	media_stick_free(s);
	test_tmpdir_remove(dir);
}

static void test_media_scan_refuses_half_policy(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct ferry_error *err = NULL;
	struct media_stick *s = NULL;
	free(make_file(dir, "ferry/policy/policy.json", 2, '{'));
	assert_false(media_scan(dir, &s, &err));
	assert_error_contains(err, "policy.json without policy.json.sig");
	ferry_error_free(err);
	test_tmpdir_remove(dir);
}

struct progress_seen {
	uint64_t last_done, total;
	int calls;
	char phase[16];
};

/* done climbs within a phase (copy, then verify), each from 0 to total. */
static void count_progress(void *ctx, const char *phase, const char *file, uint64_t done, uint64_t total)
{
	struct progress_seen *p = ctx;
	(void)file;
	if (strcmp(p->phase, phase) != 0) {
		assert_true(p->phase[0] == 0 || p->last_done == p->total);
		snprintf(p->phase, sizeof(p->phase), "%s", phase);
		p->last_done = 0;
	}
	assert_true(done >= p->last_done);
	p->last_done = done;
	p->total = total;
	p->calls++;
}

static void test_media_write_lays_out_and_indexes(void **state)
{
	(void)state;
	char *src = test_tmpdir(), *stick = test_tmpdir();
	struct ferry_error *err = NULL;
	char *b1 = make_file(src, "one.ferry", 3 * 1024 * 1024 + 7, 'o');
	char *b2 = make_file(src, "two.ferry", 100, 't');
	free(make_file(src, "pol/policy.json", 5, 'p'));
	free(make_file(src, "pol/policy.json.sig", 6, 's'));
	/* An older bundle already on the stick stays listed, hashed. */
	free(make_file(stick, "ferry/bundles/old-0.9.ferry", 9, 'z'));
	char *pol = NULL;
	assert_true(asprintf(&pol, "%s/pol", src) > 0);
	struct media_write_bundle wb[] = {
		{ .source = b1, .file = "one-1.0.0.ferry", .name = "one", .version = "1.0.0" },
		{ .source = b2, .file = "two-2.0.0.ferry", .name = "two", .version = "2.0.0" },
	};
	struct progress_seen seen = { 0 };
	struct media_write_options opt = { .label = "north", .writer = "ferry-pack test", .policy_dir = pol,
					   .created = "2026-11-27T10:00:00Z", .progress = count_progress,
					   .progress_ctx = &seen };
	assert_ok(media_write(stick, wb, 2, &opt, &err), err);
	assert_true(seen.calls > 2);
	assert_int_equal(seen.last_done, seen.total);

	struct media_stick *s = NULL;
	assert_ok(media_scan(stick, &s, &err), err);
	assert_int_equal(s->n_bundles, 3);
	assert_non_null(s->index);
	assert_null(s->index_problem);
	assert_string_equal(s->index->label, "north");
	assert_int_equal(s->index->n_bundles, 3);
	char hex[65];
	assert_ok(sha256_file_hex(b1, hex, NULL, &err), err);
	assert_string_equal(s->bundles[1].file, "one-1.0.0.ferry");
	assert_non_null(s->bundles[1].indexed);
	assert_string_equal(s->bundles[1].indexed->sha256, hex);
	assert_string_equal(s->bundles[1].indexed->name, "one");
	assert_string_equal(s->bundles[0].file, "old-0.9.ferry");
	assert_non_null(s->bundles[0].indexed);
	assert_null(s->bundles[0].indexed->name);
	assert_non_null(s->policy_dir);
	media_stick_free(s);
	free(b1);
	free(b2);
	free(pol);
	test_tmpdir_remove(src);
	test_tmpdir_remove(stick);
}

static void test_media_write_refuses_bad_names_before_writing(void **state)
{
	(void)state;
	char *src = test_tmpdir(), *stick = test_tmpdir();
	struct ferry_error *err = NULL;
	char *b1 = make_file(src, "one.ferry", 10, 'o');
	struct media_write_bundle wb[] = {
		{ .source = b1, .file = "one-1.0.ferry" },
		{ .source = b1, .file = "One-1.0.ferry" },
	};
	struct media_write_options opt = { 0 };
	assert_false(media_write(stick, wb, 2, &opt, &err));
	assert_error_contains(err, "upper-case");
	ferry_error_clear(&err);
	wb[1].file = "one-1.0.ferry";
	assert_false(media_write(stick, wb, 2, &opt, &err));
	assert_error_contains(err, "given twice");
	ferry_error_free(err);
	char *fdir = media_path(stick, NULL);
	assert_int_equal(access(fdir, F_OK), -1);
	free(fdir);
	free(b1);
	test_tmpdir_remove(src);
	test_tmpdir_remove(stick);
}

static void test_media_write_refuses_too_little_space_before_writing(void **state)
{
	(void)state;
	char *src = test_tmpdir(), *stick = test_tmpdir();
	struct ferry_error *err = NULL;
	char *big = NULL;
	assert_true(asprintf(&big, "%s/big.ferry", src) > 0);
	/* A sparse file one GiB larger than the free space. */
	struct statvfs vfs;
	assert_int_equal(statvfs(stick, &vfs), 0);
	int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)((uint64_t)vfs.f_bavail * vfs.f_frsize + (1ull << 30))), 0);
	close(fd);
	struct media_write_bundle wb[] = { { .source = big, .file = "big-1.0.ferry" } };
	struct media_write_options opt = { 0 };
	assert_false(media_write(stick, wb, 1, &opt, &err));
	assert_error_contains(err, "not enough space on the stick");
	assert_error_contains(err, "nothing was written");
	ferry_error_free(err);
	char *fdir = media_path(stick, NULL);
	assert_int_equal(access(fdir, F_OK), -1);
	free(fdir);
	free(big);
	test_tmpdir_remove(src);
	test_tmpdir_remove(stick);
}

static void test_media_write_again_replaces_and_leaves_no_tmp(void **state)
{
	(void)state;
	char *src = test_tmpdir(), *stick = test_tmpdir();
	struct ferry_error *err = NULL;
	char *b1 = make_file(src, "one.ferry", 1000, 'a');
	/* a .tmp left by a stick pulled during an earlier write */
	free(make_file(stick, "ferry/bundles/one-1.0.0.ferry.tmp", 7, 't'));
	struct media_write_bundle wb[] = { { .source = b1, .file = "one-1.0.0.ferry", .name = "one", .version = "1.0.0" } };
	struct media_write_options opt = { .writer = "test" };
	assert_ok(media_write(stick, wb, 1, &opt, &err), err);
	free(b1);
	b1 = make_file(src, "one.ferry", 2000, 'b');   /* rebuilt: same name, new bytes */
	wb[0].source = b1;
	assert_ok(media_write(stick, wb, 1, &opt, &err), err);
	struct media_stick *s = NULL;
	assert_ok(media_scan(stick, &s, &err), err);
	assert_int_equal(s->n_bundles, 1);
	assert_int_equal(s->bundles[0].size, 2000);
	char hex[65];
	assert_ok(sha256_file_hex(b1, hex, NULL, &err), err);
	assert_string_equal(s->bundles[0].indexed->sha256, hex);
	char *tmp = NULL;
	assert_true(asprintf(&tmp, "%s.tmp", s->bundles[0].path) > 0);
	assert_int_equal(access(tmp, F_OK), -1);
	free(tmp);
	media_stick_free(s);
	free(b1);
	test_tmpdir_remove(src);
	test_tmpdir_remove(stick);
}

static void test_media_write_refuses_a_source_that_is_not_a_file(void **state)
{
	(void)state;
	char *src = test_tmpdir(), *stick = test_tmpdir();
	struct ferry_error *err = NULL;
	struct media_write_bundle wb[] = { { .source = src, .file = "dir-1.0.ferry" } };
	struct media_write_options opt = { 0 };
	assert_false(media_write(stick, wb, 1, &opt, &err));
	assert_error_contains(err, "not a regular file");
	ferry_error_free(err);
	char *fdir = media_path(stick, NULL);
	assert_int_equal(access(fdir, F_OK), -1);
	free(fdir);
	test_tmpdir_remove(src);
	test_tmpdir_remove(stick);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_media_name_rules),
		cmocka_unit_test(test_media_names_differing_in_case_refused),
		cmocka_unit_test(test_media_index_roundtrip_and_strictness),
		cmocka_unit_test(test_media_scan_lists_bundles_and_policy),
		cmocka_unit_test(test_media_scan_without_ferry_dir_is_empty),
		cmocka_unit_test(test_media_scan_refuses_half_policy),
		cmocka_unit_test(test_media_write_lays_out_and_indexes),
		cmocka_unit_test(test_media_write_refuses_bad_names_before_writing),
		cmocka_unit_test(test_media_write_refuses_too_little_space_before_writing),
		cmocka_unit_test(test_media_write_again_replaces_and_leaves_no_tmp),
		cmocka_unit_test(test_media_write_refuses_a_source_that_is_not_a_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
