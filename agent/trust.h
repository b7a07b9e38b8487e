/* trust: the device's side of the chain of trust. Owns which signed policy is
 * current (the provisioned one in trust.policy, or the newest adopted one kept
 * under <state_dir>/policies/<serial>/ and named by agent.db's policy serial)
 * and adopting a newer one from a stick. Adoption writes the new files
 * completely before the one transaction that makes them current, so a power
 * cut leaves the old policy or the new one in force, never a mix. */
#ifndef FERRY_AGENT_TRUST_H
#define FERRY_AGENT_TRUST_H

#include <stdbool.h>

#include "agent/config.h"
#include "agent/state.h"
#include "common/error.h"
#include "common/pgp.h"
#include "common/policy.h"

struct agent_trust {
	struct pgp *pgp;          /* the device's GnuPG home (trust.homedir) */
	struct policy *policy;    /* the current policy, verified */
	char *policy_dir;         /* where it was loaded from */
};

/* Opens the device's GnuPG home and loads its current policy, verified. */
bool agent_trust_open(const struct agent_config *c, struct state *st, struct agent_trust *t,
		      struct ferry_error **err);
void agent_trust_close(struct agent_trust *t);

enum trust_adopt_outcome {
	TRUST_ADOPT_SAME,         /* the stick carries the policy in force: nothing to do */
	TRUST_ADOPT_ADOPTED,      /* a newer policy is now current (or would be, dry run) */
	TRUST_ADOPT_REFUSED,      /* not adopted; *reason says why */
};
/* Considers the policy in the open folder dirfd (a stick's ferry/policy;
 * dir names it in messages). Adopts it when a
 * threshold of the current roots signed it and its serial is higher; audits
 * "policy.adopted" or "policy.refused" unless dry_run (then nothing changes).
 * *reason (malloc'd) explains a refusal. Returns false only on I/O failures. */
bool agent_trust_adopt(const struct agent_config *c, struct state *st, struct agent_trust *t,
		       int dirfd, const char *dir, bool dry_run, const struct auditlog_fields *media_ev,
		       enum trust_adopt_outcome *outcome, char **reason, struct ferry_error **err);

#endif
