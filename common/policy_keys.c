/* policy_keys: see policy_keys.h. */
#include "policy_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safefile.h"

/* Copies the public key fpr from one home into another; absent is fine. */
static bool copy_key(struct pgp *from, struct pgp *to, const char *fpr, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	if (!pgp_export_public(from, fpr, false, &data, &len, NULL))
		return true;   /* not in that home: the stick may bring it */
	bool ok = pgp_import_public(to, data, len, NULL, 0, NULL, err);
	free(data);
	return ok;
}

/* Appends the public key fpr of k's home to k->public; absent is fine
 * (policy_verify_file then finds no key for it and says so). */
static bool collect_key(struct policy_keys *k, const char *fpr, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	if (!pgp_export_public(k->pgp, fpr, true, &data, &len, NULL))
		return true;
	char *all = realloc(k->public, k->public_len + len + 1);
	if (!all) {
		free(data);
		return ferry_error_set(err, "out of memory");
	}
	memcpy(all + k->public_len, data, len);
	k->public = all;
	k->public_len += len;
	free(data);
	return true;
}

/* Every fingerprint next names, then current's roots (for the threshold). */
static bool each_fpr(const struct policy *current, const struct policy *next,
		     bool (*fn)(void *ctx, const char *fpr, struct ferry_error **err), void *ctx,
		     struct ferry_error **err)
{
	for (size_t i = 0; i < next->n_roots; i++)
		if (!fn(ctx, next->roots[i], err))
			return false;
	for (size_t i = 0; i < next->n_signers; i++)
		if (!fn(ctx, next->signers[i].fpr, err))
			return false;
	for (size_t i = 0; current && i < current->n_roots; i++)
		if (!fn(ctx, current->roots[i], err))
			return false;
	return true;
}

struct copy_ctx {
	struct pgp *from, *to;
};
static bool copy_fn(void *ctx, const char *fpr, struct ferry_error **err)
{
	struct copy_ctx *c = ctx;
	return copy_key(c->from, c->to, fpr, err);
}
static bool collect_fn(void *ctx, const char *fpr, struct ferry_error **err)
{
	return collect_key(ctx, fpr, err);
}

/* A fresh home below $TMPDIR (GnuPG's socket paths keep it short). */
static bool make_home(struct policy_keys *k, struct ferry_error **err)
{
	const char *tmp = getenv("TMPDIR");
	if (asprintf(&k->home, "%s/ferry-keys-XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0) {
		k->home = NULL;
		return ferry_error_set(err, "out of memory");
	}
	if (!mkdtemp(k->home)) {
		ferry_error_errno(err, errno, "%s: mkdtemp", k->home);
		free(k->home);
		k->home = NULL;
		return false;
	}
	return pgp_open(k->home, &k->pgp, err);
}

bool policy_keys_stage(struct pgp *device, const struct policy *current,
		       const struct policy *next, const char *keys, size_t keys_len,
		       struct policy_keys *out, struct ferry_error **err)
{
	memset(out, 0, sizeof(*out));
	struct copy_ctx cc = { .from = device };
	bool ok = make_home(out, err);
	cc.to = out->pgp;
	ok = ok && each_fpr(current, next, copy_fn, &cc, err);
	if (ok && keys && keys_len &&
	    !pgp_import_public(out->pgp, keys, keys_len, NULL, 0, NULL, err)) {
		ferry_error_prefix(err, POLICY_KEYS_FILE);
		ok = false;
	}
	/* only what next names leaves the throw-away home */
	ok = ok && each_fpr(NULL, next, collect_fn, out, err);
	if (!ok)
		policy_keys_clear(out);
	return ok;
}

void policy_keys_clear(struct policy_keys *k)
{
	if (k->pgp)
		pgp_close(k->pgp);
	if (k->home) {
		pgp_kill_daemons(k->home);
		remove_tree(k->home, NULL);
	}
	free(k->home);
	free(k->public);
	memset(k, 0, sizeof(*k));
}
