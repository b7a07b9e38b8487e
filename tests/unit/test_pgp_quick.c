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

/* Found by a review: a signature whose hashed area holds a creation time of
 * 0 and then a second one, made with the key's secret outside gpg (gpg never
 * writes it). gpg takes the first time and refuses ("time conflict"); the
 * check must not take the second. The key (made 2026-12-06) and signature
 * are fixed bytes: a keyring export and a .sig over "hello data\n". */
static void test_pgp_quick_takes_one_nonzero_creation_time(void **state)
{
	(void)state;
	static const unsigned char key_packet[] = {
		0x98, 0x33, 0x04, 0x6b, 0x15, 0x2b, 0x12, 0x16, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda,
		0x47, 0x0f, 0x01, 0x01, 0x07, 0x40, 0x2f, 0x34, 0x65, 0xa0, 0xdf, 0x8d, 0xbd, 0x24, 0x25,
		0xa7, 0xda, 0x2b, 0xb6, 0xd9, 0x4f, 0x56, 0x39, 0x47, 0x55, 0x9e, 0x74, 0x0d, 0x19, 0xe9,
		0x82, 0x7e, 0xf6, 0x8d, 0xf3, 0x60, 0xa0, 0xbe,
	};
	static const unsigned char dup_created_sig[] = {
		0x88, 0x7b, 0x04, 0x00, 0x16, 0x08, 0x00, 0x23, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00, 0x16,
		0x21, 0x04, 0x9c, 0x52, 0x72, 0xa7, 0x2e, 0x28, 0x46, 0x3a, 0x14, 0xd8, 0x7f, 0x6b, 0xc0,
		0x60, 0xc0, 0x97, 0xc4, 0x5b, 0xdd, 0xff, 0x05, 0x02, 0x6b, 0x15, 0x2b, 0x16, 0x00, 0x0a,
		0x09, 0x10, 0xc0, 0x60, 0xc0, 0x97, 0xc4, 0x5b, 0xdd, 0xff, 0x81, 0x89, 0x00, 0xff, 0x45,
		0xd4, 0x61, 0xb7, 0x3a, 0xea, 0x95, 0x55, 0x87, 0x87, 0xf0, 0xdd, 0x9b, 0xce, 0x9a, 0x66,
		0x64, 0x14, 0xdb, 0x54, 0x6e, 0x1a, 0x32, 0xf0, 0xff, 0xfd, 0x9c, 0x65, 0x69, 0x53, 0x76,
		0x48, 0x01, 0x00, 0xb1, 0x60, 0xc7, 0x7d, 0xbb, 0x43, 0x4b, 0x8e, 0x75, 0x5a, 0x73, 0x93,
		0x78, 0x7f, 0xb7, 0xf5, 0xea, 0x43, 0xc3, 0x9b, 0x8a, 0xa7, 0x32, 0xb5, 0x31, 0x1d, 0x4e,
		0x6e, 0xb1, 0x66, 0x39, 0x0b,
	};
	static const struct pgp_quick_key key = {
		.fpr = "9C5272A72E28463A14D87F6BC060C097C45BDDFF", .created = 1796549394, .expires = 0,
	};
	struct pgp_quick *q = NULL;
	struct ferry_error *err = NULL;
	assert_ok(pgp_quick_build(&key, 1, key_packet, sizeof(key_packet), &q, &err), err);
	assert_int_equal(pgp_quick_keys(q), 1);
	assert_false(pgp_quick_valid_by(q, key.fpr, "hello data\n", 11, dup_created_sig,
					sizeof(dup_created_sig)));
	pgp_quick_free(q);
	/* an empty keyring exports nothing at all: no key, no harm */
	assert_ok(pgp_quick_build(&key, 1, NULL, 0, &q, &err), err);
	assert_int_equal(pgp_quick_keys(q), 0);
	assert_false(pgp_quick_valid_by(q, key.fpr, "x", 1, NULL, 0));
	pgp_quick_free(q);
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
		cmocka_unit_test(test_pgp_quick_takes_one_nonzero_creation_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
