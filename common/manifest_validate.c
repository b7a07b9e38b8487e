/* manifest_validate: the value rules of manifest format 1 and the spec, run on
 * every parsed document and by ferry-pack before it signs. Each rule names the
 * JSON path of the field it rejects; the rules are listed in docs/formats.md. */
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest_rules.h"
#include "rfc3339.h"
#include "semver.h"

/* The path of parent.key in buf, for passing straight to a check. */
static const struct json_path *at(struct json_path *buf, const struct json_path *parent,
				  const char *key)
{
	json_path_key(buf, parent, key);
	return buf;
}

/* In a spec only `file` locates the content; in a manifest only member+hashes. */
static bool check_location(const struct manifest *m, const char *member, const char *file,
			   const struct json_path *p, struct ferry_error **err)
{
	struct json_path fp;
	if (m->is_spec && member)
		return json_path_error(err, at(&fp, p, "member"), "not allowed in a spec (use file)");
	if (m->is_spec && (!file || !*file))
		return json_path_error(err, at(&fp, p, "file"), file ? "must not be empty" : "missing");
	if (!m->is_spec && file)
		return json_path_error(err, at(&fp, p, "file"), "allowed only in a spec");
	return true;
}

static bool check_date(const char *date, const struct json_path *p, struct ferry_error **err)
{
	return rfc3339_date_valid(date) || json_path_error(err, p, "'%s' is not a date YYYY-MM-DD", date);
}

static bool check_hook(const struct manifest *m, const struct variant *v, const struct hook *h,
		       struct manifest_members *seen, const struct json_path *p, struct ferry_error **err)
{
	struct json_path fp;
	if (!check_location(m, h->member, h->file, p, err))
		return false;
	if (m->is_spec)
		return true;
	return manifest_check_member(seen, h->member, v->id, at(&fp, p, "member"), err) &&
	       manifest_check_size(h->size, HOOK_MAX_BYTES, at(&fp, p, "size"), err) &&
	       manifest_check_sha256(h->sha256, at(&fp, p, "sha256"), err);
}

static bool check_variant(const struct manifest *m, const struct variant *v,
			  struct manifest_members *seen,
			  const struct json_path *p, struct ferry_error **err)
{
	struct json_path cp, fp, pp;
	json_path_key(&cp, p, "compatible");
	json_path_key(&pp, p, "payloads");
	const struct payload_place place = { m->is_spec, v->id, seen };
	if (!manifest_check_name(at(&fp, p, "id"), v->id, err) ||
	    !compat_validate(&v->compatible, &cp, err))
		return false;
	if (v->n_payloads == 0)
		return json_path_error(err, &pp, "a variant needs at least one payload");
	for (size_t i = 0; i < v->n_payloads; i++) {
		struct json_path ip;
		json_path_index(&ip, &pp, i);
		if (!payload_validate(&v->payloads[i], &place, &ip, err))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(v->payloads[j].name, v->payloads[i].name) == 0)
				return json_path_error(err, at(&fp, &ip, "name"), "'%s' is used twice in this variant",
						       v->payloads[i].name);
	}
	for (int k = 0; k < HOOK_COUNT; k++) {
		struct json_path hp, kp;
		json_path_key(&hp, p, "hooks");
		json_path_key(&kp, &hp, hook_kind_name(k));
		if (v->hooks[k].present && !check_hook(m, v, &v->hooks[k], seen, &kp, err))
			return false;
	}
	if (v->sbom.present && !check_hook(m, v, &v->sbom, seen, at(&fp, p, "sbom"), err))
		return false;
	return !v->support_until || check_date(v->support_until, at(&fp, p, "support_until"), err);
}

