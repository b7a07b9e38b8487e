/* policy: parse, validate and serialize policy.json format 1 (see policy.h).
 * Decisions made with a policy live in policy_eval.c. A parsed policy is
 * always a valid one: parse runs the same value rules ferry-keys runs before
 * it signs. */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "policy_people.h"
#include "rfc3339.h"

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_signers; i++) {
		free(p->signers[i].name);
		strv_free(p->signers[i].roles);
		strv_free(p->signers[i].device_types);
	}
	for (size_t i = 0; i < p->n_revoked; i++)
		free(p->revoked[i].reason);
	for (size_t i = 0; i < p->n_rules; i++) {
		strv_free(p->rules[i].device_types);
		strv_free(p->rules[i].require_roles);
	}
	policy_people_free(p);
	free(p->roots);
	free(p->signers);
	free(p->revoked);
	free(p->rules);
	free(p);
}

/* ---- value rules ------------------------------------------------------- */

/* Role names: lowercase letter first, then lowercase letters, digits, '-', '_'. */
static bool role_name_valid(const char *s)
{
	if (!s || !(*s >= 'a' && *s <= 'z') || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* Device-type globs: the device-type alphabet plus fnmatch's '*', '?', '[', ']'. */
static bool glob_valid(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("-_.*?[]!", *s)))
			return false;
	return true;
}

static bool check_strv(char *const *v, const struct json_path *p, bool (*valid)(const char *),
		       const char *what, struct ferry_error **err)
{
	if (!v || !v[0])
		return json_path_error(err, p, "must list at least one %s", what);
	for (size_t i = 0; v[i]; i++) {
		struct json_path ip;
		json_path_index(&ip, p, i);
		if (!valid(v[i]))
			return json_path_error(err, &ip, "'%s' is not a valid %s", v[i], what);
	}
	return true;
}

static bool check_time(int64_t t, const struct json_path *p, struct ferry_error **err)
{
	char buf[RFC3339_UTC_LEN + 1];
	if (t <= 0 || !rfc3339_format_utc(t, buf))
		return json_path_error(err, p, "time out of range");
	return true;
}

static bool check_roots(const struct policy *p, const struct json_path *root,
			struct ferry_error **err)
{
	struct json_path rp, kp, ip;
	json_path_key(&rp, root, "roots");
	json_path_key(&kp, &rp, "keys");
	if (p->n_roots == 0)
		return json_path_error(err, &kp, "must list at least one root key");
	for (size_t i = 0; i < p->n_roots; i++) {
		json_path_index(&ip, &kp, i);
		if (!pgp_fpr_valid(p->roots[i]))
			return json_path_error(err, &ip, "must be a fingerprint of 40 uppercase hex digits");
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->roots[i], p->roots[j]) == 0)
				return json_path_error(err, &ip, "%s is listed twice", p->roots[i]);
	}
	json_path_key(&kp, &rp, "threshold");
	if (p->threshold < 1 || (size_t)p->threshold > p->n_roots)
		return json_path_error(err, &kp, "must be between 1 and the number of root keys (%zu)",
				       p->n_roots);
	return true;
}

static bool check_signer(const struct policy *p, size_t i, const struct json_path *sp,
			 struct ferry_error **err)
{
	const struct policy_signer *s = &p->signers[i];
	struct json_path kp;
	json_path_key(&kp, sp, "fingerprint");
	if (!pgp_fpr_valid(s->fpr))
		return json_path_error(err, &kp, "must be a fingerprint of 40 uppercase hex digits");
	for (size_t j = 0; j < i; j++)
		if (strcmp(p->signers[j].fpr, s->fpr) == 0)
			return json_path_error(err, &kp, "%s is listed twice", s->fpr);
	json_path_key(&kp, sp, "name");
	if (!s->name || !*s->name)
		return json_path_error(err, &kp, "must be a non-empty string");
	json_path_key(&kp, sp, "roles");
	if (!check_strv(s->roles, &kp, role_name_valid, "role name (lowercase letters, digits, "
			"'-', '_')", err))
		return false;
	json_path_key(&kp, sp, "device_types");
	if (!check_strv(s->device_types, &kp, glob_valid, "device-type glob", err))
		return false;
	json_path_key(&kp, sp, "expires");
	return s->expires == 0 || check_time(s->expires, &kp, err);
}

