/* pgp_fixture: throw-away GnuPG homes for unit tests (linked into every test).
 * A home lives under a short /tmp path (gpg-agent sockets), holds ed25519
 * keys without passphrase, and teardown kills its daemons before removing it. */
#ifndef FERRY_PGP_FIXTURE_H
#define FERRY_PGP_FIXTURE_H

#include "common/pgp.h"

struct pgp_home {
	char *dir;         /* the home directory (test_tmpdir) */
	struct pgp *pgp;   /* a context bound to it */
};

/* Creates the home and opens a context; fails the test on error. */
void pgp_home_setup(struct pgp_home *h);
/* Closes the context, kills gpg-agent & co., removes the directory. */
void pgp_home_teardown(struct pgp_home *h);
/* cmocka group-less setup/teardown giving each test PGP_HOMES fresh homes in
 * *state (a struct pgp_homes *); teardown runs even when the test fails, so
 * no agent outlives a failed assertion. */
#define PGP_HOMES 3
struct pgp_homes {
	struct pgp_home h[PGP_HOMES];
};
int pgp_homes_setup(void **state);
int pgp_homes_teardown(void **state);
#define pgp_unit_test(f) cmocka_unit_test_setup_teardown(f, pgp_homes_setup, pgp_homes_teardown)

/* Creates an ed25519 signing key (no passphrase, no expiry) named uid. */
void pgp_home_key(struct pgp_home *h, const char *uid, char fpr[PGP_FPR_LEN + 1]);
/* Copies the public key fpr from one home into another. */
void pgp_home_copy_public(struct pgp_home *from, struct pgp_home *to, const char *fpr);
/* Runs plain gpg on the home: "gpg --homedir DIR --batch --quiet
 * --pinentry-mode loopback --passphrase '' " followed by args (a shell
 * fragment); returns its exit status. For interop tests and for states GPGME
 * cannot produce (keys made in the past with --faked-system-time). */
int pgp_home_gpg(const struct pgp_home *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Revokes key fpr with the certificate GnuPG stored when it made the key. */
void pgp_home_revoke(struct pgp_home *h, const char *fpr);
/* The fingerprint of the one key whose user id matches uid, via plain gpg. */
void pgp_home_fpr_of(const struct pgp_home *h, const char *uid, char fpr[PGP_FPR_LEN + 1]);

#endif
