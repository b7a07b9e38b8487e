/* decide: see decide.h. Rules, in order: device type (globs: out of scope
 * ends the decision), same or higher version installed (nothing new ends
 * it), then the other criteria of the variants that list the type
 * (common/compat.c: hardware revision, installed version, attributes),
 * rollout selection, security_version (anti-rollback), every reason listed.
 * The bundle is taken only when no rule objects; then the first fitting
 * variant wins. */
#include "decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "semver.h"
#include "sha256.h"

const char *decide_code_name(enum decide_code c)
{
	switch (c) {
	case DECIDE_DEVICE_TYPE: return "device_type";
	case DECIDE_HW_REVISION: return "hw_revision";
	case DECIDE_INSTALLED_VERSION: return "installed_version";
	case DECIDE_ROLLOUT: return "rollout";
	case DECIDE_SECURITY_VERSION: return "security_version";
	case DECIDE_ALREADY_INSTALLED: return "already_installed";
	case DECIDE_DOWNGRADE: return "downgrade";
	case DECIDE_SUPERSEDED: return "superseded";
	case DECIDE_ATTRIBUTE: return "attribute";
	}
	return "?";
}

bool decision_add_reason(struct decision *d, struct ferry_error **err, enum decide_code code,
			 const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	struct decide_reason *r = n < 0 ? NULL : realloc(d->reasons, (d->n_reasons + 1) * sizeof(*r));
	if (!r) {
		free(msg);
		return ferry_error_set(err, "out of memory");
	}
	d->reasons = r;
	d->reasons[d->n_reasons].code = code;
	d->reasons[d->n_reasons].message = msg;
	d->n_reasons++;
	return true;
}

void decision_free(struct decision *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_reasons; i++)
		free(d->reasons[i].message);
	free(d->reasons);
	d->reasons = NULL;
	d->n_reasons = 0;
	d->variant = NULL;
}

unsigned decide_rollout_bucket(const char *bundle_name, const char *device_id)
{
	struct sha256 *h = sha256_new();
	uint8_t digest[SHA256_LEN];
	uint64_t v = 0;
	if (!h)
		return 99;   /* out of memory: the narrowest rollout bucket, never wider */
	sha256_update(h, bundle_name, strlen(bundle_name));
	sha256_update(h, device_id, strlen(device_id));
	sha256_final(h, digest);
	sha256_free(h);
	for (int i = 0; i < 8; i++)
		v = (v << 8) | digest[i];
	return (unsigned)(v % 100);
}

/* "gw-x, sensor-*": every device type the manifest lists, for messages. */
static char *all_types(const struct manifest *m)
{
	size_t len = 1;
	for (size_t i = 0; i < m->n_variants; i++)
		for (char **p = m->variants[i].compatible.device_type; p && *p; p++)
			len += strlen(*p) + 2;
	char *s = calloc(1, len);
	for (size_t i = 0; s && i < m->n_variants; i++)
		for (char **p = m->variants[i].compatible.device_type; p && *p; p++) {
			if (*s)
				strcat(s, ", ");
			strcat(s, *p);
		}
	return s;
}

static char *join_words(char *const *v)
{
	size_t len = 1;
	for (size_t i = 0; v && v[i]; i++)
		len += strlen(v[i]) + 2;
	char *s = calloc(1, len);
	for (size_t i = 0; s && v && v[i]; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, v[i]);
	}
	return s;
}

static bool in_groups(char *const *wanted, char *const *have)
{
	for (size_t i = 0; wanted && wanted[i]; i++)
		for (size_t j = 0; have && have[j]; j++)
			if (strcmp(wanted[i], have[j]) == 0)
				return true;
	return false;
}

