/* policy_people: technicians and order rules of policy.json (see
 * policy_people.h). */
#include "policy_people.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"

void policy_people_free(struct policy *p)
{
	for (size_t i = 0; i < p->n_technicians; i++) {
		free(p->technicians[i].id);
		free(p->technicians[i].name);
	}
	for (size_t i = 0; i < p->n_order_rules; i++) {
		strv_free(p->order_rules[i].device_types);
		strv_free(p->order_rules[i].operations);
	}
	free(p->technicians);
	free(p->order_rules);
}

bool policy_order_op_valid(const char *s)
{
	return s && (!strcmp(s, "read") || !strcmp(s, "install") || !strcmp(s, "policy"));
}

bool policy_id_valid(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("-_.", *s)))
			return false;
	return true;
}

/* ---- parse ------------------------------------------------------------- */

static bool get_array_of_objects(json_t *doc, const struct json_path *root, const char *key,
				 json_t **arr, struct json_path *lp, struct ferry_error **err)
{
	*arr = NULL;   /* json_get_array leaves it untouched when key is absent */
	json_path_key(lp, root, key);
	if (!json_get_array(doc, root, key, false, arr, err))
		return false;
	for (size_t i = 0; *arr && i < json_array_size(*arr); i++) {
		struct json_path ip;
		json_path_index(&ip, lp, i);
		if (!json_is_object(json_array_get(*arr, i)))
			return json_path_error(err, &ip, "must be an object");
	}
	return true;
}

static bool parse_technician(json_t *o, const struct json_path *ip, struct policy_technician *t,
			     struct ferry_error **err)
{
	static const char *const keys[] = { "id", "name", "fingerprint", "revoked", NULL };
	const char *fpr = NULL;
	struct json_path kp;
	if (!json_check_keys(o, ip, keys, err) || !json_get_string_dup(o, ip, "id", true, &t->id, err) ||
	    !json_get_string_dup(o, ip, "name", true, &t->name, err) ||
	    !json_get_string(o, ip, "fingerprint", false, &fpr, err) ||
	    !json_get_time(o, ip, "revoked", false, &t->revoked, err))
		return false;
	if (fpr) {
		json_path_key(&kp, ip, "fingerprint");
		if (!pgp_fpr_valid(fpr))
			return json_path_error(err, &kp, "must be a fingerprint of 40 uppercase hex digits");
		memcpy(t->fpr, fpr, PGP_FPR_LEN + 1);
	}
	return true;
}

bool policy_people_parse(json_t *doc, const struct json_path *root, struct policy *p,
			 struct ferry_error **err)
{
	static const char *const rkeys[] = { "device_types", "operations", NULL };
	json_t *arr = NULL;
	struct json_path lp, ip;
	if (!get_array_of_objects(doc, root, "technicians", &arr, &lp, err))
		return false;
	if (arr && json_array_size(arr) &&
	    !(p->technicians = calloc(json_array_size(arr), sizeof(*p->technicians))))
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; arr && i < json_array_size(arr); i++, p->n_technicians++) {
		json_path_index(&ip, &lp, i);
		if (!parse_technician(json_array_get(arr, i), &ip, &p->technicians[i], err))
			return p->n_technicians++, false;
	}
	if (!get_array_of_objects(doc, root, "order_rules", &arr, &lp, err))
		return false;
	if (arr && json_array_size(arr) &&
	    !(p->order_rules = calloc(json_array_size(arr), sizeof(*p->order_rules))))
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		struct policy_order_rule *r = &p->order_rules[p->n_order_rules++];
		json_path_index(&ip, &lp, i);
		if (!json_check_keys(o, &ip, rkeys, err) ||
		    !json_get_strv(o, &ip, "device_types", true, &r->device_types, err) ||
		    !json_get_strv(o, &ip, "operations", true, &r->operations, err))
			return false;
	}
	return true;
}

/* ---- validate ---------------------------------------------------------- */

