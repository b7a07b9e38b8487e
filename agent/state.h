/* state: the agent's persistent state and audit journal in SQLite
 * (<state_dir>/agent.db, WAL, synchronous=FULL, schema versioned).
 * Promises: a state change and its audit record commit in ONE transaction
 * (state_apply), never one without the other; records form an unbroken hash
 * chain (each prev is the hash of the last line held); a SIGKILL or power
 * cut at any moment leaves the last committed state and every record of it. */
#ifndef FERRY_AGENT_STATE_H
#define FERRY_AGENT_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config.h"
#include "common/antirollback.h"
#include "common/auditlog.h"
#include "common/error.h"
#include "common/sha256.h"

#define STATE_DB_NAME "agent.db"
#define STATE_SCHEMA_VERSION 2

/* Design §4. idle, committed, failed and rolled_back are at rest: a new
 * transaction may start from them. */
enum agent_state {
	AGENT_STATE_IDLE,
	AGENT_STATE_VERIFYING,
	AGENT_STATE_INSTALLING,
	AGENT_STATE_INSTALLED,     /* reboot pending */
	AGENT_STATE_TRIAL,         /* booted the new slot once; awaiting commit */
	AGENT_STATE_COMMITTED,
	AGENT_STATE_FAILED,
	AGENT_STATE_ROLLED_BACK,
};
/* "idle", "verifying", "installing", "installed", "trial", "committed",
 * "failed", "rolled_back". */
const char *state_name(enum agent_state s);
bool state_is_at_rest(enum agent_state s);
/* The transitions state_apply accepts (staying in the same state is always
 * allowed: a record about the current state). */
bool state_transition_allowed(enum agent_state from, enum agent_state to);

/* The transaction in progress (one at a time). Strings may be NULL. */
struct state_txn {
	char *bundle, *version, *variant;
	int64_t security_version;
	char *target_slot;         /* slot being installed ("a"/"b"), NULL if none */
	char *previous_slot;       /* the good slot to go back to */
	char *started;             /* RFC 3339, filled by state_apply */
	char *usb_serial, *media_label;
	char *detail;              /* free JSON text for the orchestrator (bundle path…) */
	char *usb_vendor, *usb_product;   /* the stick's USB ids (schema 2) */
	char *security_targets;    /* JSON array of the targets it writes
	                            * (common/antirollback.h; schema 2; NULL: every target) */
};
void state_txn_clear(struct state_txn *t);

/* Progress of one payload of the current transaction: enough to resume or
 * clean up after a crash. Not audited (it is bookkeeping inside "installing"). */
struct state_progress {
	char *payload;             /* payload name, unique within the transaction */
	char *handler;
	char *phase;               /* handler-defined: "writing", "written", "verified"… */
	uint64_t offset;           /* bytes (or frames) done */
	char *data;                /* handler-defined text (JSON), may be NULL */
};
void state_progress_clear(struct state_progress *p);

/* Everything one state_apply may change; zero-initialise and set what applies. */
struct state_change {
	bool set_state;
	enum agent_state state;
	const struct state_txn *begin_txn;   /* becomes the current transaction (old progress dropped) */
	bool clear_txn;                      /* ends the transaction and its progress */
	const char *installed_name;          /* with installed_version: record a version */
	const char *installed_version;
	int64_t security_version;            /* > 0: raise the highest, and that of every target
	                                      * the transaction writes, to at least this */
	int64_t policy_serial;               /* > 0: the adopted policy's serial */
	bool new_boot;                       /* boot count + 1, remember boot_id */
	const char *boot_id;
};

struct state;

/* Opens (creating) <state_dir>/agent.db for device_id. On creation seeds the
 * installed versions from seed (device.installed of agent.json). A database
 * of another device or of a newer schema is refused. */
bool state_open(const char *state_dir, const char *device_id, const struct agent_kv *seed,
		size_t n_seed, struct state **out, struct ferry_error **err);
/* state_open from a loaded config. */
bool state_open_config(const struct agent_config *c, struct state **out, struct ferry_error **err);
void state_close(struct state *s);

