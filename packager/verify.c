/* verify: see verify.h. */
#include "packager/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/bundle_write.h"
#include "common/json.h"
#include "common/safefile.h"
#include "packager/pack.h"

static void add_line(struct verify_trust *t, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_line(struct verify_trust *t, const char *check, const char *fmt, ...)
{
	if (t->n_lines == sizeof(t->lines) / sizeof(t->lines[0]))
		return;
	struct verify_line *l = &t->lines[t->n_lines++];
	snprintf(l->check, sizeof(l->check), "%s", check);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->detail, sizeof(l->detail), fmt, ap);
	va_end(ap);
}

static bool import_policy_keys(struct verify_trust *t, struct ferry_error **err)
{
	char *path = NULL;
	char fprs[64][PGP_FPR_LEN + 1];
	size_t n = 0;
	bool ok = path_join(t->policy_dir, POLICY_KEYS_FILE, &path, err);
	if (ok && access(path, F_OK) == 0) {
		ok = pgp_import_file(t->pgp, path, fprs, 64, &n, err);
		if (ok)
			add_line(t, "keys", "%zu key%s imported from %s", n, n == 1 ? "" : "s", path);
	}
	free(path);
	return ok;
}

int verify_trust_open(struct verify_trust *t, const char *keyring, const char *policy_dir,
		      struct ferry_error **err)
{
	char fprs[64][PGP_FPR_LEN + 1];
	size_t n = 0;
	t->policy_dir = policy_dir;
	if (!pack_tmp_home(&t->home, err) || !pgp_open(t->home, &t->pgp, err))
		return CLI_EXIT_FAILED;
	if (keyring && !pgp_import_file(t->pgp, keyring, fprs, 64, &n, err)) {
		ferry_error_prefix(err, "--keyring %s", keyring);
		return CLI_EXIT_USAGE;
	}
	if (keyring && n == 0) {
		ferry_error_set(err, "--keyring %s: no public keys in it", keyring);
		return CLI_EXIT_USAGE;
	}
	if (keyring)
		add_line(t, "keyring", "%zu key%s imported from %s", n, n == 1 ? "" : "s", keyring);
	if ((!keyring && !import_policy_keys(t, err)) ||
	    !policy_load_dir(t->pgp, policy_dir, &t->policy, err) ||
	    (keyring && !import_policy_keys(t, err))) {
		ferry_error_prefix(err, "--policy %s", policy_dir);
		return CLI_EXIT_USAGE;
	}
	add_line(t, "policy", "%s: serial %lld, signed by %lld of its roots%s", policy_dir,
		 (long long)t->policy->serial, (long long)t->policy->threshold,
		 keyring ? "" : " (keys from the policy directory: not a security check)");
	return CLI_EXIT_OK;
}

bool verify_trust_admit(struct verify_trust *t, struct bundle_reader *r, struct admission *a,
			struct ferry_error **err)
{
	struct admit_request rq = { .reader = r, .pgp = t->pgp, .policy = t->policy };
	char who[1024];
	if (!bundle_admit(&rq, a, err))
		return false;
	for (size_t i = 0; i < a->sigs.n_sigs; i++) {
		const struct pgp_signature *s = &a->sigs.sigs[i];
		if (s->status == PGP_SIG_VALID)
			add_line(t, "signature", "%s: valid signature by %s", BUNDLE_SIG_MEMBER, s->fpr);
		else
			add_line(t, "signature", "%s: signature by %s not counted (%s)", BUNDLE_SIG_MEMBER,
				 s->fpr, pgp_sig_status_name(s->status));
	}
	for (size_t i = 0; i < a->n_variants; i++) {
		const struct admit_variant *v = &a->variants[i];
		add_line(t, "policy", "variant %s, device type %s: released by %s", v->variant->id,
			 v->device_type, strv_join(v->policy.counted, "; ", who, sizeof(who)));
	}
	return true;
}

void verify_trust_close(struct verify_trust *t)
{
	policy_free(t->policy);
	t->policy = NULL;
	pgp_close(t->pgp);
	pack_tmp_home_remove(t->home);
	t->home = NULL;
	t->pgp = NULL;
}
