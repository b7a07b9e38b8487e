/* Tests for common/sha256.c: known vectors, streaming equals one-shot, hex. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"

static void test_sha256_known_vectors(void **state)
{
	(void)state;
	char hex[SHA256_HEX_LEN + 1];
	sha256_buffer_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_buffer_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_streaming_matches_one_shot(void **state)
{
	(void)state;
	char data[10000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	struct sha256 *h = sha256_new();
	assert_non_null(h);
	for (size_t i = 0; i < sizeof(data); i += 333)
		sha256_update(h, data + i, i + 333 > sizeof(data) ? sizeof(data) - i : 333);
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	sha256_final_hex(h, a);
	sha256_buffer_hex(data, sizeof(data), b);
	assert_string_equal(a, b);
	sha256_reset(h);
	sha256_update(h, "abc", 3);
	sha256_final_hex(h, a);
	assert_string_equal(a, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_free(h);
}

static void test_sha256_file_and_hex_helpers(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	char *path = test_write_file(dir, "f", "abc", 3);
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	struct ferry_error *err = NULL;
	assert_ok(sha256_file_hex(path, hex, &size, &err), err);
	assert_int_equal(size, 3);
	assert_true(sha256_hex_valid(hex));
	assert_false(sha256_hex_valid("ABC"));
	uint8_t raw[SHA256_LEN];
	assert_true(hex_decode(hex, raw, SHA256_LEN));
	assert_false(hex_decode("zz", raw, 1));
	assert_false(sha256_file_hex("/nonexistent/x", hex, NULL, &err));
	assert_error_contains(err, "/nonexistent/x");
	ferry_error_free(err);
	free(path);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known_vectors),
		cmocka_unit_test(test_sha256_streaming_matches_one_shot),
		cmocka_unit_test(test_sha256_file_and_hex_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