/* Why "<name>-<version>.ferry" is not a FAT-safe name, naming the field at fault. */
static bool bundle_filename(const struct manifest *m, const struct json_path *root, char **out,
			    struct ferry_error **err)
{
	struct json_path fp;
	for (const char *c = m->version; *c; c++)
		if (!manifest_name_char(*c))
			return json_path_error(err, at(&fp, root, "version"), "'%s' cannot be part of a bundle file name on FAT "
							 "(lowercase a-z 0-9 . _ - only: no build metadata, no capitals)",
					       m->version);
	char *s = NULL;
	if (asprintf(&s, "%s-%s.ferry", m->name, m->version) < 0)
		return ferry_error_set(err, "out of memory");
	if (strlen(s) > MANIFEST_NAME_MAX_BYTES) {
		at(&fp, root, "name");
		json_path_error(err, &fp, "bundle file name '%s' would be longer than %d bytes", s,
				MANIFEST_NAME_MAX_BYTES);
		free(s);
		return false;
	}
	*out = s;
	return true;
}

bool manifest_bundle_filename(const struct manifest *m, char **out, struct ferry_error **err)
{
	struct json_path rp;
	json_path_root(&rp, "manifest.json");
	if (!manifest_name_valid(m->name) || !m->version)
		return ferry_error_setc(err, FERRY_E_FORMAT, "manifest.json: name: '%s' must be " MANIFEST_NAME_RULE,
				       m->name ? m->name : "");
	return bundle_filename(m, &rp, out, err);
}

static bool check_top(const struct manifest *m, const struct json_path *rp, struct ferry_error **err)
{
	struct json_path fp;
	struct ferry_error *verr = NULL;
	if (m->format != MANIFEST_FORMAT)
		return json_path_error(err, at(&fp, rp, "format"), "unsupported format %d (this ferry reads format %d)",
				       m->format, MANIFEST_FORMAT);
	if (!manifest_check_name(at(&fp, rp, "name"), m->name, err))
		return false;
	at(&fp, rp, "version");
	if (!m->version)
		return json_path_error(err, &fp, "missing");
	struct semver v;
	if (!semver_parse(m->version, &v, &verr)) {
		json_path_error(err, &fp, "not a SemVer 2.0 version: %s", ferry_error_message(verr));
		ferry_error_free(verr);
		return false;
	}
	semver_free(&v);
	if (m->security_version < 0)
		return json_path_error(err, at(&fp, rp, "security_version"), "must be a non-negative integer");
	at(&fp, rp, "created");
	if (!m->created && !m->is_spec)
		return json_path_error(err, &fp, "missing");
	if (m->created && !rfc3339_parse_utc(m->created, &(int64_t){ 0 }, &verr)) {
		json_path_error(err, &fp, "%s", ferry_error_message(verr));
		ferry_error_free(verr);
		return false;
	}
	char *file = NULL;
	if (!bundle_filename(m, rp, &file, err))
		return false;
	free(file);
	return true;
}

static bool check_rollout(const struct rollout *r, const struct json_path *rp,
			  struct ferry_error **err)
{
	struct json_path op, fp;
	json_path_key(&op, rp, "rollout");
	if (r->percent < 0 || r->percent > 100)
		return json_path_error(err, at(&fp, &op, "percent"), "must be between 0 and 100");
	return json_check_words(r->groups, at(&fp, &op, "groups"), false, err) &&
	       json_check_words(r->devices, at(&fp, &op, "devices"), false, err);
}

bool manifest_validate(const struct manifest *m, const char *name, struct ferry_error **err)
{
	bool ok = false;
	struct json_path rp, vp;
	struct manifest_members seen = { 0 };

	json_path_root(&rp, name ? name : (m->is_spec ? "spec.json" : "manifest.json"));
	json_path_key(&vp, &rp, "variants");
	if (!check_top(m, &rp, err))
		goto out;
	if (m->n_variants == 0) {
		json_path_error(err, &vp, "must list at least one variant");
		goto out;
	}
	for (size_t i = 0; i < m->n_variants; i++) {
		struct json_path ip, fp;
		json_path_index(&ip, &vp, i);
		for (size_t j = 0; j < i; j++)
			if (m->variants[i].id && strcmp(m->variants[j].id, m->variants[i].id) == 0) {
				json_path_error(err, at(&fp, &ip, "id"), "'%s' is used twice", m->variants[i].id);
				goto out;
			}
		if (!check_variant(m, &m->variants[i], &seen, &ip, err))
			goto out;
	}
	if (!check_rollout(&m->rollout, &rp, err))
		goto out;
	ok = true;
out:
	manifest_members_clear(&seen);
	return ok;
}
