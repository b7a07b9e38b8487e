/* Tests for common/admit.c, the one admission: real GnuPG homes (a signing
 * home with a release signer, a QA signer and a stranger; a device home that
 * knows only the first two), real bundle files, real policies, the example
 * manifest (variants gw-x and sensor-y for device types "sensor-*"). Refusals are
 * asserted by their ferry_code and the step they stopped at; the signature
 * refusals use a manifest that would not even parse, so that a parse before
 * the signature check would show as FERRY_E_FORMAT. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/admit.h"
#include "common/bundle_write.h"
#include "common/json.h"
#include "common/safefile.h"
#include "pgp_fixture.h"

#define JUNK "this { is not a manifest"

struct fx {
	struct pgp_homes *hs;
	char *dir;
	char rel[PGP_FPR_LEN + 1], qa[PGP_FPR_LEN + 1], stranger[PGP_FPR_LEN + 1];
	char *manifest;                 /* examples/manifest.json: edge-os 2.4.1, gw-x and sensor-y */
	size_t len;
	struct policy *policy;          /* rel: release for gw-*, sensor-*; qa: qa only */
	struct policy *gw_only;         /* rel may release for gw-* only */
	struct policy *any;             /* rel may release for every device type */
};

static struct policy *policy_for(const struct fx *f, const char *rel_types)
{
	char *text = NULL;
	struct policy *p = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&text,
		"{\"format\":1,\"serial\":3,\"issued\":\"2026-11-24T10:00:00Z\","
		"\"roots\":{\"keys\":[\"0000000000000000000000000000000000000001\"],\"threshold\":1},"
		"\"signers\":[{\"fingerprint\":\"%s\",\"name\":\"Release CI\",\"roles\":[\"release\"],"
		"\"device_types\":[%s]},"
		"{\"fingerprint\":\"%s\",\"name\":\"QA Lead\",\"roles\":[\"qa\"],\"device_types\":[\"*\"]}],"
		"\"revoked\":[],\"rules\":[]}", f->rel, rel_types, f->qa) > 0);
	assert_ok(policy_parse(text, strlen(text), "policy.json", &p, &err), err);
	free(text);
	return p;
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ferry_error *err = NULL;
	void *hs = NULL;
	if (!f || pgp_homes_setup(&hs) != 0)
		return -1;
	f->hs = hs;
	f->dir = test_tmpdir();
	pgp_home_key(&f->hs->h[0], "Release CI", f->rel);
	pgp_home_key(&f->hs->h[0], "QA Lead", f->qa);
	pgp_home_key(&f->hs->h[0], "Stranger", f->stranger);
	pgp_home_copy_public(&f->hs->h[0], &f->hs->h[1], f->rel);
	pgp_home_copy_public(&f->hs->h[0], &f->hs->h[1], f->qa);
	char *path = test_data_path("../../examples/manifest.json");
	assert_ok(read_file_limited(path, MANIFEST_MAX_BYTES, &f->manifest, &f->len, &err), err);
	free(path);
	f->policy = policy_for(f, "\"gw-*\",\"sensor-*\"");
	f->gw_only = policy_for(f, "\"gw-*\"");
	f->any = policy_for(f, "\"*\"");
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	void *hs = f->hs;
	policy_free(f->policy);
	policy_free(f->gw_only);
	policy_free(f->any);
	free(f->manifest);
	test_tmpdir_remove(f->dir);
	pgp_homes_teardown(&hs);
	free(f);
	return 0;
}

/* Detached signatures by each of fprs (NULL-terminated) over len bytes,
 * concatenated into *sigs (caller frees), appended to what is there. */
static void sign(struct fx *f, const char *bytes, size_t len, const char *const *fprs, char **sigs,
		 size_t *sigs_len)
{
	struct ferry_error *err = NULL;
	for (size_t i = 0; fprs && fprs[i]; i++) {
		void *sig = NULL;
		size_t sig_len = 0;
		assert_ok(pgp_sign_detached(f->hs->h[0].pgp, fprs[i], bytes, len, &sig, &sig_len, &err), err);
		*sigs = realloc(*sigs, *sigs_len + sig_len);
		memcpy(*sigs + *sigs_len, sig, sig_len);
		*sigs_len += sig_len;
		free(sig);
	}
}

/* A bundle of just manifest.json and manifest.sig (admission reads no
 * further). Caller frees the path. */
static char *bundle_raw(struct fx *f, const char *name, const char *bytes, size_t len,
			const char *sigs, size_t sigs_len)
{
	struct ferry_error *err = NULL;
	struct bundle_tar *t = NULL;
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s.ferry", f->dir, name) > 0);
	assert_ok(bundle_tar_open(path, 1795514400, &t, &err), err);
	assert_ok(bundle_tar_add(t, BUNDLE_MANIFEST_MEMBER, bytes, len, &err), err);
	assert_ok(bundle_tar_add(t, BUNDLE_SIG_MEMBER, sigs ? sigs : "", sigs_len, &err), err);
	assert_ok(bundle_tar_commit(t, &err), err);
	return path;
}

