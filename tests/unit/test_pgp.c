/* Tests for common/pgp.c over real GnuPG: sign/verify of exact bytes, every
 * signature status, subkey → primary mapping, import/export, interop with
 * plain gpg, and that verification leaves no agent behind. */
#include "testutil.h"
#include "pgp_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/safefile.h"

static const char msg[] = "{\"format\":1,\"name\":\"gateway-os\"}";

static void sign(struct pgp_home *h, const char *fpr, const char *data, void **sig, size_t *len)
{
	struct ferry_error *err = NULL;
	assert_ok(pgp_sign_detached(h->pgp, fpr, data, strlen(data), sig, len, &err), err);
}

static void verify(struct pgp_home *h, const char *data, const void *sig, size_t len,
		   struct pgp_verify_result *r)
{
	struct ferry_error *err = NULL;
	assert_ok(pgp_verify_detached(h->pgp, data, strlen(data), sig, len, r, &err), err);
}

/* Verifies a single signature and returns its status, copying its fingerprint. */
static enum pgp_sig_status verify_one(struct pgp_home *h, const char *data, const void *sig,
				      size_t len, char fpr[PGP_FPR_LEN + 1])
{
	struct pgp_verify_result r;
	verify(h, data, sig, len, &r);
	assert_int_equal(r.n_sigs, 1);
	enum pgp_sig_status st = r.sigs[0].status;
	snprintf(fpr, PGP_FPR_LEN + 1, "%s", r.sigs[0].fpr);
	pgp_verify_result_clear(&r);
	return st;
}

static void test_pgp_sign_verify_valid(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1];
	pgp_home_key(&h, "Release <release@ferry.test>", fpr);
	assert_true(pgp_fpr_valid(fpr));
	assert_true(pgp_has_secret_key(h.pgp, fpr));
	void *sig = NULL;
	size_t len = 0;
	sign(&h, fpr, msg, &sig, &len);
	struct pgp_verify_result r;
	verify(&h, msg, sig, len, &r);
	assert_int_equal(r.n_sigs, 1);
	assert_int_equal(r.sigs[0].status, PGP_SIG_VALID);
	assert_string_equal(r.sigs[0].fpr, fpr);
	assert_true(r.sigs[0].created > time(NULL) - 60 && r.sigs[0].created <= time(NULL));
	assert_string_equal(pgp_sig_status_name(r.sigs[0].status), "valid");
	pgp_verify_result_clear(&r);
	free(sig);
}

static void test_pgp_verify_reports_bad_signature(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1];
	pgp_home_key(&h, "Release <release@ferry.test>", fpr);
	void *sig = NULL;
	size_t len = 0;
	sign(&h, fpr, msg, &sig, &len);
	struct pgp_verify_result r;
	verify(&h, "{\"format\":1,\"name\":\"gateway-OS\"}", sig, len, &r);
	assert_int_equal(r.n_sigs, 1);
	assert_int_equal(r.sigs[0].status, PGP_SIG_BAD);
	/* a bad signature may only name a key id: it must never pose as a fingerprint
	 * of another key */
	assert_true(!pgp_fpr_valid(r.sigs[0].fpr) || strcmp(r.sigs[0].fpr, fpr) == 0);
	pgp_verify_result_clear(&r);
	free(sig);
}

static void test_pgp_verify_reports_unknown_key(void **state)
{
	struct pgp_home a = ((struct pgp_homes *)*state)->h[0];
	struct pgp_home b = ((struct pgp_homes *)*state)->h[1];
	char fpr[PGP_FPR_LEN + 1];
	pgp_home_key(&a, "Stranger <s@ferry.test>", fpr);
	void *sig = NULL;
	size_t len = 0;
	sign(&a, fpr, msg, &sig, &len);
	char got_fpr[PGP_FPR_LEN + 1];
	assert_int_equal(verify_one(&b, msg, sig, len, got_fpr), PGP_SIG_UNKNOWN_KEY);
	free(sig);
}

/* A key made on 2024-01-01 living key_life ("1d", "never") and a signature
 * over msg made an hour later with extra gpg options; returns its bytes. */
static char *signed_in_2024(struct pgp_home *h, const char *key_life, const char *sig_opts,
			    char fpr[PGP_FPR_LEN + 1], size_t *len)
{
	assert_int_equal(pgp_home_gpg(h, "--faked-system-time 20240101T000000! "
				      "--quick-gen-key 'Old <old@ferry.test>' ed25519 sign %s",
				      key_life), 0);
	pgp_home_fpr_of(h, "old@ferry.test", fpr);
	char *data = test_write_file(h->dir, "data", msg, strlen(msg));
	assert_int_equal(pgp_home_gpg(h, "--faked-system-time 20240101T010000! -u %s %s "
				      "--detach-sign -o %s.sig %s", fpr, sig_opts, data, data), 0);
	char *sigpath = NULL, *sig = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&sigpath, "%s.sig", data) > 0);
	assert_ok(read_file_limited(sigpath, 4096, &sig, len, &err), err);
	free(sigpath);
	free(data);
	return sig;
}

