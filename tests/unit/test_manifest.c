/* Tests for common/manifest*.c: parsing, validation, serialization, and the
 * corpus under tests/data/manifests (bad/NAME.json is rejected with a message
 * containing bad/NAME.err; every good/ file is accepted and round-trips). */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/manifest.h"
#include "common/safefile.h"

static void load(const char *rel, char **data, size_t *len)
{
	struct ferry_error *err = NULL;
	char *path = test_data_path(rel);
	assert_ok(read_file_limited(path, 4 * 1024 * 1024, data, len, &err), err);
	free(path);
}

/* examples/ lives beside tests/ under FERRY_ROOT. */
static void load_example(const char *name, char **data, size_t *len)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "../../examples/%s", name);
	load(rel, data, len);
}

static bool is_spec_name(const char *file)
{
	return strncmp(file, "spec-", 5) == 0;
}

static bool parse_as(const char *file, const char *data, size_t len, struct manifest **m,
		     struct ferry_error **err)
{
	if (is_spec_name(file))
		return manifest_parse_spec(data, len, "spec.json", m, err);
	return manifest_parse(data, len, "manifest.json", m, err);
}

static void test_manifest_parses_example(void **state)
{
	(void)state;
	char *data;
	size_t len;
	struct manifest *m = NULL;
	struct ferry_error *err = NULL;
	load_example("manifest.json", &data, &len);
	assert_ok(manifest_parse(data, len, "manifest.json", &m, &err), err);
	assert_false(m->is_spec);
	assert_string_equal(m->name, "edge-os");
	assert_string_equal(m->version, "2.4.1");
	assert_int_equal(m->security_version, 7);
	assert_int_equal(m->n_variants, 2);
	const struct variant *gw = &m->variants[0];
	assert_string_equal(gw->id, "gw-x");
	assert_string_equal(gw->compatible.device_type[0], "gw-x");
	assert_null(gw->compatible.device_type[1]);
	assert_string_equal(gw->compatible.hw_revision, ">=2");
	assert_string_equal(gw->compatible.installed_version, ">=2.0.0 <2.4.1");
	assert_int_equal(gw->n_payloads, 2);
	assert_string_equal(gw->payloads[0].handler, "rootfs-ab");
	assert_null(gw->payloads[0].target);
	assert_int_equal(gw->payloads[0].compression, COMPRESSION_ZSTD);
	assert_int_equal(gw->payloads[0].size, 268435456);
	assert_string_equal(gw->payloads[1].target, "app");
	assert_string_equal(gw->payloads[1].chunks, "payloads/gw-x/app.tar.zst.chunks");
	assert_true(gw->hooks[HOOK_PRE_INSTALL].present);
	assert_false(gw->hooks[HOOK_POST_INSTALL].present);
	assert_string_equal(gw->hooks[HOOK_HEALTH_CHECK].member, "payloads/gw-x/check.sh");
	assert_int_equal(gw->hooks[HOOK_HEALTH_CHECK].size, 200);
	assert_null(m->variants[1].compatible.hw_revision);
	assert_int_equal(m->variants[1].payloads[0].compression, COMPRESSION_XZ);
	assert_string_equal(m->rollout.groups[1], "lab");
	assert_int_equal(strv_len(m->rollout.devices), 0);
	assert_int_equal(m->rollout.percent, 100);
	assert_int_equal(m->confirm, CONFIRM_AUTO);
	manifest_free(m);
	free(data);
}

static void test_manifest_defaults_optional_fields(void **state)
{
	(void)state;
	char *data;
	size_t len;
	struct manifest *m = NULL;
	struct ferry_error *err = NULL;
	load("manifests/good/minimal.json", &data, &len);
	assert_ok(manifest_parse(data, len, NULL, &m, &err), err);
	assert_null(m->description);
	assert_null(m->rollout.groups);
	assert_null(m->rollout.devices);
	assert_int_equal(m->rollout.percent, 100);
	assert_int_equal(m->confirm, CONFIRM_AUTO);
	assert_int_equal(m->variants[0].payloads[0].compression, COMPRESSION_NONE);
	assert_false(m->variants[0].payloads[0].allow_setuid);
	manifest_free(m);
	free(data);
}