bool policy_validate(const struct policy *p, const char *name, struct ferry_error **err)
{
	struct json_path root, lp, ip, kp;
	json_path_root(&root, name);
	json_path_key(&kp, &root, "serial");
	if (p->serial < 1)
		return json_path_error(err, &kp, "must be a positive integer");
	json_path_key(&kp, &root, "issued");
	if (!check_time(p->issued, &kp, err) || !check_roots(p, &root, err))
		return false;
	json_path_key(&lp, &root, "signers");
	for (size_t i = 0; i < p->n_signers; i++) {
		json_path_index(&ip, &lp, i);
		if (!check_signer(p, i, &ip, err))
			return false;
	}
	json_path_key(&lp, &root, "revoked");
	for (size_t i = 0; i < p->n_revoked; i++) {
		const struct policy_revocation *r = &p->revoked[i];
		json_path_index(&ip, &lp, i);
		json_path_key(&kp, &ip, "fingerprint");
		if (!pgp_fpr_valid(r->fpr))
			return json_path_error(err, &kp, "must be a fingerprint of 40 uppercase hex digits");
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->revoked[j].fpr, r->fpr) == 0)
				return json_path_error(err, &kp, "%s is listed twice", r->fpr);
		json_path_key(&kp, &ip, "at");
		if (!check_time(r->at, &kp, err))
			return false;
		json_path_key(&kp, &ip, "reason");
		if (!r->reason || !*r->reason)
			return json_path_error(err, &kp, "must be a non-empty string");
	}
	json_path_key(&lp, &root, "rules");
	for (size_t i = 0; i < p->n_rules; i++) {
		json_path_index(&ip, &lp, i);
		json_path_key(&kp, &ip, "device_types");
		if (!check_strv(p->rules[i].device_types, &kp, glob_valid, "device-type glob", err))
			return false;
		json_path_key(&kp, &ip, "require_roles");
		if (!check_strv(p->rules[i].require_roles, &kp, role_name_valid, "role name", err))
			return false;
	}
	return policy_people_validate(p, &root, err);
}

/* ---- parse ------------------------------------------------------------- */

static bool get_fpr(json_t *obj, const struct json_path *p, const char *key,
		    char out[PGP_FPR_LEN + 1], struct ferry_error **err)
{
	const char *s = NULL;
	struct json_path kp;
	json_path_key(&kp, p, key);
	if (!json_get_string(obj, p, key, true, &s, err))
		return false;
	if (!pgp_fpr_valid(s))
		return json_path_error(err, &kp, "'%s' is not a fingerprint of 40 uppercase hex digits",
				       s);
	memcpy(out, s, PGP_FPR_LEN + 1);
	return true;
}

/* Each array member must be an object with only the allowed keys. */
static bool get_list(json_t *doc, const struct json_path *root, const char *key, size_t elem,
		     void **items, size_t *n, json_t **arr, struct json_path *lp,
		     struct ferry_error **err)
{
	*arr = NULL;
	json_path_key(lp, root, key);
	if (!json_get_array(doc, root, key, false, arr, err))
		return false;
	*n = *arr ? json_array_size(*arr) : 0;
	if (*n == 0)
		return true;
	*items = calloc(*n, elem);
	if (!*items)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		struct json_path ip;
		json_path_index(&ip, lp, i);
		if (!json_is_object(json_array_get(*arr, i)))
			return json_path_error(err, &ip, "must be an object");
	}
	return true;
}

static bool parse_roots(json_t *doc, const struct json_path *root, struct policy *p,
			struct ferry_error **err)
{
	static const char *const keys[] = { "keys", "threshold", NULL };
	json_t *ro = NULL, *arr = NULL;
	struct json_path rp, kp;
	json_path_key(&rp, root, "roots");
	if (!json_get_object(doc, root, "roots", true, &ro, err) ||
	    !json_check_keys(ro, &rp, keys, err) || !json_get_array(ro, &rp, "keys", true, &arr, err) ||
	    !json_get_int(ro, &rp, "threshold", true, 1, 1000, &p->threshold, err))
		return false;
	json_path_key(&kp, &rp, "keys");
	p->n_roots = json_array_size(arr);
	if (p->n_roots && !(p->roots = calloc(p->n_roots, sizeof(*p->roots))))
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < p->n_roots; i++) {
		struct json_path ip;
		json_t *v = json_array_get(arr, i);
		json_path_index(&ip, &kp, i);
		if (!json_is_string(v) || !pgp_fpr_valid(json_string_value(v)))
			return json_path_error(err, &ip, "must be a fingerprint of 40 uppercase hex digits");
		memcpy(p->roots[i], json_string_value(v), PGP_FPR_LEN + 1);
	}
	return true;
}

