/* Tests for common/payload_fields.c (the one table of a payload's fields):
 * a payload reads and writes back the same object in a manifest and in a
 * spec, defaults are filled in, a field of the other document and a field its
 * handler kind does not allow are refused, naming the field. */
#include "testutil.h"

#include <string.h>

#include "common/json.h"
#include "common/manifest_rules.h"
#include "common/payload_fields.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static json_t *object(const char *text)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	assert_non_null(o);
	return o;
}

/* Parses text as a payload of variant "gw-x" and validates it. */
static bool read_payload(const char *text, bool spec, struct payload *pl, struct ferry_error **err)
{
	struct json_path p;
	struct manifest_members seen = { 0 };
	const struct payload_place at = { spec, "gw-x", &seen };
	json_t *o = object(text);
	json_path_root(&p, "manifest.json");
	memset(pl, 0, sizeof(*pl));
	bool ok = payload_parse(o, &p, spec, pl, err) && payload_validate(pl, &at, &p, err);
	json_decref(o);
	manifest_members_clear(&seen);
	return ok;
}

static void assert_writes_back(const struct payload *pl, bool spec, const char *text)
{
	json_t *want = object(text), *got = payload_json(pl, spec);
	assert_non_null(got);
	char *a = json_dumps(want, JSON_PRESERVE_ORDER), *b = json_dumps(got, JSON_PRESERVE_ORDER);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(want);
	json_decref(got);
}

static void test_payload_fields_manifest_payload_round_trips(void **state)
{
	(void)state;
	const char *text = "{\"name\": \"app\", \"handler\": \"files\", \"target\": \"opt\","
			   " \"member\": \"payloads/gw-x/app.tar.zst\", \"compression\": \"zstd\","
			   " \"size\": 42, \"sha256\": \"" HEX "\", \"chunks\": \"payloads/gw-x/app.chunks\","
			   " \"chunks_sha256\": \"" HEX "\", \"allow_setuid\": true}";
	struct payload pl;
	struct ferry_error *err = NULL;
	assert_ok(read_payload(text, false, &pl, &err), err);
	assert_string_equal(pl.member, "payloads/gw-x/app.tar.zst");
	assert_int_equal(pl.size, 42);
	assert_true(pl.allow_setuid);
	assert_writes_back(&pl, false, text);
	payload_clear(&pl);
}

static void test_payload_fields_spec_defaults_compression_and_setuid(void **state)
{
	(void)state;
	struct payload pl;
	struct ferry_error *err = NULL;
	assert_ok(read_payload("{\"name\": \"rootfs\", \"handler\": \"rootfs-ab\", \"file\": \"r.img\"}",
			       true, &pl, &err), err);
	assert_int_equal(pl.compression, COMPRESSION_ZSTD);
	assert_false(pl.allow_setuid);
	assert_null(pl.member);
	assert_writes_back(&pl, true, "{\"name\": \"rootfs\", \"handler\": \"rootfs-ab\","
				      " \"file\": \"r.img\", \"compression\": \"zstd\"}");
	payload_clear(&pl);
}

/* text, read as a payload, is refused as malformed with a message holding needle. */
static void assert_refused(const char *text, bool spec, const char *needle)
{
	struct payload pl;
	struct ferry_error *err = NULL;
	assert_false(read_payload(text, spec, &pl, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	assert_error_contains(err, needle);
	ferry_error_free(err);
	payload_clear(&pl);
}

static void test_payload_fields_refuses_a_field_of_the_other_document(void **state)
{
	(void)state;
	assert_refused("{\"name\": \"r\", \"handler\": \"rootfs-ab\", \"file\": \"r.img\", \"size\": 3}",
		       true, "manifest.json: size: unknown key");

	/* Filled in by a program rather than parsed: the table still says where a field belongs. */
	struct json_path p;
	struct ferry_error *err = NULL;
	const struct payload_place at = { true, "gw-x", NULL };
	struct payload filled = { .name = "r", .handler = "rootfs-ab", .file = "r.img",
				  .member = "payloads/gw-x/r.img" };
	json_path_root(&p, "spec.json");
	assert_false(payload_validate(&filled, &at, &p, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	assert_error_contains(err, "spec.json: member: not allowed in a spec (use file)");
	ferry_error_free(err);
}

static void test_payload_fields_follow_the_handler_kind(void **state)
{
	(void)state;
	assert_refused("{\"name\": \"r\", \"handler\": \"rootfs-ab\", \"file\": \"r.img\","
		       " \"allow_setuid\": true}", true, "allow_setuid: only the files handler");
	assert_refused("{\"name\": \"s\", \"handler\": \"script\", \"target\": \"opt\", \"file\": \"s.sh\"}",
		       true, "target: not used by the script handler");
	assert_refused("{\"name\": \"m\", \"handler\": \"module\", \"file\": \"m.tar\"}", true,
		       "target: missing (the module handler needs the module name)");
}

static void test_payload_fields_refuses_unknown_compression(void **state)
{
	(void)state;
	assert_refused("{\"name\": \"r\", \"handler\": \"rootfs-ab\", \"file\": \"r.img\","
		       " \"compression\": \"gzip\"}", true, "compression: 'gzip' is not one of zstd, xz, none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_fields_manifest_payload_round_trips),
		cmocka_unit_test(test_payload_fields_spec_defaults_compression_and_setuid),
		cmocka_unit_test(test_payload_fields_refuses_a_field_of_the_other_document),
		cmocka_unit_test(test_payload_fields_follow_the_handler_kind),
		cmocka_unit_test(test_payload_fields_refuses_unknown_compression),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
