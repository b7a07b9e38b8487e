/* manifest_validate: the value rules of manifest format 1 and the spec, run on
 * every parsed document and by ferry-pack before it signs. Each rule names the
 * JSON path of the field it rejects; the rules are listed in docs/formats.md. */
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_kind.h"
#include "json.h"
#include "rfc3339.h"
#include "safefile.h"
#include "semver.h"
#include "sha256.h"

#define NAME_MAX_BYTES 64
#define NAME_RULE "1 to 64 characters of a-z 0-9 . _ - starting with a letter or digit"
/* Member file names live only inside the tar: room for "<payload name>.zst.chunks". */
#define MEMBER_FILE_MAX_BYTES 100
#define MEMBER_FILE_RULE "1 to 100 characters of a-z 0-9 . _ - starting with a letter or digit"

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* [a-z0-9._-], 1..max bytes, starting with a letter or digit (so never "."
 * or "..", never an option-like "-x"): safe as a file name on FAT. */
static bool name_valid_max(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max || s[0] == '.' || s[0] == '_' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

static bool name_valid(const char *s)
{
	return name_valid_max(s, NAME_MAX_BYTES);
}

static bool check_name(const struct json_path *p, const char *s, struct ferry_error **err)
{
	if (!s)
		return json_path_error(err, p, "missing");
	if (!name_valid(s))
		return json_path_error(err, p, "'%s' must be " NAME_RULE, s);
	return true;
}

/* The path of parent.key in buf, for passing straight to a check. */
static const struct json_path *at(struct json_path *buf, const struct json_path *parent,
				  const char *key)
{
	json_path_key(buf, parent, key);
	return buf;
}

/* Device types (globs), group names, device ids: printable ASCII, no spaces. */
/* Members already named in this bundle, to refuse a second use. */
struct seen_member {
	const char *member;
	struct json_path path;
};
struct members {
	struct seen_member *items;
	size_t n, cap;
};

static bool check_member(struct members *seen, const char *member, const char *variant_id,
			 const struct json_path *p, struct ferry_error **err)
{
	struct ferry_error *perr = NULL;
	if (!member)
		return json_path_error(err, p, "missing");
	if (!path_check_relative(member, strlen(member), &perr)) {
		json_path_error(err, p, "%s", ferry_error_message(perr));
		ferry_error_free(perr);
		return false;
	}
	size_t plen = strlen("payloads/") + strlen(variant_id) + 1;
	if (strncmp(member, "payloads/", 9) != 0 || strncmp(member + 9, variant_id, plen - 10) != 0 ||
	    member[plen - 1] != '/')
		return json_path_error(err, p, "'%s' must be payloads/%s/<file>", member, variant_id);
	if (!name_valid_max(member + plen, MEMBER_FILE_MAX_BYTES))
		return json_path_error(err, p, "'%s': the file name must be " MEMBER_FILE_RULE, member);
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->items[i].member, member) == 0)
			return json_path_error(err, p, "'%s' is used twice (also at %s)", member,
					       seen->items[i].path.path);
	if (seen->n == seen->cap) {
		size_t cap = seen->cap ? seen->cap * 2 : 16;
		struct seen_member *items = realloc(seen->items, cap * sizeof(*items));
		if (!items)
			return ferry_error_set(err, "out of memory");
		seen->items = items;
		seen->cap = cap;
	}
	seen->items[seen->n].member = member;
	seen->items[seen->n].path = *p;
	seen->n++;
	return true;
}

static bool check_sha256(const char *hex, const struct json_path *p, struct ferry_error **err)
{
	if (!sha256_hex_valid(hex))
		return json_path_error(err, p, "must be 64 lowercase hex digits (SHA-256)");
	return true;
}

static bool check_size(uint64_t size, uint64_t max, const struct json_path *p,
		       struct ferry_error **err)
{
	if (size == 0 || size > (uint64_t)INT64_MAX)
		return json_path_error(err, p, "must be a positive integer");
	if (size > max)
		return json_path_error(err, p, "%llu bytes, more than the %llu allowed",
				       (unsigned long long)size, (unsigned long long)max);
	return true;
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
		       struct members *seen, const struct json_path *p, struct ferry_error **err)
{
	struct json_path fp;
	if (!check_location(m, h->member, h->file, p, err))
		return false;
	if (m->is_spec)
		return true;
	return check_member(seen, h->member, v->id, at(&fp, p, "member"), err) &&
	       check_size(h->size, HOOK_MAX_BYTES, at(&fp, p, "size"), err) &&
	       check_sha256(h->sha256, at(&fp, p, "sha256"), err);
}

