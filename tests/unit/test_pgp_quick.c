/* Tests for common/pgp_quick.c against GPGME on real gpg-made signatures:
 * the in-process check says "valid by this key" for device-style ed25519
 * signatures (SHA-256 and SHA-512 digests) and never where GPGME does not;
 * every other case (tampered file or signature, another key, expired or
 * revoked key, expired signature, subkey, RSA, armor, two signatures) is left
 * to GPGME. */
#include "testutil.h"
#include "pgp_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgp_quick.h"
#include "common/safefile.h"
#include "common/signedfile.h"

static const char msg[] = "{\"boot\":1,\"device\":\"gw-0001\",\"seq\":1}\n";

/* GPGME's verdict as signedfile_read_by takes it: every signature valid,
 * one by exactly fpr. */
static bool gpgme_valid_by(struct pgp_home *h, const char *fpr, const char *data, size_t len,
			   const void *sig, size_t sig_len)
{
	struct pgp_verify_result r;
	struct ferry_error *err = NULL;
	bool by = false, all = true;
	if (!pgp_verify_detached(h->pgp, data, len, sig, sig_len, &r, &err)) {
		ferry_error_free(err);
		return false;
	}
	for (size_t i = 0; i < r.n_sigs; i++) {
		all &= r.sigs[i].status == PGP_SIG_VALID;
		by |= strcmp(r.sigs[i].fpr, fpr) == 0;
	}
	pgp_verify_result_clear(&r);
	return all && by;
}

/* The in-process answer (a fresh snapshot of the keyring), which must be
 * expect_quick, and GPGME's, which it must never contradict; returns GPGME's. */
static bool check(struct pgp_home *h, const char *fpr, const char *data, size_t len,
		  const void *sig, size_t sig_len, bool expect_quick)
{
	struct pgp_quick *q = NULL;
	struct ferry_error *err = NULL;
	assert_ok(pgp_quick_load(h->pgp, &q, &err), err);
	bool quick = pgp_quick_valid_by(q, fpr, data, len, sig, sig_len);
	bool gpgme = gpgme_valid_by(h, fpr, data, len, sig, sig_len);
	pgp_quick_free(q);
	assert_int_equal(quick, expect_quick);
	assert_true(!quick || gpgme);
	return gpgme;
}

static void *sign(struct pgp_home *h, const char *fpr, const char *data, size_t *len)
{
	struct ferry_error *err = NULL;
	void *sig = NULL;
	assert_ok(pgp_sign_detached(h->pgp, fpr, data, strlen(data), &sig, len, &err), err);
	return sig;
}

/* A signature over msg made by plain gpg with extra options; its bytes. */
static char *gpg_sign(struct pgp_home *h, const char *fpr, const char *opts, size_t *len)
{
	char *data = test_write_file(h->dir, "data", msg, strlen(msg)), *path = NULL, *sig = NULL;
	struct ferry_error *err = NULL;
	assert_true(asprintf(&path, "%s.sig", data) > 0);
	remove(path);
	assert_int_equal(pgp_home_gpg(h, "-u %s %s --detach-sign -o %s %s", fpr, opts, path, data), 0);
	assert_ok(read_file_limited(path, 65536, &sig, len, &err), err);
	free(path);
	free(data);
	return sig;
}

static void test_pgp_quick_takes_device_signatures(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1];
	size_t len = 0, len512 = 0;
	pgp_home_key(&h, "gw-0001 <gw-0001@ferry.test>", fpr);
	void *sig = sign(&h, fpr, msg, &len);
	char *sig512 = gpg_sign(&h, fpr, "--digest-algo SHA512", &len512);
	assert_true(check(&h, fpr, msg, strlen(msg), sig, len, true));
	assert_true(check(&h, fpr, msg, strlen(msg), sig512, len512, true));
	/* a key that expires, but not yet */
	char exp[PGP_FPR_LEN + 1];
	assert_int_equal(pgp_home_gpg(&h, "--quick-gen-key 'Later <later@ferry.test>' ed25519 sign 2y"), 0);
	pgp_home_fpr_of(&h, "later@ferry.test", exp);
	void *sig_exp = sign(&h, exp, msg, &len);
	assert_true(check(&h, exp, msg, strlen(msg), sig_exp, len, true));
	free(sig_exp);
	free(sig512);
	free(sig);
}

