/* manifest: the model of manifest format 1 (design §2.3) and of the bundle
 * spec (the manifest without hashes and sizes, with `file` in place of
 * `member`). Parses exact bytes strictly, validates every field with a message
 * naming it, serializes deterministically. Owns struct manifest and its parts.
 * (Interface fixed for the other modules; implementation in manifest.c.) */
#ifndef FERRY_MANIFEST_H
#define FERRY_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "error.h"
#include "payload_fields.h"

#define MANIFEST_FORMAT 1
#define MANIFEST_MAX_BYTES (1024 * 1024)     /* a manifest is small; refuse more */
#define FRAME_MAX_UNCOMPRESSED (4u * 1024 * 1024)

/* A hook script carried in the bundle. The design's string form named only
 * the member; ferry authenticates hooks like payloads, so in the manifest a
 * hook is {"member", "size", "sha256"} (stored uncompressed, at most
 * HOOK_MAX_BYTES) and in a spec {"file"}. Recorded in docs/formats.md. */
#define HOOK_MAX_BYTES (1024 * 1024)
enum hook_kind { HOOK_PRE_INSTALL, HOOK_POST_INSTALL, HOOK_HEALTH_CHECK, HOOK_COUNT };
struct hook {
	bool present;
	char *member;            /* manifest: "payloads/<variant>/<file>" */
	char *file;              /* spec: path relative to the spec */
	uint64_t size;
	char sha256[65];
};

struct variant {
	char *id;
	struct compat compatible;
	struct payload *payloads;
	size_t n_payloads;
	struct hook hooks[HOOK_COUNT];   /* JSON keys: pre_install, post_install, health_check */
	struct hook sbom;        /* its SBOM (common/sbom.h), carried like a hook; optional */
	char *support_until;     /* "YYYY-MM-DD": the last day it is supported; NULL: not said */
};
#define SBOM_MEMBER_NAME "sbom.json"   /* "payloads/<variant>/sbom.json" */

struct rollout {
	char **groups;           /* device groups that take it; NULL or empty: all */
	char **devices;          /* device ids that always take it */
	int percent;             /* 0..100, default 100 */
};

enum confirm_mode { CONFIRM_AUTO, CONFIRM_LOCAL };

struct manifest {
	int format;
	char *name;              /* [a-z0-9._-], ≤ 64 bytes with version + ".ferry" */
	char *version;           /* SemVer 2.0 */
	int64_t security_version;
	char *created;           /* RFC 3339 UTC, "2026-11-24T10:00:00Z" */
	char *description;
	struct variant *variants;
	size_t n_variants;
	struct rollout rollout;
	enum confirm_mode confirm;
	bool is_spec;            /* parsed as a spec (file paths, no hashes) */
};

/* Parses and validates a manifest from exactly these bytes (name: for messages). */
bool manifest_parse(const char *bytes, size_t len, const char *name, struct manifest **out,
		    struct ferry_error **err);
/* Parses and validates a spec (design §7): no sizes or hashes, `file` not `member`. */
bool manifest_parse_spec(const char *bytes, size_t len, const char *name, struct manifest **out,
			 struct ferry_error **err);
/* Deterministic serialization of a complete manifest (fixed key order, 2-space
 * indent, trailing newline): parse(serialize(m)) == m. Caller frees *out. */
bool manifest_serialize(const struct manifest *m, char **out, size_t *len,
			struct ferry_error **err);
/* Full validation of a filled-in manifest (what create checks before signing). */
bool manifest_validate(const struct manifest *m, const char *name, struct ferry_error **err);
void manifest_free(struct manifest *m);

const char *hook_kind_name(enum hook_kind k);   /* "pre_install", … */
/* "<name>-<version>.ferry", lowercase [a-z0-9._-]; false when not FAT-safe. */
bool manifest_bundle_filename(const struct manifest *m, char **out, struct ferry_error **err);

#endif
