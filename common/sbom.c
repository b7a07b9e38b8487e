/* sbom: see sbom.h. Only what ferry needs of either standard is checked: the
 * fields that make the document what it says it is, and the components. */
#include "sbom.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "safefile.h"

const char *sbom_kind_name(enum sbom_kind k)
{
	return k == SBOM_SPDX ? "spdx" : "cyclonedx";
}

void sbom_clear(struct sbom *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->c[i].name);
		free(s->c[i].version);
		free(s->c[i].licence);
	}
	free(s->c);
	memset(s, 0, sizeof(*s));
}

bool sbom_field_ok(const char *s)
{
	size_t n = strlen(s);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return n > 0 && n <= SBOM_FIELD_MAX;
}

/* A printable (no control character) string within SBOM_FIELD_MAX bytes. */
static bool field_text(json_t *o, const struct json_path *p, const char *key, bool required,
		       const char **out, struct ferry_error **err)
{
	if (!json_get_string(o, p, key, required, out, err))
		return false;
	if (!*out)
		return true;
	struct json_path kp;
	json_path_key(&kp, p, key);
	size_t n = strlen(*out);
	if (sbom_field_ok(*out))
		return true;
	if (n == 0 || n > SBOM_FIELD_MAX) {
		json_path_error(err, &kp, "must be 1 to %d bytes", SBOM_FIELD_MAX);
		ferry_error_reclassify(err, n ? FERRY_E_UNSAFE : FERRY_E_FORMAT);
		return false;
	}
	return json_path_error(err, &kp, "holds a control character");
}

static bool add_component(struct sbom *s, const char *name, const char *version, const char *licence)
{
	struct sbom_component *c = &s->c[s->n];
	c->name = strdup(name);
	c->version = strdup(version);
	c->licence = licence ? strdup(licence) : NULL;
	s->n++;
	return c->name && c->version && (!licence || c->licence);
}

/* SPDX: a licence expression, unless it says nothing ("NOASSERTION", "NONE"). */
static const char *spdx_licence(const char *concluded, const char *declared)
{
	const char *l = concluded && strcmp(concluded, "NOASSERTION") != 0 ? concluded : declared;
	return l && strcmp(l, "NOASSERTION") != 0 && strcmp(l, "NONE") != 0 ? l : NULL;
}

static bool spdx_package(json_t *pkg, const struct json_path *pp, struct sbom *s, struct ferry_error **err)
{
	const char *name = NULL, *version = NULL, *id = NULL, *concluded = NULL, *declared = NULL;
	if (!json_is_object(pkg))
		return json_path_error(err, pp, "must be an object");
	if (!field_text(pkg, pp, "SPDXID", true, &id, err) || !field_text(pkg, pp, "name", true, &name, err) ||
	    !field_text(pkg, pp, "versionInfo", true, &version, err) ||
	    !field_text(pkg, pp, "licenseConcluded", false, &concluded, err) ||
	    !field_text(pkg, pp, "licenseDeclared", false, &declared, err))
		return false;
	return add_component(s, name, version, spdx_licence(concluded, declared)) ||
	       ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
}

static bool spdx_document(json_t *root, const struct json_path *p, json_t **list, const char **key,
			  struct ferry_error **err)
{
	const char *v = NULL, *s = NULL;
	json_t *info = NULL;
	if (!field_text(root, p, "spdxVersion", true, &v, err) ||
	    !field_text(root, p, "dataLicense", true, &s, err) || !field_text(root, p, "SPDXID", true, &s, err) ||
	    !field_text(root, p, "name", true, &s, err) ||
	    !field_text(root, p, "documentNamespace", true, &s, err) ||
	    !json_get_object(root, p, "creationInfo", true, &info, err) ||
	    !json_get_array(root, p, "packages", true, list, err))
		return false;
	if (strcmp(v, "SPDX-2.3") != 0) {
		struct json_path vp;
		json_path_key(&vp, p, "spdxVersion");
		return json_path_error(err, &vp, "'%s': only SPDX-2.3 is known", v);
	}
	*key = "packages";
	return true;
}

