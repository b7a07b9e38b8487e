/* Tests for agent/software.c: what a device keeps of an installed bundle's
 * SBOM and support date, bounded, and reports in its inventory only for the
 * version installed. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/software.h"
#include "common/inventory.h"

#define CDX "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":[" \
	"{\"type\":\"library\",\"name\":\"openssl\",\"version\":\"3.0.11\"," \
	"\"licenses\":[{\"license\":{\"id\":\"Apache-2.0\"}}]}," \
	"{\"type\":\"library\",\"name\":\"zlib\",\"version\":\"1.2.13\"}]}"

static void keep(const char *dir, const char *version, const char *installed, const char *support,
		 const char *sbom)
{
	struct ferry_error *err = NULL;
	assert_ok(software_keep(dir, "edge-os", version, installed, support, sbom, sbom ? strlen(sbom) : 0,
				&err), err);
}

static void test_software_reports_installed_version_only(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	struct agent_kv installed = { "edge-os", "2.4.1" };
	keep(dir, "2.4.1", NULL, "2030-06-30", CDX);
	keep(dir, "2.5.0", "2.4.1", "2031-06-30", CDX);   /* started, not (yet) installed */
	json_t *s = software_inventory(dir, &installed, 1);
	json_t *e = json_object_get(s, "edge-os");
	assert_string_equal(json_string_value(json_object_get(e, "version")), "2.4.1");
	assert_string_equal(json_string_value(json_object_get(e, "support_until")), "2030-06-30");
	json_t *c = json_object_get(e, "components");
	assert_int_equal(json_array_size(c), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0), "licence")), "Apache-2.0");
	json_decref(s);
	/* a third version keeps the new one and the installed one only */
	keep(dir, "2.6.0", "2.4.1", NULL, CDX);
	char path[512];
	snprintf(path, sizeof(path), "%s/software/edge-os/2.5.0.json", dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/software/edge-os/2.4.1.json", dir);
	assert_int_equal(access(path, F_OK), 0);
	/* nothing kept for a bundle without SBOM or date: nothing reported */
	struct agent_kv other = { "app", "1.0.0" };
	assert_ok(software_keep(dir, "app", "1.0.0", NULL, NULL, NULL, 0, NULL), NULL);
	assert_null(software_inventory(dir, &other, 1));
	/* a kept file that is damaged is left out, not the whole inventory */
	snprintf(path, sizeof(path), "%s/software/edge-os/2.4.1.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"version\":\"2.4.1\",\"components\":[{\"name\":\"\"}]}", f);
	fclose(f);
	assert_null(software_inventory(dir, &installed, 1));
	test_tmpdir_remove(dir);
}

static void test_software_keeps_a_bounded_list(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	size_t n = SOFTWARE_COMPONENTS_MAX + 10, size = 128 + n * 80;
	char *sbom = malloc(size), *w = sbom;
	w += sprintf(w, "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":[");
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s{\"type\":\"library\",\"name\":\"p%zu\",\"version\":\"1\"}", i ? "," : "", i);
	strcpy(w, "]}");
	keep(dir, "2.4.1", NULL, NULL, sbom);
	struct agent_kv installed = { "edge-os", "2.4.1" };
	json_t *s = software_inventory(dir, &installed, 1), *e = json_object_get(s, "edge-os");
	assert_int_equal(json_array_size(json_object_get(e, "components")), SOFTWARE_COMPONENTS_MAX);
	assert_true(json_is_true(json_object_get(e, "components_truncated")));
	/* and the inventory that carries it is one HQ accepts */
	struct inventory inv = { .device = "gw-0001", .time = "2026-11-27T08:00:00Z", .software = s };
	struct inventory back;
	struct ferry_error *err = NULL;
	char *text = NULL;
	size_t len = 0;
	assert_ok(inventory_serialize(&inv, &text, &len, &err), err);
	assert_ok(inventory_parse(text, len, "inventory.json", &back, &err), err);
	assert_int_equal(back.n_software, 1);
	assert_int_equal(back.software_list[0].n_components, SOFTWARE_COMPONENTS_MAX);
	assert_true(back.software_list[0].truncated);
	inventory_clear(&back);
	free(text);
	json_decref(s);
	free(sbom);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_software_reports_installed_version_only),
		cmocka_unit_test(test_software_keeps_a_bounded_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
