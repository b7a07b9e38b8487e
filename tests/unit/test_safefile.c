/* Tests for common/safefile.c: atomic writes, bounded reads, safe path joins. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/safefile.h"

static void test_safefile_atomic_write_replaces_and_leaves_no_tmp(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *path = NULL, *tmp = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/state.json", dir) > 0);
	assert_true(asprintf(&tmp, "%s/state.json.tmp", dir) > 0);
	assert_ok(safe_write_atomic(path, "old", 3, 0600, &err), err);
	/* A stale .tmp from a power cut does not block the next write. */
	FILE *f = fopen(tmp, "w");
	fputs("torn", f);
	fclose(f);
	assert_ok(safe_write_atomic(path, "new!", 4, 0600, &err), err);
	char *data = NULL;
	size_t len = 0;
	assert_ok(read_file_limited(path, 100, &data, &len, &err), err);
	assert_int_equal(len, 4);
	assert_string_equal(data, "new!");
	assert_int_equal(access(tmp, F_OK), -1);
	free(data);
	free(path);
	free(tmp);
	test_tmpdir_remove(dir);
}

static void test_safefile_abort_leaves_old_file(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *path = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s/f", dir) > 0);
	assert_ok(safe_write_atomic(path, "old", 3, 0644, &err), err);
	struct safe_tmp t;
	assert_ok(safe_tmp_open(&t, path, 0644, &err), err);
	assert_ok(write_all(t.fd, "half", 4, "f", &err), err);
	safe_tmp_abort(&t);
	char *data = NULL;
	size_t len = 0;
	assert_ok(read_file_limited(path, 100, &data, &len, &err), err);
	assert_string_equal(data, "old");
	free(data);
	free(path);
	test_tmpdir_remove(dir);
}

static void test_safefile_read_limit_names_file(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *path = test_write_file(dir, "big", "0123456789", 10);
	char *data = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_false(read_file_limited(path, 9, &data, &len, &err));
	assert_error_code(err, FERRY_E_UNSAFE);
	ferry_error_free(err);
	free(path);
	test_tmpdir_remove(dir);
}

/* /proc files say size 0: the kernel command line must still be read (a real
 * device names its slot there), and the limit still holds. */
static void test_safefile_reads_proc_files_of_size_zero(void **state)
{
	(void)state;
	char *data = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_true(read_file_limited("/proc/self/status", 65536, &data, &len, &err));
	assert_true(len > 0);
	assert_non_null(strstr(data, "Name:"));
	free(data);
	assert_false(read_file_limited("/proc/self/status", 16, &data, &len, &err));
	assert_error_contains(err, "/proc/self/status: larger than the limit of 16 bytes");
	ferry_error_free(err);
}

static void test_safefile_path_join_refuses_escapes(void **state)
{
	(void)state;
	char *out = NULL;
	struct ferry_error *err = NULL;
	assert_ok(path_join("/base/", "a//./b", &out, &err), err);
	assert_string_equal(out, "/base/a/b");
	free(out);
	assert_false(path_join("/base", "/etc/passwd", &out, &err));
	assert_error_code(err, FERRY_E_UNSAFE);
	ferry_error_clear(&err);
	assert_false(path_join("/base", "a/../../etc", &out, &err));
	assert_error_code(err, FERRY_E_UNSAFE);
	ferry_error_clear(&err);
	assert_false(path_join("/base", "..", &out, &err));
	ferry_error_clear(&err);
	assert_false(path_check_relative("a\0b", 3, &err));
	assert_error_code(err, FERRY_E_UNSAFE);
	ferry_error_clear(&err);
	/* "..." and "..a" are ordinary names. */
	assert_ok(path_join("/base", "...", &out, &err), err);
	free(out);
	assert_ok(path_join("/base", "..a/b..", &out, &err), err);
	free(out);
}

static void test_safefile_mkdir_p_and_remove_tree(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *deep = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&deep, "%s/a/b/c", dir) > 0);
	assert_ok(mkdir_p(deep, 0755, &err), err);
	assert_ok(mkdir_p(deep, 0755, &err), err);
	struct stat st;
	assert_int_equal(stat(deep, &st), 0);
	free(test_write_file(deep, "x", "1", 1));
	char *a = NULL;
	assert_true(asprintf(&a, "%s/a", dir) > 0);
	assert_ok(remove_tree(a, &err), err);
	assert_int_equal(stat(a, &st), -1);
	assert_ok(remove_tree(a, &err), err);
	free(a);
	free(deep);
	test_tmpdir_remove(dir);
}

/* A tree deeper than PATH_MAX (a leftover of a hostile payload) is removed
 * too: nothing stays behind to block the next update of its target. */
static void test_safefile_remove_tree_deeper_than_path_max(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *top = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&top, "%s/t.ferry-new", dir) > 0);
	assert_int_equal(mkdir(top, 0755), 0);
	int fd = open(top, O_RDONLY | O_DIRECTORY);
	char name[201];
	memset(name, 'd', 200);
	name[200] = '\0';
	for (int i = 0; i < 30; i++) {   /* 30 x 201 bytes > PATH_MAX */
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	int f = openat(fd, "leaf", O_WRONLY | O_CREAT, 0644);
	assert_true(f >= 0);
	close(f);
	close(fd);
	assert_ok(remove_tree(top, &err), err);
	assert_int_equal(access(top, F_OK), -1);
	free(top);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safefile_atomic_write_replaces_and_leaves_no_tmp),
		cmocka_unit_test(test_safefile_abort_leaves_old_file),
		cmocka_unit_test(test_safefile_read_limit_names_file),
		cmocka_unit_test(test_safefile_reads_proc_files_of_size_zero),
		cmocka_unit_test(test_safefile_path_join_refuses_escapes),
		cmocka_unit_test(test_safefile_mkdir_p_and_remove_tree),
		cmocka_unit_test(test_safefile_remove_tree_deeper_than_path_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