static bool check_rollout(const struct manifest *m, const struct device_facts *d,
			  struct decision *out, struct ferry_error **err)
{
	const struct rollout *r = &m->rollout;
	for (size_t i = 0; r->devices && r->devices[i]; i++)
		if (strcmp(r->devices[i], d->id) == 0)
			return true;   /* named devices always take it */
	if (strv_len(r->groups) > 0 && !in_groups(r->groups, d->groups)) {
		char *want = join_words(r->groups), *have = join_words(d->groups);
		bool ok = want && have &&
			  decision_add_reason(out, err, DECIDE_ROLLOUT, "not in the rollout groups (%s); the device is in %s",
				     want, *have ? have : "no group");
		if (!want || !have)
			ferry_error_set(err, "out of memory");
		free(want);
		free(have);
		if (!ok)
			return false;
	}
	unsigned bucket = decide_rollout_bucket(m->name, d->id);
	if ((int)bucket >= r->percent)
		return decision_add_reason(out, err, DECIDE_ROLLOUT,
				  "outside the %d%% rollout (the device's bucket is %u of 0-99)", r->percent,
				  bucket);
	return true;
}

/* Anti-rollback: below the device-wide value (a fleet file's), or below the
 * highest installed on a target the bundle writes (its name, slot pair,
 * files target, module: chosen's, or the name alone without a variant). */
static bool check_security(const struct manifest *m, const struct device_facts *d,
			   const struct variant *chosen, struct decision *out,
			   struct ferry_error **err)
{
	if (m->security_version < d->security_version)
		return decision_add_reason(out, err, DECIDE_SECURITY_VERSION,
					   "security_version %lld is below %lld, the highest this device has installed",
					   (long long)m->security_version, (long long)d->security_version);
	char **targets = NULL;
	if (!antirollback_targets(m, chosen, &targets, err))
		return false;
	bool ok = true;
	for (size_t i = 0; ok && targets[i]; i++) {
		int64_t floor = antirollback_floor(d->floors, d->n_floors, targets[i]);
		if (m->security_version < floor)
			ok = decision_add_reason(out, err, DECIDE_SECURITY_VERSION,
						 "security_version %lld is below %lld, the highest installed on %s",
						 (long long)m->security_version, (long long)floor, targets[i]);
	}
	antirollback_targets_free(targets);
	return ok;
}

/* When this version or a higher one is installed, the one reason why the
 * bundle is nothing new (*stale); the other checks are then moot. */
static bool check_not_newer(const struct manifest *m, const struct device_facts *d,
			    const struct semver *installed, struct decision *out, bool *stale,
			    struct ferry_error **err)
{
	*stale = false;
	if (!installed)
		return true;
	struct semver offered;
	if (!semver_parse(m->version, &offered, err))
		return false;
	int c = semver_compare(&offered, installed);
	semver_free(&offered);
	*stale = c <= 0;
	if (c == 0)
		return decision_add_reason(out, err, DECIDE_ALREADY_INSTALLED, "%s %s is already installed",
					   m->name, d->installed_version);
	if (c < 0)
		return decision_add_reason(out, err, DECIDE_DOWNGRADE,
					   "downgrade: %s %s is installed, this bundle is %s", m->name,
					   d->installed_version, m->version);
	return true;
}

/* The variants listing d's device type: the first that fits, or every reason
 * why none does. */
static bool choose_variant(const struct manifest *m, const struct device_facts *d,
			   const struct semver *installed, struct decision *out,
			   const struct variant **chosen, struct ferry_error **err)
{
	*chosen = NULL;
	for (size_t i = 0; i < m->n_variants; i++) {
		const struct variant *v = &m->variants[i];
		bool fits;
		if (!compat_type_listed(&v->compatible, d->device_type))
			continue;
		if (!compat_check(&v->compatible, v->id, m->name, d, installed, out, &fits, err))
			return false;
		if (fits && !*chosen)
			*chosen = v;
	}
	/* A variant that fits is enough: the reasons of others that do not are moot. */
	if (*chosen) {
		for (size_t i = 0; i < out->n_reasons; i++)
			free(out->reasons[i].message);
		out->n_reasons = 0;
	}
	return true;
}

static bool out_of_scope(const struct manifest *m, const struct device_facts *d,
			 struct decision *out, struct ferry_error **err)
{
	char *types = all_types(m);
	bool added = types && decision_add_reason(out, err, DECIDE_DEVICE_TYPE,
						  "device type %s is not listed (the bundle is for %s)",
						  d->device_type, types);
	free(types);
	if (!types)
		ferry_error_set(err, "out of memory");
	return added;
}

bool decide_lists_type(const struct manifest *m, const char *device_type)
{
	for (size_t i = 0; i < m->n_variants; i++)
		if (compat_type_listed(&m->variants[i].compatible, device_type))
			return true;
	return false;
}

