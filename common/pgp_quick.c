/* pgp_quick: see pgp_quick.h. The packet formats are RFC 4880's (v4 keys
 * and signatures, 5.2.3, 5.2.4, 5.5.2, 12.2) with the legacy EdDSA key of
 * RFC 4880bis (algorithm 22, curve OID 1.3.6.1.4.1.11591.15.1), the way
 * GnuPG 2.2 makes and checks them. */
#include "pgp_quick.h"

#include <gcrypt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pgp.h"
#include "pgp_ctx.h"
#include "sha256.h"

#define ALGO_EDDSA 22
#define HASH_SHA256 8
#define HASH_SHA512 10
#define SUB_CREATED 2
#define SUB_ISSUER 16
#define SUB_ISSUER_FPR 33

static const uint8_t ed25519_oid[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01 };

struct quick_key {
	char fpr[PGP_FPR_LEN + 1];
	uint8_t fpr_bin[20];
	uint8_t q[33];          /* 0x40 || the point */
	int64_t created, expires;
	bool have_q;            /* material found in the export */
};

struct pgp_quick {
	struct quick_key *keys;
	size_t n;
};

/* One packet at *p: its tag and body; false for what this reader does not
 * take (partial lengths, truncation). */
static bool next_packet(const uint8_t **p, const uint8_t *end, int *tag, const uint8_t **body,
			size_t *len)
{
	const uint8_t *s = *p;
	size_t n;
	if (s >= end || !(s[0] & 0x80))
		return false;
	if (s[0] & 0x40) {   /* new format */
		*tag = s[0] & 0x3f;
		if (end - s < 2)
			return false;
		if (s[1] < 192) {
			n = s[1];
			s += 2;
		} else if (s[1] < 224) {
			if (end - s < 3)
				return false;
			n = ((size_t)(s[1] - 192) << 8) + s[2] + 192;
			s += 3;
		} else if (s[1] == 255) {
			if (end - s < 6)
				return false;
			n = (size_t)s[2] << 24 | (size_t)s[3] << 16 | (size_t)s[4] << 8 | s[5];
			s += 6;
		} else {
			return false;
		}
	} else {             /* old format */
		int lt = s[0] & 3, bytes = lt == 0 ? 1 : lt == 1 ? 2 : lt == 2 ? 4 : 0;
		*tag = (s[0] >> 2) & 0xf;
		if (!bytes || end - s < 1 + bytes)
			return false;
		n = 0;
		for (int i = 1; i <= bytes; i++)
			n = n << 8 | s[i];
		s += 1 + bytes;
	}
	if ((size_t)(end - s) < n)
		return false;
	*body = s;
	*len = n;
	*p = s + n;
	return true;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A v4 ed25519 public key packet: its point into k when its fingerprint is
 * k's and its creation time the listing's. */
static void take_key_packet(struct pgp_quick *q, const uint8_t *b, size_t n)
{
	size_t ol = sizeof(ed25519_oid);
	if (n != 6 + 1 + ol + 2 + 33 || b[0] != 4 || b[5] != ALGO_EDDSA || b[6] != ol ||
	    memcmp(b + 7, ed25519_oid, ol) != 0 || b[7 + ol] != 0x01 || b[8 + ol] != 0x07 ||
	    b[9 + ol] != 0x40)
		return;
	uint8_t head[3] = { 0x99, (uint8_t)(n >> 8), (uint8_t)n }, fpr[20];
	gcry_md_hd_t md;
	if (gcry_md_open(&md, GCRY_MD_SHA1, 0))
		return;
	gcry_md_write(md, head, 3);
	gcry_md_write(md, b, n);
	memcpy(fpr, gcry_md_read(md, GCRY_MD_SHA1), 20);
	gcry_md_close(md);
	for (size_t i = 0; i < q->n; i++) {
		struct quick_key *k = &q->keys[i];
		if (memcmp(k->fpr_bin, fpr, 20) == 0 && k->created == (int64_t)be32(b + 1)) {
			memcpy(k->q, b + 9 + ol, 33);
			k->have_q = true;
		}
	}
}

/* The export: every public key packet's material, matched by fingerprint. */
static bool take_export(struct pgp_quick *q, const void *export, size_t len)
{
	if (!export || !len)   /* an empty keyring exports nothing (NULL) */
		return true;
	const uint8_t *p = export, *end = p + len, *body;
	size_t n;
	int tag;
	while (p < end) {
		if (!next_packet(&p, end, &tag, &body, &n))
			return false;
		if (tag == 6)
			take_key_packet(q, body, n);
	}
	return true;
}

/* A listed key the check may use: its primary is ed25519, usable for
 * signing, in good standing, and its fingerprint is claimed by no other
 * key (as pgp_verify_detached's mapping demands). */
static bool key_usable(gpgme_key_t key)
{
	gpgme_subkey_t pk = key->subkeys;
	return pk && pk->fpr && strlen(pk->fpr) == PGP_FPR_LEN && !key->revoked && !key->expired &&
	       !key->disabled && !key->invalid && !pk->revoked && !pk->expired &&
	       !pk->disabled && !pk->invalid && pk->can_sign && key->can_sign &&
	       pk->pubkey_algo == GPGME_PK_EDDSA && pk->curve && strcmp(pk->curve, "ed25519") == 0 &&
	       pk->timestamp > 0;
}

static bool hex_to_bin(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

/* Appends a copy of fpr to the list of fingerprints keys claim. */
static bool claim(char ***claimed, size_t *n, const char *fpr)
{
	char **grown = realloc(*claimed, (*n + 1) * sizeof(*grown));
	if (!grown)
		return false;
	*claimed = grown;
	return (grown[*n] = strdup(fpr ? fpr : "")) != NULL && ++*n;
}

static bool add_state(struct pgp_quick_key **keys, size_t *n, size_t *cap, gpgme_key_t key)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		struct pgp_quick_key *grown = realloc(*keys, c * sizeof(*grown));
		if (!grown)
			return false;
		*keys = grown;
		*cap = c;
	}
	struct pgp_quick_key *k = &(*keys)[(*n)++];
	snprintf(k->fpr, sizeof(k->fpr), "%s", key->subkeys->fpr);
	k->created = key->subkeys->timestamp;
	k->expires = key->subkeys->expires;
	return true;
}

