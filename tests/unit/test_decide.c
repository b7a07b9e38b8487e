/* Tests for common/decide.c (the one compatibility decision) and
 * common/fleet.c (device facts from FLEET.json), against examples/. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/decide.h"
#include "common/fleet.h"
#include "common/json.h"
#include "common/safefile.h"
#include "common/sha256.h"

static struct manifest *example(void)
{
	struct ferry_error *err = NULL;
	struct manifest *m = NULL;
	char *path = test_data_path("../../examples/manifest.json"), *data;
	size_t len;
	assert_ok(read_file_limited(path, MANIFEST_MAX_BYTES, &data, &len, &err), err);
	assert_ok(manifest_parse(data, len, "manifest.json", &m, &err), err);
	free(data);
	free(path);
	return m;
}

/* The example manifest with compatible.attributes {"site": ["north", "lab-*"]}
 * on its first variant (gw-x): parsed from bytes like any manifest. */
static struct manifest *example_with_site(void)
{
	struct ferry_error *err = NULL;
	struct manifest *m = NULL;
	json_error_t jerr;
	char *path = test_data_path("../../examples/manifest.json");
	json_t *root = json_load_file(path, 0, &jerr);
	assert_non_null(root);
	json_t *compat = json_object_get(json_array_get(json_object_get(root, "variants"), 0), "compatible");
	assert_int_equal(json_object_set_new(compat, "attributes",
					     json_pack("{s:[s,s]}", "site", "north", "lab-*")), 0);
	char *text = json_dumps(root, JSON_COMPACT);
	assert_ok(manifest_parse(text, strlen(text), "manifest.json", &m, &err), err);
	free(text);
	json_decref(root);
	free(path);
	return m;
}

static char *canary[] = { "canary", NULL };
static char *production[] = { "production", NULL };

/* gw-0001 of the example fleet: takes the gw-x variant. */
static struct device_facts gw(void)
{
	return (struct device_facts){ .id = "gw-0001", .device_type = "gw-x", .hw_revision = 2,
				      .installed_version = "2.3.0", .groups = canary,
				      .security_version = 6 };
}

static struct decision decide_ok(const struct manifest *m, const struct device_facts *d)
{
	struct decision dec;
	struct ferry_error *err = NULL;
	assert_ok(decide(m, d, &dec, &err), err);
	return dec;
}

/* Asserts the decision refuses with exactly these codes, in order, and that
 * the first reason's message contains needle. */
static void assert_refused(const struct decision *dec, const char *needle, size_t n, ...)
{
	va_list ap;
	assert_null(dec->variant);
	if (dec->n_reasons != n) {
		for (size_t i = 0; i < dec->n_reasons; i++)
			print_error("reason: %s: %s\n", decide_code_name(dec->reasons[i].code),
				    dec->reasons[i].message);
		fail_msg("expected %zu reasons, got %zu", n, dec->n_reasons);
	}
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(dec->reasons[i].code, va_arg(ap, int));
	va_end(ap);
	if (!strstr(dec->reasons[0].message, needle))
		fail_msg("expected '%s' in '%s'", needle, dec->reasons[0].message);
	for (size_t i = 0; i < n; i++)
		assert_null(strchr(dec->reasons[i].message, '\n'));
}

static void test_decide_takes_the_matching_variant(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = gw();
	struct decision dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	assert_string_equal(dec.variant->id, "gw-x");
	assert_int_equal(dec.n_reasons, 0);
	assert_ptr_equal(dec.manifest, m);
	decision_free(&dec);
	manifest_free(m);
}

static void test_decide_matches_device_type_globs(void **state)
{
	(void)state;
	struct manifest *m = example();
	char *lab[] = { "lab", NULL };
	struct device_facts d = { .id = "sn-0001", .device_type = "sensor-y", .hw_revision = 1,
				  .groups = lab };
	struct decision dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	assert_string_equal(dec.variant->id, "sensor-y");
	decision_free(&dec);
	d.device_type = "sensorx";
	dec = decide_ok(m, &d);
	assert_refused(&dec, "device type sensorx is not listed (the bundle is for gw-x, sensor-*)", 1,
		       DECIDE_DEVICE_TYPE);
	decision_free(&dec);
	manifest_free(m);
}

/* The first variant that fits wins; reasons of variants that do not fit are
 * dropped once one fits. */
