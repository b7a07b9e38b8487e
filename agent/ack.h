/* ack: the agent side of acknowledgements (contract C4): HQ's signed
 * ack/<device-id>.json on a stick says up to which seq it imported this
 * device's audit records; the agent then prunes those records from agent.db.
 * Promises: nothing is pruned unless the ack's exact bytes carry a valid
 * signature by a signer the device's current policy gives role "hq" (not
 * revoked, not expired, in scope of the device type), it names this device,
 * and its seq is not beyond what this device has exported. */
#ifndef FERRY_AGENT_ACK_H
#define FERRY_AGENT_ACK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

struct pgp;
struct policy;
struct state;

#define ACK_ROLE "hq"

/* An ack's bytes (after its signature was checked), parsed strictly: it must
 * name device_id; *seq gets what it acknowledges. path is for messages. */
bool ack_parse(const char *data, size_t len, const char *path, const char *device_id,
	       uint64_t *seq, struct ferry_error **err);
/* Verifies name (+ ".sig") in the open folder dirfd (path: the same, for
 * messages) for device_id / device_type at time now and returns the
 * acknowledged seq. */
bool ack_verify(struct pgp *pgp, const struct policy *policy, const char *device_id,
		const char *device_type, int dirfd, const char *name, const char *path, time_t now,
		uint64_t *seq, struct ferry_error **err);

struct ack_result {
	bool found;          /* the stick holds an ack for this device */
	uint64_t seq;        /* what it acknowledges */
	uint64_t pruned;     /* records deleted from agent.db */
};
/* Looks for the device's ack on the stick whose ferry/ folder is ferry_dir
 * (common/stick: ack/<device_id>.json); without one, *out says
 * found = false and nothing happens. Otherwise verifies it and prunes the
 * acknowledged records (state_prune keeps the newest record for the chain). */
bool ack_apply(struct state *st, struct pgp *pgp, const struct policy *policy,
	       const char *device_type, const char *ferry_dir, time_t now,
	       struct ack_result *out, struct ferry_error **err);

#endif
