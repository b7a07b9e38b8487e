/* bundle_sig: strict form of manifest.sig, checked before GnuPG sees it.
 * OpenPGP leaves a signature's unhashed area and packet framing outside what
 * the signature covers; so that no byte of manifest.sig can change unnoticed,
 * it must be a plain sequence of v4 signature packets whose unhashed area
 * holds only the issuer (key id / fingerprint), equal to the hashed issuer
 * fingerprint. */
#ifndef FERRY_BUNDLE_SIG_H
#define FERRY_BUNDLE_SIG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Checks len bytes; *n_sigs receives the number of signature packets. */
bool bundle_sig_check(const void *sig, size_t len, size_t *n_sigs, struct ferry_error **err);

#endif