static void test_decide_takes_first_fitting_variant(void **state)
{
	(void)state;
	struct manifest *m = example();
	strv_free(m->variants[1].compatible.device_type);
	m->variants[1].compatible.device_type = calloc(2, sizeof(char *));
	m->variants[1].compatible.device_type[0] = strdup("gw-*");
	struct device_facts d = gw();
	struct decision dec = decide_ok(m, &d);
	assert_string_equal(dec.variant->id, "gw-x");
	decision_free(&dec);
	d.hw_revision = 1;
	dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	assert_string_equal(dec.variant->id, "sensor-y");
	assert_int_equal(dec.n_reasons, 0);
	decision_free(&dec);
	manifest_free(m);
}

static void test_decide_refuses_hw_revision_outside_range(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = gw();
	d.hw_revision = 1;
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "hardware revision 1 is outside >=2 (variant gw-x)", 1, DECIDE_HW_REVISION);
	decision_free(&dec);
	d.hw_revision = -1;
	dec = decide_ok(m, &d);
	assert_refused(&dec, "hardware revision unknown, variant gw-x needs >=2", 1, DECIDE_HW_REVISION);
	decision_free(&dec);
	manifest_free(m);
}

static void test_decide_attributes_criterion_matches_device_attributes(void **state)
{
	(void)state;
	struct manifest *m = example_with_site();
	struct device_facts d = gw();
	const struct device_attribute north[] = { { "site", "north" } }, lab[] = { { "site", "lab-3" } },
				      south[] = { { "site", "south" } };
	d.attributes = north;
	d.n_attributes = 1;
	struct decision dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	decision_free(&dec);
	d.attributes = lab;
	dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	decision_free(&dec);
	d.attributes = south;
	dec = decide_ok(m, &d);
	assert_refused(&dec, "attribute site 'south' is not one of north, lab-* (variant gw-x)", 1,
		       DECIDE_ATTRIBUTE);
	assert_string_equal(decide_code_name(dec.reasons[0].code), "attribute");
	decision_free(&dec);
	d.attributes = NULL;
	d.n_attributes = 0;
	dec = decide_ok(m, &d);
	assert_refused(&dec, "attribute site is not set, variant gw-x needs one of north, lab-*", 1,
		       DECIDE_ATTRIBUTE);
	decision_free(&dec);
	manifest_free(m);
}

static void test_compat_attributes_round_trip_and_validate(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct manifest *m = example_with_site(), *again = NULL;
	char *text = NULL, buf[256];
	size_t len = 0;
	assert_ok(manifest_serialize(m, &text, &len, &err), err);
	assert_ok(manifest_parse(text, len, "manifest.json", &again, &err), err);
	const struct compat *c = &again->variants[0].compatible;
	assert_int_equal(c->n_attributes, 1);
	assert_string_equal(c->attributes[0].name, "site");
	assert_string_equal(c->attributes[0].globs[1], "lab-*");
	assert_string_equal(compat_describe(c, buf, sizeof(buf)),
			    "device_type gw-x; hw_revision >=2; installed_version >=2.0.0 <2.4.1; site north|lab-*");
	free(text);
	manifest_free(again);
	manifest_free(m);
}

static void test_fleet_attributes_reach_the_decision(void **state)
{
	(void)state;
	struct ferry_error *err = NULL;
	struct fleet *f = NULL;
	const char *text = "{\"format\":1,\"devices\":[{\"id\":\"gw-0001\",\"type\":\"gw-x\","
			   "\"hw_revision\":2,\"groups\":[\"canary\"],\"installed\":{\"edge-os\":\"2.3.0\"},"
			   "\"security_version\":6,\"attributes\":{\"site\":\"south\"}}]}";
	assert_ok(fleet_parse(text, strlen(text), "fleet.json", &f, &err), err);
	struct manifest *m = example_with_site();
	struct device_facts d;
	fleet_device_facts(&f->devices[0], m->name, &d);
	assert_int_equal(d.n_attributes, 1);
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "attribute site 'south'", 1, DECIDE_ATTRIBUTE);
	decision_free(&dec);
	manifest_free(m);
	fleet_free(f);
	const char *bad = "{\"format\":1,\"devices\":[{\"id\":\"x\",\"type\":\"t\","
			  "\"attributes\":{\"site\":3}}]}";
	assert_false(fleet_parse(bad, strlen(bad), "fleet.json", &f, &err));
	assert_non_null(strstr(ferry_error_message(err), "attributes.site: must be a string"));
	ferry_error_clear(&err);
}

