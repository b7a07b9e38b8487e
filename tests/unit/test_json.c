/* Tests for common/json.c: strict parsing and path-naming accessors. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static struct ferry_error *parse_fails(const char *text, size_t len)
{
	json_t *root = NULL;
	struct ferry_error *err = NULL;
	assert_false(json_parse_strict(text, len, "doc.json", &root, &err));
	assert_null(root);
	assert_error_code(err, FERRY_E_FORMAT);
	assert_error_contains(err, "doc.json");   /* names the input */
	return err;
}

static void test_json_accepts_plain_object(void **state)
{
	(void)state;
	json_t *root = NULL;
	struct ferry_error *err = NULL;
	const char *t = "{\"a\": [1, 2, {\"b\": \"c\"}]}";
	assert_ok(json_parse_strict(t, strlen(t), "doc.json", &root, &err), err);
	assert_true(json_is_object(root));
	json_decref(root);
}

static void test_json_rejects_duplicate_keys(void **state)
{
	(void)state;
	const char *t = "{\"a\": 1, \"a\": 2}";
	struct ferry_error *err = parse_fails(t, strlen(t));
	ferry_error_free(err);
}

static void test_json_rejects_nul_byte(void **state)
{
	(void)state;
	const char t[] = "{\"a\": \"x\0y\"}";
	struct ferry_error *err = parse_fails(t, sizeof(t) - 1);
	ferry_error_free(err);
	const char *esc = "{\"a\": \"x\\u0000y\"}";
	err = parse_fails(esc, strlen(esc));
	ferry_error_free(err);
}

static void test_json_rejects_invalid_utf8(void **state)
{
	(void)state;
	const char *t = "{\"a\": \"\xc3\x28\"}";
	struct ferry_error *err = parse_fails(t, strlen(t));
	ferry_error_free(err);
}

static void test_json_rejects_depth_over_32(void **state)
{
	(void)state;
	char buf[200] = "{\"a\":";
	size_t o = strlen(buf);
	for (int i = 0; i < 32; i++)
		buf[o++] = '[';
	for (int i = 0; i < 32; i++)
		buf[o++] = ']';
	buf[o++] = '}';
	struct ferry_error *err = parse_fails(buf, o);
	ferry_error_clear(&err);
	/* Empty input is an error too, not a crash. */
	json_t *root = NULL;
	assert_false(json_parse_strict(buf, 0, "x", &root, &err));
	ferry_error_clear(&err);
	/* 32 levels in all is fine. */
	char ok[200] = "{\"a\":";
	o = strlen(ok);
	for (int i = 0; i < 31; i++)
		ok[o++] = '[';
	for (int i = 0; i < 31; i++)
		ok[o++] = ']';
	ok[o++] = '}';
	assert_ok(json_parse_strict(ok, o, "doc.json", &root, &err), err);
	json_decref(root);
}

static void test_json_rejects_trailing_data_and_non_object(void **state)
{
	(void)state;
	const char *t = "{} {}";
	struct ferry_error *err = parse_fails(t, strlen(t));
	ferry_error_free(err);
	err = parse_fails("[1]", 3);
	ferry_error_free(err);
}

static void test_json_getters_name_the_path(void **state)
{
	(void)state;
	json_t *root = NULL;
	struct ferry_error *err = NULL;
	const char *t = "{\"v\": [{\"size\": \"big\", \"n\": 5, \"s\": [\"a\", \"\"]}]}";
	assert_ok(json_parse_strict(t, strlen(t), "m.json", &root, &err), err);
	struct json_path p, vp, ip;
	json_path_root(&p, "m.json");
	json_path_key(&vp, &p, "v");
	json_path_index(&ip, &vp, 0);
	json_t *item = json_array_get(json_object_get(root, "v"), 0);
	int64_t n = 0;
	assert_false(json_get_int(item, &ip, "size", true, 0, 10, &n, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	assert_string_equal(ferry_error_message(err), "m.json: v[0].size: must be an integer");
	ferry_error_clear(&err);
	assert_false(json_get_int(item, &ip, "n", true, 6, 10, &n, &err));
	assert_error_contains(err, "v[0].n: must be between 6 and 10");
	ferry_error_clear(&err);
	assert_false(json_get_int(item, &ip, "missing", true, 0, 1, &n, &err));
	assert_string_equal(ferry_error_message(err), "m.json: v[0].missing: missing");
	ferry_error_clear(&err);
	char **v = NULL;
	assert_false(json_get_strv(item, &ip, "s", true, &v, &err));
	assert_error_contains(err, "v[0].s[1]: must be a non-empty string");
	ferry_error_clear(&err);
	static const char *const allowed[] = { "size", "n", NULL };
	assert_false(json_check_keys(item, &ip, allowed, &err));
	assert_error_contains(err, "m.json: v[0].s: unknown key");
	ferry_error_free(err);
	json_decref(root);
}

static void test_json_canonical_dump_sorts_keys(void **state)
{
	(void)state;
	json_t *o = json_pack("{s:i, s:s}", "b", 1, "a", "x");
	char *s = json_dump_canonical(o);
	assert_string_equal(s, "{\"a\":\"x\",\"b\":1}");
	free(s);
	json_decref(o);
}

/* A signed document's reader and writer: keys and format checked, the text
 * indented, sorted, ASCII, ending in a newline. */
static void test_json_document_open_and_text(void **state)
{
	(void)state;
	static const char *const keys[] = { "format", "b", "a", NULL };
	const char *good = "{\"format\": 1, \"b\": \"\u00e9\", \"a\": 1}";
	json_t *doc = NULL;
	struct json_path root;
	struct ferry_error *err = NULL;
	assert_ok(json_document_open(good, strlen(good), "doc.json", keys, 1, &doc, &root, &err), err);
	assert_string_equal(root.file, "doc.json");
	char *text = json_document_text(doc);
	assert_string_equal(text, "{\n  \"a\": 1,\n  \"b\": \"\\u00E9\",\n  \"format\": 1\n}\n");
	free(text);
	json_decref(doc);

	const char *newer = "{\"format\": 2}", *extra = "{\"format\": 1, \"c\": 0}";
	assert_false(json_document_open(newer, strlen(newer), "doc.json", keys, 1, &doc, &root, &err));
	assert_null(doc);
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
	err = NULL;
	assert_false(json_document_open(extra, strlen(extra), "doc.json", keys, 1, &doc, &root, &err));
	assert_error_contains(err, "doc.json: c: unknown key");
	ferry_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_accepts_plain_object),
		cmocka_unit_test(test_json_rejects_duplicate_keys),
		cmocka_unit_test(test_json_rejects_nul_byte),
		cmocka_unit_test(test_json_rejects_invalid_utf8),
		cmocka_unit_test(test_json_rejects_depth_over_32),
		cmocka_unit_test(test_json_rejects_trailing_data_and_non_object),
		cmocka_unit_test(test_json_getters_name_the_path),
		cmocka_unit_test(test_json_canonical_dump_sorts_keys),
		cmocka_unit_test(test_json_document_open_and_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
