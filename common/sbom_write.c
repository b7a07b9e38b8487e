/* sbom_write: a minimal SPDX 2.3 or CycloneDX 1.5 document from a list of
 * components (sbom.h), e.g. what ferry-pack sbom reads from a root file
 * system's dpkg status. */
#include "sbom.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Debian's short licence names (copyright-format 1.0) as SPDX ids. */
static const struct { const char *debian, *spdx; } licence_map[] = {
	{ "GPL-2", "GPL-2.0-only" }, { "GPL-2+", "GPL-2.0-or-later" }, { "GPL-3", "GPL-3.0-only" },
	{ "GPL-3+", "GPL-3.0-or-later" }, { "LGPL-2", "LGPL-2.0-only" }, { "LGPL-2+", "LGPL-2.0-or-later" },
	{ "LGPL-2.1", "LGPL-2.1-only" }, { "LGPL-2.1+", "LGPL-2.1-or-later" }, { "LGPL-3", "LGPL-3.0-only" },
	{ "LGPL-3+", "LGPL-3.0-or-later" }, { "Expat", "MIT" }, { "MIT", "MIT" },
	{ "BSD-2-clause", "BSD-2-Clause" }, { "BSD-3-clause", "BSD-3-Clause" },
	{ "Apache-2.0", "Apache-2.0" }, { "Zlib", "Zlib" }, { "ISC", "ISC" }, { "MPL-2.0", "MPL-2.0" },
	{ "Artistic", "Artistic-1.0-Perl" }, { "OpenSSL", "OpenSSL" }, { "curl", "curl" },
};

/* An SPDX licence id for l, or "LicenseRef-" + l made of [A-Za-z0-9.-]. */
static char *spdx_licence(const char *l, bool *known)
{
	for (size_t i = 0; i < sizeof(licence_map) / sizeof(licence_map[0]); i++)
		if (strcmp(l, licence_map[i].debian) == 0 || strcmp(l, licence_map[i].spdx) == 0) {
			*known = true;
			return strdup(licence_map[i].spdx);
		}
	*known = false;
	char *s = malloc(strlen("LicenseRef-") + strlen(l) + 1);
	if (!s)
		return NULL;
	char *w = s + sprintf(s, "LicenseRef-");
	for (; *l && w - s < SBOM_FIELD_MAX; l++)   /* stays a field sbom_parse takes */
		*w++ = isalnum((unsigned char)*l) || *l == '.' ? *l : '-';
	*w = '\0';
	return s;
}

static json_t *spdx_package(const struct sbom_component *c, size_t i)
{
	char id[32];
	bool known = false;
	snprintf(id, sizeof(id), "SPDXRef-Package-%zu", i + 1);
	char *lic = c->licence ? spdx_licence(c->licence, &known) : NULL;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "SPDXID", id, "name", c->name,
			      "versionInfo", c->version, "downloadLocation", "NOASSERTION",
			      "licenseConcluded", "NOASSERTION", "licenseDeclared", lic ? lic : "NOASSERTION",
			      "filesAnalyzed", 0);
	free(lic);
	return o;
}

static json_t *cdx_component(const struct sbom_component *c)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "library", "name", c->name, "version", c->version);
	if (o && c->licence) {
		bool known = false;
		char *lic = spdx_licence(c->licence, &known);
		json_t *l = known ? json_pack("{s:s}", "id", lic) : json_pack("{s:s}", "name", c->licence);
		json_object_set_new(o, "licenses", json_pack("[{s:o}]", "license", l));
		free(lic);
	}
	return o;
}

static json_t *document(const struct sbom *s, enum sbom_kind kind, const char *name, const char *created)
{
	json_t *list = json_array(), *root;
	for (size_t i = 0; list && i < s->n; i++)
		if (json_array_append_new(list, kind == SBOM_SPDX ? spdx_package(&s->c[i], i)
								   : cdx_component(&s->c[i])) != 0) {
			json_decref(list);
			return NULL;
		}
	if (!list)
		return NULL;
	if (kind == SBOM_CYCLONEDX)
		return json_pack("{s:s, s:s, s:i, s:{s:s, s:{s:s, s:s}}, s:o}", "bomFormat", "CycloneDX",
				 "specVersion", "1.5", "version", 1, "metadata", "timestamp", created,
				 "component", "type", "operating-system", "name", name, "components", list);
	char ns[512];
	snprintf(ns, sizeof(ns), "urn:ferry:sbom:%s:%s", name, created);
	root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:[s]}, s:o}", "spdxVersion", "SPDX-2.3",
			 "dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT", "name", name,
			 "documentNamespace", ns, "creationInfo", "created", created, "creators",
			 "Tool: ferry-pack", "packages", list);
	return root;
}

bool sbom_serialize(const struct sbom *s, enum sbom_kind kind, const char *name, const char *created,
		    char **text, size_t *len, struct ferry_error **err)
{
	json_t *root = document(s, kind, name, created);
	*text = root ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	if (!*text)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "writing the SBOM: out of memory");
	*len = strlen(*text);
	return true;
}