/* Applies change (may be all zero) and appends the record ev in one
 * transaction. ev is the record (common/auditlog.h) as the caller knows it:
 * event and result required, seq, prev, time, boot and device filled in here
 * (whatever ev holds there), detail and the stick's strings bounded. ev is
 * required unless the change is only a new boot. *seq_out (optional) gets
 * the record's seq (0 if none). */
bool state_apply(struct state *s, const struct state_change *change,
		 const struct auditlog_fields *ev, uint64_t *seq_out, struct ferry_error **err);
/* An audit record with no state change. */
bool state_record(struct state *s, const struct auditlog_fields *ev, uint64_t *seq_out,
		  struct ferry_error **err);

/* Saves (replaces) one payload's progress of the current transaction. */
bool state_progress_set(struct state *s, const struct state_progress *p, struct ferry_error **err);
/* *found says whether payload has saved progress; out is filled when it has. */
bool state_progress_get(struct state *s, const char *payload, struct state_progress *out,
			bool *found, struct ferry_error **err);

struct state_info {
	enum agent_state state;
	int64_t boot_count;
	char boot_id[64];                    /* "" before the first boot */
	int64_t security_version;            /* highest installed, 0 if none */
	int64_t policy_serial;               /* 0 if none adopted yet */
	uint64_t last_seq;                   /* 0: no record yet */
	char last_hash[SHA256_HEX_LEN + 1];  /* prev of the next record */
	uint64_t exported_seq;               /* highest seq written to a stick */
	uint64_t first_seq;                  /* lowest seq still held (0: none) */
	bool has_txn;
	struct state_txn txn;                /* when has_txn */
};
bool state_get(struct state *s, struct state_info *out, struct ferry_error **err);
void state_info_clear(struct state_info *i);
const char *state_device(const struct state *s);

/* The highest security_version per target (common/antirollback.h), sorted
 * by target; caller frees with security_floors_free. */
bool state_security_floors(struct state *s, struct security_floor **out, size_t *n,
			   struct ferry_error **err);
/* Fills ev's stick fields (serial, label, USB ids) from the transaction in
 * info (borrowed): a record written after a restart names the stick the
 * transaction came from. Nothing without a transaction. */
void state_media_from_txn(struct auditlog_fields *ev, const struct state_info *info);

/* Installed versions, sorted by name (caller frees with state_kv_free). */
bool state_installed(struct state *s, struct agent_kv **out, size_t *n, struct ferry_error **err);
void state_kv_free(struct agent_kv *kv, size_t n);
/* *version is NULL when name is not installed (caller frees). */
bool state_installed_version(struct state *s, const char *name, char **version,
			     struct ferry_error **err);

/* Consecutive record lines (without "\n"). */
struct state_records {
	char **lines;
	size_t n;
	uint64_t first_seq, last_seq;
};
void state_records_clear(struct state_records *r);
/* Up to max records with seq > after_seq, in order (max 0: all). */
bool state_records_after(struct state *s, uint64_t after_seq, size_t max,
			 struct state_records *out, struct ferry_error **err);
/* The records HQ has not acknowledged yet (seq above the last valid ack),
 * oldest first, as many as fit in max_bytes of lines with their newlines
 * (at least one when there is any): every export carries them all again
 * until an ack arrives, so a lost stick delays records, never loses them. */
bool state_records_unacked(struct state *s, size_t max_bytes, struct state_records *out,
			   struct ferry_error **err);
/* The last n records (for status). */
bool state_records_last(struct state *s, size_t n, struct state_records *out, struct ferry_error **err);
/* Remembers that every record up to seq is safely on a stick. */
bool state_mark_exported(struct state *s, uint64_t seq, struct ferry_error **err);
/* Deletes exported records up to seq (HQ acknowledged them) and remembers
 * seq as acknowledged; the newest record is always kept so that the chain
 * continues. *pruned (optional)
 * gets how many were deleted. */
bool state_prune(struct state *s, uint64_t seq, uint64_t *pruned, struct ferry_error **err);

#endif
