/* verify: see verify.h. */
#include "packager/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bundle_write.h"
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

int verify_trust_open(struct verify_trust *t, const char *keyring, const char *policy_dir,
		      struct ferry_error **err)
{
	char fprs[64][PGP_FPR_LEN + 1];
	size_t n = 0;
	t->policy_dir = policy_dir;
	if (!pack_tmp_home(&t->home, err) || !pgp_open(t->home, &t->pgp, err))
		return PACK_FAILED;
	if (!pgp_import_file(t->pgp, keyring, fprs, 64, &n, err)) {
		ferry_error_prefix(err, "--keyring %s", keyring);
		return PACK_USAGE;
	}
	if (n == 0) {
		ferry_error_set(err, "--keyring %s: no public keys in it", keyring);
		return PACK_USAGE;
	}
	add_line(t, "keyring", "%zu key%s imported from %s", n, n == 1 ? "" : "s", keyring);
	return PACK_OK;
}

bool verify_trust_signatures(struct verify_trust *t, const char *manifest, size_t len,
			     const void *sig, size_t sig_len, struct ferry_error **err)
{
	if (sig_len == 0)
		return ferry_error_set(err, "%s: no signatures", BUNDLE_SIG_MEMBER);
	if (!pgp_verify_detached(t->pgp, manifest, len, sig, sig_len, &t->sigs, err)) {
		ferry_error_prefix(err, "%s", BUNDLE_SIG_MEMBER);
		return false;
	}
	size_t valid = 0;
	for (size_t i = 0; i < t->sigs.n_sigs; i++) {
		const struct pgp_signature *s = &t->sigs.sigs[i];
		if (s->status == PGP_SIG_BAD)
			return ferry_error_set(err, "%s: signature %zu (key %s) does not match %s",
					       BUNDLE_SIG_MEMBER, i + 1, s->fpr, BUNDLE_MANIFEST_MEMBER);
		if (s->status == PGP_SIG_VALID) {
			valid++;
			add_line(t, "signature", "%s: valid signature by %s", BUNDLE_SIG_MEMBER, s->fpr);
		} else
			add_line(t, "signature", "%s: signature by %s not counted (%s)", BUNDLE_SIG_MEMBER,
				 s->fpr, pgp_sig_status_name(s->status));
	}
	if (valid == 0)
		return ferry_error_set(err, "%s: no valid signature by a key in the keyring",
				       BUNDLE_SIG_MEMBER);
	return true;
}

bool verify_trust_policy(struct verify_trust *t, const struct manifest *m, struct ferry_error **err)
{
	(void)m;
	(void)err;
	/* Replaced by common/policy's evaluation once it lands. */
	add_line(t, "policy", "%s: not evaluated yet", t->policy_dir);
	return true;
}

void verify_trust_close(struct verify_trust *t)
{
	pgp_verify_result_clear(&t->sigs);
	pgp_close(t->pgp);
	pack_tmp_home_remove(t->home);
	t->home = NULL;
	t->pgp = NULL;
}
