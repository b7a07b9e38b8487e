/* keys/state: the ferry-keys state directory (see keys.h): draft, signed
 * policy, history, and publishing a signed serial. Publishing checks, before
 * anything is written, that devices holding the current policy would adopt
 * the new one (the same policy_verify_file the agent runs). */
#include "keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/rfc3339.h"
#include "common/safefile.h"

char *keys_path(const struct keys_ctx *k, const char *rel)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", k->dir, rel) < 0)
		return NULL;
	return p;
}

bool keys_initialised(const struct keys_ctx *k)
{
	char *p = keys_path(k, "draft.json");
	bool ok = p && access(p, F_OK) == 0;
	free(p);
	return ok;
}

bool keys_require_init(const struct keys_ctx *k, struct ferry_error **err)
{
	if (keys_initialised(k))
		return true;
	return ferry_error_setc(err, FERRY_E_CONFIG,
				"%s: not initialised (no draft.json): run ferry-keys --keys %s "
				"init --root-name NAME", k->dir, k->dir);
}

struct pgp *keys_pgp(struct keys_ctx *k, struct ferry_error **err)
{
	if (k->pgp)
		return k->pgp;
	if (!k->gnupg && !(k->gnupg = keys_path(k, "gnupg"))) {
		ferry_error_set(err, "out of memory");
		return NULL;
	}
	if (!pgp_open(k->gnupg, &k->pgp, err))
		return NULL;
	pgp_protect_new_keys(k->pgp, k->protect);
	if (k->passphrase_file && !pgp_set_passphrase_file(k->pgp, k->passphrase_file, err))
		return NULL;
	return k->pgp;
}

bool keys_load_draft(const struct keys_ctx *k, struct policy **out, struct ferry_error **err)
{
	char *path = keys_path(k, "draft.json"), *text = NULL;
	size_t len = 0;
	bool ok = path && read_file_limited(path, POLICY_MAX_BYTES, &text, &len, err) &&
		  policy_parse(text, len, path, out, err);
	if (!ok)   /* the draft is the workstation's state, not an input from elsewhere */
		ferry_error_reclassify(err, FERRY_E_CONFIG);
	free(text);
	free(path);
	return ok;
}

bool keys_save_draft(const struct keys_ctx *k, const struct policy *p, struct ferry_error **err)
{
	char *path = keys_path(k, "draft.json"), *text = NULL;
	bool ok = path && policy_validate(p, "draft policy", err) && (text = policy_serialize(p)) &&
		  safe_write_atomic(path, text, strlen(text), 0644, err);
	if (path && !text)
		ferry_error_set(err, "out of memory");
	free(text);
	free(path);
	return ok;
}

bool keys_load_signed(struct keys_ctx *k, struct policy **out, struct ferry_error **err)
{
	char *dir = keys_path(k, "policy");
	struct pgp *pgp = keys_pgp(k, err);
	bool ok = dir && pgp && policy_load_dir(pgp, dir, out, err);
	free(dir);
	return ok;
}

bool keys_export_all(struct keys_ctx *k, const struct policy *p, char **out, size_t *len,
		     struct ferry_error **err)
{
	struct pgp *pgp = keys_pgp(k, err);
	size_t n = p->n_roots + p->n_signers;
	char *all = NULL;
	*len = 0;
	if (!pgp)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *fpr = i < p->n_roots ? p->roots[i] : p->signers[i - p->n_roots].fpr;
		char *key = NULL;
		size_t klen = 0;
		if (!pgp_export_public(pgp, fpr, true, &key, &klen, err)) {
			free(all);
			return false;
		}
		char *grown = realloc(all, *len + klen + 1);
		if (!grown) {
			free(key);
			free(all);
			return ferry_error_set(err, "out of memory");
		}
		all = grown;
		memcpy(all + *len, key, klen + 1);
		*len += klen;
		free(key);
	}
	*out = all ? all : strdup("");
	return *out != NULL;
}

/* Signs bytes with every root of `a` and `b` whose secret key is here. */
static bool sign_with_roots(struct pgp *pgp, const struct policy *a, const struct policy *b,
			    struct policy_file *f, struct ferry_error **err)
{
	const struct policy *sets[2] = { a, b };
	char done[64][PGP_FPR_LEN + 1];
	size_t n_done = 0;
	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; sets[s] && i < sets[s]->n_roots && n_done < 64; i++) {
			const char *fpr = sets[s]->roots[i];
			bool seen = false;
			for (size_t j = 0; j < n_done; j++)
				seen = seen || strcmp(done[j], fpr) == 0;
			if (seen || !pgp_has_secret_key(pgp, fpr))
				continue;
			void *sig = NULL;
			size_t len = 0;
			if (!pgp_sign_detached(pgp, fpr, f->bytes, f->len, &sig, &len, err))
				return false;
			char *grown = realloc(f->sig, f->sig_len + len);
			if (!grown) {
				free(sig);
				return ferry_error_set(err, "out of memory");
			}
			f->sig = grown;
			memcpy(f->sig + f->sig_len, sig, len);
			f->sig_len += len;
			free(sig);
			memcpy(done[n_done++], fpr, PGP_FPR_LEN + 1);
		}
	}
	if (f->sig_len == 0)
		return ferry_error_set(err, "%s holds the secret key of no root of the policy",
				       pgp_homedir(pgp));
	return true;
}

