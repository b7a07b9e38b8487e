/* manifest: parsing of manifest format 1 and of the bundle spec (see
 * manifest.h). This file turns strict JSON into struct manifest, checking
 * keys and types with the JSON path of every field (a payload's fields are
 * read by payload_fields.c); the value rules (names, versions, hashes,
 * members, handlers) live in manifest_validate.c and run on every parsed
 * document, so a parsed manifest is always a valid one. */
#include "manifest.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest_rules.h"

static const char *const top_keys[] = { "format", "name", "version", "security_version", "created",
					"description", "variants", "rollout", "confirm", NULL };
static const char *const variant_keys[] = { "id", "compatible", "payloads", "hooks", "sbom",
					    "support_until", NULL };
static const char *const hooks_keys[] = { "pre_install", "post_install", "health_check", NULL };
static const char *const hook_keys[] = { "member", "size", "sha256", NULL };
static const char *const spec_hook_keys[] = { "file", NULL };
static const char *const rollout_keys[] = { "groups", "devices", "percent", NULL };

const char *hook_kind_name(enum hook_kind k)
{
	switch (k) {
	case HOOK_PRE_INSTALL: return "pre_install";
	case HOOK_POST_INSTALL: return "post_install";
	case HOOK_HEALTH_CHECK: return "health_check";
	case HOOK_COUNT: break;
	}
	return "?";
}

/* --- freeing --------------------------------------------------------------- */

static void variant_clear(struct variant *v)
{
	free(v->id);
	compat_free(&v->compatible);
	for (size_t i = 0; i < v->n_payloads; i++)
		payload_clear(&v->payloads[i]);
	free(v->payloads);
	for (int k = 0; k < HOOK_COUNT; k++) {
		free(v->hooks[k].member);
		free(v->hooks[k].file);
	}
	free(v->sbom.member);
	free(v->sbom.file);
	free(v->support_until);
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->version);
	free(m->created);
	free(m->description);
	for (size_t i = 0; i < m->n_variants; i++)
		variant_clear(&m->variants[i]);
	free(m->variants);
	strv_free(m->rollout.groups);
	strv_free(m->rollout.devices);
	free(m);
}

/* --- document structure ----------------------------------------------------- */

static bool parse_hook(json_t *obj, const struct json_path *p, bool spec, struct hook *h,
		       struct ferry_error **err)
{
	if (!json_is_object(obj))
		return json_path_error(err, p, spec ? "must be an object {\"file\"}"
						      : "must be an object {\"member\", \"size\", \"sha256\"}");
	if (!json_check_keys(obj, p, spec ? spec_hook_keys : hook_keys, err))
		return false;
	h->present = true;
	if (spec)
		return json_get_string_dup(obj, p, "file", true, &h->file, err);
	return json_get_string_dup(obj, p, "member", true, &h->member, err) &&
	       manifest_get_size(obj, p, "size", &h->size, err) &&
	       manifest_get_sha256(obj, p, "sha256", h->sha256, err);
}

static bool parse_variant(json_t *obj, const struct json_path *p, bool spec, struct variant *v,
			  struct ferry_error **err)
{
	json_t *compat = NULL, *payloads = NULL, *hooks = NULL;
	struct json_path cp, pp, hp;
	if (!json_is_object(obj))
		return json_path_error(err, p, "must be an object");
	if (!json_check_keys(obj, p, variant_keys, err) ||
	    !json_get_string_dup(obj, p, "id", true, &v->id, err) ||
	    !json_get_object(obj, p, "compatible", true, &compat, err) ||
	    !json_get_array(obj, p, "payloads", true, &payloads, err) ||
	    !json_get_object(obj, p, "hooks", false, &hooks, err) ||
	    !json_get_string_dup(obj, p, "support_until", false, &v->support_until, err))
		return false;
	json_t *sbom = json_object_get(obj, "sbom");
	struct json_path sp;
	json_path_key(&sp, p, "sbom");
	if (sbom && !parse_hook(sbom, &sp, spec, &v->sbom, err))
		return false;
	json_path_key(&cp, p, "compatible");
	if (!compat_parse(compat, &cp, &v->compatible, err))
		return false;

	json_path_key(&pp, p, "payloads");
	v->payloads = calloc(json_array_size(payloads) + 1, sizeof(*v->payloads));
	if (!v->payloads)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < json_array_size(payloads); i++) {
		struct json_path ip;
		json_path_index(&ip, &pp, i);
		v->n_payloads++;   /* counted first so a half-parsed one is freed */
		if (!payload_parse(json_array_get(payloads, i), &ip, spec, &v->payloads[i], err))
			return false;
	}

	if (!hooks)
		return true;
	json_path_key(&hp, p, "hooks");
	if (!json_check_keys(hooks, &hp, hooks_keys, err))
		return false;
	for (int k = 0; k < HOOK_COUNT; k++) {
		json_t *h = json_object_get(hooks, hook_kind_name(k));
		struct json_path kp;
		json_path_key(&kp, &hp, hook_kind_name(k));
		if (h && !parse_hook(h, &kp, spec, &v->hooks[k], err))
			return false;
	}
	return true;
}

