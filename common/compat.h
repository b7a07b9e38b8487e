/* compat: a variant's compatibility criteria (the manifest's "compatible"
 * object) and the check of one device against them. Owns, for every
 * criterion, how it is read, written, validated and checked, in one table
 * (compat.c): device_type (globs; picks the variants), hw_revision (integer
 * range), installed_version (SemVer range) and attributes (the device's
 * agent.json / fleet attributes matched by globs). A new criterion is a field
 * here, a row and its functions in compat.c, its reason code in decide.h;
 * a criterion over a device attribute needs no code at all. */
#ifndef FERRY_COMPAT_H
#define FERRY_COMPAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "json.h"

struct compat_attribute {
	char *name;              /* a device attribute: "site" */
	char **globs;            /* NULL-terminated: any of them matches ("north", "lab-*") */
};

struct compat {
	char **device_type;      /* NULL-terminated list; globs "sensor-*" allowed */
	char *hw_revision;       /* optional range over integers: ">=2", "=3", ">=2 <5" (NULL: any) */
	char *installed_version; /* optional SemVer range (NULL: any) */
	struct compat_attribute *attributes;   /* optional: every one must match */
	size_t n_attributes;
};

struct device_facts;
struct decision;
struct semver;

/* Reads obj (the "compatible" object at p) into *c; unknown keys refused.
 * spec and manifest read the same. Free with compat_free. */
bool compat_parse(json_t *obj, const struct json_path *p, struct compat *c,
		  struct ferry_error **err);
/* Checks what parsing cannot (non-empty printable words, valid ranges). */
bool compat_validate(const struct compat *c, const struct json_path *p, struct ferry_error **err);
/* The "compatible" object of c; NULL on out of memory. */
json_t *compat_json(const struct compat *c);
void compat_free(struct compat *c);

/* True when one of c's device_type globs matches type. */
bool compat_type_listed(const struct compat *c, const char *type);
/* Adds to out a reason for every criterion beyond device_type that d does
 * not meet (variant_id and bundle_name for messages; installed: the parsed
 * installed version of the bundle, NULL when none); *fits says whether all
 * were met. false only on a broken range or out of memory. */
bool compat_check(const struct compat *c, const char *variant_id, const char *bundle_name,
		  const struct device_facts *d, const struct semver *installed,
		  struct decision *out, bool *fits, struct ferry_error **err);
/* "device_type gw-x; hw_revision >=2; site north" for people. */
const char *compat_describe(const struct compat *c, char *buf, size_t size);

#endif
