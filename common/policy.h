/* policy: the signed trust policy (design §2.4): strict parse, validation,
 * deterministic serialization, and the decisions made with it — may these
 * verified signatures release a manifest to a device type; may a candidate
 * policy replace the current one (threshold of current roots, higher serial).
 * Promises: a decision lists every reason it refused; policy bytes are only
 * parsed after their signature verified. */
#ifndef FERRY_POLICY_H
#define FERRY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "pgp.h"

#define POLICY_FILE "policy.json"
#define POLICY_SIG_FILE "policy.json.sig"
/* Optional beside them: armored public keys of the roots and signers the
 * policy names. Harmless without the signed policy (trust is by fingerprint),
 * needed by devices to verify signers added after they were provisioned. */
#define POLICY_KEYS_FILE "keys.asc"
#define POLICY_MAX_BYTES (1 << 20)
/* The role a manifest needs from at least one valid signer, whatever the rules. */
#define POLICY_RELEASE_ROLE "release"

struct policy_signer {
	char fpr[PGP_FPR_LEN + 1];
	char *name;
	char **roles;          /* NULL-terminated, lowercase names */
	char **device_types;   /* NULL-terminated fnmatch globs */
	int64_t expires;       /* seconds since the epoch; 0: never */
};

struct policy_revocation {
	char fpr[PGP_FPR_LEN + 1];
	int64_t at;
	char *reason;
};

struct policy_rule {
	char **device_types;    /* globs */
	char **require_roles;   /* each entry needs its own distinct signer */
};

/* A person who may carry work orders (common/order.h). Revocation keeps the
 * entry, so the signed policy history shows who had access and when it ended. */
struct policy_technician {
	char *id;                    /* a word: letters, digits, '-', '_', '.' */
	char *name;
	char fpr[PGP_FPR_LEN + 1];   /* "" when the policy names no key */
	int64_t revoked;             /* seconds since the epoch; 0: not revoked */
};

/* Which operations need a work order on matching device types. */
struct policy_order_rule {
	char **device_types;   /* globs */
	char **operations;     /* "read", "install", "policy" */
};

struct policy {
	int64_t serial;
	int64_t issued;
	char (*roots)[PGP_FPR_LEN + 1];
	size_t n_roots;
	int64_t threshold;
	struct policy_signer *signers;
	size_t n_signers;
	struct policy_revocation *revoked;
	size_t n_revoked;
	struct policy_rule *rules;
	size_t n_rules;
	/* Optional (format 1, additive; policy_people.c): absent means no
	 * technicians and no order needed, as before orders existed. */
	struct policy_technician *technicians;
	size_t n_technicians;
	struct policy_order_rule *order_rules;
	size_t n_order_rules;
};

/* Parses and validates len bytes (name is used in messages). Caller frees
 * *out with policy_free. Only ever call this on verified bytes. */
bool policy_parse(const char *bytes, size_t len, const char *name, struct policy **out,
		  struct ferry_error **err);
/* The value rules (parse runs them; ferry-keys runs them before signing). */
bool policy_validate(const struct policy *p, const char *name, struct ferry_error **err);
/* Deterministic text: sorted keys, 2-space indent, trailing newline. Caller frees. */
char *policy_serialize(const struct policy *p);
void policy_free(struct policy *p);

/* Lookups (NULL when absent). */
const struct policy_signer *policy_find_signer(const struct policy *p, const char *fpr);
const struct policy_revocation *policy_find_revocation(const struct policy *p, const char *fpr);
bool policy_is_root(const struct policy *p, const char *fpr);
/* Technician and order ids: 1-64 letters, digits, '-', '_', '.'. */
bool policy_id_valid(const char *s);
const struct policy_technician *policy_find_technician(const struct policy *p, const char *id);
/* Does an order-rule matching device_type list operation op? */
bool policy_order_required(const struct policy *p, const char *device_type, const char *op);
/* The signer role that may sign work orders. */
#define POLICY_DISPATCHER_ROLE "dispatcher"

/* A decision and every reason for it, one line each, naming the fingerprint
 * (and signer name) and what is wrong. */
struct policy_verdict {
	bool allowed;
	char **reasons;   /* NULL-terminated; empty when allowed without remarks */
	char **counted;   /* NULL-terminated fingerprints of the signers that counted */
};
void policy_verdict_clear(struct policy_verdict *v);