static bool parse_rollout(json_t *obj, const struct json_path *p, struct rollout *r,
			  struct ferry_error **err)
{
	int64_t percent = 100;
	if (!json_check_keys(obj, p, rollout_keys, err) ||
	    !json_get_strv(obj, p, "groups", false, &r->groups, err) ||
	    !json_get_strv(obj, p, "devices", false, &r->devices, err) ||
	    !json_get_int(obj, p, "percent", false, 0, 100, &percent, err))
		return false;
	r->percent = (int)percent;
	return true;
}

static bool parse_document(json_t *root, const char *name, bool spec, struct manifest *m,
			   struct ferry_error **err)
{
	struct json_path rp, vp, fp;
	json_t *variants = NULL, *rollout = NULL;
	int64_t format = 0;
	const char *confirm = NULL;

	json_path_root(&rp, name);
	json_path_key(&fp, &rp, "format");
	if (!json_check_keys(root, &rp, top_keys, err))
		return false;
	/* format first: a newer document should say so, not fail on a new key. */
	if (!json_get_int(root, &rp, "format", true, INT64_MIN, INT64_MAX, &format, err))
		return false;
	if (format != MANIFEST_FORMAT)
		return json_path_error(err, &fp, "unsupported format %lld (this ferry reads format %d)",
				       (long long)format, MANIFEST_FORMAT);
	m->format = (int)format;
	if (!json_get_string_dup(root, &rp, "name", true, &m->name, err) ||
	    !json_get_string_dup(root, &rp, "version", true, &m->version, err) ||
	    !manifest_get_count(root, &rp, "security_version", 0, &m->security_version, err) ||
	    !json_get_string_dup(root, &rp, "created", !spec, &m->created, err) ||
	    !json_get_string_dup(root, &rp, "description", false, &m->description, err) ||
	    !json_get_array(root, &rp, "variants", true, &variants, err) ||
	    !json_get_object(root, &rp, "rollout", false, &rollout, err) ||
	    !json_get_string(root, &rp, "confirm", false, &confirm, err))
		return false;

	json_path_key(&vp, &rp, "variants");
	m->variants = calloc(json_array_size(variants) + 1, sizeof(*m->variants));
	if (!m->variants)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < json_array_size(variants); i++) {
		struct json_path ip;
		json_path_index(&ip, &vp, i);
		m->n_variants++;
		if (!parse_variant(json_array_get(variants, i), &ip, spec, &m->variants[i], err))
			return false;
	}

	m->rollout.percent = 100;
	if (rollout) {
		struct json_path op;
		json_path_key(&op, &rp, "rollout");
		if (!parse_rollout(rollout, &op, &m->rollout, err))
			return false;
	}

	m->confirm = CONFIRM_AUTO;
	if (confirm && strcmp(confirm, "local") == 0)
		m->confirm = CONFIRM_LOCAL;
	else if (confirm && strcmp(confirm, "auto") != 0) {
		struct json_path cp;
		json_path_key(&cp, &rp, "confirm");
		return json_path_error(err, &cp, "'%s' is not one of auto, local", confirm);
	}
	return true;
}

static bool parse_any(const char *bytes, size_t len, const char *name, bool spec,
		      struct manifest **out, struct ferry_error **err)
{
	bool ok = false;
	json_t *root = NULL;
	struct manifest *m = NULL;

	*out = NULL;
	if (len > MANIFEST_MAX_BYTES) {
		ferry_error_setc(err, FERRY_E_FORMAT, "%s: %zu bytes, more than the %d a manifest may have",
				 name, len, MANIFEST_MAX_BYTES);
		goto out;
	}
	if (!json_parse_strict(bytes, len, name, &root, err))
		goto out;
	m = calloc(1, sizeof(*m));
	if (!m) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	m->is_spec = spec;
	if (!parse_document(root, name, spec, m, err) || !manifest_validate(m, name, err))
		goto out;
	*out = m;
	m = NULL;
	ok = true;
out:
	manifest_free(m);
	if (root)
		json_decref(root);
	return ok;
}

bool manifest_parse(const char *bytes, size_t len, const char *name, struct manifest **out,
		    struct ferry_error **err)
{
	return parse_any(bytes, len, name ? name : "manifest.json", false, out, err);
}

bool manifest_parse_spec(const char *bytes, size_t len, const char *name, struct manifest **out,
			 struct ferry_error **err)
{
	return parse_any(bytes, len, name ? name : "spec.json", true, out, err);
}