/* The file changed, another key's fingerprint asked for: never valid
 * in-process, and GPGME agrees. Every bit of the signature file flipped:
 * valid in-process only where GPGME says valid too (a flip in an MPI's bit
 * count, which the signature does not cover, leaves it the same signature
 * for gpg as well). */
static void test_pgp_quick_leaves_tampering_to_gpgme(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1], other[PGP_FPR_LEN + 1];
	size_t len = 0, olen = 0;
	pgp_home_key(&h, "gw-0001 <gw-0001@ferry.test>", fpr);
	pgp_home_key(&h, "gw-0002 <gw-0002@ferry.test>", other);
	uint8_t *sig = sign(&h, fpr, msg, &len);
	char tampered[sizeof(msg)];
	memcpy(tampered, msg, sizeof(msg));
	tampered[3] ^= 1;
	assert_false(check(&h, fpr, tampered, strlen(tampered), sig, len, false));
	void *osig = sign(&h, other, msg, &olen);
	assert_false(check(&h, fpr, msg, strlen(msg), osig, olen, false));
	assert_false(check(&h, other, msg, strlen(msg), sig, len, false));
	struct pgp_quick *q = NULL;
	struct ferry_error *err = NULL;
	assert_ok(pgp_quick_load(h.pgp, &q, &err), err);
	assert_int_equal(pgp_quick_keys(q), 2);
	for (size_t i = 0; i < len * 8; i++) {
		sig[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pgp_quick_valid_by(q, fpr, msg, strlen(msg), sig, len))
			assert_true(gpgme_valid_by(&h, fpr, msg, strlen(msg), sig, len));
		sig[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* cut short or with a byte too many */
	assert_false(pgp_quick_valid_by(q, fpr, msg, strlen(msg), sig, len - 1));
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, sig, len);
	longer[len] = 0;
	assert_false(pgp_quick_valid_by(q, fpr, msg, strlen(msg), longer, len + 1));
	assert_true(pgp_quick_valid_by(q, fpr, msg, strlen(msg), sig, len));
	pgp_quick_free(q);
	free(longer);
	free(osig);
	free(sig);
}

/* A key made on 2024-01-01 living key_life, signing an hour later. */
static char *signed_in_2024(struct pgp_home *h, const char *key_life, const char *sig_opts,
			    char fpr[PGP_FPR_LEN + 1], size_t *len)
{
	assert_int_equal(pgp_home_gpg(h, "--faked-system-time 20240101T000000! "
				      "--quick-gen-key 'Old <old@ferry.test>' ed25519 sign %s",
				      key_life), 0);
	pgp_home_fpr_of(h, "old@ferry.test", fpr);
	char *opts = NULL;
	assert_true(asprintf(&opts, "--faked-system-time 20240101T010000! %s", sig_opts) > 0);
	char *sig = gpg_sign(h, fpr, opts, len);
	free(opts);
	return sig;
}

static void test_pgp_quick_leaves_expired_keys_and_signatures_to_gpgme(void **state)
{
	struct pgp_homes *hs = *state;
	char fpr[PGP_FPR_LEN + 1];
	size_t len = 0;
	char *sig = signed_in_2024(&hs->h[0], "1d", "", fpr, &len);   /* expired in 2024 */
	assert_false(check(&hs->h[0], fpr, msg, strlen(msg), sig, len, false));
	free(sig);
	sig = signed_in_2024(&hs->h[1], "never", "--default-sig-expire 1d", fpr, &len);
	assert_false(check(&hs->h[1], fpr, msg, strlen(msg), sig, len, false));
	free(sig);
	/* the same key's signature without an expiry: taken */
	sig = gpg_sign(&hs->h[1], fpr, "", &len);
	assert_true(check(&hs->h[1], fpr, msg, strlen(msg), sig, len, true));
	free(sig);
}

static void test_pgp_quick_leaves_revoked_keys_to_gpgme(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1];
	size_t len = 0;
	pgp_home_key(&h, "Lost <lost@ferry.test>", fpr);
	void *sig = sign(&h, fpr, msg, &len);
	assert_true(check(&h, fpr, msg, strlen(msg), sig, len, true));
	pgp_home_revoke(&h, fpr);
	assert_false(check(&h, fpr, msg, strlen(msg), sig, len, false));
	free(sig);
}

