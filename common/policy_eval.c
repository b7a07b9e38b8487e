/* policy_eval: the decisions made with a trust policy (see policy.h): which
 * signatures count, whether they may release to a device type, whether a
 * candidate policy may replace the current one. Every refusal names the
 * fingerprint and what is wrong; nothing here trusts a bare key id. */
#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "rfc3339.h"
#include "policy_keys.h"
#include "safefile.h"

/* ---- verdict building --------------------------------------------------- */

static bool strv_push(char ***v, char *s)
{
	if (!s)
		return false;
	size_t n = strv_len(*v);
	char **nv = realloc(*v, (n + 2) * sizeof(*nv));
	if (!nv) {
		free(s);
		return false;
	}
	nv[n] = s;
	nv[n + 1] = NULL;
	*v = nv;
	return true;
}

static bool reason(struct policy_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool reason(struct policy_verdict *v, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r >= 0 && strv_push(&v->reasons, s);
}

void policy_verdict_clear(struct policy_verdict *v)
{
	if (!v)
		return;
	strv_free(v->reasons);
	strv_free(v->counted);
	memset(v, 0, sizeof(*v));
}

static const char *time_str(int64_t t, char buf[RFC3339_UTC_LEN + 1])
{
	if (!rfc3339_format_utc(t, buf))
		snprintf(buf, RFC3339_UTC_LEN + 1, "@%lld", (long long)t);
	return buf;
}

static bool glob_any(char *const *globs, const char *s)
{
	for (size_t i = 0; globs && globs[i]; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return true;
	return false;
}

static bool has_role(const struct policy_signer *s, const char *role)
{
	for (size_t i = 0; s->roles[i]; i++)
		if (strcmp(s->roles[i], role) == 0)
			return true;
	return false;
}

/* ---- which signatures count ------------------------------------------- */

/* True when signature sig counts under p for device_type (NULL: any) at now;
 * else adds the one reason it does not. *oom on allocation failure. */
static const struct policy_signer *signer_counts(const struct policy *p,
						 const struct pgp_signature *sig,
						 const char *device_type, time_t now,
						 struct policy_verdict *v, bool *oom)
{
	char t1[RFC3339_UTC_LEN + 1], t2[RFC3339_UTC_LEN + 1], list[256];
	bool ok = true;
	const struct policy_signer *s = NULL;

	if (sig->status != PGP_SIG_VALID) {
		ok = reason(v, "signature by %s %s: %s", pgp_fpr_valid(sig->fpr) ? "key" : "key id",
			    sig->fpr[0] ? sig->fpr : "(none)", pgp_sig_status_name(sig->status));
		goto out;
	}
	if (!pgp_fpr_valid(sig->fpr) || !(s = policy_find_signer(p, sig->fpr))) {
		ok = reason(v, "signature by %s: not a signer in policy serial %lld", sig->fpr,
			    (long long)p->serial);
		goto out;
	}
	const struct policy_revocation *r = policy_find_revocation(p, sig->fpr);
	if (r && ((int64_t)now >= r->at || (int64_t)sig->created >= r->at)) {
		ok = reason(v, "%s (%s): revoked at %s (%s); signature made %s", s->fpr, s->name,
			    time_str(r->at, t1), r->reason, time_str(sig->created, t2));
		s = NULL;
		goto out;
	}
	if (s->expires && ((int64_t)now >= s->expires || (int64_t)sig->created >= s->expires)) {
		ok = reason(v, "%s (%s): signer expired at %s", s->fpr, s->name,
			    time_str(s->expires, t1));
		s = NULL;
		goto out;
	}
	if (device_type && !glob_any(s->device_types, device_type)) {
		ok = reason(v, "%s (%s): may not sign for device type %s (allowed: %s)", s->fpr,
			    s->name, device_type, strv_join(s->device_types, ", ", list, sizeof(list)));
		s = NULL;
		goto out;
	}
out:
	if (!ok)
		*oom = true;
	return s;
}

/* Fills counted[] with the distinct signers whose signatures count. */
static size_t collect(const struct policy *p, const struct pgp_verify_result *vr,
		      const char *device_type, time_t now, const struct policy_signer **counted,
		      struct policy_verdict *v, bool *oom)
{
	size_t n = 0;
	for (size_t i = 0; i < vr->n_sigs; i++) {
		const struct policy_signer *s = signer_counts(p, &vr->sigs[i], device_type, now, v, oom);
		bool seen = false;
		for (size_t j = 0; s && j < n; j++)
			seen = seen || counted[j] == s;
		if (s && !seen)
			counted[n++] = s;
	}
	for (size_t i = 0; i < n; i++)
		if (!strv_push(&v->counted, strdup(counted[i]->fpr)))
			*oom = true;
	return n;
}

/* Can roles[k..] each be given a distinct signer among those not yet used?
 * (A bipartite matching by backtracking: rules and signers are few.) */
static bool assign(char *const *roles, size_t k, const struct policy_signer **signers, size_t n,
		   bool *used)
{
	if (!roles[k])
		return true;
	for (size_t i = 0; i < n; i++) {
		if (used[i] || !has_role(signers[i], roles[k]))
			continue;
		used[i] = true;
		bool ok = assign(roles, k + 1, signers, n, used);
		used[i] = false;
		if (ok)
			return true;
	}
	return false;
}

static bool describe_signers(const struct policy_signer **signers, size_t n, char *buf,
			     size_t size)
{
	size_t off = 0;
	char roles[128];
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s (%s: %s)", i ? "; " : "",
					signers[i]->fpr, signers[i]->name,
					strv_join(signers[i]->roles, ", ", roles, sizeof(roles)));
	if (n == 0)
		snprintf(buf, size, "none");
	return true;
}

static bool check_role(const char *role, const struct policy_signer **counted, size_t n,
		       const char *what, struct policy_verdict *v, bool *oom)
{
	for (size_t i = 0; i < n; i++)
		if (has_role(counted[i], role))
			return true;
	char who[1024];
	describe_signers(counted, n, who, sizeof(who));
	if (!reason(v, "%s needs a valid signature by a signer with role '%s'; valid signers: %s",
		    what, role, who))
		*oom = true;
	return false;
}

bool policy_allows_role(const struct policy *p, const struct pgp_verify_result *vr,
			const char *role, const char *device_type, time_t now,
			struct policy_verdict *v)
{
	bool oom = false;
	memset(v, 0, sizeof(*v));
	const struct policy_signer **counted = calloc(vr->n_sigs + 1, sizeof(*counted));
	if (!counted)
		return false;
	size_t n = collect(p, vr, device_type, now, counted, v, &oom);
	v->allowed = check_role(role, counted, n, "the document", v, &oom);
	free(counted);
	if (oom)
		policy_verdict_clear(v);
	return !oom;
}

bool policy_allows_release(const struct policy *p, const struct pgp_verify_result *vr,
			   const char *device_type, time_t now, struct policy_verdict *v)
{
	bool oom = false, allowed;
	char globs[256], roles[256], who[1024];
	memset(v, 0, sizeof(*v));
	const struct policy_signer **counted = calloc(vr->n_sigs + 1, sizeof(*counted));
	bool *used = calloc(vr->n_sigs + 1, sizeof(*used));
	if (!counted || !used) {
		free(counted);
		free(used);
		return false;
	}
	size_t n = collect(p, vr, device_type, now, counted, v, &oom);
	allowed = check_role(POLICY_RELEASE_ROLE, counted, n, "a release", v, &oom);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (!glob_any(r->device_types, device_type) || assign(r->require_roles, 0, counted, n, used))
			continue;
		allowed = false;
		describe_signers(counted, n, who, sizeof(who));
		if (!reason(v, "rule %zu (device types %s) needs roles %s from distinct signers; "
			    "valid signers for %s: %s", i + 1,
			    strv_join(r->device_types, ", ", globs, sizeof(globs)),
			    strv_join(r->require_roles, ", ", roles, sizeof(roles)), device_type, who))
			oom = true;
	}
	v->allowed = allowed;
	free(counted);
	free(used);
	if (oom)
		policy_verdict_clear(v);
	return !oom;
}

