/* pgp_ctx: a pgp handle's GPGME context, for the pgp_*.c modules that need
 * GPGME calls of their own (pgp_quick.c); gpgme.h stays out of pgp.h. */
#ifndef FERRY_PGP_CTX_H
#define FERRY_PGP_CTX_H

#include <gpgme.h>

struct pgp;
gpgme_ctx_t pgp_gpgme(struct pgp *p);

#endif
