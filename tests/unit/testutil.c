/* testutil: see testutil.h. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/state.h"
#include "common/safefile.h"

char *test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = NULL;
	if (asprintf(&tmpl, "%s/fy.XXXXXX", base && *base ? base : "/tmp") < 0)
		fail_msg("out of memory");
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp %s failed", tmpl);
	return tmpl;
}

void test_tmpdir_remove(char *dir)
{
	if (!dir)
		return;
	struct ferry_error *err = NULL;
	if (!remove_tree(dir, &err))
		fprintf(stderr, "warning: %s\n", ferry_error_message(err));
	ferry_error_free(err);
	free(dir);
}

char *test_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = NULL;
	struct ferry_error *err = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	char *parent = strdup(path);
	*strrchr(parent, '/') = '\0';
	if (!mkdir_p(parent, 0755, &err) || !safe_write_atomic(path, data, len, 0644, &err))
		fail_msg("%s", ferry_error_message(err));
	free(parent);
	return path;
}

char *test_data_path(const char *name)
{
	const char *root = getenv("FERRY_ROOT");
	char *path = NULL;
	if (asprintf(&path, "%s/tests/data/%s", root ? root : "..", name) < 0)
		fail_msg("out of memory");
	return path;
}

void assert_error_contains(const struct ferry_error *err, const char *needle)
{
	if (!err)
		fail_msg("expected an error containing '%s', got none", needle);
	if (!strstr(ferry_error_message(err), needle))
		fail_msg("expected an error containing '%s', got '%s'", needle,
			 ferry_error_message(err));
}

void assert_error_code(const struct ferry_error *err, enum ferry_code code)
{
	if (!err)
		fail_msg("expected a '%s' error, got none", ferry_code_name(code));
	if (ferry_error_code(err) != code)
		fail_msg("expected a '%s' error, got '%s': %s", ferry_code_name(code),
			 ferry_code_name(ferry_error_code(err)), ferry_error_message(err));
}

char *test_last_record(struct state *s)
{
	struct state_records r;
	struct ferry_error *err = NULL;
	assert_ok(state_records_last(s, 1, &r, &err), err);
	assert_int_equal(r.n, 1);
	char *line = strdup(r.lines[0]);
	state_records_clear(&r);
	return line;
}

unsigned test_slowdown(void)
{
	const char *s = getenv("FERRY_TEST_SLOWDOWN");
	int n = s ? atoi(s) : 1;
	return n > 0 ? (unsigned)n : 1;
}