static int fpr_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Keeps the keys whose fingerprint exactly one listed key claims (as
 * pgp_verify_detached's mapping to primary keys demands); claimed is sorted
 * here, so that a keyring of many devices costs n log n. */
static void keep_claimed_once(struct pgp_quick_key *keys, size_t *n, char **claimed,
			      size_t n_claimed)
{
	size_t kept = 0;
	if (n_claimed)
		qsort(claimed, n_claimed, sizeof(*claimed), fpr_cmp);
	for (size_t i = 0; i < *n; i++) {
		const char *want = keys[i].fpr;
		char **hit = n_claimed ? bsearch(&want, claimed, n_claimed, sizeof(*claimed), fpr_cmp)
				       : NULL;
		bool once = hit && (hit == claimed || fpr_cmp(hit - 1, hit) != 0) &&
			    (hit + 1 == claimed + n_claimed || fpr_cmp(hit + 1, hit) != 0);
		if (once)
			keys[kept++] = keys[i];
	}
	*n = kept;
}

/* One listing: the usable keys' state, claimed once. Caller frees *keys. */
static bool take_listing(gpgme_ctx_t ctx, struct pgp_quick_key **keys, size_t *n,
			 struct ferry_error **err)
{
	gpgme_key_t key;
	gpgme_error_t e = gpgme_op_keylist_start(ctx, NULL, 0);
	char **claimed = NULL;
	size_t n_claimed = 0, cap = 0;
	bool ok = true;
	*keys = NULL;
	*n = 0;
	while (ok && !e && (e = gpgme_op_keylist_next(ctx, &key)) == 0) {
		for (gpgme_subkey_t sk = key->subkeys; ok && sk; sk = sk->next)
			ok = claim(&claimed, &n_claimed, sk->fpr);
		if (ok && key_usable(key))
			ok = add_state(keys, n, &cap, key);
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	keep_claimed_once(*keys, n, claimed, n_claimed);
	for (size_t j = 0; j < n_claimed; j++)
		free(claimed[j]);
	free(claimed);
	if (!ok)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	if (gpgme_err_code(e) != GPG_ERR_EOF)
		return ferry_error_setc(err, FERRY_E_SIGNATURE, "listing the keyring's keys: %s",
					gpgme_strerror(e));
	return true;
}

static void warm_curve_cache(void);

bool pgp_quick_build(const struct pgp_quick_key *keys, size_t n, const void *export,
		     size_t export_len, struct pgp_quick **out, struct ferry_error **err)
{
	static pthread_once_t warm_once = PTHREAD_ONCE_INIT;
	struct pgp_quick *q = calloc(1, sizeof(*q));
	*out = NULL;
	if (!crypto_init(err))
		goto fail;
	pthread_once(&warm_once, warm_curve_cache);
	if (!q || (n && !(q->keys = calloc(n, sizeof(*q->keys))))) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct quick_key *k = &q->keys[q->n];
		snprintf(k->fpr, sizeof(k->fpr), "%s", keys[i].fpr);
		k->created = keys[i].created;
		k->expires = keys[i].expires;
		q->n += strlen(k->fpr) == PGP_FPR_LEN && hex_to_bin(k->fpr, k->fpr_bin, 20);
	}
	/* an export this reader cannot walk leaves every key to GPGME */
	if (!take_export(q, export, export_len))
		q->n = 0;
	*out = q;
	return true;
fail:
	pgp_quick_free(q);
	return false;
}

bool pgp_quick_load(struct pgp *p, struct pgp_quick **out, struct ferry_error **err)
{
	gpgme_ctx_t ctx = pgp_gpgme(p);
	gpgme_data_t d = NULL;
	struct pgp_quick_key *keys = NULL;
	size_t n = 0, len = 0;
	char *blob = NULL;
	bool ok = false;
	*out = NULL;
	if (!take_listing(ctx, &keys, &n, err))
		goto out;
	if (gpgme_data_new(&d) || gpgme_op_export(ctx, NULL, 0, d)) {
		ferry_error_setc(err, FERRY_E_SIGNATURE, "exporting the keyring's public keys");
		goto out;
	}
	blob = gpgme_data_release_and_get_mem(d, &len);
	d = NULL;
	ok = pgp_quick_build(keys, n, blob, blob ? len : 0, out, err);
out:
	if (d)
		gpgme_data_release(d);
	gpgme_free(blob);
	free(keys);
	return ok;
}

void pgp_quick_free(struct pgp_quick *q)
{
	if (!q)
		return;
	free(q->keys);
	free(q);
}

size_t pgp_quick_keys(const struct pgp_quick *q)
{
	size_t n = 0;
	for (size_t i = 0; q && i < q->n; i++)
		n += q->keys[i].have_q;
	return n;
}

/* A v4 signature packet, taken apart. */
struct quick_sig {
	int hash_algo;
	size_t hashed_len;          /* version .. end of the hashed subpackets */
	int64_t created;
	bool have_created;          /* a second creation time is not taken */
	const uint8_t *issuer_fpr, *issuer_id;
	uint8_t left16[2];
	uint8_t r[32], s[32];
};

/* Subpackets of one area: only those listed are taken, anything else (an
 * expiry, a notation, a critical unknown) leaves the decision to GPGME. */
static bool take_subpackets(struct quick_sig *sig, const uint8_t *p, size_t n, bool hashed)
{
	const uint8_t *end = p + n;
	while (p < end) {
		size_t len;
		if (p[0] < 192) {
			len = p[0];
			p += 1;
		} else if (p[0] < 255 && end - p >= 2) {
			len = ((size_t)(p[0] - 192) << 8) + p[1] + 192;
			p += 2;
		} else {
			return false;
		}
		if (len < 1 || (size_t)(end - p) < len)
			return false;
		int type = p[0];
		const uint8_t *d = p + 1;
		size_t dl = len - 1;
		p += len;
		if (hashed && type == SUB_CREATED && dl == 4 && !sig->have_created && be32(d) != 0) {
			sig->created = be32(d);   /* the first and only one: gpg takes the first */
			sig->have_created = true;
		}
		else if (hashed && type == SUB_ISSUER_FPR && dl == 21 && d[0] == 4 && !sig->issuer_fpr)
			sig->issuer_fpr = d + 1;
		else if (!hashed && type == SUB_ISSUER && dl == 8 && !sig->issuer_id)
			sig->issuer_id = d;
		else
			return false;
	}
	return true;
}

/* An MPI of at most 32 bytes, left-padded to 32 (as gpg pads EdDSA's r, s). */
static bool take_mpi32(const uint8_t **p, const uint8_t *end, uint8_t out[32])
{
	if (end - *p < 2)
		return false;
	size_t bits = (size_t)(*p)[0] << 8 | (*p)[1], n = (bits + 7) / 8;
	if (bits == 0 || n > 32 || (size_t)(end - *p - 2) < n)
		return false;
	memset(out, 0, 32);
	memcpy(out + 32 - n, *p + 2, n);
	*p += 2 + n;
	return true;
}

/* The signature file: exactly one v4 EdDSA signature packet over a binary
 * document, in the shape pgp_quick.h describes. */
static bool take_signature(const uint8_t *file, size_t file_len, struct quick_sig *sig,
			   const uint8_t **body)
{
	memset(sig, 0, sizeof(*sig));
	if (!file)
		return false;
	const uint8_t *p = file, *end = file + file_len, *b;
	size_t n;
	int tag;
	if (!next_packet(&p, end, &tag, &b, &n) || p != end || tag != 2 || n < 6 || b[0] != 4 ||
	    b[1] != 0x00 || b[2] != ALGO_EDDSA || (b[3] != HASH_SHA256 && b[3] != HASH_SHA512))
		return false;
	const uint8_t *bend = b + n;
	size_t hn = (size_t)b[4] << 8 | b[5];
	if (n < 6 + hn + 2 || !take_subpackets(sig, b + 6, hn, true))
		return false;
	sig->hash_algo = b[3] == HASH_SHA256 ? GCRY_MD_SHA256 : GCRY_MD_SHA512;
	sig->hashed_len = 6 + hn;
	const uint8_t *u = b + 6 + hn;
	size_t un = (size_t)u[0] << 8 | u[1];
	if ((size_t)(bend - u - 2) < un || !take_subpackets(sig, u + 2, un, false))
		return false;
	p = u + 2 + un;
	if (bend - p < 2)
		return false;
	memcpy(sig->left16, p, 2);
	p += 2;
	*body = b;
	return sig->created && sig->issuer_fpr && sig->issuer_id &&
	       take_mpi32(&p, bend, sig->r) && take_mpi32(&p, bend, sig->s) && p == bend;
}

/* RFC 4880 5.2.4: the data, the hashed part of the packet, the trailer. */
static void signed_digest(const struct quick_sig *sig, const uint8_t *body, const void *data,
			  size_t len, uint8_t out[64], size_t *out_len)
{
	gcry_md_hd_t md;
	uint8_t trailer[6] = { 0x04, 0xff, (uint8_t)(sig->hashed_len >> 24),
			       (uint8_t)(sig->hashed_len >> 16), (uint8_t)(sig->hashed_len >> 8),
			       (uint8_t)sig->hashed_len };
	*out_len = 0;
	if (gcry_md_open(&md, sig->hash_algo, 0))
		return;
	gcry_md_write(md, data, len);
	gcry_md_write(md, body, sig->hashed_len);
	gcry_md_write(md, trailer, sizeof(trailer));
	*out_len = gcry_md_get_algo_dlen(sig->hash_algo);
	memcpy(out, gcry_md_read(md, sig->hash_algo), *out_len);
	gcry_md_close(md);
}

/* libgcrypt's EdDSA verification, called as gpg calls it for these keys. */
static bool eddsa_verify(const struct quick_key *k, const struct quick_sig *sig,
			 const uint8_t *digest, size_t digest_len)
{
	gcry_sexp_t s_key = NULL, s_data = NULL, s_sig = NULL;
	bool ok = !gcry_sexp_build(&s_key, NULL, "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))",
				   (int)sizeof(k->q), k->q) &&
		  !gcry_sexp_build(&s_data, NULL, "(data(flags eddsa)(hash-algo sha512)(value %b))",
				   (int)digest_len, digest) &&
		  !gcry_sexp_build(&s_sig, NULL, "(sig-val(eddsa(r %b)(s %b)))", 32, sig->r, 32,
				   sig->s) &&
		  gcry_pk_verify(s_sig, s_data, s_key) == 0;
	gcry_sexp_release(s_key);
	gcry_sexp_release(s_data);
	gcry_sexp_release(s_sig);
	return ok;
}

/* libgcrypt caches its curves' field primes at their first use without a
 * lock (mpi/ec.c, field_table_mpis): threads that check their first EdDSA
 * signatures at the same moment each cache one, and all but one of them
 * leak (LeakSanitizer saw it in make asan, now and then). One check on the
 * thread that builds the snapshot, before any thread shares it, fills the
 * cache. RFC 8032's second Ed25519 test vector; its verdict is not used. */
static void warm_curve_cache(void)
{
	static const uint8_t pub[32] = {
		0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92, 0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc,
		0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4, 0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c,
	};
	static const uint8_t r[32] = {
		0x92, 0xa0, 0x09, 0xa9, 0xf0, 0xd4, 0xca, 0xb8, 0x72, 0x0e, 0x82, 0x0b, 0x5f, 0x64, 0x25, 0x40,
		0xa2, 0xb2, 0x7b, 0x54, 0x16, 0x50, 0x3f, 0x8f, 0xb3, 0x76, 0x22, 0x23, 0xeb, 0xdb, 0x69, 0xda,
	};
	static const uint8_t s[32] = {
		0x08, 0x5a, 0xc1, 0xe4, 0x3e, 0x15, 0x99, 0x6e, 0x45, 0x8f, 0x36, 0x13, 0xd0, 0xf1, 0x1d, 0x8c,
		0x38, 0x7b, 0x2e, 0xae, 0xb4, 0x30, 0x2a, 0xee, 0xb0, 0x0d, 0x29, 0x16, 0x12, 0xbb, 0x0c, 0x00,
	};
	static const uint8_t msg[1] = { 0x72 };
	struct quick_key k = { .q = { 0x40 } };
	struct quick_sig sig = { 0 };
	memcpy(k.q + 1, pub, sizeof(pub));
	memcpy(sig.r, r, sizeof(r));
	memcpy(sig.s, s, sizeof(s));
	(void)eddsa_verify(&k, &sig, msg, sizeof(msg));
}

static const struct quick_key *find_key(const struct pgp_quick *q, const char *fpr)
{
	for (size_t i = 0; q && fpr && i < q->n; i++)
		if (q->keys[i].have_q && strcasecmp(q->keys[i].fpr, fpr) == 0)
			return &q->keys[i];
	return NULL;
}

bool pgp_quick_valid_by(const struct pgp_quick *q, const char *fpr, const void *data,
			size_t len, const void *sig_file, size_t sig_len)
{
	const struct quick_key *k = find_key(q, fpr);
	struct quick_sig sig;
	const uint8_t *body;
	uint8_t digest[64];
	size_t digest_len;
	int64_t now = (int64_t)time(NULL);
	if (!k || !take_signature(sig_file, sig_len, &sig, &body) ||
	    memcmp(sig.issuer_fpr, k->fpr_bin, 20) != 0 || memcmp(sig.issuer_id, k->fpr_bin + 12, 8) != 0)
		return false;
	/* gpg's time checks: key older than the signature, nothing from the
	 * future, the key not expired now (with a minute's margin: GPGME decides) */
	if (sig.created < k->created || sig.created > now || k->created > now ||
	    (k->expires && now + 60 >= k->expires))
		return false;
	signed_digest(&sig, body, data, len, digest, &digest_len);
	return digest_len && memcmp(digest, sig.left16, 2) == 0 &&
	       eddsa_verify(k, &sig, digest, digest_len);
}