static void test_decide_refuses_installed_version_outside_range(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = gw();
	d.installed_version = "1.9.9";
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "installed edge-os 1.9.9 is outside >=2.0.0 <2.4.1 (variant gw-x)", 1,
		       DECIDE_INSTALLED_VERSION);
	decision_free(&dec);
	d.installed_version = NULL;
	dec = decide_ok(m, &d);
	assert_refused(&dec, "edge-os is not installed, variant gw-x needs an installed version in", 1,
		       DECIDE_INSTALLED_VERSION);
	decision_free(&dec);
	manifest_free(m);
}

static void test_decide_rollout_selects_by_devices_groups_and_percent(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = gw();
	d.groups = production;
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "not in the rollout groups (canary, lab); the device is in production", 1,
		       DECIDE_ROLLOUT);
	decision_free(&dec);
	d.groups = NULL;
	dec = decide_ok(m, &d);
	assert_refused(&dec, "the device is in no group", 1, DECIDE_ROLLOUT);
	decision_free(&dec);

	/* Named devices always take it, whatever groups and percent say. */
	char *named[] = { "gw-0001", NULL }, **listed = m->rollout.devices;
	m->rollout.devices = named;
	m->rollout.percent = 0;
	dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	decision_free(&dec);
	m->rollout.devices = listed;

	/* percent 0 takes nobody, 100 everybody (in the groups). */
	d.groups = canary;
	dec = decide_ok(m, &d);
	assert_refused(&dec, "outside the 0% rollout (the device's bucket is", 1, DECIDE_ROLLOUT);
	decision_free(&dec);
	unsigned bucket = decide_rollout_bucket("edge-os", "gw-0001");
	m->rollout.percent = (int)bucket;
	dec = decide_ok(m, &d);
	assert_null(dec.variant);
	decision_free(&dec);
	m->rollout.percent = (int)bucket + 1;
	dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	decision_free(&dec);
	manifest_free(m);
}

static void test_decide_rollout_bucket_is_sha256_of_name_and_id(void **state)
{
	(void)state;
	uint8_t digest[SHA256_LEN];
	sha256_buffer("edge-osgw-0001", strlen("edge-osgw-0001"), digest);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | digest[i];
	assert_int_equal(decide_rollout_bucket("edge-os", "gw-0001"), v % 100);
	/* Stable, and spread: a 10% rollout takes about a tenth of a fleet. */
	unsigned in = 0;
	for (int i = 0; i < 2000; i++) {
		char id[32];
		snprintf(id, sizeof(id), "dev-%05d", i);
		unsigned b = decide_rollout_bucket("edge-os", id);
		assert_true(b < 100);
		assert_int_equal(b, decide_rollout_bucket("edge-os", id));
		in += b < 10;
	}
	assert_in_range(in, 120, 280);
}

static void test_decide_refuses_lower_security_version(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = gw();
	d.security_version = 8;
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "security_version 7 is below 8, the highest this device has installed", 1,
		       DECIDE_SECURITY_VERSION);
	decision_free(&dec);
	d.security_version = 7;   /* equal is fine */
	dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	decision_free(&dec);
	manifest_free(m);
}

static void test_antirollback_targets_of_a_variant(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct ferry_error *err = NULL;
	char **t = NULL;
	assert_ok(antirollback_targets(m, &m->variants[0], &t, &err), err);
	assert_string_equal(t[0], "bundle:edge-os");
	assert_string_equal(t[1], "rootfs-ab:rootfs");   /* the default slot pair */
	assert_string_equal(t[2], "files:app");
	assert_null(t[3]);
	antirollback_targets_free(t);
	assert_ok(antirollback_targets(m, NULL, &t, &err), err);
	assert_string_equal(t[0], "bundle:edge-os");
	assert_null(t[1]);
	antirollback_targets_free(t);
	/* a target's own value and "*" (every target, kept from schema 1): the higher */
	struct security_floor f[] = { { "files:app", 3 }, { ANTIROLLBACK_EVERY, 5 }, { "module:x", 9 } };
	assert_int_equal(antirollback_floor(f, 3, "files:app"), 5);
	assert_int_equal(antirollback_floor(f, 3, "module:x"), 9);
	assert_int_equal(antirollback_floor(f, 1, "rootfs-ab:rootfs"), 0);
	manifest_free(m);
}