static bool validate_technician(const struct policy *p, size_t i, const struct json_path *ip,
				struct ferry_error **err)
{
	const struct policy_technician *t = &p->technicians[i];
	struct json_path kp;
	char buf[RFC3339_UTC_LEN + 1];
	json_path_key(&kp, ip, "id");
	if (!policy_id_valid(t->id))
		return json_path_error(err, &kp, "must be a word of letters, digits, '-', '_', '.'");
	for (size_t j = 0; j < i; j++)
		if (strcmp(p->technicians[j].id, t->id) == 0)
			return json_path_error(err, &kp, "'%s' is listed twice", t->id);
	json_path_key(&kp, ip, "name");
	if (!t->name || !*t->name)
		return json_path_error(err, &kp, "must be a non-empty string");
	json_path_key(&kp, ip, "fingerprint");
	if (t->fpr[0] && !pgp_fpr_valid(t->fpr))
		return json_path_error(err, &kp, "must be a fingerprint of 40 uppercase hex digits");
	json_path_key(&kp, ip, "revoked");
	if (t->revoked && (t->revoked < 0 || !rfc3339_format_utc(t->revoked, buf)))
		return json_path_error(err, &kp, "time out of range");
	return true;
}

bool policy_people_validate(const struct policy *p, const struct json_path *root,
			    struct ferry_error **err)
{
	struct json_path lp, ip, kp;
	json_path_key(&lp, root, "technicians");
	for (size_t i = 0; i < p->n_technicians; i++) {
		json_path_index(&ip, &lp, i);
		if (!validate_technician(p, i, &ip, err))
			return false;
	}
	json_path_key(&lp, root, "order_rules");
	for (size_t i = 0; i < p->n_order_rules; i++) {
		const struct policy_order_rule *r = &p->order_rules[i];
		json_path_index(&ip, &lp, i);
		json_path_key(&kp, &ip, "device_types");
		if (!r->device_types || !r->device_types[0])
			return json_path_error(err, &kp, "must list at least one device-type glob");
		json_path_key(&kp, &ip, "operations");
		if (!r->operations || !r->operations[0])
			return json_path_error(err, &kp, "must list at least one operation");
		for (size_t j = 0; r->operations[j]; j++)
			if (!policy_order_op_valid(r->operations[j]))
				return json_path_error(err, &kp, "'%s' is not read, install or policy",
						       r->operations[j]);
	}
	return true;
}

/* ---- serialize and lookups -------------------------------------------- */

static json_t *technician_json(const struct policy_technician *t)
{
	char buf[RFC3339_UTC_LEN + 1];
	json_t *o = json_pack("{s:s, s:s}", "id", t->id, "name", t->name);
	if (o && t->fpr[0] && json_object_set_new(o, "fingerprint", json_string(t->fpr)))
		return json_decref(o), NULL;
	if (o && t->revoked &&
	    (!rfc3339_format_utc(t->revoked, buf) || json_object_set_new(o, "revoked", json_string(buf))))
		return json_decref(o), NULL;
	return o;
}

bool policy_people_serialize(json_t *doc, const struct policy *p)
{
	json_t *techs = json_array(), *rules = json_array();
	bool ok = techs && rules;
	for (size_t i = 0; ok && i < p->n_technicians; i++)
		ok = json_array_append_new(techs, technician_json(&p->technicians[i])) == 0;
	for (size_t i = 0; ok && i < p->n_order_rules; i++)
		ok = json_array_append_new(rules, json_pack("{s:o, s:o}", "device_types",
							    json_from_strv(p->order_rules[i].device_types),
							    "operations",
							    json_from_strv(p->order_rules[i].operations))) == 0;
	if (ok && p->n_technicians)
		ok = json_object_set(doc, "technicians", techs) == 0;
	if (ok && p->n_order_rules)
		ok = json_object_set(doc, "order_rules", rules) == 0;
	json_decref(techs);
	json_decref(rules);
	return ok;
}

const struct policy_technician *policy_find_technician(const struct policy *p, const char *id)
{
	for (size_t i = 0; id && i < p->n_technicians; i++)
		if (strcmp(p->technicians[i].id, id) == 0)
			return &p->technicians[i];
	return NULL;
}

bool policy_order_required(const struct policy *p, const char *device_type, const char *op)
{
	for (size_t i = 0; i < p->n_order_rules; i++) {
		const struct policy_order_rule *r = &p->order_rules[i];
		bool type = false, listed = false;
		for (size_t j = 0; r->device_types[j]; j++)
			type = type || fnmatch(r->device_types[j], device_type, 0) == 0;
		for (size_t j = 0; r->operations[j]; j++)
			listed = listed || strcmp(r->operations[j], op) == 0;
		if (type && listed)
			return true;
	}
	return false;
}