/* Could a device of some type matching glob a also match glob b? (Either
 * glob matches the other as text: "gw-x" and "gw-*", "*" and anything.) */
static bool globs_overlap(char *const *as, const char *b)
{
	for (size_t i = 0; as && as[i]; i++)
		if (fnmatch(as[i], b, 0) == 0 || fnmatch(b, as[i], 0) == 0)
			return true;
	return false;
}

/* Device type glob t: among the live signers whose scope overlaps t, one
 * holds role release and every rule for t can be met by distinct ones. */
static bool scope_releasable(const struct policy *p, const char *t, const struct policy_signer **live,
			     size_t n, struct policy_verdict *v, bool *oom)
{
	const struct policy_signer **scoped = calloc(n + 1, sizeof(*scoped));
	bool *used = calloc(n + 1, sizeof(*used)), ok = true, release = false;
	size_t k = 0;
	if (!scoped || !used) {
		*oom = true;
		ok = false;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (globs_overlap(live[i]->device_types, t)) {
			scoped[k++] = live[i];
			release = release || has_role(live[i], POLICY_RELEASE_ROLE);
		}
	for (size_t i = 0; release && i < p->n_rules; i++)
		if (globs_overlap(p->rules[i].device_types, t) && !assign(p->rules[i].require_roles, 0, scoped, k, used))
			release = false;
	if (!release) {
		ok = false;
		*oom = *oom || !reason(v, "device type %s: no unrevoked, unexpired signers whose device types "
				       "cover it can release for it (role '%s' and its rules)", t, POLICY_RELEASE_ROLE);
	}
out:
	free(scoped);
	free(used);
	return ok;
}

/* The device types p must keep releasable: those its rules name and those
 * previous let someone release for. */
static bool scopes_releasable(const struct policy *p, const struct policy *previous,
			      const struct policy_signer **live, size_t n, struct policy_verdict *v,
			      bool *oom)
{
	bool ok = true;
	for (size_t i = 0; i < p->n_rules; i++)
		for (char **t = p->rules[i].device_types; t && *t; t++)
			ok = scope_releasable(p, *t, live, n, v, oom) && ok;
	for (size_t i = 0; previous && i < previous->n_signers; i++) {
		const struct policy_signer *s = &previous->signers[i];
		if (!has_role(s, POLICY_RELEASE_ROLE) || policy_find_revocation(previous, s->fpr))
			continue;
		for (char **t = s->device_types; t && *t; t++)
			ok = scope_releasable(p, *t, live, n, v, oom) && ok;
	}
	return ok;
}

bool policy_check_lockout(const struct policy *p, const struct policy *previous, time_t now,
			  struct policy_verdict *v)
{
	bool oom = false, any_release = false;
	char roles[256], globs[256];
	memset(v, 0, sizeof(*v));
	const struct policy_signer **live = calloc(p->n_signers + 1, sizeof(*live));
	bool *used = calloc(p->n_signers + 1, sizeof(*used));
	size_t n = 0;
	if (!live || !used) {
		free(live);
		free(used);
		return false;
	}
	for (size_t i = 0; i < p->n_signers; i++) {
		const struct policy_signer *s = &p->signers[i];
		const struct policy_revocation *r = policy_find_revocation(p, s->fpr);
		if ((r && (int64_t)now >= r->at) || (s->expires && (int64_t)now >= s->expires))
			continue;
		live[n++] = s;
		any_release = any_release || has_role(s, POLICY_RELEASE_ROLE);
	}
	v->allowed = true;
	if (p->n_signers > 0 && !any_release) {
		v->allowed = false;
		oom = !reason(v, "no signer holding role '%s' is left unrevoked and unexpired: "
			      "nothing could be released", POLICY_RELEASE_ROLE);
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (assign(r->require_roles, 0, live, n, used))
			continue;
		v->allowed = false;
		if (!reason(v, "rule %zu (device types %s) needs roles %s from distinct signers, but "
			    "the unrevoked, unexpired signers cannot provide them", i + 1,
			    strv_join(r->device_types, ", ", globs, sizeof(globs)),
			    strv_join(r->require_roles, ", ", roles, sizeof(roles))))
			oom = true;
	}
	if (v->allowed && (p->n_signers > 0 || previous) && !scopes_releasable(p, previous, live, n, v, &oom))
		v->allowed = false;
	free(live);
	free(used);
	if (oom)
		policy_verdict_clear(v);
	return !oom;
}

/* ---- policy files and adoption ------------------------------------------ */

void policy_file_clear(struct policy_file *f)
{
	if (!f)
		return;
	free(f->bytes);
	free(f->sig);
	free(f->keys);
	memset(f, 0, sizeof(*f));
}

bool policy_read_dir(const char *dir, struct policy_file *f, struct ferry_error **err)
{
	memset(f, 0, sizeof(*f));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ferry_error_errno(err, errno, "%s", dir);
	bool ok = policy_read_dirfd(fd, dir, f, err);
	close(fd);
	return ok;
}

bool policy_read_dirfd(int dirfd, const char *dir, struct policy_file *f, struct ferry_error **err)
{
	char *jp = NULL, *sp = NULL;
	bool ok = false;
	memset(f, 0, sizeof(*f));
	if (!path_join(dir, POLICY_FILE, &jp, err) || !path_join(dir, POLICY_SIG_FILE, &sp, err) ||
	    !read_file_at(dirfd, POLICY_FILE, jp, POLICY_MAX_BYTES, &f->bytes, &f->len, err) ||
	    !read_file_at(dirfd, POLICY_SIG_FILE, sp, 64 << 10, &f->sig, &f->sig_len, err))
		goto out;
	ok = true;
out:
	if (!ok)
		policy_file_clear(f);
	free(jp);
	free(sp);
	return ok;
}

/* How many distinct roots of roots[] signed validly; explains the others. */
static size_t count_roots(char (*roots)[PGP_FPR_LEN + 1], size_t n_roots,
			  const struct pgp_verify_result *vr, struct policy_verdict *v)
{
	size_t count = 0;
	for (size_t i = 0; i < n_roots; i++) {
		bool signed_by = false;
		for (size_t j = 0; j < vr->n_sigs && !signed_by; j++)
			signed_by = vr->sigs[j].status == PGP_SIG_VALID &&
				    strcmp(vr->sigs[j].fpr, roots[i]) == 0;
		count += signed_by;
	}
	for (size_t j = 0; j < vr->n_sigs; j++) {
		const struct pgp_signature *s = &vr->sigs[j];
		bool root = false;
		for (size_t i = 0; i < n_roots && !root; i++)
			root = strcmp(s->fpr, roots[i]) == 0;
		if (s->status != PGP_SIG_VALID)
			reason(v, "signature by %s %s: %s", pgp_fpr_valid(s->fpr) ? "key" : "key id",
			       s->fpr[0] ? s->fpr : "(none)", pgp_sig_status_name(s->status));
		else if (!root)
			reason(v, "signature by %s: not one of those roots", s->fpr);
	}
	return count;
}

/* Sets err to one line: "<head>; <reason 1>; <reason 2>…" and clears v. */
static bool refuse(struct ferry_error **err, enum ferry_code code, struct policy_verdict *v,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static bool refuse(struct ferry_error **err, enum ferry_code code, struct policy_verdict *v,
		   const char *fmt, ...)
{
	char head[512], *all = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	size_t size = strlen(head) + 1;
	for (size_t i = 0; v->reasons && v->reasons[i]; i++)
		size += strlen(v->reasons[i]) + 2;
	if ((all = malloc(size))) {
		strcpy(all, head);
		for (size_t i = 0; v->reasons && v->reasons[i]; i++)
			strcat(strcat(all, "; "), v->reasons[i]);
	}
	ferry_error_setc(err, code, "%s", all ? all : head);
	free(all);
	policy_verdict_clear(v);
	return false;
}

bool policy_verify_file(struct pgp *pgp, const struct policy_file *f, const char *name,
			const struct policy *current, struct policy **out, struct ferry_error **err)
{
	struct pgp_verify_result vr = { 0 };
	struct policy_verdict v = { 0 };
	struct policy *p = NULL;
	bool ok = false, any_valid = false;

	*out = NULL;
	if (!pgp_verify_detached(pgp, f->bytes, f->len, f->sig, f->sig_len, &vr, err)) {
		ferry_error_prefix(err, "%s.sig", name);
		goto out;
	}
	for (size_t i = 0; i < vr.n_sigs; i++)
		any_valid = any_valid || vr.sigs[i].status == PGP_SIG_VALID;
	if (current && count_roots(current->roots, current->n_roots, &vr, &v) <
			       (size_t)current->threshold) {
		refuse(err, FERRY_E_POLICY, &v,
		       "%s: not signed by %lld of the current roots (policy serial %lld)", name,
		       (long long)current->threshold, (long long)current->serial);
		goto out;
	}
	policy_verdict_clear(&v);
	/* the parser only ever sees bytes that some key of this home signed */
	if (!any_valid) {
		count_roots(NULL, 0, &vr, &v);
		refuse(err, FERRY_E_SIGNATURE, &v, "%s: no valid signature by a key in %s", name,
		       pgp_homedir(pgp));
		goto out;
	}
	if (!policy_parse(f->bytes, f->len, name, &p, err))
		goto out;
	if (count_roots(p->roots, p->n_roots, &vr, &v) < (size_t)p->threshold) {
		refuse(err, FERRY_E_POLICY, &v, "%s: not signed by %lld of the roots it names", name,
		       (long long)p->threshold);
		goto out;
	}
	if (current && p->serial <= current->serial) {
		ferry_error_setc(err, FERRY_E_POLICY,
				 "%s: serial %lld is not higher than the current serial %lld "
				 "(an older or replayed policy)", name, (long long)p->serial,
				(long long)current->serial);
		goto out;
	}
	*out = p;
	p = NULL;
	ok = true;
out:
	policy_verdict_clear(&v);
	pgp_verify_result_clear(&vr);
	policy_free(p);
	return ok;
}

bool policy_load_dir(struct pgp *pgp, const char *dir, struct policy **out,
		     struct ferry_error **err)
{
	struct policy_file f;
	char *name = NULL, *old = NULL;
	/* between the two renames of policy_write_dir's fallback only <dir>.old exists */
	if (access(dir, F_OK) != 0 && asprintf(&old, "%s.old", dir) > 0 && access(old, F_OK) == 0)
		dir = old;
	bool ok = path_join(dir, POLICY_FILE, &name, err) && policy_read_dir(dir, &f, err);
	if (ok) {
		ok = policy_verify_file(pgp, &f, name, NULL, out, err);
		policy_file_clear(&f);
	}
	free(name);
	free(old);
	return ok;
}

/* 1. of policy_adopt_dir: the current roots signed these exact bytes. */
static bool signed_by_current(struct pgp *pgp, const struct policy *current,
			      const struct policy_file *f, const char *name, struct ferry_error **err)
{
	struct pgp_verify_result vr = { 0 };
	struct policy_verdict v = { 0 };
	if (!pgp_verify_detached(pgp, f->bytes, f->len, f->sig, f->sig_len, &vr, err)) {
		ferry_error_prefix(err, "%s.sig", name);
		return false;
	}
	size_t n = count_roots(current->roots, current->n_roots, &vr, &v);
	pgp_verify_result_clear(&vr);
	if (n < (size_t)current->threshold)
		return refuse(err, FERRY_E_POLICY, &v,
			      "%s: not signed by %lld of the current roots (policy serial %lld)",
			      name, (long long)current->threshold, (long long)current->serial);
	policy_verdict_clear(&v);
	return true;
}

/* 2. of policy_adopt_dir: bytes the current roots vouched for, parsed, must
 * be newer before any key of the stick is even looked at. */
static bool newer_than_current(const struct policy *current, const struct policy_file *f,
			       const char *name, struct policy **out, struct ferry_error **err)
{
	if (!policy_parse(f->bytes, f->len, name, out, err))
		return false;
	if ((*out)->serial > current->serial)
		return true;
	ferry_error_setc(err, FERRY_E_POLICY, "%s: serial %lld is not higher than the current "
			 "serial %lld (an older or replayed policy)", name, (long long)(*out)->serial,
			 (long long)current->serial);
	policy_free(*out);
	*out = NULL;
	return false;
}

/* keys.asc beside the policy, when there is one (never through a link). */
static bool read_keys(int dirfd, const char *dir, char **keys, size_t *len,
		      struct ferry_error **err)
{
	char *path = NULL;
	struct stat st;
	bool ok = path_join(dir, POLICY_KEYS_FILE, &path, err) &&
		  (fstatat(dirfd, POLICY_KEYS_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		   read_file_at(dirfd, POLICY_KEYS_FILE, path, POLICY_MAX_BYTES, keys, len, err));
	free(path);
	return ok;
}

bool policy_adopt_dirfd(struct pgp *pgp, const struct policy *current, int dirfd, const char *dir,
			struct policy **out, struct policy_file *file, struct ferry_error **err)
{
	struct policy *next = NULL, *named = NULL;
	struct policy_keys staged = { 0 };
	char *name = NULL, *keys = NULL;
	size_t keys_len = 0;
	bool ok = false;

	*out = NULL;
	memset(file, 0, sizeof(*file));
	if (!path_join(dir, POLICY_FILE, &name, err) || !policy_read_dirfd(dirfd, dir, file, err) ||
	    !signed_by_current(pgp, current, file, name, err) ||
	    !newer_than_current(current, file, name, &named, err) ||
	    !read_keys(dirfd, dir, &keys, &keys_len, err))
		goto out;
	/* 3. the same bytes again, in a throw-away home holding the device's keys
	 * and the public keys.asc keys the policy names: its own roots' threshold */
	if (!policy_keys_stage(pgp, current, named, keys, keys_len, &staged, err) ||
	    !policy_verify_file(staged.pgp, file, name, current, &next, err))
		goto out;
	file->keys = staged.public;   /* the only key bytes the device may import */
	file->keys_len = staged.public_len;
	staged.public = NULL;
	*out = next;
	next = NULL;
	ok = true;
out:
	if (!ok)
		policy_file_clear(file);
	policy_keys_clear(&staged);
	policy_free(named);
	policy_free(next);
	free(keys);
	free(name);
	return ok;
}

bool policy_dir_replaceable(const char *dir, struct ferry_error **err)
{
	if (access(dir, F_OK) != 0)
		return true;
	DIR *d = opendir(dir);
	struct dirent *e;
	bool ok = true;
	if (!d)
		return ferry_error_errno(err, errno, "%s", dir);
	while (ok && (e = readdir(d))) {
		const char *n = e->d_name;
		if (strcmp(n, ".") && strcmp(n, "..") && strcmp(n, POLICY_FILE) &&
		    strcmp(n, POLICY_SIG_FILE) && strcmp(n, POLICY_KEYS_FILE))
			ok = ferry_error_setc(err, FERRY_E_UNSAFE, "%s holds '%s': not a policy directory, refusing to "
					     "replace it", dir, n);
	}
	closedir(d);
	return ok;
}

/* Replaces directory dir by a directory holding the pair, in one step:
 * the pair is written to "<dir>.new", then exchanged with dir
 * (renameat2 RENAME_EXCHANGE); where the file system cannot exchange, dir
 * is moved to "<dir>.old" first and policy_load_dir's caller can fall back. */
/* dir without trailing slashes ("out/" and "out" are the same folder, and
 * "out/" + ".new" must not land inside it). */
static char *strip_slashes(const char *dir)
{
	char *d = strdup(dir);
	for (size_t n = d ? strlen(d) : 0; n > 1 && d[n - 1] == '/'; n--)
		d[n - 1] = '\0';
	return d;
}

/* Writes the pair (and keys) into a fresh tmp. */
static bool write_pair(const char *tmp, const struct policy_file *f, const char *keys, size_t keys_len,
		       struct ferry_error **err)
{
	char *jp = NULL, *sp = NULL, *kp = NULL;
	bool ok = remove_tree(tmp, err) && mkdir_p(tmp, 0755, err) &&
		  path_join(tmp, POLICY_FILE, &jp, err) && path_join(tmp, POLICY_SIG_FILE, &sp, err) &&
		  path_join(tmp, POLICY_KEYS_FILE, &kp, err) &&
		  safe_write_atomic(jp, f->bytes, f->len, 0644, err) &&
		  safe_write_atomic(sp, f->sig, f->sig_len, 0644, err) &&
		  (!keys || safe_write_atomic(kp, keys, keys_len, 0644, err));
	free(jp);
	free(sp);
	free(kp);
	return ok;
}

bool policy_write_dir(const char *dir_arg, const struct policy_file *f, const char *keys,
		      size_t keys_len, struct ferry_error **err)
{
	char *dir = strip_slashes(dir_arg), *tmp = NULL, *old = NULL;
	bool ok = false, made = false;

	if (!dir || asprintf(&tmp, "%s.new", dir) < 0 || asprintf(&old, "%s.old", dir) < 0) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!policy_dir_replaceable(dir, err))
		goto out;
	made = true;
	if (!write_pair(tmp, f, keys, keys_len, err))
		goto out;
	if (access(dir, F_OK) != 0) {
		if (rename(tmp, dir) != 0) {
			ferry_error_errno(err, errno, "rename %s to %s", tmp, dir);
			goto out;
		}
	} else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) != 0) {
		if (!remove_tree(old, err))
			goto out;
		if (rename(dir, old) != 0) {
			ferry_error_errno(err, errno, "replacing %s", dir);
			goto out;
		}
		if (rename(tmp, dir) != 0) {
			ferry_error_errno(err, errno, "replacing %s", dir);
			(void)rename(old, dir);   /* the old pair stays in force */
			goto out;
		}
		tmp = (free(tmp), old);
		old = NULL;
	}
	if (!fsync_parent_dir(dir, err) || !remove_tree(tmp, err))
		goto out;
	ok = true;
out:
	if (!ok && made && tmp) {
		struct ferry_error *ignored = NULL;   /* a failed write leaves nothing to block the retry */
		remove_tree(tmp, &ignored);
		ferry_error_free(ignored);
	}
	free(dir);
	free(tmp);
	free(old);
	return ok;
}