/* issue 11 item 8: the highest security_version per target, not per device */
static void test_decide_refuses_below_a_targets_security_version(void **state)
{
	(void)state;
	struct manifest *m = example();   /* edge-os, security_version 7, gw-x: rootfs + files:app */
	struct device_facts d = gw();
	d.security_version = 0;
	struct security_floor slot[] = { { "rootfs-ab:rootfs", 8 }, { "bundle:other-os", 8 } };
	d.floors = slot;
	d.n_floors = 2;
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "security_version 7 is below 8, the highest installed on rootfs-ab:rootfs",
		       1, DECIDE_SECURITY_VERSION);
	decision_free(&dec);
	/* unrelated targets keep their own: a higher level elsewhere is no reason */
	struct security_floor other[] = { { "files:other", 9 }, { "bundle:other-os", 9 },
					  { "rootfs-ab:recovery", 9 }, { "rootfs-ab:rootfs", 7 } };
	d.floors = other;
	d.n_floors = 4;
	dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	decision_free(&dec);
	/* "*" holds every target: each is named */
	struct security_floor every[] = { { ANTIROLLBACK_EVERY, 8 } };
	d.floors = every;
	d.n_floors = 1;
	dec = decide_ok(m, &d);
	assert_refused(&dec, "the highest installed on bundle:edge-os", 3, DECIDE_SECURITY_VERSION,
		       DECIDE_SECURITY_VERSION, DECIDE_SECURITY_VERSION);
	assert_non_null(strstr(dec.reasons[2].message, "on files:app"));
	decision_free(&dec);
	manifest_free(m);
}

static void test_decide_refuses_same_version_and_downgrade(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = gw();
	free(m->variants[0].compatible.installed_version);
	m->variants[0].compatible.installed_version = NULL;
	d.installed_version = "2.4.1+other-build";
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "edge-os 2.4.1+other-build is already installed", 1, DECIDE_ALREADY_INSTALLED);
	decision_free(&dec);
	d.installed_version = "2.10.0";
	dec = decide_ok(m, &d);
	assert_refused(&dec, "downgrade: edge-os 2.10.0 is installed, this bundle is 2.4.1", 1,
		       DECIDE_DOWNGRADE);
	decision_free(&dec);
	d.installed_version = "2.4.1-rc.1";   /* the release after its candidate: an upgrade */
	dec = decide_ok(m, &d);
	assert_non_null(dec.variant);
	decision_free(&dec);
	manifest_free(m);
}

static void test_decide_lists_every_reason(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = { .id = "gw-0009", .device_type = "gw-x", .hw_revision = 1,
				  .installed_version = "1.9.0", .groups = production,
				  .security_version = 9 };
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "hardware revision 1", 4, DECIDE_HW_REVISION, DECIDE_INSTALLED_VERSION,
		       DECIDE_ROLLOUT, DECIDE_SECURITY_VERSION);
	assert_false(decide_is_nothing_new(&dec));
	assert_false(decide_is_out_of_scope(&dec));
	decision_free(&dec);
	manifest_free(m);
}

/* The same or a higher version installed ends the decision as nothing new,
 * whatever the installed_version range or the rollout say (issue 14 item 1a). */
static void test_decide_not_newer_is_nothing_new_only(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = { .id = "gw-0009", .device_type = "gw-x", .hw_revision = 1,
				  .installed_version = "2.4.1", .groups = production,
				  .security_version = 9 };
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "already installed", 1, DECIDE_ALREADY_INSTALLED);
	assert_true(decide_is_nothing_new(&dec));
	decision_free(&dec);
	d.installed_version = "2.5.0";
	dec = decide_ok(m, &d);
	assert_refused(&dec, "downgrade", 1, DECIDE_DOWNGRADE);
	assert_true(decide_is_nothing_new(&dec));
	decision_free(&dec);
	manifest_free(m);
}

/* A device type no variant lists: that one reason, whatever else (item 1b). */
static void test_decide_out_of_scope_is_the_only_reason(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = { .id = "cam-0009", .device_type = "cam-z", .hw_revision = -1,
				  .installed_version = "2.5.0", .groups = production,
				  .security_version = 99 };
	struct decision dec = decide_ok(m, &d);
	assert_refused(&dec, "device type cam-z is not listed", 1, DECIDE_DEVICE_TYPE);
	assert_true(decide_is_out_of_scope(&dec));
	assert_false(decide_is_nothing_new(&dec));
	assert_false(decide_lists_type(m, "cam-z"));
	assert_true(decide_lists_type(m, "gw-x"));
	decision_free(&dec);
	manifest_free(m);
}

static void test_decide_rejects_broken_facts(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = gw();
	struct decision dec;
	struct ferry_error *err = NULL;
	d.installed_version = "2.3";
	assert_false(decide(m, &d, &dec, &err));
	assert_error_contains(err, "device gw-0001: installed version of edge-os: '2.3': not MAJOR.MINOR.PATCH");
	assert_int_equal(dec.n_reasons, 0);
	ferry_error_free(err);
	manifest_free(m);
}

