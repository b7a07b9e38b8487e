/* pgp_quick: detached OpenPGP signatures checked in-process, without a gpg
 * run, for HQ's import of many small files each signed by a device's
 * ed25519 key. Owns a snapshot of the keyring taken through GPGME (one
 * listing for the keys' state, one export for their public material, per
 * import) and one check that only ever says "valid, by exactly this key"
 * (docs/hq.md, "Signatures checked in-process"):
 *   - the key is the registered fingerprint's own ed25519 primary key, v4,
 *     claimed by no other key of the keyring, usable for signing, not
 *     revoked, expired, disabled or invalid, created before the signature;
 *   - the signature file is exactly one binary v4 signature packet of class
 *     0x00 (binary document), EdDSA, SHA-256 or SHA-512, whose hashed area
 *     holds only its creation time and issuer fingerprint and whose
 *     unhashed area only the issuer key id, both naming that key; created
 *     no later than now;
 *   - the digest's first two bytes match and libgcrypt (gpg's own crypto)
 *     verifies the EdDSA signature over the RFC 4880 digest.
 * Whatever else (another key, a subkey, RSA, a tampered or bad signature,
 * an armored one, an unknown subpacket) gets false: the caller asks GPGME,
 * which decides and words the refusal. */
#ifndef FERRY_PGP_QUICK_H
#define FERRY_PGP_QUICK_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct pgp;
struct pgp_quick;   /* read-only once loaded: threads may share it */

/* Snapshot of p's keyring (two gpg runs): pgp_quick_build over the keys the
 * listing says the check may use and the export of all public keys. Caller
 * frees with pgp_quick_free. */
bool pgp_quick_load(struct pgp *p, struct pgp_quick **out, struct ferry_error **err);
/* A key the listing found usable (ed25519 primary that can sign, in good
 * standing, its fingerprint claimed by no other key): its state. */
struct pgp_quick_key {
	char fpr[41];                  /* the primary key's, 40 hex */
	long long created, expires;    /* seconds since the epoch; expires 0: never */
};
/* The snapshot from those keys and an export (binary public key packets);
 * a key without its packet in the export stays with GPGME. */
bool pgp_quick_build(const struct pgp_quick_key *keys, size_t n, const void *export,
		     size_t export_len, struct pgp_quick **out, struct ferry_error **err);
void pgp_quick_free(struct pgp_quick *q);
/* How many keys of the snapshot the in-process check can use. */
size_t pgp_quick_keys(const struct pgp_quick *q);
/* True only when sig is a valid signature over data by the key whose
 * primary fingerprint is fpr, in the shape described above; false means
 * "ask GPGME", never "refused". */
bool pgp_quick_valid_by(const struct pgp_quick *q, const char *fpr, const void *data,
			size_t len, const void *sig, size_t sig_len);

#endif
