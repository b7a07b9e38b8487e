/* pgp_passphrase: where a protected secret key's passphrase comes from, for
 * GPGME's loopback pinentry (common/pgp.c owns the context). Promises: the
 * passphrase is read from a file (first line, at most 1 KiB) or asked on the
 * controlling terminal (/dev/tty, echo off, three tries); without either the
 * key's use is cancelled at once, never hangs, and the error says what to
 * give. The bytes are wiped when the source is freed. */
#ifndef FERRY_PGP_PASSPHRASE_H
#define FERRY_PGP_PASSPHRASE_H

#include <gpgme.h>
#include <stdbool.h>

#include "error.h"

struct pgp_passphrase {
	char *file;          /* --passphrase-file, or NULL: the terminal */
	char *text;          /* read from file, once */
	int asked;           /* terminal prompts so far */
};

/* gpgme_passphrase_cb_t over a struct pgp_passphrase (hook). */
gpgme_error_t pgp_passphrase_cb(void *hook, const char *uid_hint, const char *info, int prev_was_bad,
				int fd);
void pgp_passphrase_clear(struct pgp_passphrase *pp);
/* The message for a signing or key-creation failure e that a passphrase
 * explains (NULL when e is something else). */
const char *pgp_passphrase_problem(gpgme_error_t e);

#endif
