/* verify: the trust context of `ferry-pack verify` and simulate — a
 * throw-away GnuPG home with the given keyring and the verified policy — and
 * verify's admission through the one door (common/admit: signatures, policy,
 * parse, every variant's device types). Collects one line per check that passed. */
#ifndef FERRY_PACK_VERIFY_H
#define FERRY_PACK_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/admit.h"
#include "common/error.h"
#include "common/manifest.h"
#include "common/pgp.h"
#include "common/policy.h"

struct verify_line {
	char check[16];
	char detail[240];
};

struct verify_trust {
	char *home;                      /* throw-away GnuPG home */
	struct pgp *pgp;
	const char *policy_dir;
	struct policy *policy;
	struct verify_line lines[64];
	size_t n_lines;
};

/* Imports keyring into a fresh home and loads the policy of policy_dir,
 * which a threshold of its roots must have signed with keys of the keyring
 * (then the policy's keys.asc is imported too: trust is by fingerprint).
 * keyring NULL (simulate): the policy's own keys.asc vouches for it, good
 * for a what-if, not for a security check. Returns CLI_EXIT_OK, or CLI_EXIT_USAGE
 * when the keyring or policy cannot be used. */
int verify_trust_open(struct verify_trust *t, const char *keyring, const char *policy_dir,
		      struct ferry_error **err);
/* Admits the bundle open in r in every-variant mode (bundle_admit) and adds
 * a line per signature and per released device type; caller clears *a. */
bool verify_trust_admit(struct verify_trust *t, struct bundle_reader *r, struct admission *a,
			struct ferry_error **err);
void verify_trust_close(struct verify_trust *t);

#endif