static void test_decide_keeps_the_highest_version_per_bundle(void **state)
{
	(void)state;
	struct manifest *ms[4] = { example(), example(), example(), example() };
	const char *versions[4] = { "2.4.0", "2.4.1", "2.4.1", "3.0.0" };
	struct decision ds[4];
	struct ferry_error *err = NULL;
	for (int i = 0; i < 4; i++) {
		free(ms[i]->version);
		ms[i]->version = strdup(versions[i]);
		free(ms[i]->variants[0].compatible.installed_version);
		ms[i]->variants[0].compatible.installed_version = NULL;
	}
	free(ms[3]->name);
	ms[3]->name = strdup("other-app");
	struct device_facts d = gw();
	for (int i = 0; i < 4; i++)
		ds[i] = decide_ok(ms[i], &d);
	assert_ok(decide_keep_highest(ds, 4, &err), err);
	assert_refused(&ds[0], "superseded by edge-os 2.4.1", 1, DECIDE_SUPERSEDED);
	assert_non_null(ds[1].variant);
	assert_refused(&ds[2], "superseded by edge-os 2.4.1 (the same version, listed earlier)", 1,
		       DECIDE_SUPERSEDED);
	assert_non_null(ds[3].variant);   /* another bundle name does not compete */
	assert_int_equal(ds[3].n_reasons, 0);
	for (int i = 0; i < 4; i++) {
		decision_free(&ds[i]);
		manifest_free(ms[i]);
	}
}

static void test_decide_json_has_codes_and_messages(void **state)
{
	(void)state;
	struct manifest *m = example();
	struct device_facts d = gw();
	d.hw_revision = 1;
	struct decision dec = decide_ok(m, &d);
	json_t *j = decision_json(&dec);
	char *text = json_dump_canonical(j);
	assert_string_equal(text, "{\"bundle\":\"edge-os\",\"reasons\":[{\"code\":\"hw_revision\","
				  "\"message\":\"hardware revision 1 is outside >=2 (variant gw-x)\"}],"
				  "\"result\":\"refused\",\"version\":\"2.4.1\"}");
	free(text);
	json_decref(j);
	decision_free(&dec);
	d.hw_revision = 2;
	dec = decide_ok(m, &d);
	j = decision_json(&dec);
	text = json_dump_canonical(j);
	assert_string_equal(text, "{\"bundle\":\"edge-os\",\"reasons\":[],\"result\":\"install\","
				  "\"variant\":\"gw-x\",\"version\":\"2.4.1\"}");
	free(text);
	json_decref(j);
	decision_free(&dec);
	assert_string_equal(decide_code_name(DECIDE_ALREADY_INSTALLED), "already_installed");
	manifest_free(m);
}

static void test_fleet_loads_example_and_gives_facts(void **state)
{
	(void)state;
	struct fleet *f = NULL;
	struct ferry_error *err = NULL;
	char *path = test_data_path("../../examples/fleet.json");
	assert_ok(fleet_load(path, &f, &err), err);
	free(path);
	assert_int_equal(f->n_devices, 6);
	struct device_facts d;
	fleet_device_facts(&f->devices[0], "edge-os", &d);
	assert_string_equal(d.id, "gw-0001");
	assert_string_equal(d.device_type, "gw-x");
	assert_int_equal(d.hw_revision, 2);
	assert_string_equal(d.installed_version, "2.3.0");
	assert_string_equal(d.groups[0], "canary");
	assert_int_equal(d.security_version, 6);
	fleet_device_facts(&f->devices[0], "other", &d);
	assert_null(d.installed_version);
	fleet_device_facts(&f->devices[5], "edge-os", &d);
	assert_null(d.installed_version);
	assert_int_equal(d.security_version, 0);
	fleet_free(f);
}

/* The story `make demo` tells: who in examples/fleet.json takes
 * examples/manifest.json, and why the others do not. */
