/* pgp: OpenPGP through GPGME, bound to a private home directory.
 * Never touches ~/.gnupg; trust is ferry's policy, not the web of trust, so a
 * verification only reports facts per signature (full fingerprint when known,
 * status, creation time); policy.c decides what they are worth.
 * (Interface fixed for the other modules; implementation in pgp.c.) */
#ifndef FERRY_PGP_H
#define FERRY_PGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

#define PGP_FPR_LEN 40   /* v4 fingerprint, uppercase hex */

struct pgp;   /* a GPGME context bound to one home directory */

/* Opens a context on homedir (created 0700 if missing). Writes gpg.conf /
 * gpg-agent.conf there as needed: loopback pinentry, no auto-key-retrieve;
 * verification alone never starts gpg-agent. */
bool pgp_open(const char *homedir, struct pgp **out, struct ferry_error **err);
void pgp_close(struct pgp *p);
/* Ends every GnuPG daemon of that home directory (gpgconf --kill all). */
void pgp_kill_daemons(const char *homedir);
/* The absolute home directory the context is bound to (owned by p). */
const char *pgp_homedir(const struct pgp *p);
/* True for exactly 40 uppercase hex digits: a full v4 fingerprint, never a key id. */
bool pgp_fpr_valid(const char *s);

/* Creates an ed25519 sign-only key, with no passphrase unless
 * pgp_protect_new_keys; returns its fingerprint.
 * expires: 0 for never, else seconds since the epoch. */
bool pgp_create_key(struct pgp *p, const char *user_id, time_t expires,
		    char fpr[PGP_FPR_LEN + 1], struct ferry_error **err);
/* Imports armored or binary keys; fills up to max fingerprints, *n_out = count. */
bool pgp_import(struct pgp *p, const void *data, size_t len, char (*fprs)[PGP_FPR_LEN + 1],
		size_t max, size_t *n_out, struct ferry_error **err);
/* pgp_import that never starts gpg-agent: of a secret key only its public
 * part is imported (use it on a throw-away home; refused once the agent of
 * p runs, which would accept secret keys). */
bool pgp_import_public(struct pgp *p, const void *data, size_t len,
		       char (*fprs)[PGP_FPR_LEN + 1], size_t max, size_t *n_out,
		       struct ferry_error **err);
bool pgp_import_file(struct pgp *p, const char *path, char (*fprs)[PGP_FPR_LEN + 1],
		     size_t max, size_t *n_out, struct ferry_error **err);
/* Exports the public key (armored when armor is true); caller frees *out. */
bool pgp_export_public(struct pgp *p, const char *fpr, bool armor, char **out, size_t *len,
		       struct ferry_error **err);
bool pgp_has_secret_key(struct pgp *p, const char *fpr);

/* Protected keys (loopback pinentry, common/pgp_passphrase.h): the
 * passphrase comes from file (checked readable now) instead of the terminal. */
bool pgp_set_passphrase_file(struct pgp *p, const char *file, struct ferry_error **err);
/* pgp_create_key makes keys protected by a passphrase (from the file or the
 * terminal) instead of keys without one. */
void pgp_protect_new_keys(struct pgp *p, bool on);
/* Signs a few bytes with fpr and throws them away: a missing key, a wrong or
 * missing passphrase or an unusable token fails here, before any work.
 * *sig_len (may be NULL) gets the probe signature's length, what a
 * signature by this key is expected to take. */
bool pgp_check_signing_key(struct pgp *p, const char *fpr, size_t *sig_len,
			   struct ferry_error **err);

/* Binary detached signature over exactly len bytes by key fpr; caller frees *sig.
 * A passphrase that is wrong or not given fails with FERRY_E_CONFIG. */
bool pgp_sign_detached(struct pgp *p, const char *fpr, const void *data, size_t len,
		       void **sig, size_t *sig_len, struct ferry_error **err);

enum pgp_sig_status {
	PGP_SIG_VALID,            /* GPGME status 0: good signature by a key in the keyring */
	PGP_SIG_BAD,              /* the bytes do not match the signature */
	PGP_SIG_UNKNOWN_KEY,      /* no public key for it in this home directory */
	PGP_SIG_EXPIRED_KEY,
	PGP_SIG_REVOKED_KEY,
	PGP_SIG_EXPIRED_SIG,
	PGP_SIG_ERROR,            /* anything else (unsupported algorithm, …) */
};
const char *pgp_sig_status_name(enum pgp_sig_status s);   /* "valid", "bad", … */

struct pgp_signature {
	enum pgp_sig_status status;
	char fpr[PGP_FPR_LEN + 1];   /* full primary-key fingerprint; for a bad or
	                              * unknown-key signature possibly only the
	                              * 16-hex key id GPGME gives: never trust it */
	time_t created;
};
struct pgp_verify_result {
	struct pgp_signature *sigs;
	size_t n_sigs;
};
/* Verifies one or more concatenated binary detached signatures over exactly
 * len bytes. Returns false only when verification could not run at all
 * (malformed signature data…); a bad signature is a result, not an error. */
bool pgp_verify_detached(struct pgp *p, const void *data, size_t len, const void *sig,
			 size_t sig_len, struct pgp_verify_result *out, struct ferry_error **err);
void pgp_verify_result_clear(struct pgp_verify_result *r);

/* A snapshot of the keyring (pgp_quick.h) that checks of a signature by one
 * given key (signedfile_read_by) try before GPGME; borrowed: it must outlive
 * p's use of it. NULL: GPGME only. */
struct pgp_quick;
void pgp_use_quick(struct pgp *p, const struct pgp_quick *q);
const struct pgp_quick *pgp_quick_of(const struct pgp *p);

#endif
