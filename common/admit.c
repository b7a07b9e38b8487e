/* admit: see admit.h. */
#include "admit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_write.h"
#include "json.h"

/* Step 2: at least one valid signature over the exact bytes, and none that
 * does not match them. */
static bool check_signatures(const struct admit_request *rq, const char *bytes, size_t len,
			     const void *sig, size_t sig_len, struct admission *out,
			     struct ferry_error **err)
{
	size_t valid = 0;
	if (sig_len == 0)
		return ferry_error_setc(err, FERRY_E_SIGNATURE, "%s: no signatures", BUNDLE_SIG_MEMBER);
	if (!pgp_verify_detached(rq->pgp, bytes, len, sig, sig_len, &out->sigs, err)) {
		ferry_error_classify(err, FERRY_E_SIGNATURE);
		ferry_error_prefix(err, "%s", BUNDLE_SIG_MEMBER);
		return false;
	}
	for (size_t i = 0; i < out->sigs.n_sigs; i++) {
		const struct pgp_signature *s = &out->sigs.sigs[i];
		if (s->status == PGP_SIG_BAD)
			return ferry_error_setc(err, FERRY_E_SIGNATURE, "%s: signature %zu (key %s) does not match %s",
						BUNDLE_SIG_MEMBER, i + 1, s->fpr, BUNDLE_MANIFEST_MEMBER);
		valid += s->status == PGP_SIG_VALID;
	}
	if (valid == 0)
		return ferry_error_setc(err, FERRY_E_SIGNATURE, "%s: no valid signature by a key in the keyring",
					BUNDLE_SIG_MEMBER);
	return true;
}

static bool oom(struct ferry_error **err)
{
	return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
}

/* Step 3: the policy's verdict on the signers, before a byte is parsed: may
 * they release at all (for some device type)? Which device types they may
 * release for is judged in step 5, after the scope: a bundle for other device
 * types is not this device's business, whoever signed it. */
static bool judge_signers(const struct admit_request *rq, time_t now, struct admission *out,
			  struct ferry_error **err)
{
	char buf[1024];
	if (!policy_allows_role(rq->policy, &out->sigs, POLICY_RELEASE_ROLE, NULL, now, &out->release))
		return oom(err);
	if (rq->n_devices > 0) {
		out->devices = calloc(rq->n_devices, sizeof(*out->devices));
		if (!out->devices)
			return oom(err);
		out->n_devices = rq->n_devices;
		for (size_t i = 0; i < rq->n_devices; i++)
			out->devices[i].facts = &rq->devices[i];
	}
	if (out->release.allowed)
		return true;
	for (size_t i = 0; i < out->n_devices; i++)
		out->devices[i].code = FERRY_E_POLICY;
	return ferry_error_setc(err, FERRY_E_POLICY, "%s: the policy does not allow these signers to "
				"release: %s", BUNDLE_SIG_MEMBER, strv_join(out->release.reasons, "; ", buf, sizeof(buf)));
}

/* Step 5, every-variant mode: each device type of each variant released. */
static bool judge_variants(const struct admit_request *rq, time_t now, struct admission *out,
			   struct ferry_error **err)
{
	const struct manifest *m = out->manifest;
	char buf[1024];
	size_t n = 0;
	for (size_t i = 0; i < m->n_variants; i++)
		n += strv_len(m->variants[i].compatible.device_type);
	out->variants = calloc(n ? n : 1, sizeof(*out->variants));
	if (!out->variants)
		return oom(err);
	for (size_t i = 0; i < m->n_variants; i++) {
		const struct variant *var = &m->variants[i];
		for (char *const *dt = var->compatible.device_type; dt && *dt; dt++) {
			struct admit_variant *av = &out->variants[out->n_variants++];
			av->variant = var;
			av->device_type = *dt;
			if (!policy_allows_release(rq->policy, &out->sigs, *dt, now, &av->policy))
				return oom(err);
			if (!av->policy.allowed)
				return ferry_error_setc(err, FERRY_E_POLICY, "%s: the policy does not allow it for "
							"variant %s (device type %s): %s", BUNDLE_SIG_MEMBER, var->id,
							*dt, strv_join(av->policy.reasons, "; ", buf, sizeof(buf)));
		}
	}
	return true;
}