static void test_pgp_verify_reports_expired_key(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1], got_fpr[PGP_FPR_LEN + 1];
	size_t len = 0;
	char *sig = signed_in_2024(&h, "1d", "", fpr, &len);   /* the key expired in 2024 */
	assert_int_equal(verify_one(&h, msg, sig, len, got_fpr), PGP_SIG_EXPIRED_KEY);
	assert_string_equal(got_fpr, fpr);
	/* and ferry itself refuses to sign with it */
	struct ferry_error *err = NULL;
	void *s2 = NULL;
	size_t l2 = 0;
	assert_false(pgp_sign_detached(h.pgp, fpr, msg, strlen(msg), &s2, &l2, &err));
	assert_error_contains(err, fpr);
	ferry_error_free(err);
	free(sig);
}

static void test_pgp_verify_reports_expired_signature(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1], got_fpr[PGP_FPR_LEN + 1];
	size_t len = 0;
	char *sig = signed_in_2024(&h, "never", "--default-sig-expire 1d", fpr, &len);
	assert_int_equal(verify_one(&h, msg, sig, len, got_fpr), PGP_SIG_EXPIRED_SIG);
	assert_string_equal(got_fpr, fpr);
	free(sig);
}

static void test_pgp_verify_reports_revoked_key(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1];
	pgp_home_key(&h, "Lost laptop <lost@ferry.test>", fpr);
	void *sig = NULL;
	size_t len = 0;
	sign(&h, fpr, msg, &sig, &len);
	pgp_home_revoke(&h, fpr);
	char got_fpr[PGP_FPR_LEN + 1];
	assert_int_equal(verify_one(&h, msg, sig, len, got_fpr), PGP_SIG_REVOKED_KEY);
	assert_string_equal(got_fpr, fpr);
	free(sig);
}

static void test_pgp_verify_concatenated_signatures(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char f1[PGP_FPR_LEN + 1], f2[PGP_FPR_LEN + 1];
	pgp_home_key(&h, "Release <release@ferry.test>", f1);
	pgp_home_key(&h, "QA <qa@ferry.test>", f2);
	void *s1 = NULL, *s2 = NULL;
	size_t l1 = 0, l2 = 0;
	sign(&h, f1, msg, &s1, &l1);
	sign(&h, f2, msg, &s2, &l2);
	char *both = malloc(l1 + l2);
	memcpy(both, s1, l1);
	memcpy(both + l1, s2, l2);
	struct pgp_verify_result r;
	verify(&h, msg, both, l1 + l2, &r);
	assert_int_equal(r.n_sigs, 2);
	assert_int_equal(r.sigs[0].status, PGP_SIG_VALID);
	assert_int_equal(r.sigs[1].status, PGP_SIG_VALID);
	assert_true((strcmp(r.sigs[0].fpr, f1) == 0 && strcmp(r.sigs[1].fpr, f2) == 0) ||
		    (strcmp(r.sigs[0].fpr, f2) == 0 && strcmp(r.sigs[1].fpr, f1) == 0));
	pgp_verify_result_clear(&r);
	free(both);
	free(s1);
	free(s2);
}

static void test_pgp_subkey_signature_maps_to_primary(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1];
	pgp_home_key(&h, "CI <ci@ferry.test>", fpr);
	/* gpg signs with the newest signing subkey */
	assert_int_equal(pgp_home_gpg(&h, "--quick-add-key %s ed25519 sign never", fpr), 0);
	void *sig = NULL;
	size_t len = 0;
	sign(&h, fpr, msg, &sig, &len);
	char got_fpr[PGP_FPR_LEN + 1];
	assert_int_equal(verify_one(&h, msg, sig, len, got_fpr), PGP_SIG_VALID);
	assert_string_equal(got_fpr, fpr);
	free(sig);
}

