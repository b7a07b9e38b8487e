/* sbom: the software bill of materials a bundle variant may carry (SPDX 2.3
 * or CycloneDX 1.5 JSON), checked structurally and reduced to what a device
 * keeps and reports: its components' names, versions and licences. Promises:
 * a document that passed sbom_parse has its required top-level fields, at
 * most SBOM_MAX_COMPONENTS components, each with a name and a version of
 * printable text within bounds; nothing else of it is interpreted. */
#ifndef FERRY_SBOM_H
#define FERRY_SBOM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define SBOM_MAX_BYTES (1024 * 1024)    /* carried like a hook: HOOK_MAX_BYTES */
#define SBOM_MAX_COMPONENTS 20000
#define SBOM_FIELD_MAX 256           /* bytes of a name, version or licence */

enum sbom_kind { SBOM_SPDX, SBOM_CYCLONEDX };

struct sbom_component {
	char *name, *version;
	char *licence;                   /* NULL: not known */
};

struct sbom {
	enum sbom_kind kind;
	struct sbom_component *c;
	size_t n;
};

/* Parses and checks len bytes (name: the file, for messages). Errors are
 * FERRY_E_FORMAT (not SPDX 2.3 / CycloneDX 1.5, a field missing or of the
 * wrong type) or FERRY_E_UNSAFE (a bound), each naming the file and field. */
bool sbom_parse(const char *data, size_t len, const char *name, struct sbom *out,
		struct ferry_error **err);
/* sbom_parse of the file at path (at most SBOM_MAX_BYTES). */
bool sbom_load(const char *path, struct sbom *out, struct ferry_error **err);
void sbom_clear(struct sbom *s);
const char *sbom_kind_name(enum sbom_kind k);   /* "spdx", "cyclonedx" */

/* A name, version or licence as ferry keeps one: 1 to SBOM_FIELD_MAX bytes,
 * no control character. */
bool sbom_field_ok(const char *s);

/* The components as a JSON array of {"name", "version"[, "licence"]}, the
 * form devices keep and report (docs/formats.md); NULL when out of memory. */
json_t *sbom_components_json(const struct sbom *s);

/* The document of s as kind (SPDX 2.3 or CycloneDX 1.5), minimal but
 * complete: what sbom_parse requires, name the document's, created RFC 3339
 * UTC; licences are written as SPDX expressions when they are SPDX ids,
 * else as "LicenseRef-" names (SPDX) or license names (CycloneDX).
 * Caller frees *text; the text parses with sbom_parse. */
bool sbom_serialize(const struct sbom *s, enum sbom_kind kind, const char *name, const char *created,
		    char **text, size_t *len, struct ferry_error **err);

#endif
