/* order: parse, validate, serialize and check work orders (see order.h). */
#include "order.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rfc3339.h"

static const char *const op_names[] = { "read", "install", "policy" };

const char *order_op_name(enum order_op op)
{
	for (size_t i = 0; i < 3; i++)
		if (op == (1u << i))
			return op_names[i];
	return "?";
}

unsigned order_op_from_name(const char *s)
{
	for (size_t i = 0; s && i < 3; i++)
		if (strcmp(s, op_names[i]) == 0)
			return 1u << i;
	return 0;
}

void order_free(struct order *o)
{
	if (!o)
		return;
	free(o->id);
	free(o->technician);
	strv_free(o->device_ids);
	strv_free(o->device_types);
	strv_free(o->groups);
	for (size_t i = 0; i < o->n_bundles; i++) {
		free(o->bundles[i].name);
		free(o->bundles[i].version);
		free(o->bundles[i].sha256);
	}
	free(o->bundles);
	free(o);
}

/* ---- value rules ------------------------------------------------------- */

static bool sha256_valid(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static bool validate_bundles(const struct order *o, const struct json_path *root,
			     struct ferry_error **err)
{
	struct json_path lp, ip;
	json_path_key(&lp, root, "bundles");
	for (size_t i = 0; i < o->n_bundles; i++) {
		const struct order_bundle *b = &o->bundles[i];
		json_path_index(&ip, &lp, i);
		if (!b->name || !*b->name)
			return json_path_error(err, &ip, "needs a name");
		if (!b->version == !b->sha256)
			return json_path_error(err, &ip, "needs exactly one of version and sha256");
		if (b->sha256 && !sha256_valid(b->sha256))
			return json_path_error(err, &ip, "sha256 must be 64 lowercase hex digits");
	}
	return true;
}

bool order_validate(const struct order *o, const char *name, struct ferry_error **err)
{
	struct json_path root, kp;
	char buf[RFC3339_UTC_LEN + 1];
	bool ok = false;
	json_path_root(&root, name);
	json_path_key(&kp, &root, "id");
	if (!policy_id_valid(o->id) || strpbrk(o->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		json_path_error(err, &kp, "must be a word of lower-case letters, digits, '-', '_', "
				"'.' (it names the order's file on a FAT stick)");
	else if (json_path_key(&kp, &root, "technician"), !policy_id_valid(o->technician))
		json_path_error(err, &kp, "must be a technician id of the policy");
	else if (json_path_key(&kp, &root, "operations"), !o->ops || o->ops > 7)
		json_path_error(err, &kp, "must grant at least one of read, install, policy");
	else if (json_path_key(&kp, &root, "scope"), !o->device_ids && !o->device_types && !o->groups)
		json_path_error(err, &kp, "must name device_ids, device_types or groups");
	else if (json_path_key(&kp, &root, "not_after"),
		 o->not_before <= 0 || o->not_after <= o->not_before ||
		 !rfc3339_format_utc(o->not_after, buf))
		json_path_error(err, &kp, "must be a time after not_before");
	else
		ok = validate_bundles(o, &root, err);
	if (!ok)
		ferry_error_classify(err, FERRY_E_FORMAT);
	return ok;
}

/* ---- parse ------------------------------------------------------------- */

static bool parse_ops(json_t *doc, const struct json_path *root, struct order *o,
		      struct ferry_error **err)
{
	char **ops = NULL;
	struct json_path kp;
	bool ok = json_get_strv(doc, root, "operations", true, &ops, err);
	json_path_key(&kp, root, "operations");
	for (size_t i = 0; ok && ops[i]; i++) {
		unsigned bit = order_op_from_name(ops[i]);
		if (!bit || (o->ops & bit))
			ok = json_path_error(err, &kp, "'%s' is not read, install or policy (once each)",
					     ops[i]);
		o->ops |= bit;
	}
	strv_free(ops);
	return ok;
}

static bool parse_scope(json_t *doc, const struct json_path *root, struct order *o,
			struct ferry_error **err)
{
	static const char *const keys[] = { "device_ids", "device_types", "groups", NULL };
	json_t *scope = NULL;
	struct json_path sp;
	json_path_key(&sp, root, "scope");
	return json_get_object(doc, root, "scope", true, &scope, err) &&
	       json_check_keys(scope, &sp, keys, err) &&
	       json_get_strv(scope, &sp, "device_ids", false, &o->device_ids, err) &&
	       json_get_strv(scope, &sp, "device_types", false, &o->device_types, err) &&
	       json_get_strv(scope, &sp, "groups", false, &o->groups, err);
}

static bool parse_bundles(json_t *doc, const struct json_path *root, struct order *o,
			  struct ferry_error **err)
{
	static const char *const keys[] = { "name", "version", "sha256", NULL };
	json_t *arr = NULL;
	struct json_path lp, ip;
	json_path_key(&lp, root, "bundles");
	if (!json_get_array(doc, root, "bundles", false, &arr, err))
		return false;
	if (!arr || !json_array_size(arr))
		return true;
	if (!(o->bundles = calloc(json_array_size(arr), sizeof(*o->bundles))))
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *b = json_array_get(arr, i);
		struct order_bundle *ob = &o->bundles[o->n_bundles++];
		json_path_index(&ip, &lp, i);
		if (!json_is_object(b))
			return json_path_error(err, &ip, "must be an object");
		if (!json_check_keys(b, &ip, keys, err) ||
		    !json_get_string_dup(b, &ip, "name", true, &ob->name, err) ||
		    !json_get_string_dup(b, &ip, "version", false, &ob->version, err) ||
		    !json_get_string_dup(b, &ip, "sha256", false, &ob->sha256, err))
			return false;
	}
	return true;
}

bool order_parse(const char *bytes, size_t len, const char *name, struct order **out,
		 struct ferry_error **err)
{
	static const char *const keys[] = { "format", "id", "technician", "operations", "scope",
					    "issued", "not_before", "not_after", "bundles", NULL };
	json_t *doc = NULL;
	struct order *o = NULL;
	struct json_path root;
	bool ok = false;

	*out = NULL;
	if (!json_document_open(bytes, len, name, keys, ORDER_FORMAT, &doc, &root, err))
		goto out;
	if (!(o = calloc(1, sizeof(*o)))) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	if (!json_get_string_dup(doc, &root, "id", true, &o->id, err) ||
	    !json_get_string_dup(doc, &root, "technician", true, &o->technician, err) ||
	    !parse_ops(doc, &root, o, err) || !parse_scope(doc, &root, o, err) ||
	    !json_get_time(doc, &root, "issued", true, &o->issued, err) ||
	    !json_get_time(doc, &root, "not_before", true, &o->not_before, err) ||
	    !json_get_time(doc, &root, "not_after", true, &o->not_after, err) ||
	    !parse_bundles(doc, &root, o, err) || !order_validate(o, name, err))
		goto out;
	*out = o;
	o = NULL;
	ok = true;
out:
	if (!ok)
		ferry_error_classify(err, FERRY_E_FORMAT);
	order_free(o);
	if (doc)
		json_decref(doc);
	return ok;
}

/* ---- serialize --------------------------------------------------------- */

static bool put(json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0;
}

static json_t *time_string(int64_t t)
{
	char buf[RFC3339_UTC_LEN + 1];
	return rfc3339_format_utc(t, buf) ? json_string(buf) : NULL;
}

static json_t *bundles_json(const struct order *o)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < o->n_bundles; i++) {
		const struct order_bundle *b = &o->bundles[i];
		json_t *e = json_pack("{s:s}", "name", b->name);
		if (!e || (b->version && !put(e, "version", json_string(b->version))) ||
		    (b->sha256 && !put(e, "sha256", json_string(b->sha256))) ||
		    json_array_append_new(a, e))
			return json_decref(a), NULL;
	}
	return a;
}