static bool write_history(struct keys_ctx *k, const struct policy *p, const struct policy_file *f,
			  struct ferry_error **err)
{
	char name[64];
	char *hist = keys_path(k, "history"), *jp = NULL, *sp = NULL;
	bool ok = false;
	snprintf(name, sizeof(name), "policy-%04lld.json", (long long)p->serial);
	if (!hist || !mkdir_p(hist, 0755, err) || !path_join(hist, name, &jp, err) ||
	    asprintf(&sp, "%s.sig", jp) < 0)
		goto out;
	/* the signature first: a json without its .sig is visibly incomplete */
	ok = safe_write_atomic(sp, f->sig, f->sig_len, 0644, err) &&
	     safe_write_atomic(jp, f->bytes, f->len, 0644, err);
out:
	free(hist);
	free(jp);
	free(sp);
	return ok;
}

bool keys_publish(struct keys_ctx *k, const struct policy *current, const struct policy *p,
		  const char *outdir, struct ferry_error **err)
{
	struct policy_file f = { 0 };
	struct policy *check = NULL;
	struct pgp *pgp = keys_pgp(k, err);
	char *keys = NULL, *dir = keys_path(k, "policy");
	size_t keys_len = 0;
	bool ok = false;

	if (!pgp || !dir || !policy_validate(p, "policy", err) ||
	    (outdir && !policy_dir_replaceable(outdir, err)))
		goto out;
	if (!(f.bytes = policy_serialize(p))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	f.len = strlen(f.bytes);
	if (!sign_with_roots(pgp, current, p, &f, err) || !keys_export_all(k, p, &keys, &keys_len, err))
		goto out;
	/* what a device holding `current` will check; also the policy's own roots */
	if (!policy_verify_file(pgp, &f, "new policy", current, &check, err)) {
		ferry_error_prefix(err, "refusing to publish serial %lld", (long long)p->serial);
		goto out;
	}
	/* The output first: a failure there (a mistyped path) publishes nothing,
	 * the serial stays where it was and the same command can be retried. */
	if ((outdir && !policy_write_dir(outdir, &f, keys, keys_len, err)) ||
	    !write_history(k, p, &f, err) || !policy_write_dir(dir, &f, keys, keys_len, err) ||
	    !keys_save_draft(k, p, err))
		goto out;
	ok = true;
out:
	policy_free(check);
	policy_file_clear(&f);
	free(keys);
	free(dir);
	return ok;
}

bool keys_parse_date(const char *opt, const char *text, int64_t *out, struct ferry_error **err)
{
	char buf[RFC3339_UTC_LEN + 1];
	struct ferry_error *e = NULL;
	if (strlen(text) == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", text);
		text = buf;
	}
	if (!rfc3339_parse_utc(text, out, &e)) {
		ferry_error_setc(err, FERRY_E_USAGE, "%s: %s (or a date like 2027-12-31)", opt,
				 ferry_error_message(e));
		ferry_error_free(e);
		return false;
	}
	return true;
}

bool keys_strv_add(char ***v, const char *s, struct ferry_error **err)
{
	size_t n = strv_len(*v);
	char **nv = realloc(*v, (n + 2) * sizeof(*nv));
	if (!nv)
		return ferry_error_set(err, "out of memory");
	*v = nv;
	if (!(nv[n] = strdup(s)))
		return ferry_error_set(err, "out of memory");
	nv[n + 1] = NULL;
	return true;
}

void keys_print_json(json_t *v)
{
	char *text = v ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(v);
}

bool keys_parse_fpr(const char *text, char out[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	size_t n = 0;
	for (const char *c = text; *c; c++) {
		if (*c == ' ')
			continue;
		if (n == PGP_FPR_LEN) {
			n++;
			break;
		}
		out[n++] = (char)(*c >= 'a' && *c <= 'f' ? *c - 'a' + 'A' : *c);
	}
	out[n <= PGP_FPR_LEN ? n : PGP_FPR_LEN] = '\0';
	if (n != PGP_FPR_LEN || !pgp_fpr_valid(out))
		return ferry_error_setc(err, FERRY_E_USAGE, "'%s' is not a fingerprint (40 hex digits)", text);
	return true;
}
