/* order: the signed work order (docs/formats.md §orders, docs/roles.md): who
 * (a technician named in the policy) may do what (read, install, policy) to
 * which devices (ids, types, groups), when (not before / not after) and,
 * optionally, with which bundles. Owns the strict parse, the deterministic
 * serialization and the one decision "may this order be used here, now, for
 * this": the signer (ferry-keys order) and the agent both call it.
 * Promises: a refusal is FERRY_E_POLICY (FERRY_E_FORMAT for a malformed
 * order) with one line naming the order id and what is wrong; only bytes
 * whose signature was verified are evaluated. */
#ifndef FERRY_ORDER_H
#define FERRY_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "pgp.h"
#include "policy.h"

#define ORDER_FORMAT 1
#define ORDER_MAX_BYTES (64 * 1024)

enum order_op {
	ORDER_READ = 1 << 0,     /* collect audit logs and inventory */
	ORDER_INSTALL = 1 << 1,  /* install bundles */
	ORDER_POLICY = 1 << 2,   /* adopt a newer policy */
};

struct order_bundle {
	char *name;
	char *version;   /* NULL when pinned by sha256 */
	char *sha256;    /* 64 lowercase hex digits, NULL when pinned by version */
};

struct order {
	char *id;                 /* lower-case letters, digits, '-', '_', '.': a stick name */
	char *technician;         /* a technician id of the policy */
	unsigned ops;             /* enum order_op bits, at least one */
	char **device_ids;        /* scope: NULL-terminated or NULL (any) */
	char **device_types;      /* globs */
	char **groups;
	int64_t issued, not_before, not_after;
	struct order_bundle *bundles;   /* optional allow-list of bundles */
	size_t n_bundles;
};

/* What the device knows about itself. */
struct order_facts {
	const char *device_id;
	const char *device_type;  /* NULL (the signer, before any device): no
	                           * dispatcher scope check; a device always sets it */
	char *const *groups;      /* NULL-terminated or NULL */
};

/* The bundle an install would use (NULL fields are not compared). */
struct order_bundle_ref {
	const char *name, *version, *sha256;
};

/* Parses len verified bytes (name used in messages); FERRY_E_FORMAT when
 * malformed. Caller frees *out with order_free. */
bool order_parse(const char *bytes, size_t len, const char *name, struct order **out,
		 struct ferry_error **err);
/* The value rules (parse runs them; the signer runs them before signing). */
bool order_validate(const struct order *o, const char *name, struct ferry_error **err);
/* Deterministic text: sorted keys, 2-space indent, trailing newline. Caller frees. */
char *order_serialize(const struct order *o);
void order_free(struct order *o);

const char *order_op_name(enum order_op op);
/* "read" → ORDER_READ …; 0 when unknown. */
unsigned order_op_from_name(const char *s);

/* May o, signed as vr says, be used for op on the device f at time now under
 * policy p? Checks, in order: a valid signer holding role "dispatcher" for
 * f's device type (not revoked, not expired); the technician is in p and
 * not revoked at now; now within [not_before, not_after]; f in the scope
 * (every given list must match: id listed, type matches a glob, a group
 * shared); op granted; for ORDER_INSTALL with b and a bundle list, b listed.
 * FERRY_E_POLICY with the first reason. */
bool order_check(const struct order *o, const struct pgp_verify_result *vr,
		 const struct policy *p, const struct order_facts *f, enum order_op op,
		 const struct order_bundle_ref *b, time_t now, struct ferry_error **err);

#endif