/* The order of the checks: scope (device type), then whether the bundle is
 * newer than what is installed, then variant, rollout and anti-rollback. A
 * bundle out of scope or not newer gets that one reason only. */
bool decide(const struct manifest *m, const struct device_facts *d, struct decision *out,
	    struct ferry_error **err)
{
	bool ok = false, have_installed = false, stale = false;
	struct semver installed;
	const struct variant *chosen = NULL;

	memset(out, 0, sizeof(*out));
	out->manifest = m;
	if (d->installed_version) {
		struct ferry_error *verr = NULL;
		if (!semver_parse(d->installed_version, &installed, &verr)) {
			ferry_error_set(err, "device %s: installed version of %s: %s", d->id, m->name,
					ferry_error_message(verr));
			ferry_error_free(verr);
			goto out;
		}
		have_installed = true;
	}
	if (!decide_lists_type(m, d->device_type)) {
		ok = out_of_scope(m, d, out, err);
		goto out;
	}
	if (!check_not_newer(m, d, have_installed ? &installed : NULL, out, &stale, err))
		goto out;
	if (stale) {
		ok = true;
		goto out;
	}
	if (!choose_variant(m, d, have_installed ? &installed : NULL, out, &chosen, err) ||
	    !check_rollout(m, d, out, err) || !check_security(m, d, chosen, out, err))
		goto out;
	out->variant = out->n_reasons == 0 ? chosen : NULL;
	ok = true;
out:
	if (have_installed)
		semver_free(&installed);
	if (!ok)
		decision_free(out);
	return ok;
}

bool decide_is_nothing_new(const struct decision *d)
{
	for (size_t i = 0; i < d->n_reasons; i++)
		if (d->reasons[i].code != DECIDE_ALREADY_INSTALLED && d->reasons[i].code != DECIDE_DOWNGRADE &&
		    d->reasons[i].code != DECIDE_SUPERSEDED)
			return false;
	return d->n_reasons > 0;
}

bool decide_is_out_of_scope(const struct decision *d)
{
	return d->n_reasons == 1 && d->reasons[0].code == DECIDE_DEVICE_TYPE;
}

bool decide_keep_highest(struct decision *ds, size_t n, struct ferry_error **err)
{
	for (size_t i = 0; i < n; i++) {
		if (!ds[i].variant)
			continue;
		/* the best accepted decision of the same bundle name */
		size_t best = i;
		for (size_t j = 0; j < n; j++) {
			if (j == i || !ds[j].variant || strcmp(ds[j].manifest->name, ds[i].manifest->name) != 0)
				continue;
			int c;
			if (!semver_compare_text(ds[j].manifest->version, ds[best].manifest->version, &c, err))
				return false;
			if (c > 0 || (c == 0 && j < best))
				best = j;
		}
		if (best == i)
			continue;
		const struct manifest *w = ds[best].manifest;
		ds[i].variant = NULL;
		if (!decision_add_reason(&ds[i], err, DECIDE_SUPERSEDED, "superseded by %s %s%s", w->name, w->version,
				strcmp(w->version, ds[i].manifest->version) == 0 ? " (the same version, listed earlier)"
										  : ""))
			return false;
	}
	return true;
}

json_t *decision_json(const struct decision *d)
{
	json_t *o = json_object(), *reasons = json_array();
	bool failed = !o || !reasons;
	for (size_t i = 0; !failed && i < d->n_reasons; i++) {
		json_t *r = json_pack("{s:s, s:s}", "code", decide_code_name(d->reasons[i].code),
				      "message", d->reasons[i].message);
		failed = !r || json_array_append_new(reasons, r) != 0;
	}
	if (!failed)
		failed = json_object_set_new(o, "bundle", json_string(d->manifest->name)) ||
			 json_object_set_new(o, "version", json_string(d->manifest->version)) ||
			 json_object_set_new(o, "result", json_string(d->variant ? "install" : "refused")) ||
			 (d->variant && json_object_set_new(o, "variant", json_string(d->variant->id))) ||
			 json_object_set(o, "reasons", reasons);
	json_decref(reasons);
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}