char *order_serialize(const struct order *o)
{
	json_t *doc = json_object(), *scope = json_object(), *ops = json_array();
	char *out = NULL;
	bool ok = doc && scope && ops;
	for (size_t i = 0; ok && i < 3; i++)
		if (o->ops & (1u << i))
			ok = json_array_append_new(ops, json_string(op_names[i])) == 0;
	ok = ok && (!o->device_ids || put(scope, "device_ids", json_from_strv(o->device_ids))) &&
	     (!o->device_types || put(scope, "device_types", json_from_strv(o->device_types))) &&
	     (!o->groups || put(scope, "groups", json_from_strv(o->groups))) &&
	     put(doc, "format", json_integer(ORDER_FORMAT)) && put(doc, "id", json_string(o->id)) &&
	     put(doc, "technician", json_string(o->technician)) &&
	     json_object_set(doc, "operations", ops) == 0 && json_object_set(doc, "scope", scope) == 0 &&
	     put(doc, "issued", time_string(o->issued)) &&
	     put(doc, "not_before", time_string(o->not_before)) &&
	     put(doc, "not_after", time_string(o->not_after)) &&
	     (!o->n_bundles || put(doc, "bundles", bundles_json(o)));
	if (ok)
		out = json_document_text(doc);
	json_decref(doc);
	json_decref(scope);
	json_decref(ops);
	return out;
}

