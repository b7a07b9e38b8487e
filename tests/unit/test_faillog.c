/* Tests for common/faillog.c (decoding, hostile excerpts) and
 * agent/faillog_store.c (bounded, hash-named excerpts on the device). */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#include "agent/faillog_store.h"
#include <zstd.h>

#include "common/safefile.h"

static char *read_excerpt(const char *dir, const char *sha, size_t *len)
{
	char *path = NULL, *data = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/%s.zst", dir, sha) > 0);
	assert_ok(read_file_limited(path, 4 * FAILLOG_MAX, &data, len, &err), err);
	free(path);
	return data;
}

static size_t count_files(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	assert_non_null(d);
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_faillog_keeps_all_parts_named_by_hash(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *logs = NULL, sha[SHA256_HEX_LEN + 1], *text = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&logs, "%s/logs", dir) > 0);
	struct faillog_parts p = { .what = "boot.rolled_back: health check failed",
				   .step_output = "app: cannot bind port 443\n",
				   .agent_tail = "ferry-agent: warning: slot b unhealthy\n",
				   .diagnostics = "dmesg: oom-killer" };
	assert_ok(faillog_keep(logs, &p, 0, sha, &err), err);
	size_t len = 0;
	char *z = read_excerpt(logs, sha, &len);
	assert_ok(faillog_decode(z, len, sha, &text, &err), err);
	assert_non_null(strstr(text, "cannot bind port 443"));
	assert_non_null(strstr(text, "== agent log ==\nferry-agent: warning"));
	assert_non_null(strstr(text, "== diagnostics ==\ndmesg: oom-killer\n"));
	free(text);
	free(z);
	free(logs);
	test_tmpdir_remove(dir);
}

/* Incompressible output far beyond the cap: the excerpt stays within
 * FAILLOG_MAX and keeps the end, where the failure is. */
static void test_faillog_oversized_output_keeps_the_tail(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), sha[SHA256_HEX_LEN + 1], *text = NULL;
	struct ferry_error *err = NULL;
	size_t big = 1024 * 1024;
	char *out = malloc(big + 64);
	srand(7);
	for (size_t i = 0; i < big; i++)
		out[i] = (char)('!' + rand() % 90);
	strcpy(out + big, "\nFATAL: the very last line\n");
	struct faillog_parts p = { .what = "install.failed", .step_output = out };
	assert_ok(faillog_keep(dir, &p, 0, sha, &err), err);
	size_t len = 0;
	char *z = read_excerpt(dir, sha, &len);
	assert_true(len <= FAILLOG_MAX);
	assert_ok(faillog_decode(z, len, sha, &text, &err), err);
	assert_non_null(strstr(text, "FATAL: the very last line"));
	assert_non_null(strstr(text, "earlier text cut"));
	free(text);
	free(z);
	free(out);
	test_tmpdir_remove(dir);
}

/* The total cap drops the oldest excerpts first, never the new one (each
 * excerpt of 20000 random printable bytes compresses to about 16 KB). */
static void test_faillog_total_cap_drops_oldest(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), sha[4][SHA256_HEX_LEN + 1];
	struct ferry_error *err = NULL;
	char *out = malloc(20001);
	for (int k = 0; k < 4; k++) {
		srand(100 + k);
		for (int i = 0; i < 20000; i++)
			out[i] = (char)('!' + rand() % 90);
		out[20000] = '\0';
		struct faillog_parts p = { .what = "install.failed", .step_output = out };
		assert_ok(faillog_keep(dir, &p, 40000, sha[k], &err), err);
		char *path = NULL;   /* ages the excerpt: k minutes after the epoch + 1 day */
		assert_true(asprintf(&path, "%s/%s.zst", dir, sha[k]) > 0);
		struct utimbuf t = { 86400 + k * 60, 86400 + k * 60 };
		assert_int_equal(utime(path, &t), 0);
		free(path);
	}
	assert_int_equal(count_files(dir), 2);
	for (int k = 0; k < 4; k++) {
		char *path = NULL;
		struct stat st;
		assert_true(asprintf(&path, "%s/%s.zst", dir, sha[k]) > 0);
		assert_int_equal(stat(path, &st) == 0, k >= 2);
		free(path);
	}
	free(out);
	test_tmpdir_remove(dir);
}

static void test_faillog_decode_refuses_hostile_excerpts(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	char sha[SHA256_HEX_LEN + 1];
	char *huge = calloc(1, FAILLOG_MAX + 1);
	sha256_buffer_hex(huge, FAILLOG_MAX + 1, sha);
	assert_false(faillog_decode(huge, FAILLOG_MAX + 1, sha, NULL, &err));
	assert_error_code(err, FERRY_E_UNSAFE);
	ferry_error_clear(&err);

	static const char junk[] = "not zstd at all";
	sha256_buffer_hex(junk, sizeof junk, sha);
	assert_false(faillog_decode(junk, sizeof junk, sha, NULL, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_clear(&err);

	sha[0] = sha[0] == 'a' ? 'b' : 'a';
	assert_false(faillog_decode(junk, sizeof junk, sha, NULL, &err));
	assert_error_code(err, FERRY_E_INTEGRITY);
	ferry_error_clear(&err);

	/* a zstd bomb: a small frame that claims more than FAILLOG_TEXT_MAX */
	size_t n = FAILLOG_TEXT_MAX + 1, cap = ZSTD_COMPRESSBOUND(n);
	char *zeros = calloc(1, n), *z = malloc(cap);
	size_t zl = ZSTD_compress(z, cap, zeros, n, 3);
	assert_true(zl < FAILLOG_MAX);
	sha256_buffer_hex(z, zl, sha);
	assert_false(faillog_decode(z, zl, sha, NULL, &err));
	assert_error_code(err, FERRY_E_UNSAFE);
	ferry_error_clear(&err);
	free(zeros);
	free(z);
	free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faillog_keeps_all_parts_named_by_hash),
		cmocka_unit_test(test_faillog_oversized_output_keeps_the_tail),
		cmocka_unit_test(test_faillog_total_cap_drops_oldest),
		cmocka_unit_test(test_faillog_decode_refuses_hostile_excerpts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
