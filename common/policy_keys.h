/* policy_keys: which public keys a candidate policy may bring onto a device.
 * Owns the throw-away GnuPG home in which a stick's keys.asc is examined.
 * Promises: nothing of keys.asc reaches the device's home by this module;
 * what it hands back is the public keys of exactly the fingerprints the
 * candidate names (roots and signers), exported by GnuPG from the throw-away
 * home, so no secret key material and no unnamed key can pass through it. */
#ifndef FERRY_POLICY_KEYS_H
#define FERRY_POLICY_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "pgp.h"
#include "policy.h"

struct policy_keys {
	struct pgp *pgp;     /* the throw-away home: verify the candidate here */
	char *home;          /* its directory (removed by policy_keys_clear) */
	char *public;        /* armored public keys of next's fingerprints (may be NULL) */
	size_t public_len;
};

/* Makes a throw-away home holding the public keys of current's roots and of
 * next's roots and signers as the device's home has them, merged with the
 * public parts of those keys found in keys (keys.asc's bytes; a secret key
 * there is never imported: no gpg-agent runs in that home). Keys that next
 * does not name are dropped. Clear with policy_keys_clear. */
bool policy_keys_stage(struct pgp *device, const struct policy *current,
		       const struct policy *next, const char *keys, size_t keys_len,
		       struct policy_keys *out, struct ferry_error **err);
/* Closes the throw-away home, ends any GnuPG daemon of it and removes it. */
void policy_keys_clear(struct policy_keys *k);

#endif
