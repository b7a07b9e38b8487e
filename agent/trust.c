/* trust: see trust.h. */
#include "agent/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/safefile.h"

static char *adopted_dir(const struct agent_config *c, int64_t serial)
{
	char *dir = NULL;
	if (asprintf(&dir, "%s/policies/%08lld", c->state_dir, (long long)serial) < 0)
		return NULL;
	return dir;
}

bool agent_trust_open(const struct agent_config *c, struct state *st, struct agent_trust *t,
		      struct ferry_error **err)
{
	bool ok = false;
	struct state_info info = { 0 };
	memset(t, 0, sizeof(*t));
	if (!state_get(st, &info, err))
		goto out;
	if (!pgp_open(c->trust_homedir, &t->pgp, err))
		goto out;
	/* An adopted policy lives under the state directory; the serial in
	 * agent.db names it. The provisioned one stays where agent.json says. */
	t->policy_dir = info.policy_serial > 0 ? adopted_dir(c, info.policy_serial) : NULL;
	if (t->policy_dir && access(t->policy_dir, F_OK) != 0) {
		free(t->policy_dir);
		t->policy_dir = NULL;
	}
	if (!t->policy_dir && !(t->policy_dir = strdup(c->trust_policy))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!policy_load_dir(t->pgp, t->policy_dir, &t->policy, err)) {
		ferry_error_prefix(err, "current trust policy");
		goto out;
	}
	/* The first start records the provisioned policy's serial, so that
	 * inventories and HQ know which policy is in force from day one. */
	if (t->policy->serial > info.policy_serial) {
		json_t *d = json_pack("{s:I,s:s}", "serial", (json_int_t)t->policy->serial, "from", t->policy_dir);
		struct state_change ch = { .policy_serial = t->policy->serial };
		struct auditlog_fields ev = { .event = "policy.in_force", .result = "info", .detail = d };
		bool recorded = state_apply(st, &ch, &ev, NULL, err);
		json_decref(d);
		if (!recorded)
			goto out;
	}
	ok = true;
out:
	state_info_clear(&info);
	if (!ok)
		agent_trust_close(t);
	return ok;
}

void agent_trust_close(struct agent_trust *t)
{
	if (t->pgp)
		pgp_close(t->pgp);
	policy_free(t->policy);
	free(t->policy_dir);
	memset(t, 0, sizeof(*t));
}

/* Same bytes as the policy in force: the usual case, every stick carries it. */
static bool same_as_current(const struct agent_trust *t, int dirfd, const char *dir, bool *same,
			    struct ferry_error **err)
{
	struct policy_file a = { 0 }, b = { 0 };
	bool ok = policy_read_dirfd(dirfd, dir, &a, err) && policy_read_dir(t->policy_dir, &b, err);
	if (ok)
		*same = a.len == b.len && memcmp(a.bytes, b.bytes, a.len) == 0;
	policy_file_clear(&a);
	policy_file_clear(&b);
	return ok;
}

/* Stores the adopted exact bytes and the public keys they name, and brings
 * those keys (and nothing else of the stick) into the device's home. */
static bool store_adopted(struct pgp *home, const char *dst, const struct policy_file *f,
			  struct ferry_error **err)
{
	char *parent = strdup(dst);
	if (!parent)
		return ferry_error_set(err, "out of memory");
	*strrchr(parent, '/') = '\0';
	bool ok = mkdir_p(parent, 0700, err) && policy_write_dir(dst, f, f->keys, f->keys_len, err) &&
		  (!f->keys || pgp_import(home, f->keys, f->keys_len, NULL, 0, NULL, err));
	free(parent);
	return ok;
}

bool agent_trust_adopt(const struct agent_config *c, struct state *st, struct agent_trust *t,
		       int dirfd, const char *dir, bool dry_run, const struct auditlog_fields *media_ev,
		       enum trust_adopt_outcome *outcome, char **reason, struct ferry_error **err)
{
	bool ok = false, same = false;
	struct policy *candidate = NULL;
	struct policy_file file = { 0 };
	struct ferry_error *why = NULL;
	char *dst = NULL;
	json_t *detail = NULL;
	*reason = NULL;

	if (!same_as_current(t, dirfd, dir, &same, &why)) {
		/* An unreadable or half policy on the stick is a refusal, not a crash. */
		*outcome = TRUST_ADOPT_REFUSED;
	} else if (same) {
		*outcome = TRUST_ADOPT_SAME;
		ok = true;
		goto out;
	} else if (!policy_adopt_dirfd(t->pgp, t->policy, dirfd, dir, &candidate, &file, &why)) {
		*outcome = TRUST_ADOPT_REFUSED;
	} else {
		*outcome = TRUST_ADOPT_ADOPTED;
	}

	struct auditlog_fields ev = {
		.event = *outcome == TRUST_ADOPT_ADOPTED ? "policy.adopted" : "policy.refused",
		.result = *outcome == TRUST_ADOPT_ADOPTED ? "success" : "refused",
		.usb_serial = media_ev ? media_ev->usb_serial : NULL,
		.media_label = media_ev ? media_ev->media_label : NULL,
		.usb_vendor = media_ev ? media_ev->usb_vendor : NULL,
		.usb_product = media_ev ? media_ev->usb_product : NULL,
	};
	if (*outcome == TRUST_ADOPT_REFUSED) {
		ferry_error_classify(&why, FERRY_E_POLICY);
		ev.code = ferry_code_name(ferry_error_code(why));
		*reason = strdup(ferry_error_message(why));
		detail = json_pack("{s:s}", "reason", ferry_error_message(why));
	} else {
		detail = json_pack("{s:I,s:I}", "serial", (json_int_t)candidate->serial,
				   "previous_serial", (json_int_t)t->policy->serial);
	}
	ev.detail = detail;
	if (dry_run) {
		ok = true;
		goto out;
	}
	if (*outcome == TRUST_ADOPT_REFUSED) {
		ok = state_record(st, &ev, NULL, err);
		goto out;
	}
	dst = adopted_dir(c, candidate->serial);
	if (!dst) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	struct state_change ch = { .policy_serial = candidate->serial };
	if (!store_adopted(t->pgp, dst, &file, err) || !state_apply(st, &ch, &ev, NULL, err))
		goto out;
	policy_free(t->policy);
	t->policy = candidate;
	candidate = NULL;
	free(t->policy_dir);
	t->policy_dir = dst;
	dst = NULL;
	ok = true;
out:
	json_decref(detail);
	policy_file_clear(&file);
	policy_free(candidate);
	ferry_error_free(why);
	free(dst);
	return ok;
}
