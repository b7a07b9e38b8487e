/* Tests for common/inventory.c: the writer's text parses back to the same
 * facts, known fields stay strict, a newer minor version's field is kept,
 * a newer major refused. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/inventory.h"

static const char *const names[] = { "gateway-os", "app" };
static const char *const versions[] = { "2.4.1", "1.0.0" };
static const char *const groups[] = { "canary", "north", NULL };

static char *written(void)
{
	struct ferry_error *err = NULL;
	char *text = NULL;
	size_t len = 0;
	json_t *slots = json_pack("{s:s, s:s}", "booted", "b", "primary", "b");
	struct inventory inv = {
		.device = "gw-0001", .type = "gw-x", .time = "2026-11-27T10:00:00Z", .state = "committed",
		.hw_revision = 2, .security_version = 7, .policy_serial = 3, .n_installed = 2,
		.names = (const char **)names, .versions = (const char **)versions, .groups = groups,
		.slots = slots,
	};
	assert_ok(inventory_serialize(&inv, &text, &len, &err), err);
	assert_int_equal(strlen(text), len);
	assert_int_equal(text[len - 1], '\n');
	json_decref(slots);
	return text;
}

static void test_inventory_round_trips(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct inventory back;
	char *text = written();
	assert_non_null(strstr(text, "\"format\": 1"));
	assert_ok(inventory_parse(text, strlen(text), "inventory.json", &back, &err), err);
	assert_string_equal(back.device, "gw-0001");
	assert_string_equal(back.type, "gw-x");
	assert_string_equal(back.state, "committed");
	assert_int_equal(back.hw_revision, 2);
	assert_int_equal(back.security_version, 7);
	assert_int_equal(back.policy_serial, 3);
	assert_int_equal(back.n_installed, 2);
	assert_string_equal(back.groups[1], "north");
	assert_string_equal(json_string_value(json_object_get(back.slots, "booted")), "b");
	assert_null(back.attributes);
	assert_int_equal(back.n_unknown, 0);
	inventory_clear(&back);
	free(text);
}

static void test_inventory_writer_refuses_what_the_parser_would(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	char *text = NULL;
	size_t len = 0;
	struct inventory inv = { .device = "GW/1", .time = "2026-11-27T10:00:00Z", .hw_revision = -1,
				 .security_version = -1, .policy_serial = -1 };
	assert_false(inventory_serialize(&inv, &text, &len, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_clear(&err);
	inv.device = "gw-1";
	inv.time = "yesterday";
	assert_false(inventory_serialize(&inv, &text, &len, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_null(text);
	ferry_error_free(err);
}

/* Parses text with the first occurrence of from replaced by to. */
static bool parse_edited(const char *text, const char *from, const char *to, struct inventory *out,
			 struct ferry_error **err)
{
	const char *at = strstr(text, from);
	char *edited = NULL;
	assert_non_null(at);
	assert_true(asprintf(&edited, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
	bool ok = inventory_parse(edited, strlen(edited), "inventory.json", out, err);
	free(edited);
	return ok;
}

static void test_inventory_keeps_newer_minor_fields_refuses_newer_major(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct inventory back;
	char *text = written();
	assert_ok(parse_edited(text, "\"format\": 1", "\"format\": 1, \"sensors\": [1, 2]", &back, &err), err);
	assert_int_equal(back.n_unknown, 1);
	inventory_clear(&back);
	assert_false(parse_edited(text, "\"format\": 1", "\"format\": 2", &back, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_error_contains(err, "format 2 is newer");
	ferry_error_clear(&err);
	/* known fields stay strict */
	assert_false(parse_edited(text, "\"hw_revision\": 2", "\"hw_revision\": \"2\"", &back, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_clear(&err);
	assert_false(parse_edited(text, "\"2.4.1\"", "241", &back, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_clear(&err);
	assert_false(parse_edited(text, "\"format\": 1,", "", &back, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	ferry_error_free(err);
	free(text);
}

/* The software object a device reports: checked strictly, so a bogus
 * component refuses the inventory naming its path. */
static void software_refused(const char *software, const char *needle)
{
	struct ferry_error *err = NULL;
	struct inventory back;
	char doc[4096];
	snprintf(doc, sizeof(doc), "{\"format\":1,\"device\":\"gw-0001\",\"time\":\"2026-11-27T10:00:00Z\","
		 "\"installed\":{\"edge-os\":\"2.4.1\"},\"software\":%s}", software);
	assert_false(inventory_parse(doc, strlen(doc), "inventory.json", &back, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	assert_error_contains(err, needle);
	ferry_error_free(err);
}

static void test_inventory_software_is_checked(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct inventory back;
	const char *good = "{\"format\":1,\"device\":\"gw-0001\",\"time\":\"2026-11-27T10:00:00Z\","
			   "\"installed\":{\"edge-os\":\"2.4.1\"},\"software\":{\"edge-os\":{\"version\":\"2.4.1\","
			   "\"support_until\":\"2030-06-30\",\"components\":[{\"name\":\"zlib\",\"version\":\"1.2\"}]}}}";
	assert_ok(inventory_parse(good, strlen(good), "inventory.json", &back, &err), err);
	assert_int_equal(back.n_software, 1);
	assert_string_equal(back.software_list[0].support_until, "2030-06-30");
	assert_string_equal(back.software_list[0].names[0], "zlib");
	assert_null(back.software_list[0].licences[0]);
	assert_int_equal(back.n_unknown, 0);
	inventory_clear(&back);
	software_refused("[]", "software");
	software_refused("{\"edge-os\":{}}", "software.edge-os.version: missing");
	software_refused("{\"edge-os\":{\"version\":\"1\",\"support_until\":\"soon\"}}",
			 "software.edge-os.support_until: 'soon' is not a date");
	software_refused("{\"edge-os\":{\"version\":\"1\",\"components\":[{\"name\":7,\"version\":\"1\"}]}}",
			 "software.edge-os.components[0].name");
	software_refused("{\"edge-os\":{\"version\":\"1\",\"components\":[{\"name\":\"a\\u001b[2J\",\"version\":\"1\"}]}}",
			 "without control characters");
	software_refused("{\"edge-os\":{\"version\":\"1\",\"components\":[\"zlib\"]}}", "must be an object");
	software_refused("{\"edge-os\":{\"version\":\"1\",\"components\":[{\"name\":\"a\",\"version\":\"1\",\"x\":1}]}}",
			 "components[0]");
	software_refused("{\"edge-os\":{\"version\":\"1\",\"extra\":true}}", "software.edge-os");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_round_trips),
		cmocka_unit_test(test_inventory_writer_refuses_what_the_parser_would),
		cmocka_unit_test(test_inventory_keeps_newer_minor_fields_refuses_newer_major),
		cmocka_unit_test(test_inventory_software_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