static bool parse_signers(json_t *doc, const struct json_path *root, struct policy *p,
			  struct ferry_error **err)
{
	static const char *const keys[] = { "fingerprint", "name", "roles", "device_types",
					    "expires", NULL };
	json_t *arr;
	struct json_path lp;
	if (!get_list(doc, root, "signers", sizeof(*p->signers), (void **)&p->signers,
		      &p->n_signers, &arr, &lp, err))
		return false;
	for (size_t i = 0; i < p->n_signers; i++) {
		struct policy_signer *s = &p->signers[i];
		json_t *o = json_array_get(arr, i);
		const char *name = NULL;
		struct json_path ip;
		json_path_index(&ip, &lp, i);
		if (!json_check_keys(o, &ip, keys, err) || !get_fpr(o, &ip, "fingerprint", s->fpr, err) ||
		    !json_get_string(o, &ip, "name", true, &name, err) ||
		    !json_get_strv(o, &ip, "roles", true, &s->roles, err) ||
		    !json_get_strv(o, &ip, "device_types", true, &s->device_types, err) ||
		    !json_get_time(o, &ip, "expires", false, &s->expires, err))
			return false;
		if (!(s->name = strdup(name)))
			return ferry_error_set(err, "out of memory");
	}
	return true;
}

static bool parse_revoked(json_t *doc, const struct json_path *root, struct policy *p,
			  struct ferry_error **err)
{
	static const char *const keys[] = { "fingerprint", "at", "reason", NULL };
	json_t *arr;
	struct json_path lp;
	if (!get_list(doc, root, "revoked", sizeof(*p->revoked), (void **)&p->revoked,
		      &p->n_revoked, &arr, &lp, err))
		return false;
	for (size_t i = 0; i < p->n_revoked; i++) {
		struct policy_revocation *r = &p->revoked[i];
		json_t *o = json_array_get(arr, i);
		const char *reason = NULL;
		struct json_path ip;
		json_path_index(&ip, &lp, i);
		if (!json_check_keys(o, &ip, keys, err) || !get_fpr(o, &ip, "fingerprint", r->fpr, err) ||
		    !json_get_time(o, &ip, "at", true, &r->at, err) ||
		    !json_get_string(o, &ip, "reason", true, &reason, err))
			return false;
		if (!(r->reason = strdup(reason)))
			return ferry_error_set(err, "out of memory");
	}
	return true;
}

static bool parse_rules(json_t *doc, const struct json_path *root, struct policy *p,
			struct ferry_error **err)
{
	static const char *const keys[] = { "device_types", "require_roles", NULL };
	json_t *arr;
	struct json_path lp;
	if (!get_list(doc, root, "rules", sizeof(*p->rules), (void **)&p->rules, &p->n_rules, &arr,
		      &lp, err))
		return false;
	for (size_t i = 0; i < p->n_rules; i++) {
		json_t *o = json_array_get(arr, i);
		struct json_path ip;
		json_path_index(&ip, &lp, i);
		if (!json_check_keys(o, &ip, keys, err) ||
		    !json_get_strv(o, &ip, "device_types", true, &p->rules[i].device_types, err) ||
		    !json_get_strv(o, &ip, "require_roles", true, &p->rules[i].require_roles, err))
			return false;
	}
	return true;
}

bool policy_parse(const char *bytes, size_t len, const char *name, struct policy **out,
		  struct ferry_error **err)
{
	static const char *const keys[] = { "format", "serial", "issued", "roots", "signers",
					    "revoked", "rules", "technicians", "order_rules", NULL };
	json_t *doc = NULL;
	struct policy *p = NULL;
	struct json_path root;
	bool ok = false;