/* ---- the decision ------------------------------------------------------ */

static bool listed(char *const *v, const char *s, bool glob)
{
	for (size_t i = 0; v && s && v[i]; i++)
		if (glob ? fnmatch(v[i], s, 0) == 0 : strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool shares(char *const *a, char *const *b)
{
	for (size_t i = 0; b && b[i]; i++)
		if (listed(a, b[i], false))
			return true;
	return false;
}

static bool check_signer(const struct order *o, const struct pgp_verify_result *vr,
			 const struct policy *p, const struct order_facts *f, time_t now,
			 struct ferry_error **err)
{
	struct policy_verdict v;
	char why[512];
	if (!policy_allows_role(p, vr, POLICY_DISPATCHER_ROLE, f->device_type, now, &v))
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	bool ok = v.allowed;
	strv_join(v.reasons, "; ", why, sizeof(why));
	policy_verdict_clear(&v);
	if (!ok)
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: not signed by a valid %s: %s",
					o->id, POLICY_DISPATCHER_ROLE, why);
	return true;
}

static bool check_people_and_time(const struct order *o, const struct policy *p, time_t now,
				  struct ferry_error **err)
{
	const struct policy_technician *t = policy_find_technician(p, o->technician);
	char a[RFC3339_UTC_LEN + 1], b[RFC3339_UTC_LEN + 1];
	if (!t)
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: technician '%s' is not in "
					"policy %lld", o->id, o->technician, (long long)p->serial);
	if (t->revoked && t->revoked <= now)
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: technician '%s' is revoked "
					"(policy %lld)", o->id, o->technician, (long long)p->serial);
	rfc3339_format_utc(o->not_before, a);
	rfc3339_format_utc(o->not_after, b);
	if (now < o->not_before)
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: not valid before %s "
					"(device clock is earlier)", o->id, a);
	if (now > o->not_after)
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: expired at %s", o->id, b);
	return true;
}

static bool check_scope(const struct order *o, const struct order_facts *f,
			struct ferry_error **err)
{
	if (o->device_ids && !listed(o->device_ids, f->device_id, false))
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: device %s is not in its "
					"device_ids", o->id, f->device_id);
	if (o->device_types && !listed(o->device_types, f->device_type, true))
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: device type %s is not in "
					"its device_types", o->id, f->device_type);
	if (o->groups && !shares(o->groups, f->groups))
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: device %s is in none of its "
					"groups", o->id, f->device_id);
	return true;
}

static bool bundle_listed(const struct order *o, const struct order_bundle_ref *b)
{
	for (size_t i = 0; i < o->n_bundles; i++) {
		const struct order_bundle *ob = &o->bundles[i];
		if (b->name && strcmp(ob->name, b->name) != 0)
			continue;
		if (ob->version && b->version && strcmp(ob->version, b->version) == 0)
			return true;
		if (ob->sha256 && b->sha256 && strcmp(ob->sha256, b->sha256) == 0)
			return true;
	}
	return false;
}

bool order_check(const struct order *o, const struct pgp_verify_result *vr,
		 const struct policy *p, const struct order_facts *f, enum order_op op,
		 const struct order_bundle_ref *b, time_t now, struct ferry_error **err)
{
	if (!check_signer(o, vr, p, f, now, err) || !check_people_and_time(o, p, now, err) ||
	    !check_scope(o, f, err))
		return false;
	if (!(o->ops & op))
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: does not grant %s", o->id,
					order_op_name(op));
	if (op == ORDER_INSTALL && b && o->n_bundles && !bundle_listed(o, b))
		return ferry_error_setc(err, FERRY_E_POLICY, "order %s: bundle %s %s is not in its "
					"bundle list", o->id, b->name ? b->name : "?",
					b->version ? b->version : (b->sha256 ? b->sha256 : ""));
	return true;
}