/* bytes signed by each of fprs — or, with sign_other, signatures made over
 * those other bytes (they do not match). */
static char *bundle(struct fx *f, const char *name, const char *bytes, size_t len,
		    const char *const *fprs, const char *sign_other)
{
	char *sigs = NULL;
	size_t sigs_len = 0;
	if (sign_other)
		sign(f, sign_other, strlen(sign_other), fprs, &sigs, &sigs_len);
	else
		sign(f, bytes, len, fprs, &sigs, &sigs_len);
	char *path = bundle_raw(f, name, bytes, len, sigs, sigs_len);
	free(sigs);
	return path;
}

static char *canary[] = { "canary", NULL };

static struct device_facts gw(void)
{
	return (struct device_facts){ .id = "gw-0001", .device_type = "gw-x", .hw_revision = 2,
				      .installed_version = "2.3.0", .groups = canary,
				      .security_version = 6 };
}

/* Admits path for the devices (n 0: every variant) with the device home. */
static bool admit(struct fx *f, const char *path, const struct policy *p, const struct device_facts *d,
		  size_t n, struct admission *a, struct ferry_error **err)
{
	struct admit_request rq = { .path = path, .pgp = f->hs->h[1].pgp, .policy = p,
				    .devices = d, .n_devices = n };
	return bundle_admit(&rq, a, err);
}

static void test_admit_good_bundle_for_device(void **state)
{
	struct fx *f = *state;
	struct admission a;
	struct ferry_error *err = NULL;
	struct device_facts d = gw();
	char *path = bundle(f, "good", f->manifest, f->len, (const char *[]){ f->rel, NULL }, NULL);
	assert_ok(admit(f, path, f->policy, &d, 1, &a, &err), err);
	assert_int_equal(a.reached, ADMIT_DONE);
	assert_int_equal(a.code, FERRY_E_NONE);
	assert_int_equal(a.sigs.n_sigs, 1);
	assert_int_equal(a.sigs.sigs[0].status, PGP_SIG_VALID);
	assert_string_equal(a.manifest->name, "edge-os");
	assert_int_equal(a.n_devices, 1);
	assert_true(a.devices[0].policy.allowed);
	assert_string_equal(a.devices[0].policy.counted[0], f->rel);
	assert_int_equal(a.devices[0].code, FERRY_E_NONE);
	assert_string_equal(a.devices[0].decision.variant->id, "gw-x");
	admission_clear(&a);
	free(path);
}

/* The signature refusals: the manifest is junk, so only the code tells
 * whether it was parsed. */