static void test_decide_example_fleet_story(void **state)
{
	(void)state;
	static const struct {
		const char *id, *variant;
		int codes[4];   /* -1 terminated */
	} want[] = {
		{ "gw-0001", "gw-x", { -1 } },
		{ "gw-0002", NULL, { DECIDE_HW_REVISION, -1 } },
		{ "gw-0003", NULL, { DECIDE_ROLLOUT, -1 } },
		{ "gw-0004", NULL, { DECIDE_DOWNGRADE, -1 } },
		{ "sn-0001", "sensor-y", { -1 } },
		{ "cam-0001", NULL, { DECIDE_DEVICE_TYPE, -1 } },
	};
	struct manifest *m = example();
	struct fleet *f = NULL;
	struct ferry_error *err = NULL;
	char *path = test_data_path("../../examples/fleet.json");
	assert_ok(fleet_load(path, &f, &err), err);
	free(path);
	assert_int_equal(f->n_devices, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < f->n_devices; i++) {
		struct device_facts d;
		fleet_device_facts(&f->devices[i], m->name, &d);
		assert_string_equal(d.id, want[i].id);
		struct decision dec = decide_ok(m, &d);
		if (want[i].variant)
			assert_string_equal(dec.variant->id, want[i].variant);
		else
			assert_null(dec.variant);
		size_t n = 0;
		while (want[i].codes[n] >= 0) {
			assert_true(n < dec.n_reasons);
			assert_int_equal(dec.reasons[n].code, want[i].codes[n]);
			n++;
		}
		assert_int_equal(dec.n_reasons, n);
		decision_free(&dec);
	}
	fleet_free(f);
	manifest_free(m);
}

static void test_fleet_rejects_bad_entries(void **state)
{
	(void)state;
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "{\"format\":2,\"devices\":[]}", "fleet.json: format: unsupported format 2" },
		{ "{\"format\":1}", "fleet.json: devices: missing" },
		{ "{\"format\":1,\"devices\":[{\"id\":\"a\"}]}", "devices[0].type: missing" },
		{ "{\"format\":1,\"devices\":[{\"id\":\"a\",\"type\":\"t\",\"x\":1}]}", "devices[0].x: unknown key" },
		{ "{\"format\":1,\"devices\":[{\"id\":\"a\",\"type\":\"t\",\"installed\":{\"os\":\"1.0\"}}]}",
		  "devices[0].installed.os: '1.0': not MAJOR.MINOR.PATCH" },
		{ "{\"format\":1,\"devices\":[{\"id\":\"a\",\"type\":\"t\"},{\"id\":\"a\",\"type\":\"t\"}]}",
		  "devices[1].id: 'a' is listed twice" },
		{ "{\"format\":1,\"devices\":[{\"id\":\"a\",\"type\":\"t\",\"hw_revision\":-1}]}",
		  "devices[0].hw_revision: must be between 0" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fleet *f = NULL;
		struct ferry_error *err = NULL;
		if (fleet_parse(bad[i].text, strlen(bad[i].text), "fleet.json", &f, &err))
			fail_msg("accepted: %s", bad[i].text);
		assert_null(f);
		assert_error_contains(err, bad[i].needle);
		ferry_error_free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_takes_the_matching_variant),
		cmocka_unit_test(test_decide_matches_device_type_globs),
		cmocka_unit_test(test_decide_takes_first_fitting_variant),
		cmocka_unit_test(test_decide_refuses_hw_revision_outside_range),
		cmocka_unit_test(test_decide_refuses_installed_version_outside_range),
		cmocka_unit_test(test_decide_attributes_criterion_matches_device_attributes),
		cmocka_unit_test(test_compat_attributes_round_trip_and_validate),
		cmocka_unit_test(test_fleet_attributes_reach_the_decision),
		cmocka_unit_test(test_decide_rollout_selects_by_devices_groups_and_percent),
		cmocka_unit_test(test_decide_rollout_bucket_is_sha256_of_name_and_id),
		cmocka_unit_test(test_decide_refuses_lower_security_version),
		cmocka_unit_test(test_antirollback_targets_of_a_variant),
		cmocka_unit_test(test_decide_refuses_below_a_targets_security_version),
		cmocka_unit_test(test_decide_refuses_same_version_and_downgrade),
		cmocka_unit_test(test_decide_lists_every_reason),
		cmocka_unit_test(test_decide_not_newer_is_nothing_new_only),
		cmocka_unit_test(test_decide_out_of_scope_is_the_only_reason),
		cmocka_unit_test(test_decide_rejects_broken_facts),
		cmocka_unit_test(test_decide_keeps_the_highest_version_per_bundle),
		cmocka_unit_test(test_decide_json_has_codes_and_messages),
		cmocka_unit_test(test_fleet_loads_example_and_gives_facts),
		cmocka_unit_test(test_decide_example_fleet_story),
		cmocka_unit_test(test_fleet_rejects_bad_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
