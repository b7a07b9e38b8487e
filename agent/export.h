/* export: what the agent writes to a stick (contract C3): the audit records
 * HQ has not acknowledged yet and inventory.json, each with a detached
 * signature by the device key, under MEDIA_DIR/ferry/audit/<device-id>/, and
 * the failure log excerpts those records name, in its logs/ folder.
 * Promises: every export carries every unacknowledged record again (oldest
 * first, at most AGENT_EXPORT_BUDGET bytes, the rest on the next stick), so
 * a lost, withheld or pulled stick delays records and never loses them. */
#ifndef FERRY_AGENT_EXPORT_H
#define FERRY_AGENT_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/boot.h"
#include "agent/config.h"
#include "agent/state.h"
#include "common/error.h"
#include "common/pgp.h"

/* {"bootloader","booted","primary","next","a_left","b_left"}: new reference. */
json_t *agent_slots_json(const struct boot *b, const struct boot_status *bs);

/* The device key: the one key of trust.homedir with a secret part. */
bool agent_device_key(struct pgp *p, char fpr[PGP_FPR_LEN + 1], struct ferry_error **err);

/* inventory.json's text (common/inventory, docs/formats.md §6); caller frees. */
bool agent_inventory_text(const struct agent_config *c, struct state *s, struct boot *b,
			  char **text, size_t *len, struct ferry_error **err);

/* Largest export file the agent writes: well under HQ's AUDITLOG_EXPORT_MAX,
 * so that no backlog can make an export HQ refuses. */
#define AGENT_EXPORT_BUDGET (16u * 1024 * 1024)

struct agent_export_result {
	size_t n;                      /* records written (0: none were pending) */
	size_t n_logs;                 /* failure log excerpts written beside them */
	uint64_t first_seq, last_seq;
	bool more;                     /* newer records wait for the next stick */
	char *dir;                     /* MEDIA_DIR/ferry/audit/<id> (caller frees) */
};
/* Writes the unacknowledged records and the inventory into media_dir (the
 * stick's mount point, holding or getting "ferry/"), then marks the records
 * exported (an ack may cover no more than that). */
bool agent_export(const struct agent_config *c, struct state *s, struct boot *b,
		  const char *media_dir, struct agent_export_result *out, struct ferry_error **err);

/* The failure log excerpts that lines (records) name, from the device's
 * <state_dir>/logs/ to top/audit/<device>/logs/<seq>.zst (+ .sig by key
 * fpr; export_logs.c). *n_out counts those written. */
bool agent_export_logs(const struct agent_config *c, const char *top, char *const *lines,
		       size_t n_lines, struct pgp *p, const char *fpr, size_t *n_out,
		       struct ferry_error **err);

#endif