/* "reason; reason" of a refused decision, for the error. */
static const char *decision_text(const struct decision *d, char *buf, size_t cap)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < d->n_reasons && off < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? "; " : "", d->reasons[i].message);
	return buf;
}

/* Step 5 for one device: scope (does a variant list its device type?), then
 * the signer rules for that device type, then decide(). A device out of scope
 * gets only its DECIDE_DEVICE_TYPE decision; a device whose signer rules
 * refuse still gets a decision (simulate shows every reason) that never
 * carries a variant. */
static bool decide_device(const struct admit_request *rq, time_t now, struct admission *out,
			  size_t i, struct ferry_error **err)
{
	const struct manifest *m = out->manifest;
	struct admit_device *d = &out->devices[i];
	struct device_facts f = *d->facts;
	char *installed = NULL;
	bool scoped = decide_lists_type(m, f.device_type);
	if (scoped && !policy_allows_release(rq->policy, &out->sigs, f.device_type, now, &d->policy))
		return oom(err);
	d->code = !scoped ? FERRY_E_COMPAT : d->policy.allowed ? FERRY_E_NONE : FERRY_E_POLICY;
	if (rq->installed && !rq->installed(rq->installed_ctx, i, m->name, &installed, err))
		return false;
	if (rq->installed)
		f.installed_version = installed;
	bool ok = decide(m, &f, &d->decision, err);
	free(installed);
	if (!ok)
		return false;
	d->decided = true;
	if (d->code == FERRY_E_POLICY)
		d->decision.variant = NULL;
	if (d->code == FERRY_E_NONE && !d->decision.variant)
		d->code = FERRY_E_COMPAT;
	return true;
}

/* Step 5, device mode: decide_device for every device; only both yes admit. */
static bool decide_devices(const struct admit_request *rq, time_t now, struct admission *out,
			   struct ferry_error **err)
{
	const struct manifest *m = out->manifest;
	char buf[1024];
	const struct admit_device *first_refused = NULL;
	for (size_t i = 0; i < out->n_devices; i++) {
		const struct admit_device *d = &out->devices[i];
		if (!decide_device(rq, now, out, i, err))
			return false;
		if (d->code != FERRY_E_NONE && !first_refused)
			first_refused = d;
	}
	if (!first_refused)
		return true;
	if (first_refused->code == FERRY_E_POLICY)
		return ferry_error_setc(err, FERRY_E_POLICY, "%s: the policy does not allow it for device type %s: %s",
					BUNDLE_SIG_MEMBER, first_refused->facts->device_type,
					strv_join(first_refused->policy.reasons, "; ", buf, sizeof(buf)));
	return ferry_error_setc(err, FERRY_E_COMPAT, "%s %s: not for device %s: %s", m->name, m->version,
				first_refused->facts->id ? first_refused->facts->id : "(unnamed)",
				decision_text(&first_refused->decision, buf, sizeof(buf)));
}

/* Steps 1 to 5 on an open reader; out->reached follows them. */
static bool admit_reader(const struct admit_request *rq, struct bundle_reader *r, struct admission *out,
			 struct ferry_error **err)
{
	const char *bytes = NULL;
	const void *sig = NULL;
	size_t len = 0, sig_len = 0;
	time_t now = rq->now ? rq->now : time(NULL);

	out->reached = ADMIT_READ;
	if (!bundle_reader_manifest(r, &bytes, &len, &sig, &sig_len, err))
		return false;
	out->reached = ADMIT_SIGNATURES;
	if (!check_signatures(rq, bytes, len, sig, sig_len, out, err))
		return false;
	out->reached = ADMIT_POLICY;
	if (!judge_signers(rq, now, out, err))
		return false;
	out->reached = ADMIT_PARSE;
	if (!manifest_parse(bytes, len, BUNDLE_MANIFEST_MEMBER, &out->manifest, err))
		return false;
	out->reached = ADMIT_DECIDE;
	if (rq->n_devices == 0 ? !judge_variants(rq, now, out, err) : !decide_devices(rq, now, out, err))
		return false;
	out->reached = ADMIT_DONE;
	return true;
}