/* May the signatures in vr (over a manifest's exact bytes) release it to a
 * device of device_type at time now? A signature counts only when its status
 * is valid, its full fingerprint is a listed signer, not revoked (a
 * revocation whose time has come refuses the signer outright, and refuses
 * any signature made at or after it), not expired, and its device_types match.
 * Then at least one counting signer must hold role "release", and every rule
 * whose device_types match must find, for each required role, a DISTINCT
 * counting signer holding it. Returns false only on out of memory. */
bool policy_allows_release(const struct policy *p, const struct pgp_verify_result *vr,
			   const char *device_type, time_t now, struct policy_verdict *v);
/* The same signer checks for a document that needs one valid signer holding
 * role (e.g. "hq" for acknowledgements); device_type NULL skips the scope. */
bool policy_allows_role(const struct policy *p, const struct pgp_verify_result *vr,
			const char *role, const char *device_type, time_t now,
			struct policy_verdict *v);

/* The exact bytes of policy.json and policy.json.sig. */
struct policy_file {
	char *bytes;
	size_t len;
	char *sig;
	size_t sig_len;
	char *keys;       /* keys.asc as imported by policy_adopt_dirfd (NULL: none) */
	size_t keys_len;
};
void policy_file_clear(struct policy_file *f);
/* Reads dir/policy.json and dir/policy.json.sig (bounded, never through a
 * link). The dirfd form reads them in the open folder dirfd (a stick's,
 * common/stick.h), dir naming it in messages. */
bool policy_read_dir(const char *dir, struct policy_file *f, struct ferry_error **err);
bool policy_read_dirfd(int dirfd, const char *dir, struct policy_file *f, struct ferry_error **err);
/* Verifies f's exact bytes, parses them only when a key of pgp's home signed
 * them validly, and requires a threshold of valid signatures by the roots the
 * policy names. With current: also a threshold of current's roots (checked
 * before parsing) and a higher serial. name is used in messages. */
bool policy_verify_file(struct pgp *pgp, const struct policy_file *f, const char *name,
			const struct policy *current, struct policy **out,
			struct ferry_error **err);
/* Loads the device's current policy from dir (policy_verify_file without
 * current: the device home's keys and the policy's own roots vouch for it). */
bool policy_load_dir(struct pgp *pgp, const char *dir, struct policy **out,
		     struct ferry_error **err);
/* Would p lock everyone out at time now? Refused (v->allowed false, with a
 * reason each) when some rule's required roles cannot be met by distinct
 * signers that are neither revoked nor expired, when signers exist but none
 * of them may release, or when a device type (a glob named by a rule of p, or
 * by a release signer of previous, the policy p replaces; NULL: none) is left
 * without live signers whose device types cover it and who can meet its
 * rules. Returns false only on out of memory. */
bool policy_check_lockout(const struct policy *p, const struct policy *previous, time_t now,
			  struct policy_verdict *v);

/* Adoption of a candidate policy from the open folder dirfd (a stick's
 * ferry/policy, opened by common/stick.h; dir names it in messages: every
 * file is read through dirfd)
 * on a device whose current policy is current:
 *   1. at least current->threshold distinct current roots signed the exact bytes;
 *   2. only then they are parsed, and must carry a higher serial (a replayed
 *      older policy stops here, before keys.asc is looked at);
 *   3. in a throw-away home (common/policy_keys.h) holding the device's keys
 *      and the public parts of keys.asc's keys the policy names, the bytes
 *      must carry a threshold of signatures by their OWN roots too (so the
 *      policy loads again after adoption: a root rotation is signed by the
 *      old and the new roots).
 * pgp's home is never changed: on success *out is the new policy, *file the
 * exact bytes to store with policy_write_dir (never re-read the stick) and
 * file->keys the public keys of the fingerprints it names, which the caller
 * imports only when it adopts (not on a dry run). On refusal err has every
 * reason. */
bool policy_adopt_dirfd(struct pgp *pgp, const struct policy *current, int dirfd, const char *dir,
			struct policy **out, struct policy_file *file, struct ferry_error **err);
/* Replaces directory dir with one holding f (and keys.asc when keys is not
 * NULL) in one step: written to "<dir>.new", then exchanged with dir. */
bool policy_write_dir(const char *dir, const struct policy_file *f, const char *keys,
		      size_t keys_len, struct ferry_error **err);
/* True when dir is missing or holds nothing but policy files: policy_write_dir
 * replaces (and removes) only such a directory, so that a mistyped output
 * path never swallows someone's files. */
bool policy_dir_replaceable(const char *dir, struct ferry_error **err);

#endif