static void test_pgp_import_export_armored_and_binary(void **state)
{
	struct pgp_home a = ((struct pgp_homes *)*state)->h[0];
	struct pgp_home b = ((struct pgp_homes *)*state)->h[1];
	struct pgp_home c = ((struct pgp_homes *)*state)->h[2];
	char fpr[PGP_FPR_LEN + 1];
	pgp_home_key(&a, "Root <root@ferry.test>", fpr);
	struct ferry_error *err = NULL;
	char *arm = NULL, *bin = NULL;
	size_t alen = 0, blen = 0, n = 0;
	assert_ok(pgp_export_public(a.pgp, fpr, true, &arm, &alen, &err), err);
	assert_non_null(strstr(arm, "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
	assert_ok(pgp_export_public(a.pgp, fpr, false, &bin, &blen, &err), err);
	assert_true(blen > 0 && strncmp(bin, "-----", 5) != 0);
	char got[2][PGP_FPR_LEN + 1];
	assert_ok(pgp_import(b.pgp, arm, alen, got, 2, &n, &err), err);
	assert_int_equal(n, 1);
	assert_string_equal(got[0], fpr);
	char *file = test_write_file(c.dir, "root.gpg", bin, blen);
	assert_ok(pgp_import_file(c.pgp, file, got, 2, &n, &err), err);
	assert_string_equal(got[0], fpr);
	assert_false(pgp_has_secret_key(c.pgp, fpr));
	/* signatures from a now verify in b and c */
	void *sig = NULL;
	size_t len = 0;
	sign(&a, fpr, msg, &sig, &len);
	struct pgp_verify_result r;
	verify(&c, msg, sig, len, &r);
	assert_int_equal(r.sigs[0].status, PGP_SIG_VALID);
	pgp_verify_result_clear(&r);
	/* garbage is not a key; an unknown fingerprint exports nothing */
	assert_false(pgp_import(b.pgp, "not a key", 9, got, 2, &n, &err));
	assert_error_contains(err, "no OpenPGP key");
	ferry_error_clear(&err);
	char *none = NULL;
	size_t nlen = 0;
	assert_false(pgp_export_public(b.pgp, "0123456789ABCDEF0123456789ABCDEF01234567", true,
				       &none, &nlen, &err));
	assert_error_contains(err, "no such key");
	ferry_error_clear(&err);
	assert_false(pgp_export_public(b.pgp, "0123456789ABCDEF", true, &none, &nlen, &err));
	assert_error_code(err, FERRY_E_USAGE);
	ferry_error_free(err);
	free(sig);
	free(file);
	free(arm);
	free(bin);
}

static void test_pgp_interop_with_plain_gpg(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1];
	pgp_home_key(&h, "Release <release@ferry.test>", fpr);
	struct ferry_error *err = NULL;
	char *data = test_write_file(h.dir, "m.json", msg, strlen(msg));
	/* ferry signs, gpg verifies */
	void *sig = NULL;
	size_t len = 0;
	sign(&h, fpr, msg, &sig, &len);
	char *sigpath = test_write_file(h.dir, "m.json.sig", sig, len);
	assert_int_equal(pgp_home_gpg(&h, "--verify %s %s", sigpath, data), 0);
	/* gpg signs, ferry verifies */
	assert_int_equal(pgp_home_gpg(&h, "-u %s --detach-sign -o %s.gpg %s", fpr, data, data), 0);
	char *gpath = NULL, *gsig = NULL;
	size_t glen = 0;
	assert_true(asprintf(&gpath, "%s.gpg", data) > 0);
	assert_ok(read_file_limited(gpath, 4096, &gsig, &glen, &err), err);
	char got_fpr[PGP_FPR_LEN + 1];
	assert_int_equal(verify_one(&h, msg, gsig, glen, got_fpr), PGP_SIG_VALID);
	assert_string_equal(got_fpr, fpr);
	free(gsig);
	free(gpath);
	free(sigpath);
	free(sig);
	free(data);
}

static void test_pgp_verify_starts_no_agent(void **state)
{
	struct pgp_home a = ((struct pgp_homes *)*state)->h[0];
	struct pgp_home b = ((struct pgp_homes *)*state)->h[1];
	char fpr[PGP_FPR_LEN + 1];
	pgp_home_key(&a, "Root <root@ferry.test>", fpr);
	pgp_home_copy_public(&a, &b, fpr);
	void *sig = NULL;
	size_t len = 0;
	sign(&a, fpr, msg, &sig, &len);
	struct pgp_verify_result r;
	verify(&b, msg, sig, len, &r);
	assert_int_equal(r.sigs[0].status, PGP_SIG_VALID);
	pgp_verify_result_clear(&r);
	char *sock = NULL;
	assert_true(asprintf(&sock, "%s/S.gpg-agent", b.dir) > 0);
	assert_int_not_equal(access(sock, F_OK), 0);
	free(sock);
	free(sig);
}

static void test_pgp_rejects_malformed_signature_and_long_home(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	struct ferry_error *err = NULL;
	struct pgp_verify_result r;
	assert_false(pgp_verify_detached(h.pgp, msg, strlen(msg), "garbage", 7, &r, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	ferry_error_clear(&err);
	assert_false(pgp_verify_detached(h.pgp, msg, strlen(msg), "", 0, &r, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	ferry_error_clear(&err);
	char *longdir = NULL;
	assert_true(asprintf(&longdir, "%s/%0100d", h.dir, 0) > 0);
	struct pgp *p = NULL;
	assert_false(pgp_open(longdir, &p, &err));
	assert_error_contains(err, "shorter path");
	ferry_error_free(err);
	free(longdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		pgp_unit_test(test_pgp_sign_verify_valid),
		pgp_unit_test(test_pgp_verify_reports_bad_signature),
		pgp_unit_test(test_pgp_verify_reports_unknown_key),
		pgp_unit_test(test_pgp_verify_reports_expired_key),
		pgp_unit_test(test_pgp_verify_reports_expired_signature),
		pgp_unit_test(test_pgp_verify_reports_revoked_key),
		pgp_unit_test(test_pgp_verify_concatenated_signatures),
		pgp_unit_test(test_pgp_subkey_signature_maps_to_primary),
		pgp_unit_test(test_pgp_import_export_armored_and_binary),
		pgp_unit_test(test_pgp_interop_with_plain_gpg),
		pgp_unit_test(test_pgp_verify_starts_no_agent),
		pgp_unit_test(test_pgp_rejects_malformed_signature_and_long_home),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
