/* manifest_serialize: the one way a manifest (or spec) becomes bytes.
 * Validates first, then writes the keys in the fixed order of design §2.3
 * with a 2-space indent and a trailing newline, so the same manifest always
 * yields the same bytes and parse(serialize(m)) gives m back. */
#include "manifest.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

/* json_object_set_new that remembers a failure, so builders stay linear. */
struct builder {
	bool failed;
};

static void put(struct builder *b, json_t *obj, const char *key, json_t *value)
{
	if (!value || json_object_set_new(obj, key, value) != 0)
		b->failed = true;
}

static void put_str(struct builder *b, json_t *obj, const char *key, const char *s)
{
	if (s)
		put(b, obj, key, json_string(s));
}

static json_t *strv_json(struct builder *b, char *const *v)
{
	json_t *a = json_array();
	if (!a) {
		b->failed = true;
		return NULL;
	}
	for (size_t i = 0; v && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0)
			b->failed = true;
	return a;
}

/* A carried file: {"file"} in a spec, {"member", "size", "sha256"} in a manifest. */
static json_t *carried_json(struct builder *b, const struct manifest *m, const struct hook *h)
{
	json_t *o = json_object();
	if (m->is_spec) {
		put_str(b, o, "file", h->file);
	} else {
		put_str(b, o, "member", h->member);
		put(b, o, "size", json_integer((json_int_t)h->size));
		put_str(b, o, "sha256", h->sha256);
	}
	return o;
}

static json_t *hooks_json(struct builder *b, const struct manifest *m, const struct variant *v)
{
	json_t *hooks = json_object();
	if (!hooks) {
		b->failed = true;
		return NULL;
	}
	for (int k = 0; k < HOOK_COUNT; k++) {
		const struct hook *h = &v->hooks[k];
		if (h->present)
			put(b, hooks, hook_kind_name(k), carried_json(b, m, h));
	}
	return hooks;
}

static json_t *variant_json(struct builder *b, const struct manifest *m, const struct variant *v)
{
	json_t *o = json_object(), *payloads = json_array();
	bool any_hook = false;
	if (!o || !payloads) {
		b->failed = true;
		json_decref(payloads);
		return o;
	}
	put_str(b, o, "id", v->id);
	put(b, o, "compatible", compat_json(&v->compatible));
	for (size_t i = 0; i < v->n_payloads; i++) {
		json_t *p = payload_json(&v->payloads[i], m->is_spec);
		if (!p || json_array_append_new(payloads, p) != 0)
			b->failed = true;
	}
	put(b, o, "payloads", payloads);
	for (int k = 0; k < HOOK_COUNT; k++)
		any_hook |= v->hooks[k].present;
	if (any_hook)
		put(b, o, "hooks", hooks_json(b, m, v));
	if (v->sbom.present)
		put(b, o, "sbom", carried_json(b, m, &v->sbom));
	if (v->support_until)
		put_str(b, o, "support_until", v->support_until);
	return o;
}

static json_t *manifest_json(struct builder *b, const struct manifest *m)
{
	json_t *root = json_object(), *variants = json_array(), *rollout = json_object();
	if (!root || !variants || !rollout) {
		b->failed = true;
		json_decref(variants);
		json_decref(rollout);
		return root;
	}
	put(b, root, "format", json_integer(m->format));
	put_str(b, root, "name", m->name);
	put_str(b, root, "version", m->version);
	put(b, root, "security_version", json_integer(m->security_version));
	put_str(b, root, "created", m->created);
	put_str(b, root, "description", m->description);
	for (size_t i = 0; i < m->n_variants; i++) {
		json_t *v = variant_json(b, m, &m->variants[i]);
		if (!v || json_array_append_new(variants, v) != 0)
			b->failed = true;
	}
	put(b, root, "variants", variants);
	put(b, rollout, "groups", strv_json(b, m->rollout.groups));
	put(b, rollout, "devices", strv_json(b, m->rollout.devices));
	put(b, rollout, "percent", json_integer(m->rollout.percent));
	put(b, root, "rollout", rollout);
	put_str(b, root, "confirm", m->confirm == CONFIRM_LOCAL ? "local" : "auto");
	return root;
}

bool manifest_serialize(const struct manifest *m, char **out, size_t *len,
			struct ferry_error **err)
{
	bool ok = false;
	struct builder b = { 0 };
	json_t *root = NULL;
	char *text = NULL;

	*out = NULL;
	if (!manifest_validate(m, NULL, err))
		goto out;
	root = manifest_json(&b, m);
	/* Objects keep insertion order (jansson ≥ 2.8), which fixes the key order. */
	if (!root || b.failed || !(text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	size_t n = strlen(text);
	char *with_nl = realloc(text, n + 2);
	if (!with_nl) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	text = with_nl;
	text[n] = '\n';
	text[n + 1] = '\0';
	*out = text;
	*len = n + 1;
	text = NULL;
	ok = true;
out:
	free(text);
	if (root)
		json_decref(root);
	return ok;
}