	*out = NULL;
	if (!json_document_open(bytes, len, name, keys, 1, &doc, &root, err))
		goto out;
	if (!(p = calloc(1, sizeof(*p)))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!json_get_int(doc, &root, "serial", true, 1, INT64_MAX, &p->serial, err) ||
	    !json_get_time(doc, &root, "issued", true, &p->issued, err) || !parse_roots(doc, &root, p, err) ||
	    !parse_signers(doc, &root, p, err) || !parse_revoked(doc, &root, p, err) ||
	    !parse_rules(doc, &root, p, err) || !policy_people_parse(doc, &root, p, err) ||
	    !policy_validate(p, name, err))
		goto out;
	*out = p;
	p = NULL;
	ok = true;
out:
	policy_free(p);
	if (doc)
		json_decref(doc);
	return ok;
}

/* ---- serialize --------------------------------------------------------- */

static json_t *time_json(int64_t t)
{
	char buf[RFC3339_UTC_LEN + 1];
	return rfc3339_format_utc(t, buf) ? json_string(buf) : json_null();
}

/* json_array_append_new that remembers a failure (out of memory). */
static void append(json_t *arr, json_t *v, bool *ok)
{
	if (!arr || !v || json_array_append_new(arr, v) != 0)
		*ok = false;
}

char *policy_serialize(const struct policy *p)
{
	json_t *doc = json_object(), *keys = json_array();
	json_t *signers = json_array(), *revoked = json_array(), *rules = json_array();
	char *out = NULL;
	bool ok = doc && keys && signers && revoked && rules;

	for (size_t i = 0; i < p->n_roots; i++)
		append(keys, json_string(p->roots[i]), &ok);
	for (size_t i = 0; i < p->n_signers; i++) {
		const struct policy_signer *s = &p->signers[i];
		json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "fingerprint", s->fpr, "name", s->name,
				      "roles", json_from_strv(s->roles), "device_types",
				      json_from_strv(s->device_types));
		if (o && s->expires && json_object_set_new(o, "expires", time_json(s->expires)))
			ok = false;
		append(signers, o, &ok);
	}
	for (size_t i = 0; i < p->n_revoked; i++)
		append(revoked, json_pack("{s:s, s:o, s:s}", "fingerprint", p->revoked[i].fpr, "at",
					  time_json(p->revoked[i].at), "reason", p->revoked[i].reason),
		       &ok);
	for (size_t i = 0; i < p->n_rules; i++)
		append(rules, json_pack("{s:o, s:o}", "device_types",
					json_from_strv(p->rules[i].device_types), "require_roles",
					json_from_strv(p->rules[i].require_roles)), &ok);
	if (!ok || json_object_set_new(doc, "roots", json_pack("{s:O, s:I}", "keys", keys,
							       "threshold",
							       (json_int_t)p->threshold)) ||
	    json_object_set_new(doc, "format", json_integer(1)) ||
	    json_object_set_new(doc, "serial", json_integer(p->serial)) ||
	    json_object_set_new(doc, "issued", time_json(p->issued)) ||
	    json_object_set(doc, "signers", signers) || json_object_set(doc, "revoked", revoked) ||
	    json_object_set(doc, "rules", rules) || !policy_people_serialize(doc, p))
		goto out;
	out = json_document_text(doc);
out:
	json_decref(doc);
	json_decref(keys);
	json_decref(signers);
	json_decref(revoked);
	json_decref(rules);
	return out;
}

/* ---- lookups ----------------------------------------------------------- */

const struct policy_signer *policy_find_signer(const struct policy *p, const char *fpr)
{
	for (size_t i = 0; fpr && i < p->n_signers; i++)
		if (strcmp(p->signers[i].fpr, fpr) == 0)
			return &p->signers[i];
	return NULL;
}

const struct policy_revocation *policy_find_revocation(const struct policy *p, const char *fpr)
{
	for (size_t i = 0; fpr && i < p->n_revoked; i++)
		if (strcmp(p->revoked[i].fpr, fpr) == 0)
			return &p->revoked[i];
	return NULL;
}

bool policy_is_root(const struct policy *p, const char *fpr)
{
	for (size_t i = 0; fpr && i < p->n_roots; i++)
		if (strcmp(p->roots[i], fpr) == 0)
			return true;
	return false;
}
