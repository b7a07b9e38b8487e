/* order_gate: the device's side of signed work orders (docs/roles.md). Owns
 * reading a stick's ferry/orders/, verifying each order through the device's
 * trust store, judging it with order_check (common/order.h) for one
 * operation, and the words and record of a refusal.
 * Promises: when the policy's order_rules require an order for an operation
 * on this device's type, the operation is allowed only with an order whose
 * signature, dispatcher, technician, window, scope, operation (and, for an
 * install, bundle list) pass; a bad order file is one listed reason beside
 * the others, never fatal to a valid one; nothing is parsed before its
 * signature was verified; the files read are bounded in number and size. */
#ifndef FERRY_AGENT_ORDER_GATE_H
#define FERRY_AGENT_ORDER_GATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "agent/config.h"
#include "agent/state.h"
#include "common/error.h"
#include "common/order.h"
#include "common/pgp.h"
#include "common/policy.h"

#define ORDER_GATE_MAX_FILES 64   /* order files read from one stick; more are ignored */
#define ORDER_GATE_KEPT 16        /* orders named in a refusal record */

/* One "<id>.json" of ferry/orders/. */
struct order_gate_entry {
	char *file;
	struct order *order;            /* NULL: refused before any check (problem says why) */
	struct pgp_verify_result vr;
	char *problem;
	enum ferry_code code;
};

/* The orders a stick carries. */
struct order_gate {
	struct order_gate_entry *e;
	size_t n;
	size_t n_ignored;               /* files beyond ORDER_GATE_MAX_FILES */
	char *folder_problem;           /* ferry/orders itself could not be read */
};

/* Reads ferry/orders/ below the stick mounted at media_dir (a missing folder
 * is no order). Problems of files or of the folder are kept in g, not
 * returned: false only when out of memory. Clear with order_gate_clear. */
bool order_gate_load(struct order_gate *g, struct pgp *pgp, const char *media_dir,
		     struct ferry_error **err);
void order_gate_clear(struct order_gate *g);

/* Does an order of g pin a bundle by sha256 (of the .ferry file)? Only then
 * is a bundle hashed whole for the check. */
bool order_gate_pins_sha256(const struct order_gate *g);

/* The device's facts for order_check, from its config (borrowed). */
void order_gate_facts(const struct agent_config *c, struct order_facts *f);

struct order_gate_verdict {
	enum order_op op;
	bool required;                  /* the policy's order_rules require an order here */
	bool allowed;                   /* not required, or a valid order was found */
	const struct order *order;      /* the first valid order (also when not required), or NULL */
	char *reason;                   /* refused: "no valid work order for OP: …" */
	json_t *detail;                 /* refused: {reason, operation, orders[], orders_cut} */
};
/* Judges every order of g for op (b: the bundle of an install, or NULL) on
 * the device f under policy p at now. false only when out of memory. */
bool order_gate_decide(const struct order_gate *g, const struct policy *p,
		       const struct order_facts *f, enum order_op op,
		       const struct order_bundle_ref *b, time_t now, struct order_gate_verdict *v,
		       struct ferry_error **err);
void order_gate_verdict_clear(struct order_gate_verdict *v);

/* Makes every record st writes from now on carry v's order and technician
 * (none when v has no order). */
bool order_gate_use(struct state *st, const struct order_gate_verdict *v, struct ferry_error **err);

/* The refusal record of a refused v: event (e.g. "install.refused"), result
 * refused, code policy, v's detail, the stick's fields from media. */
bool order_gate_record(struct state *st, const char *event, const struct order_gate_verdict *v,
		       const struct auditlog_fields *media, struct ferry_error **err);

/* One line saying what o allows: "work order ID (technician T): read,
 * install until TIME[, bundles …]". Caller frees; NULL when out of memory. */
char *order_gate_describe(const struct order *o);

/* The whole read gate of `export`: loads the stick's orders and decides
 * ORDER_READ for this device. Refused: records "export.refused" and fails
 * with FERRY_E_POLICY (nothing is exported). Allowed with an order: records
 * "export.ordered" carrying it, so HQ sees who read the log. */
bool order_gate_read(const struct agent_config *c, struct state *st, const char *media_dir,
		     time_t now, struct ferry_error **err);

#endif
