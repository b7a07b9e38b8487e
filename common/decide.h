/* decide: the one compatibility and rollout decision of ferry. Given what a
 * device is (struct device_facts) and a parsed manifest, it picks the variant
 * to install or lists EVERY reason why not, each as a stable code and a
 * one-line message for technicians and the audit log. ferry-agent and
 * ferry-pack simulate both call it; nothing else decides. */
#ifndef FERRY_DECIDE_H
#define FERRY_DECIDE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "antirollback.h"
#include "error.h"
#include "manifest.h"

/* A device attribute (agent.json / FLEET.json "attributes"). */
struct device_attribute {
	const char *key, *value;
};

/* What the decision needs to know about a device. Nothing is owned. */
struct device_facts {
	const char *id;                 /* "gw-0001" */
	const char *device_type;        /* "gw-x" */
	int64_t hw_revision;            /* < 0: unknown (fails any hw_revision range) */
	const char *installed_version;  /* of this manifest's bundle name; NULL: none installed */
	char *const *groups;            /* NULL-terminated; NULL: in no group */
	int64_t security_version;       /* highest security_version installed so far, held
	                                 * against every bundle (a fleet file's device-wide value) */
	const struct security_floor *floors;   /* per target (common/antirollback.h); the agent's */
	size_t n_floors;
	const struct device_attribute *attributes;   /* compatible.attributes reads them */
	size_t n_attributes;
};

enum decide_code {
	DECIDE_DEVICE_TYPE,        /* no variant lists the device type */
	DECIDE_HW_REVISION,        /* a variant's hw_revision range excludes the device */
	DECIDE_INSTALLED_VERSION,  /* a variant's installed_version range excludes it */
	DECIDE_ROLLOUT,            /* not selected by rollout groups / percent */
	DECIDE_SECURITY_VERSION,   /* lower than the highest on the device or one of the
	                            * targets it writes (anti-rollback) */
	DECIDE_ALREADY_INSTALLED,  /* this very version is installed */
	DECIDE_DOWNGRADE,          /* a higher version is installed */
	DECIDE_SUPERSEDED,         /* a higher version of the same bundle is also offered */
	DECIDE_ATTRIBUTE,          /* a variant's attributes criterion excludes the device */
};

struct decide_reason {
	enum decide_code code;
	char *message;             /* one line, e.g. "hardware revision 1 is outside >=2 (variant gw-x)" */
};

struct decision {
	const struct manifest *manifest;   /* borrowed */
	const struct variant *variant;     /* the variant to install; NULL when refused */
	struct decide_reason *reasons;     /* empty when variant is set */
	size_t n_reasons;
};

/* Decides m for device d. Returns false (with *err) only when the facts
 * themselves are broken (installed_version not SemVer); a refusal is a
 * successful decision with reasons. Free *out with decision_free. */
bool decide(const struct manifest *m, const struct device_facts *d, struct decision *out,
	    struct ferry_error **err);
void decision_free(struct decision *d);
/* Appends a reason (for the criteria of common/compat.c); false with *err on
 * out of memory. */
bool decision_add_reason(struct decision *d, struct ferry_error **err, enum decide_code code,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Does a variant of m list device_type (the bundle's scope)? */
bool decide_lists_type(const struct manifest *m, const char *device_type);
/* The outcome a refused decision means on the device (docs/field-guide.md):
 * out of scope (only DECIDE_DEVICE_TYPE) and nothing new (already installed,
 * a higher version installed, or superseded) end as "nothing"; any other
 * reason is a refusal. */
bool decide_is_out_of_scope(const struct decision *d);
bool decide_is_nothing_new(const struct decision *d);

/* Among n decisions (several bundles offered at once, e.g. on one stick),
 * keeps only the highest accepted version per bundle name; the others become
 * refusals with a DECIDE_SUPERSEDED reason ("superseded by edge-os 2.4.1").
 * Equal versions: the first one listed wins. */
bool decide_keep_highest(struct decision *ds, size_t n, struct ferry_error **err);

/* Rollout bucket of a device: the first 8 bytes of SHA-256(name ‖ device id)
 * as a big-endian unsigned 64-bit integer, mod 100. A device is inside a
 * percent-P rollout when its bucket < P: stable across sticks and runs. */
unsigned decide_rollout_bucket(const char *bundle_name, const char *device_id);

/* "device_type", "hw_revision", "installed_version", "rollout",
 * "security_version", "already_installed", "downgrade", "superseded",
 * "attribute". */
const char *decide_code_name(enum decide_code c);

/* {"bundle","version","result":"install"|"refused","variant"?,
 *  "reasons":[{"code","message"}]} for --json output; NULL on out of memory. */
json_t *decision_json(const struct decision *d);

#endif