/* CycloneDX: the first licence's id, name or expression. */
static bool cdx_licence(json_t *comp, const struct json_path *p, const char **out, struct ferry_error **err)
{
	json_t *list = NULL, *first, *lic;
	*out = NULL;
	if (!json_get_array(comp, p, "licenses", false, &list, err))
		return false;
	if (!list || !(first = json_array_get(list, 0)))
		return true;
	struct json_path lp, fp;
	json_path_key(&lp, p, "licenses");
	json_path_index(&fp, &lp, 0);
	if (!json_is_object(first))
		return json_path_error(err, &fp, "must be an object");
	if (json_object_get(first, "expression"))
		return field_text(first, &fp, "expression", true, out, err);
	if (!json_get_object(first, &fp, "license", true, &lic, err))
		return false;
	json_path_key(&lp, &fp, "license");
	return field_text(lic, &lp, "id", false, out, err) && (*out || field_text(lic, &lp, "name", false, out, err));
}

static bool cdx_component(json_t *comp, const struct json_path *pp, struct sbom *s, struct ferry_error **err)
{
	const char *type = NULL, *name = NULL, *version = NULL, *licence = NULL;
	if (!json_is_object(comp))
		return json_path_error(err, pp, "must be an object");
	if (!field_text(comp, pp, "type", true, &type, err) || !field_text(comp, pp, "name", true, &name, err) ||
	    !field_text(comp, pp, "version", true, &version, err) || !cdx_licence(comp, pp, &licence, err))
		return false;
	return add_component(s, name, version, licence) ||
	       ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
}

static bool cdx_document(json_t *root, const struct json_path *p, json_t **list, const char **key,
			 struct ferry_error **err)
{
	const char *format = NULL, *spec = NULL;
	if (!field_text(root, p, "bomFormat", true, &format, err) ||
	    !field_text(root, p, "specVersion", true, &spec, err) ||
	    !json_get_array(root, p, "components", true, list, err))
		return false;
	if (strcmp(format, "CycloneDX") != 0 || strcmp(spec, "1.5") != 0)
		return json_path_error(err, p, "'%s %s': only CycloneDX 1.5 is known", format, spec);
	*key = "components";
	return true;
}

bool sbom_parse(const char *data, size_t len, const char *name, struct sbom *out,
		struct ferry_error **err)
{
	json_t *root = NULL, *list = NULL;
	const char *key = NULL;
	struct json_path p;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	json_path_root(&p, name);
	if (len > SBOM_MAX_BYTES)
		return ferry_error_setc(err, FERRY_E_UNSAFE, "%s: %zu bytes, more than the %d an SBOM may have",
					name, len, SBOM_MAX_BYTES);
	if (!json_parse_strict(data, len, name, &root, err))
		return false;
	out->kind = json_object_get(root, "bomFormat") ? SBOM_CYCLONEDX : SBOM_SPDX;
	if (!json_object_get(root, "bomFormat") && !json_object_get(root, "spdxVersion")) {
		json_path_error(err, &p, "neither SPDX (spdxVersion) nor CycloneDX (bomFormat)");
		goto out;
	}
	if (!(out->kind == SBOM_SPDX ? spdx_document : cdx_document)(root, &p, &list, &key, err))
		goto out;
	struct json_path lp;
	json_path_key(&lp, &p, key);
	if (json_array_size(list) > SBOM_MAX_COMPONENTS) {
		json_path_error(err, &lp, "%zu entries, more than %d", json_array_size(list), SBOM_MAX_COMPONENTS);
		ferry_error_reclassify(err, FERRY_E_UNSAFE);
		goto out;
	}
	if (!(out->c = calloc(json_array_size(list) + 1, sizeof(*out->c)))) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		struct json_path ip;
		json_path_index(&ip, &lp, i);
		json_t *e = json_array_get(list, i);
		if (!(out->kind == SBOM_SPDX ? spdx_package(e, &ip, out, err) : cdx_component(e, &ip, out, err)))
			goto out;
	}
	ok = true;
out:
	json_decref(root);
	if (!ok)
		sbom_clear(out);
	return ok;
}

bool sbom_load(const char *path, struct sbom *out, struct ferry_error **err)
{
	char *data = NULL;
	size_t len = 0;
	memset(out, 0, sizeof(*out));
	if (!read_file_limited(path, SBOM_MAX_BYTES, &data, &len, err))
		return false;
	bool ok = sbom_parse(data, len, path, out, err);
	free(data);
	return ok;
}

json_t *sbom_components_json(const struct sbom *s)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < s->n; i++) {
		json_t *o = json_pack("{s:s, s:s}", "name", s->c[i].name, "version", s->c[i].version);
		if (o && s->c[i].licence)
			json_object_set_new(o, "licence", json_string(s->c[i].licence));
		if (!o || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