static void test_manifest_parses_spec_with_files_and_default_compression(void **state)
{
	(void)state;
	char *data;
	size_t len;
	struct manifest *m = NULL;
	struct ferry_error *err = NULL;
	load("manifests/good/spec-example.json", &data, &len);
	assert_ok(manifest_parse_spec(data, len, "spec.json", &m, &err), err);
	assert_true(m->is_spec);
	assert_null(m->created);
	const struct variant *v = &m->variants[0];
	assert_string_equal(v->payloads[0].file, "build/rootfs.img");
	assert_null(v->payloads[0].member);
	assert_int_equal(v->payloads[0].compression, COMPRESSION_ZSTD);
	assert_int_equal(v->payloads[1].compression, COMPRESSION_XZ);
	assert_string_equal(v->payloads[0].sha256, "");
	assert_string_equal(v->hooks[HOOK_HEALTH_CHECK].file, "hooks/check.sh");
	manifest_free(m);
	/* A spec is not a manifest: no member, sizes or hashes. */
	assert_false(manifest_parse(data, len, "spec.json", &m, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
	free(data);
}

static void test_manifest_example_spec_matches_example_manifest(void **state)
{
	(void)state;
	char *data;
	size_t len;
	struct manifest *spec = NULL, *m = NULL;
	struct ferry_error *err = NULL;
	load_example("spec.json", &data, &len);
	assert_ok(manifest_parse_spec(data, len, "examples/spec.json", &spec, &err), err);
	free(data);
	load_example("manifest.json", &data, &len);
	assert_ok(manifest_parse(data, len, NULL, &m, &err), err);
	free(data);
	/* The spec is what ferry-pack would turn into the example manifest. */
	assert_string_equal(spec->name, m->name);
	assert_string_equal(spec->version, m->version);
	assert_int_equal(spec->n_variants, m->n_variants);
	for (size_t i = 0; i < m->n_variants; i++) {
		assert_string_equal(spec->variants[i].id, m->variants[i].id);
		assert_int_equal(spec->variants[i].n_payloads, m->variants[i].n_payloads);
		for (size_t j = 0; j < m->variants[i].n_payloads; j++)
			assert_int_equal(spec->variants[i].payloads[j].compression,
					 m->variants[i].payloads[j].compression);
	}
	manifest_free(spec);
	manifest_free(m);
}

/* serialize(parse(x)) is a fixed point, and canonical files are their own
 * serialization byte for byte. */
static void assert_round_trip(const char *label, const char *data, size_t len, bool spec,
			      bool canonical)
{
	struct manifest *m = NULL, *m2 = NULL;
	struct ferry_error *err = NULL;
	char *out = NULL, *out2 = NULL;
	size_t out_len = 0, out2_len = 0;
	bool ok = spec ? manifest_parse_spec(data, len, label, &m, &err)
		       : manifest_parse(data, len, label, &m, &err);
	assert_ok(ok, err);
	assert_ok(manifest_serialize(m, &out, &out_len, &err), err);
	assert_int_equal(strlen(out), out_len);
	assert_int_equal(out[out_len - 1], '\n');
	ok = spec ? manifest_parse_spec(out, out_len, label, &m2, &err)
		  : manifest_parse(out, out_len, label, &m2, &err);
	assert_ok(ok, err);
	assert_ok(manifest_serialize(m2, &out2, &out2_len, &err), err);
	assert_int_equal(out_len, out2_len);
	assert_memory_equal(out, out2, out_len);
	if (canonical && (out_len != len || memcmp(out, data, len) != 0))
		fail_msg("%s is not in canonical form; serialization:\n%s", label, out);
	manifest_free(m);
	manifest_free(m2);
	free(out);
	free(out2);
}

static void test_manifest_serialize_round_trips(void **state)
{
	(void)state;
	char *data;
	size_t len;
	load_example("manifest.json", &data, &len);
	assert_round_trip("examples/manifest.json", data, len, false, true);
	free(data);
	load("manifests/good/full.json", &data, &len);
	assert_round_trip("good/full.json", data, len, false, true);
	free(data);
	load("manifests/good/minimal.json", &data, &len);
	assert_round_trip("good/minimal.json", data, len, false, false);
	free(data);
	load("manifests/good/spec-example.json", &data, &len);
	assert_round_trip("good/spec-example.json", data, len, true, false);
	free(data);
}

static void test_manifest_serialize_refuses_invalid(void **state)
{
	(void)state;
	char *data, *out = NULL;
	size_t len, out_len;
	struct manifest *m = NULL;
	struct ferry_error *err = NULL;
	load_example("manifest.json", &data, &len);
	assert_ok(manifest_parse(data, len, NULL, &m, &err), err);
	/* What ferry-pack would have filled in wrongly: caught before signing. */
	m->variants[1].payloads[0].size = 0;
	assert_false(manifest_serialize(m, &out, &out_len, &err));
	assert_null(out);
	assert_error_code(err, FERRY_E_FORMAT);
	assert_error_contains(err, "manifest.json: variants[1].payloads[0].size: must be a positive integer");
	ferry_error_clear(&err);
	m->variants[1].payloads[0].size = 1;
	strcpy(m->variants[0].payloads[1].sha256, "");
	assert_false(manifest_validate(m, "out.json", &err));
	assert_error_code(err, FERRY_E_FORMAT);
	assert_error_contains(err, "out.json: variants[0].payloads[1].sha256: must be 64 lowercase hex");
	ferry_error_clear(&err);
	free(m->variants[0].payloads[1].member);
	m->variants[0].payloads[1].member = NULL;
	strcpy(m->variants[0].payloads[1].sha256, m->variants[0].payloads[0].sha256);
	assert_false(manifest_validate(m, NULL, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	assert_error_contains(err, "manifest.json: variants[0].payloads[1].member: missing");
	ferry_error_free(err);
	manifest_free(m);
	free(data);
}

static void test_manifest_bundle_filename_is_fat_safe(void **state)
{
	(void)state;
	char *data, *name = NULL;
	size_t len;
	struct manifest *m = NULL;
	struct ferry_error *err = NULL;
	load_example("manifest.json", &data, &len);
	assert_ok(manifest_parse(data, len, NULL, &m, &err), err);
	assert_ok(manifest_bundle_filename(m, &name, &err), err);
	assert_string_equal(name, "edge-os-2.4.1.ferry");
	free(name);
	free(m->version);
	m->version = strdup("2.4.1-RC.1");
	assert_false(manifest_bundle_filename(m, &name, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
	manifest_free(m);
	free(data);
}

static void test_manifest_names_compressions_and_hooks(void **state)
{
	(void)state;
	enum compression c;
	assert_true(compression_from_name("xz", &c));
	assert_int_equal(c, COMPRESSION_XZ);
	assert_true(compression_from_name("none", &c));
	assert_int_equal(c, COMPRESSION_NONE);
	assert_false(compression_from_name("ZSTD", &c));
	assert_false(compression_from_name(NULL, &c));
	assert_string_equal(compression_name(COMPRESSION_ZSTD), "zstd");
	assert_string_equal(hook_kind_name(HOOK_HEALTH_CHECK), "health_check");
	assert_string_equal(hook_kind_name(HOOK_POST_INSTALL), "post_install");
}

static void test_manifest_rejects_oversized_input(void **state)
{
	(void)state;
	size_t len = MANIFEST_MAX_BYTES + 1;
	char *big = malloc(len);
	struct manifest *m = NULL;
	struct ferry_error *err = NULL;
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	assert_false(manifest_parse(big, len, "manifest.json", &m, &err));
	assert_null(m);
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
	free(big);
}

/* Deterministic random damage to a valid manifest: every result is either a
 * valid manifest or a one-line error naming manifest.json; never a crash or
 * a leak (run under `make asan`). */
static void test_manifest_survives_random_damage(void **state)
{
	(void)state;
	char *orig;
	size_t orig_len;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	load_example("manifest.json", &orig, &orig_len);
	char *buf = malloc(orig_len * 2 + 16);
	for (int round = 0; round < 3000; round++) {
		size_t len = orig_len;
		memcpy(buf, orig, len);
		for (int k = 0; k < 1 + round % 4; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = (size_t)(x >> 8) % len, n = 1 + (size_t)(x >> 40) % 16;
			if (at + n > len)
				n = len - at;
			switch (x % 4) {
			case 0: buf[at] = (char)(x >> 32); break;                          /* any byte */
			case 1: buf[at] = "{}[],:\"0-9 .e\\"[(x >> 32) % 15]; break;   /* JSON syntax */
			case 2: memmove(buf + at, buf + at + n, len - at - n); len -= n; break;
			case 3: if (len + n <= orig_len * 2) {                             /* repeat a run */
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
				break;
			}
			if (len == 0)
				break;
		}
		struct manifest *m = NULL;
		struct ferry_error *err = NULL;
		if (manifest_parse(buf, len, "manifest.json", &m, &err)) {
			manifest_free(m);
			continue;
		}
		const char *msg = ferry_error_message(err);
		if (strncmp(msg, "manifest.json: ", 15) != 0 || strchr(msg, '\n'))
			fail_msg("round %d: bad message '%s'", round, msg);
		ferry_error_free(err);
	}
	free(buf);
	free(orig);
}

static char **list_dir(const char *rel, const char *suffix, size_t *n)
{
	char *dir = test_data_path(rel);
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	char **names = NULL;
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);
		if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0)
			continue;
		names = realloc(names, (*n + 1) * sizeof(*names));
		names[(*n)++] = strndup(e->d_name, l - sl);
	}
	closedir(d);
	free(dir);
	return names;
}

static void test_manifest_rejects_every_bad_corpus_file(void **state)
{
	(void)state;
	size_t n = 0;
	char **names = list_dir("manifests/bad", ".json", &n);
	size_t wrong = 0;
	assert_true(n >= 30);
	for (size_t i = 0; i < n; i++) {
		char rel[512], *data, *want;
		size_t len, want_len;
		struct manifest *m = NULL;
		struct ferry_error *err = NULL;
		snprintf(rel, sizeof(rel), "manifests/bad/%s.err", names[i]);
		load(rel, &want, &want_len);
		while (want_len && want[want_len - 1] == '\n')
			want[--want_len] = '\0';
		snprintf(rel, sizeof(rel), "manifests/bad/%s.json", names[i]);
		load(rel, &data, &len);
		/* Report every mismatch, then fail once. */
		bool accepted = parse_as(names[i], data, len, &m, &err);
		const char *msg = ferry_error_message(err);
		const char *file = is_spec_name(names[i]) ? "spec.json: " : "manifest.json: ";
		if (accepted || m || !strstr(msg, want) || strncmp(msg, file, strlen(file)) != 0 ||
		    strchr(msg, '\n')) {
			print_error("bad/%s.json: expected one line with '%s', got '%s'\n", names[i], want,
				    accepted ? "(accepted)" : msg);
			wrong++;
		}
		manifest_free(m);
		ferry_error_free(err);
		free(data);
		free(want);
		free(names[i]);
	}
	free(names);
	assert_int_equal(wrong, 0);
}

static void test_manifest_accepts_every_good_corpus_file(void **state)
{
	(void)state;
	size_t n = 0;
	char **names = list_dir("manifests/good", ".json", &n);
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++) {
		char rel[512], *data;
		size_t len;
		struct manifest *m = NULL;
		struct ferry_error *err = NULL;
		snprintf(rel, sizeof(rel), "manifests/good/%s.json", names[i]);
		load(rel, &data, &len);
		if (!parse_as(names[i], data, len, &m, &err))
			fail_msg("good/%s.json: %s", names[i], ferry_error_message(err));
		manifest_free(m);
		free(data);
		free(names[i]);
	}
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_parses_example),
		cmocka_unit_test(test_manifest_defaults_optional_fields),
		cmocka_unit_test(test_manifest_parses_spec_with_files_and_default_compression),
		cmocka_unit_test(test_manifest_example_spec_matches_example_manifest),
		cmocka_unit_test(test_manifest_serialize_round_trips),
		cmocka_unit_test(test_manifest_serialize_refuses_invalid),
		cmocka_unit_test(test_manifest_bundle_filename_is_fat_safe),
		cmocka_unit_test(test_manifest_names_compressions_and_hooks),
		cmocka_unit_test(test_manifest_rejects_oversized_input),
		cmocka_unit_test(test_manifest_survives_random_damage),
		cmocka_unit_test(test_manifest_rejects_every_bad_corpus_file),
		cmocka_unit_test(test_manifest_accepts_every_good_corpus_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