/* Shapes the check does not take although GPGME says valid. */
static void test_pgp_quick_leaves_other_shapes_to_gpgme(void **state)
{
	struct pgp_homes *hs = *state;
	struct pgp_home h = hs->h[0];
	char fpr[PGP_FPR_LEN + 1], rsa[PGP_FPR_LEN + 1];
	size_t len = 0, l2 = 0;
	pgp_home_key(&h, "CI <ci@ferry.test>", fpr);
	char *armored = gpg_sign(&h, fpr, "--armor", &len);
	assert_true(check(&h, fpr, msg, strlen(msg), armored, len, false));
	void *s1 = sign(&h, fpr, msg, &len), *s2 = sign(&h, fpr, msg, &l2);
	char *both = malloc(len + l2);
	memcpy(both, s1, len);
	memcpy(both + len, s2, l2);
	assert_true(check(&h, fpr, msg, strlen(msg), both, len + l2, false));
	/* a signing subkey: gpg signs with the newest */
	assert_int_equal(pgp_home_gpg(&h, "--quick-add-key %s ed25519 sign never", fpr), 0);
	char *by_sub = gpg_sign(&h, fpr, "", &len);
	assert_true(check(&h, fpr, msg, strlen(msg), by_sub, len, false));
	/* RSA */
	struct pgp_home r = hs->h[1];
	assert_int_equal(pgp_home_gpg(&r, "--quick-gen-key 'RSA <rsa@ferry.test>' rsa2048 sign never"), 0);
	pgp_home_fpr_of(&r, "rsa@ferry.test", rsa);
	char *by_rsa = gpg_sign(&r, rsa, "", &len);
	assert_true(check(&r, rsa, msg, strlen(msg), by_rsa, len, false));
	free(by_rsa);
	free(by_sub);
	free(both);
	free(s1);
	free(s2);
	free(armored);
}

/* The import's path: signedfile_read_by with a snapshot attached reads a
 * good file without GPGME and still refuses a tampered one (GPGME's word). */
static void test_pgp_quick_in_signedfile_read_by(void **state)
{
	struct pgp_home h = ((struct pgp_homes *)*state)->h[0];
	char fpr[PGP_FPR_LEN + 1];
	size_t len = 0, got_len = 0;
	pgp_home_key(&h, "gw-0003 <gw-0003@ferry.test>", fpr);
	void *sig = sign(&h, fpr, msg, &len);
	char *path = test_write_file(h.dir, "x.jsonl", msg, strlen(msg)), *sig_path = NULL, *got = NULL;
	assert_true(asprintf(&sig_path, "%s.sig", path) > 0);
	struct ferry_error *err = NULL;
	assert_ok(safe_write_atomic(sig_path, sig, len, 0644, &err), err);
	struct pgp_quick *q = NULL;
	assert_ok(pgp_quick_load(h.pgp, &q, &err), err);
	pgp_use_quick(h.pgp, q);
	assert_ok(signedfile_read_by(h.pgp, path, 4096, fpr, "the device key", &got, &got_len, &err), err);
	assert_int_equal(got_len, strlen(msg));
	free(got);
	got = NULL;
	char tampered[sizeof(msg)];
	memcpy(tampered, msg, sizeof(msg));
	tampered[1] = 'B';
	assert_ok(safe_write_atomic(path, tampered, strlen(tampered), 0644, &err), err);
	assert_false(signedfile_read_by(h.pgp, path, 4096, fpr, "the device key", &got, &got_len, &err));
	assert_error_code(err, FERRY_E_SIGNATURE);
	assert_error_contains(err, "signature bad");
	ferry_error_free(err);
	pgp_use_quick(h.pgp, NULL);
	pgp_quick_free(q);
	free(sig_path);
	free(path);
	free(sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		pgp_unit_test(test_pgp_quick_takes_device_signatures),
		pgp_unit_test(test_pgp_quick_leaves_tampering_to_gpgme),
		pgp_unit_test(test_pgp_quick_leaves_expired_keys_and_signatures_to_gpgme),
		pgp_unit_test(test_pgp_quick_leaves_revoked_keys_to_gpgme),
		pgp_unit_test(test_pgp_quick_leaves_other_shapes_to_gpgme),
		pgp_unit_test(test_pgp_quick_in_signedfile_read_by),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
