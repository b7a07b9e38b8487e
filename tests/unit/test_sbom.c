/* Tests for common/sbom.c: SPDX 2.3 and CycloneDX 1.5 documents reduced to
 * their components, and every malformed or oversized one refused with a
 * reason that names the file and the field. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sbom.h"

#define SPDX_HEAD "{\"spdxVersion\":\"SPDX-2.3\",\"dataLicense\":\"CC0-1.0\",\"SPDXID\":\"SPDXRef-DOCUMENT\"," \
	"\"name\":\"rootfs\",\"documentNamespace\":\"https://example.invalid/rootfs\"," \
	"\"creationInfo\":{\"created\":\"2026-11-01T00:00:00Z\",\"creators\":[\"Tool: ferry-pack\"]},"
#define CDX_HEAD "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"version\":1,"

static bool parse(const char *text, struct sbom *s, struct ferry_error **err)
{
	return sbom_parse(text, strlen(text), "sbom.json", s, err);
}

static void refused(const char *text, enum ferry_code code, const char *needle)
{
	struct ferry_error *err = NULL;
	struct sbom s;
	assert_false(parse(text, &s, &err));
	assert_error_code(err, code);
	assert_error_contains(err, "sbom.json");
	assert_error_contains(err, needle);
	assert_int_equal(s.n, 0);
	ferry_error_free(err);
}

static void test_sbom_reads_spdx_packages_and_licences(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct sbom s;
	assert_ok(parse(SPDX_HEAD "\"packages\":["
		  "{\"SPDXID\":\"SPDXRef-1\",\"name\":\"busybox\",\"versionInfo\":\"1:1.35.0-4\","
		  "\"licenseConcluded\":\"NOASSERTION\",\"licenseDeclared\":\"GPL-2.0-only\"},"
		  "{\"SPDXID\":\"SPDXRef-2\",\"name\":\"zlib1g\",\"versionInfo\":\"1:1.2.13\","
		  "\"licenseConcluded\":\"NOASSERTION\"}]}", &s, &err), err);
	assert_int_equal(s.kind, SBOM_SPDX);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.c[0].name, "busybox");
	assert_string_equal(s.c[0].version, "1:1.35.0-4");
	assert_string_equal(s.c[0].licence, "GPL-2.0-only");
	assert_null(s.c[1].licence);
	json_t *j = sbom_components_json(&s);
	assert_int_equal(json_array_size(j), 2);
	assert_null(json_object_get(json_array_get(j, 1), "licence"));
	json_decref(j);
	sbom_clear(&s);
}

static void test_sbom_reads_cyclonedx_components(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct sbom s;
	assert_ok(parse(CDX_HEAD "\"components\":["
		  "{\"type\":\"library\",\"name\":\"openssl\",\"version\":\"3.0.11\","
		  "\"licenses\":[{\"license\":{\"id\":\"Apache-2.0\"}}]},"
		  "{\"type\":\"application\",\"name\":\"app\",\"version\":\"2.4.1\","
		  "\"licenses\":[{\"expression\":\"MIT OR BSD-2-Clause\"}]},"
		  "{\"type\":\"library\",\"name\":\"x\",\"version\":\"1\"}]}", &s, &err), err);
	assert_int_equal(s.kind, SBOM_CYCLONEDX);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.c[0].licence, "Apache-2.0");
	assert_string_equal(s.c[1].licence, "MIT OR BSD-2-Clause");
	assert_null(s.c[2].licence);
	sbom_clear(&s);
}

static void test_sbom_refuses_malformed_documents_with_reasons(void **state)
{
	(void)state;
	refused("not json", FERRY_E_FORMAT, "sbom.json");
	refused("{\"name\":\"x\"}", FERRY_E_FORMAT, "neither SPDX");
	refused("{\"spdxVersion\":\"SPDX-2.2\",\"dataLicense\":\"CC0-1.0\",\"SPDXID\":\"a\",\"name\":\"n\","
		"\"documentNamespace\":\"x\",\"creationInfo\":{},\"packages\":[]}", FERRY_E_FORMAT,
		"only SPDX-2.3");
	refused("{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[]}", FERRY_E_FORMAT, "dataLicense");
	refused(SPDX_HEAD "\"packages\":[{\"SPDXID\":\"a\",\"name\":\"zlib\"}]}", FERRY_E_FORMAT,
		"packages[0].versionInfo");
	refused(SPDX_HEAD "\"packages\":[7]}", FERRY_E_FORMAT, "packages[0]: must be an object");
	refused(SPDX_HEAD "\"packages\":{}}", FERRY_E_FORMAT, "packages");
	refused(CDX_HEAD "\"components\":[{\"type\":\"library\",\"version\":\"1\"}]}", FERRY_E_FORMAT,
		"components[0].name");
	refused(CDX_HEAD "\"components\":[{\"type\":\"library\",\"name\":\"a\\u001b[2J\",\"version\":\"1\"}]}",
		FERRY_E_FORMAT, "control character");
	refused(CDX_HEAD "\"components\":[{\"type\":\"library\",\"name\":\"\",\"version\":\"1\"}]}",
		FERRY_E_FORMAT, "components[0].name");
	refused("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.4\",\"components\":[]}", FERRY_E_FORMAT,
		"only CycloneDX 1.5");
	refused(CDX_HEAD "\"components\":[{\"type\":\"library\",\"name\":\"a\",\"version\":\"1\","
		"\"licenses\":[{\"license\":7}]}]}", FERRY_E_FORMAT, "licenses[0].license");
}

static char *repeat_components(size_t n, size_t name_len)
{
	size_t size = 64 + n * (name_len + 64);
	char *s = malloc(size), *w = s;
	w += sprintf(w, CDX_HEAD "\"components\":[");
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s{\"type\":\"library\",\"name\":\"%0*zu\",\"version\":\"1\"}", i ? "," : "",
			     (int)name_len, i);
	strcpy(w, "]}");
	return s;
}

static void test_sbom_refuses_what_exceeds_its_bounds(void **state)
{
	(void)state;
	char *text = repeat_components(SBOM_MAX_COMPONENTS + 1, 1);
	refused(text, FERRY_E_UNSAFE, "more than");   /* fits the byte bound, too many entries */
	free(text);
	text = repeat_components(1, SBOM_FIELD_MAX + 1);
	refused(text, FERRY_E_UNSAFE, "components[0].name: must be 1 to 256 bytes");
	free(text);
	text = repeat_components(12000, 80);           /* ~1.4 MiB */
	refused(text, FERRY_E_UNSAFE, "more than the");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbom_reads_spdx_packages_and_licences),
		cmocka_unit_test(test_sbom_reads_cyclonedx_components),
		cmocka_unit_test(test_sbom_refuses_malformed_documents_with_reasons),
		cmocka_unit_test(test_sbom_refuses_what_exceeds_its_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
