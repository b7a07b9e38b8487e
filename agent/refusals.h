/* refusals: the refusal and skip records of one install run. A stick may
 * carry any number of junk or unwanted bundles; the run writes at most one
 * "install.refused" and one "install.skipped" record whatever their number.
 * One bundle alone gets its own record as before; several make one record
 * with their count and the first REFUSALS_KEPT files with reason and code. */
#ifndef FERRY_AGENT_REFUSALS_H
#define FERRY_AGENT_REFUSALS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/state.h"
#include "common/error.h"

/* Files named (with reason and code) in an aggregated record. */
#define REFUSALS_KEPT 16

struct refusal_kind {
	size_t n;
	char *bundle, *version;      /* of the first, for a record of one */
	json_t *first_detail;        /* the first one's full detail */
	json_t *files;               /* [{file, bundle?, version?, code?, reason}] up to REFUSALS_KEPT */
};
struct refusals {
	struct refusal_kind refused, skipped;
};

/* One bundle that will not be installed. detail is the record a lone
 * refusal gets ({file, reason, reasons}; borrowed); code is its first
 * reason's code or NULL. bundle/version are NULL for an unreadable file. */
bool refusals_add(struct refusals *r, bool benign, const char *bundle, const char *version,
		  const char *file, const char *code, const char *reason, const json_t *detail,
		  struct ferry_error **err);
/* Writes the records (nothing when none was added); media holds the
 * stick's fields of every record of the run (its other fields are ignored). */
bool refusals_record(const struct refusals *r, struct state *st, const struct auditlog_fields *media,
		     struct ferry_error **err);
void refusals_clear(struct refusals *r);

#endif