/* The code of a refusal at step s, when the callee left it unclassified. */
static enum ferry_code step_code(enum admit_step s)
{
	switch (s) {
	case ADMIT_READ: case ADMIT_PARSE: return FERRY_E_FORMAT;
	case ADMIT_SIGNATURES: return FERRY_E_SIGNATURE;
	case ADMIT_POLICY: return FERRY_E_POLICY;
	case ADMIT_DECIDE: return FERRY_E_COMPAT;
	default: return FERRY_E_INTERNAL;
	}
}

bool bundle_admit(const struct admit_request *rq, struct admission *out, struct ferry_error **err)
{
	struct bundle_reader *own = NULL;
	struct ferry_error *e = NULL;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	if (rq->reader || bundle_reader_open_at(rq->name ? rq->dirfd : AT_FDCWD,
						rq->name ? rq->name : rq->path, rq->path, &own, &e))
		ok = admit_reader(rq, rq->reader ? rq->reader : own, out, &e);
	bundle_reader_close(own);
	if (!ok) {
		enum ferry_code c = ferry_error_code(e);
		/* A refusal is about the bundle; a failure elsewhere (memory, the
		 * device's records, broken facts) means it could not be judged. */
		out->refused = c != FERRY_E_INTERNAL &&
			       (out->reached != ADMIT_DECIDE || c == FERRY_E_POLICY || c == FERRY_E_COMPAT);
		if (out->refused)
			ferry_error_classify(&e, step_code(out->reached));
		out->code = ferry_error_code(e);
	}
	if (err && !*err)
		*err = e;
	else
		ferry_error_free(e);
	return ok;
}

void admission_clear(struct admission *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_devices; i++) {
		policy_verdict_clear(&a->devices[i].policy);
		if (a->devices[i].decided)
			decision_free(&a->devices[i].decision);
	}
	free(a->devices);
	for (size_t i = 0; i < a->n_variants; i++)
		policy_verdict_clear(&a->variants[i].policy);
	free(a->variants);
	policy_verdict_clear(&a->release);
	pgp_verify_result_clear(&a->sigs);
	manifest_free(a->manifest);
	memset(a, 0, sizeof(*a));
}

/* keep-highest for device i among the admissions that decided it. */
static bool keep_highest_device(struct admission *const *as, size_t n, size_t dev, struct ferry_error **err)
{
	struct decision *ds = calloc(n ? n : 1, sizeof(*ds));
	size_t k = 0;
	if (!ds)
		return oom(err);
	for (size_t i = 0; i < n; i++)
		if (dev < as[i]->n_devices && as[i]->devices[dev].decided && as[i]->devices[dev].policy.allowed)
			ds[k++] = as[i]->devices[dev].decision;
	bool ok = decide_keep_highest(ds, k, err);
	k = 0;
	for (size_t i = 0; i < n; i++) {
		struct admit_device *d = dev < as[i]->n_devices ? &as[i]->devices[dev] : NULL;
		if (!d || !d->decided || !d->policy.allowed)
			continue;
		d->decision = ds[k++];   /* the same decision, with any reason added */
		if (d->code == FERRY_E_NONE && !d->decision.variant)
			d->code = FERRY_E_COMPAT;
	}
	free(ds);
	return ok;
}

bool admit_keep_highest(struct admission *const *as, size_t n, struct ferry_error **err)
{
	size_t devices = 0;
	for (size_t i = 0; i < n; i++)
		devices = as[i]->n_devices > devices ? as[i]->n_devices : devices;
	for (size_t d = 0; d < devices; d++)
		if (!keep_highest_device(as, n, d, err))
			return false;
	return true;
}

const char *admit_step_name(enum admit_step s)
{
	static const char *const names[] = { "read", "signatures", "policy", "parse", "decide", "done" };
	return (unsigned)s <= ADMIT_DONE ? names[s] : "?";
}
