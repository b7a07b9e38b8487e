/* policy_fixture: signed trust policies for unit tests (linked into every
 * test): a policy with given roots, signed by keys of a throw-away GnuPG
 * home and written as a policy directory (policy.json, .sig, keys.asc). */
#ifndef FERRY_POLICY_FIXTURE_H
#define FERRY_POLICY_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "common/policy.h"
#include "pgp_fixture.h"

/* 2026-11-24T10:00:00Z: serial s is issued at POLICY_FIXTURE_ISSUED + s. */
#define POLICY_FIXTURE_ISSUED 1795514400

/* A policy with the given roots, serial and threshold, and no signers.
 * Free with policy_free. */
struct policy *policy_fixture_make(int64_t serial, const char (*roots)[PGP_FPR_LEN + 1], size_t n,
				   int64_t threshold);
/* Signs p's text with each key of by[] in ws and writes it (with the public
 * keys of keys_from[] as keys.asc when n_keys > 0) into dir. */
void policy_fixture_publish(struct pgp_home *ws, const struct policy *p,
			    const char (*by)[PGP_FPR_LEN + 1], size_t n_by,
			    const char (*keys_from)[PGP_FPR_LEN + 1], size_t n_keys, const char *dir);

#endif
