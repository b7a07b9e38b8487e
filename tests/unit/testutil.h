/* testutil: what unit tests share: throw-away directories and file helpers.
 * Linked into every tests/unit/test_*.c binary. */
#ifndef FERRY_TESTUTIL_H
#define FERRY_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/error.h"

/* A fresh directory under $TMPDIR (or /tmp), short enough for gpg-agent
 * sockets. Caller frees with test_tmpdir_remove (removes the tree). */
char *test_tmpdir(void);
void test_tmpdir_remove(char *dir);

/* How many times slower than native the tests run: FERRY_TEST_SLOWDOWN (.ci/cross
 * sets it under qemu-user), else 1. Stretches windows a test waits for. */
unsigned test_slowdown(void);
/* Writes a file below dir (creating parents); aborts the test on failure. */
char *test_write_file(const char *dir, const char *name, const void *data, size_t len);
/* Path of a file in tests/data/ (caller frees). */
char *test_data_path(const char *name);
/* Fails the test with the error's message when ok is false. */
#define assert_ok(ok, err) do { if (!(ok)) fail_msg("unexpected error: %s", ferry_error_message(err)); } while (0)
/* Asserts that err is set and its message contains needle. */
void assert_error_contains(const struct ferry_error *err, const char *needle);
/* Asserts that err is set and means code (tests assert meanings, not text). */
void assert_error_code(const struct ferry_error *err, enum ferry_code code);

/* The last audit record of an agent.db (agent/state.h), as its line;
 * caller frees. */
struct state;
char *test_last_record(struct state *s);

#endif
