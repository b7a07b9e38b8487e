/* admit: the one admission of a bundle (design §3), shared by ferry-agent
 * install/check/watch and ferry-pack verify/simulate. Always in this order:
 *   1. read   manifest.json and manifest.sig, exact bytes, bounded;
 *   2. signatures over those bytes: at least one valid, none bad;
 *   3. policy: may a counted signer release at all (for some device type)?
 *   4. parse  manifest.json, only when 2 passed and 3 allowed it;
 *   5. decide every-variant mode: the policy for every variant's device
 *      types; device mode, per device: scope (does a variant list its
 *      device type? if not: COMPAT, out of scope, the signer rules are not
 *      looked at), then the signer rules for its device type (POLICY), then
 *      decide() (COMPAT).
 * The mode varies what is checked, never the order. Promises: no byte of a
 * manifest is parsed before its signatures verified and the policy allowed
 * them; every refusal carries a ferry_code (signature, policy, compatibility,
 * format) and its reasons. */
#ifndef FERRY_ADMIT_H
#define FERRY_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "bundle_read.h"
#include "decide.h"
#include "error.h"
#include "manifest.h"
#include "pgp.h"
#include "policy.h"

/* The version of bundle `name` installed on device i of the request
 * (malloc'd, NULL when none). false (with *err) when it cannot be known: the
 * admission then stops without a verdict. */
typedef bool (*admit_installed_fn)(void *ctx, size_t i, const char *name, char **version,
				   struct ferry_error **err);

struct admit_request {
	const char *path;                    /* the bundle file, opened and closed here … */
	const char *name;                    /* with dirfd: path's file, opened in dirfd (a stick's */
	int dirfd;                           /* ferry/bundles); name NULL: by path */
	struct bundle_reader *reader;        /* … or an open reader (borrowed, left after the manifest) */
	struct pgp *pgp;                     /* the keys signatures are checked with */
	const struct policy *policy;         /* the verified policy in force */
	time_t now;                          /* 0: the current time */
	/* Device mode: n_devices > 0 devices to judge and decide for (their
	 * installed_version is asked of installed() when it is set).
	 * Every-variant mode (n_devices 0): judge every variant's device types. */
	const struct device_facts *devices;
	size_t n_devices;
	admit_installed_fn installed;
	void *installed_ctx;
};

enum admit_step {
	ADMIT_READ, ADMIT_SIGNATURES, ADMIT_POLICY, ADMIT_PARSE, ADMIT_DECIDE, ADMIT_DONE,
};

struct admit_device {
	const struct device_facts *facts;    /* the request's (installed_version not set) */
	struct policy_verdict policy;        /* for its device type (step 3) */
	bool decided;                        /* decision holds a decide() result */
	struct decision decision;
	enum ferry_code code;                /* NONE: install decision.variant; POLICY (decision
						never holds a variant); COMPAT (see decide_is_out_of_scope) */
};

struct admit_variant {
	const struct variant *variant;       /* in manifest */
	const char *device_type;
	struct policy_verdict policy;
};

struct admission {
	enum admit_step reached;             /* the step that refused; ADMIT_DONE when admitted */
	bool refused;                        /* judged and refused (else, on failure: could not judge) */
	enum ferry_code code;                /* FERRY_E_NONE when admitted */
	struct pgp_verify_result sigs;       /* every signature and its status */
	struct policy_verdict release;       /* may these signers release at all (any device type) */
	struct manifest *manifest;           /* owned; parsed only after steps 2 and 3 */
	struct admit_device *devices;        /* device mode: one per device, in request order */
	size_t n_devices;
	struct admit_variant *variants;      /* every-variant mode: one per (variant, device type) */
	size_t n_variants;
};

/* Admits the bundle of rq. true when admitted: every variant released
 * (every-variant mode) or every device may install a variant (device mode).
 * Else false with *err naming the input and the first reason, classified
 * FERRY_E_SIGNATURE, FERRY_E_POLICY, FERRY_E_FORMAT or FERRY_E_COMPAT
 * (out->refused), or the failure that kept it from judging (!out->refused).
 * *out is filled as far as the admission got, either way: clear it with
 * admission_clear. */
bool bundle_admit(const struct admit_request *rq, struct admission *out, struct ferry_error **err);
void admission_clear(struct admission *a);

/* Several bundles offered to the same devices at once (a stick): per device,
 * only the highest accepted version of each bundle name stays accepted (see
 * decide_keep_highest); the others become COMPAT refusals. */
bool admit_keep_highest(struct admission *const *as, size_t n, struct ferry_error **err);

/* "read", "signatures", "policy", "parse", "decide", "done". */
const char *admit_step_name(enum admit_step s);

#endif