static void assert_signature_refusal(struct fx *f, const char *path)
{
	struct admission a;
	struct ferry_error *err = NULL;
	struct device_facts d = gw();
	assert_false(admit(f, path, f->policy, &d, 1, &a, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_SIGNATURE);
	assert_int_equal(a.code, FERRY_E_SIGNATURE);
	assert_int_equal(a.reached, ADMIT_SIGNATURES);
	assert_true(a.refused);
	assert_null(a.manifest);
	assert_error_contains(err, BUNDLE_SIG_MEMBER);
	ferry_error_free(err);
	admission_clear(&a);
	/* the same in every-variant mode (ferry-pack verify) */
	err = NULL;
	assert_false(admit(f, path, f->policy, NULL, 0, &a, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_SIGNATURE);
	assert_null(a.manifest);
	ferry_error_free(err);
	admission_clear(&a);
}

static void test_admit_unsigned_refused_before_parse(void **state)
{
	struct fx *f = *state;
	char *path = bundle(f, "unsigned", JUNK, strlen(JUNK), NULL, NULL);
	assert_signature_refusal(f, path);
	free(path);
}

static void test_admit_bad_signature_refused_before_parse(void **state)
{
	struct fx *f = *state;
	char *path = bundle(f, "bad", JUNK, strlen(JUNK), (const char *[]){ f->rel, NULL }, f->manifest);
	assert_signature_refusal(f, path);
	free(path);
}

static void test_admit_bad_beside_good_signature_refused(void **state)
{
	struct fx *f = *state;
	char *sigs = NULL;
	size_t sigs_len = 0;
	sign(f, JUNK, strlen(JUNK), (const char *[]){ f->rel, NULL }, &sigs, &sigs_len);
	sign(f, f->manifest, f->len, (const char *[]){ f->qa, NULL }, &sigs, &sigs_len);
	char *path = bundle_raw(f, "mixed", JUNK, strlen(JUNK), sigs, sigs_len);
	assert_signature_refusal(f, path);
	free(sigs);
	free(path);
}

static void test_admit_unknown_key_refused_before_parse(void **state)
{
	struct fx *f = *state;
	char *path = bundle(f, "stranger", JUNK, strlen(JUNK), (const char *[]){ f->stranger, NULL }, NULL);
	assert_signature_refusal(f, path);
	free(path);
}

static void test_admit_signer_without_release_role_is_policy(void **state)
{
	struct fx *f = *state;
	struct admission a;
	struct ferry_error *err = NULL;
	struct device_facts d = gw();
	/* valid, known, listed, but only "qa": not parsed either */
	char *path = bundle(f, "qa", JUNK, strlen(JUNK), (const char *[]){ f->qa, NULL }, NULL);
	assert_false(admit(f, path, f->policy, &d, 1, &a, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_POLICY);
	assert_int_equal(a.reached, ADMIT_POLICY);
	assert_true(a.refused);
	assert_null(a.manifest);
	assert_int_equal(a.devices[0].code, FERRY_E_POLICY);
	assert_false(a.release.allowed);
	assert_non_null(strstr(a.release.reasons[0], "release"));
	ferry_error_free(err);
	admission_clear(&a);
	err = NULL;
	assert_false(admit(f, path, f->policy, NULL, 0, &a, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_POLICY);
	assert_false(a.release.allowed);
	assert_null(a.manifest);
	ferry_error_free(err);
	admission_clear(&a);
	free(path);
}

static void test_admit_wrong_device_type_is_compat(void **state)
{
	struct fx *f = *state;
	struct admission a;
	struct ferry_error *err = NULL;
	struct device_facts d = gw();
	d.device_type = "camera-z";   /* the signer may release for it; no variant lists it */
	char *path = bundle(f, "good2", f->manifest, f->len, (const char *[]){ f->rel, NULL }, NULL);
	assert_false(admit(f, path, f->any, &d, 1, &a, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_COMPAT);
	assert_int_equal(a.reached, ADMIT_DECIDE);
	assert_true(a.refused);
	assert_non_null(a.manifest);
	assert_true(a.devices[0].decided);
	assert_null(a.devices[0].decision.variant);
	assert_int_equal(a.devices[0].code, FERRY_E_COMPAT);
	assert_int_equal(a.devices[0].decision.reasons[0].code, DECIDE_DEVICE_TYPE);
	ferry_error_free(err);
	admission_clear(&a);
	free(path);
}

/* Scope before signer rules (issue 14 item 1c): a device type no variant
 * lists is out of scope (COMPAT, DECIDE_DEVICE_TYPE only) even when the
 * signer's rules do not cover it; the signer rules are not looked at. */
static void test_admit_scope_before_signer_rules(void **state)
{
	struct fx *f = *state;
	struct admission a;
	struct ferry_error *err = NULL;
	struct device_facts d = gw();
	d.device_type = "camera-z";   /* gw_only: the signer may not release for it */
	char *path = bundle(f, "good5", f->manifest, f->len, (const char *[]){ f->rel, NULL }, NULL);
	assert_false(admit(f, path, f->gw_only, &d, 1, &a, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_COMPAT);
	assert_int_equal(a.devices[0].code, FERRY_E_COMPAT);
	assert_true(decide_is_out_of_scope(&a.devices[0].decision));
	assert_null(a.devices[0].policy.reasons);
	ferry_error_free(err);
	admission_clear(&a);
	err = NULL;
	/* in scope (sensor-y is listed), not covered by the rules: POLICY, and
	 * its decision never carries a variant */
	d.device_type = "sensor-y";
	assert_false(admit(f, path, f->gw_only, &d, 1, &a, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_POLICY);
	assert_int_equal(a.devices[0].code, FERRY_E_POLICY);
	assert_null(a.devices[0].decision.variant);
	ferry_error_free(err);
	admission_clear(&a);
	free(path);
}

static void test_admit_every_variant(void **state)
{
	struct fx *f = *state;
	struct admission a;
	struct ferry_error *err = NULL;
	char *path = bundle(f, "good3", f->manifest, f->len, (const char *[]){ f->rel, NULL }, NULL);
	assert_ok(admit(f, path, f->policy, NULL, 0, &a, &err), err);
	assert_int_equal(a.n_devices, 0);
	assert_int_equal(a.n_variants, 2);
	assert_string_equal(a.variants[0].variant->id, "gw-x");
	assert_string_equal(a.variants[1].variant->id, "sensor-y");
	assert_true(a.variants[1].policy.allowed);
	admission_clear(&a);
	/* a policy that lets the signer release for gw-* only refuses sensor-y,
	 * after the parse (the device types are in the manifest) */
	assert_false(admit(f, path, f->gw_only, NULL, 0, &a, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_POLICY);
	assert_int_equal(a.reached, ADMIT_DECIDE);
	assert_error_contains(err, "variant sensor-y");
	assert_non_null(a.manifest);
	ferry_error_free(err);
	admission_clear(&a);
	free(path);
}

static void test_admit_devices_judged_one_by_one(void **state)
{
	struct fx *f = *state;
	struct admission a;
	struct ferry_error *err = NULL;
	struct device_facts d[2] = { gw(), gw() };
	d[1].id = "sn-0001";
	d[1].device_type = "sensor-y";
	char *path = bundle(f, "good4", f->manifest, f->len, (const char *[]){ f->rel, NULL }, NULL);
	/* simulate's view: the sensor is refused by the policy, the gateway installs */
	assert_false(admit(f, path, f->gw_only, d, 2, &a, &err));
	assert_true(a.refused);
	assert_non_null(a.manifest);
	assert_int_equal(a.devices[0].code, FERRY_E_NONE);
	assert_int_equal(a.devices[1].code, FERRY_E_POLICY);
	assert_true(a.devices[1].decided);
	ferry_error_free(err);
	admission_clear(&a);
	free(path);
}

static bool installed_240(void *ctx, size_t i, const char *name, char **version, struct ferry_error **err)
{
	(void)ctx;
	(void)i;
	(void)err;
	*version = strcmp(name, "edge-os") == 0 ? strdup("2.4.0") : NULL;
	return true;
}

static void test_admit_keep_highest_and_installed_lookup(void **state)
{
	struct fx *f = *state;
	struct admission a[2];
	struct ferry_error *err = NULL;
	struct device_facts d = gw();
	d.installed_version = "9.9.9";   /* ignored: installed() is asked */
	char *newer = strdup(f->manifest), *v = strstr(newer, "\"2.4.1\"");
	v[5] = '2';                      /* 2.4.2: the same length, re-signed */
	char *p1 = bundle(f, "v241", f->manifest, f->len, (const char *[]){ f->rel, NULL }, NULL);
	char *p2 = bundle(f, "v242", newer, f->len, (const char *[]){ f->rel, NULL }, NULL);
	const char *paths[2] = { p1, p2 };
	for (int i = 0; i < 2; i++) {
		struct admit_request rq = { .path = paths[i], .pgp = f->hs->h[1].pgp, .policy = f->policy,
					    .devices = &d, .n_devices = 1, .installed = installed_240 };
		assert_ok(bundle_admit(&rq, &a[i], &err), err);
	}
	struct admission *as[2] = { &a[0], &a[1] };
	assert_ok(admit_keep_highest(as, 2, &err), err);
	assert_int_equal(a[0].devices[0].code, FERRY_E_COMPAT);
	assert_null(a[0].devices[0].decision.variant);
	assert_int_equal(a[0].devices[0].decision.reasons[0].code, DECIDE_SUPERSEDED);
	assert_int_equal(a[1].devices[0].code, FERRY_E_NONE);
	assert_string_equal(a[1].devices[0].decision.variant->id, "gw-x");
	admission_clear(&a[0]);
	admission_clear(&a[1]);
	free(p1);
	free(p2);
	free(newer);
}

static void test_admit_unreadable_bundle_is_format(void **state)
{
	struct fx *f = *state;
	struct admission a;
	struct ferry_error *err = NULL;
	struct device_facts d = gw();
	char *path = test_write_file(f->dir, "not-a-bundle.ferry", "hello", 5);
	assert_false(admit(f, path, f->policy, &d, 1, &a, &err));
	assert_int_equal(a.reached, ADMIT_READ);
	assert_int_equal(ferry_error_code(err), FERRY_E_FORMAT);
	assert_true(a.refused);
	ferry_error_free(err);
	admission_clear(&a);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admit_good_bundle_for_device),
		cmocka_unit_test(test_admit_unsigned_refused_before_parse),
		cmocka_unit_test(test_admit_bad_signature_refused_before_parse),
		cmocka_unit_test(test_admit_bad_beside_good_signature_refused),
		cmocka_unit_test(test_admit_unknown_key_refused_before_parse),
		cmocka_unit_test(test_admit_signer_without_release_role_is_policy),
		cmocka_unit_test(test_admit_wrong_device_type_is_compat),
		cmocka_unit_test(test_admit_scope_before_signer_rules),
		cmocka_unit_test(test_admit_every_variant),
		cmocka_unit_test(test_admit_devices_judged_one_by_one),
		cmocka_unit_test(test_admit_keep_highest_and_installed_lookup),
		cmocka_unit_test(test_admit_unreadable_bundle_is_format),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