/* The names of the handlers that may create setuid files or devices, "a, b". */
static const char *special_handlers(char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int id = 0; id < HANDLER_COUNT_ && off < size; id++)
		if (handler_kind_get(id)->may_create_special)
			off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
						handler_kind_get(id)->name);
	return buf;
}

/* What the payload's handler takes, from the one table of handlers. */
static bool check_handler(const struct payload *pl, const struct json_path *p,
			  struct ferry_error **err)
{
	struct json_path hp, tp, sp;
	char names[128];
	json_path_key(&hp, p, "handler");
	json_path_key(&tp, p, "target");
	json_path_key(&sp, p, "allow_setuid");
	if (!pl->handler)
		return json_path_error(err, &hp, "missing");
	const struct handler_kind *k = handler_kind_find(pl->handler);
	if (!k)
		return json_path_error(err, &hp, "'%s' is not one of %s", pl->handler, handler_kind_names());
	if (k->target == HANDLER_TARGET_DIR && !pl->target)
		return json_path_error(err, &tp, "missing (the %s handler needs a target from agent.json)", k->name);
	if (k->target == HANDLER_TARGET_MODULE && !pl->target)
		return json_path_error(err, &tp, "missing (the %s handler needs the module name)", k->name);
	if (k->target == HANDLER_TARGET_NONE && pl->target)
		return json_path_error(err, &tp, "not used by the %s handler", k->name);
	if (pl->target && !check_name(&tp, pl->target, err))
		return false;
	if (pl->allow_setuid && !k->may_create_special)
		return json_path_error(err, &sp, "only the %s handler extracts file modes",
				       special_handlers(names, sizeof(names)));
	return true;
}

static bool check_payload(const struct manifest *m, const struct variant *v, const struct payload *pl,
			  struct members *seen, const struct json_path *p, struct ferry_error **err)
{
	struct json_path fp;
	if (!check_name(at(&fp, p, "name"), pl->name, err) ||
	    !check_handler(pl, p, err) || !check_location(m, pl->member, pl->file, p, err))
		return false;
	if (pl->compression != COMPRESSION_NONE && pl->compression != COMPRESSION_ZSTD &&
	    pl->compression != COMPRESSION_XZ)
		return json_path_error(err, at(&fp, p, "compression"), "unknown compression");
	if (m->is_spec)
		return true;
	return check_member(seen, pl->member, v->id, at(&fp, p, "member"), err) &&
	       check_size(pl->size, (uint64_t)INT64_MAX, at(&fp, p, "size"), err) &&
	       check_sha256(pl->sha256, at(&fp, p, "sha256"), err) &&
	       check_member(seen, pl->chunks, v->id, at(&fp, p, "chunks"), err) &&
	       check_sha256(pl->chunks_sha256, at(&fp, p, "chunks_sha256"), err);
}

static bool check_variant(const struct manifest *m, const struct variant *v, struct members *seen,
			  const struct json_path *p, struct ferry_error **err)
{
	struct json_path cp, fp, pp;
	json_path_key(&cp, p, "compatible");
	json_path_key(&pp, p, "payloads");
	if (!check_name(at(&fp, p, "id"), v->id, err) || !compat_validate(&v->compatible, &cp, err))
		return false;
	if (v->n_payloads == 0)
		return json_path_error(err, &pp, "a variant needs at least one payload");
	for (size_t i = 0; i < v->n_payloads; i++) {
		struct json_path ip;
		json_path_index(&ip, &pp, i);
		if (!check_payload(m, v, &v->payloads[i], seen, &ip, err))
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
		if (!name_char(*c))
			return json_path_error(err, at(&fp, root, "version"), "'%s' cannot be part of a bundle file name on FAT "
							 "(lowercase a-z 0-9 . _ - only: no build metadata, no capitals)",
					       m->version);
	char *s = NULL;
	if (asprintf(&s, "%s-%s.ferry", m->name, m->version) < 0)
		return ferry_error_set(err, "out of memory");
	if (strlen(s) > NAME_MAX_BYTES) {
		at(&fp, root, "name");
		json_path_error(err, &fp, "bundle file name '%s' would be longer than %d bytes", s,
				NAME_MAX_BYTES);
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
	if (!name_valid(m->name) || !m->version)
		return ferry_error_setc(err, FERRY_E_FORMAT, "manifest.json: name: '%s' must be " NAME_RULE,
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
	if (!check_name(at(&fp, rp, "name"), m->name, err))
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
	struct members seen = { 0 };

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
	free(seen.items);
	return ok;
}
