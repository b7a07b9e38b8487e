/* auditlog: the audit record format and its exports (contract C3), shared by
 * the agent (writes) and HQ (reads). Owns: building a record's canonical line,
 * hashing it, verifying a hash chain (a missing, altered, reordered or foreign
 * record is always reported, naming the line), export file names, and signed
 * export files on a stick (auditlog_export.c, through pgp.h).
 * Versioned (docs/formats.md): a record carries "format": its major version.
 * A reader accepts fields it does not know in a record of its major version
 * (devices may be upgraded before HQ) and refuses a newer major, saying so. */
#ifndef FERRY_AUDITLOG_H
#define FERRY_AUDITLOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sha256.h"

/* prev of the record with seq 1. */
#define AUDITLOG_GENESIS_PREV "0000000000000000000000000000000000000000000000000000000000000000"
/* A device id must fit FAT file names: [a-z0-9][a-z0-9._-]*, at most this long
 * (so that "<id>.<8 digits>-<8 digits>.jsonl.sig" stays within 64 bytes). */
#define AUDITLOG_DEVICE_ID_MAX 36
/* The rule in words, for every message that refuses an id (provision,
 * agent.json, register, import): one rule, one wording. */
#define AUDITLOG_DEVICE_ID_RULE "1-36 of [a-z0-9._-], starting with a letter or digit"
/* Longest line a reader accepts (records are small; detail is bounded). */
#define AUDITLOG_LINE_MAX 65536
/* The major version of the record format this code writes and reads. A
 * record without "format" (written before the field existed) is format 1. */
#define AUDITLOG_FORMAT 1
/* Largest export file a reader accepts. */
#define AUDITLOG_EXPORT_MAX (64u * 1024 * 1024)

/* The fields of one record. Strings that are NULL are omitted from the line
 * (never written as null). detail, when set, must be an object (borrowed). */
struct auditlog_fields {
	uint64_t seq;                 /* from 1 */
	const char *prev;             /* 64 hex: sha256 of the previous line */
	const char *time;             /* RFC 3339 UTC, "2026-11-27T09:42:08Z" */
	int64_t boot;                 /* the device's boot count */
	const char *device;
	const char *event;            /* "install.finished", "boot.committed", … */
	const char *bundle;
	const char *version;
	const char *result;           /* success | failure | refused | info */
	const char *code;             /* ferry_code_name() of a failure's reason, or NULL */
	const char *usb_serial;       /* media.usb_serial */
	const char *media_label;      /* media.label */
	const char *usb_vendor;       /* media.usb_vendor: idVendor, 4 hex digits (format 1, minor) */
	const char *usb_product;      /* media.usb_product: idProduct, 4 hex digits (format 1, minor) */
	const json_t *detail;         /* an object or NULL */
	const char *log;              /* SHA-256 of the failure log excerpt, or NULL */
	const char *order;            /* the work order of the run (format 1, minor), or NULL */
	const char *technician;       /* that order's technician id (format 1, minor), or NULL */
};

/* True for a device id usable in audit paths (see AUDITLOG_DEVICE_ID_MAX). */
bool auditlog_device_id_valid(const char *id);
/* True for one of the four result words. */
bool auditlog_result_valid(const char *result);

/* Formats t (seconds since the epoch) as RFC 3339 UTC into out[21]
 * (rfc3339_format_utc under the name records use). */
void auditlog_format_time(int64_t t, char out[21]);

/* Builds the canonical line (no trailing newline) after checking the fields;
 * caller frees *line. */
bool auditlog_line_build(const struct auditlog_fields *f, char **line, struct ferry_error **err);
/* sha256 hex of exactly len bytes of the line (without its newline). */
void auditlog_line_hash(const char *line, size_t len, char out[SHA256_HEX_LEN + 1]);

/* One parsed record: the fields the writer took, strings and detail pointing
 * into *json (valid while it lives). */
struct auditlog_record {
	json_t *json;                 /* owned: auditlog_record_clear releases it
				       * (auditlog_line_read: the detail only) */
	char *text;                   /* owned: the strings auditlog_line_read took */
	struct auditlog_fields f;
	int64_t format;               /* the record's major version (1 when absent) */
	size_t n_unknown;             /* fields of a newer minor version, kept in json */
};
/* Parses one line: known fields of the right types, unknown fields of the
 * same major version kept as data (counted in n_unknown), a newer major
 * refused (FERRY_E_FORMAT, naming both versions), and the line must be the
 * canonical serialization of what it holds (no other spelling hashes alike). */
bool auditlog_line_parse(const char *line, size_t len, struct auditlog_record *out,
			 struct ferry_error **err);
/* auditlog_line_parse without the canonical check: for a line that
 * auditlog_chain_verify has accepted already (HQ's import stores from it). */
bool auditlog_line_fields(const char *line, size_t len, struct auditlog_record *out,
			  struct ferry_error **err);
/* auditlog_line_parse's verdict, fields, code and message, from one pass
 * over the bytes when the line allows (auditlog_read.c): then r->json holds
 * the detail only, not the whole record. What chain verification reads. */
bool auditlog_line_read(const char *line, size_t len, struct auditlog_record *out,
			struct ferry_error **err);
/* The checks of the fields' spelling that both readers make: prev, time,
 * device, event and result present, each field well formed. */
bool auditlog_fields_well_formed(const struct auditlog_fields *f);
void auditlog_record_clear(struct auditlog_record *r);

/* What a verified chain holds. */
struct auditlog_chain {
	size_t n;                                /* records */
	uint64_t first_seq, last_seq;
	char first_prev[SHA256_HEX_LEN + 1];
	char last_hash[SHA256_HEX_LEN + 1];      /* the prev the next record must carry */
};
/* Verifies a chain given as a buffer of lines, each ending in "\n" (an export
 * file's bytes). Every record must belong to device; seqs consecutive; each
 * prev the hash of the line before; a record with seq 1 has the genesis prev;
 * when expected_prev is not NULL, the first record's prev must equal it (the
 * hash of the last record the reader already holds). name is used in messages
 * ("<name>: line 3 (seq 44): …"). An empty buffer is an error. */
bool auditlog_chain_verify(const char *data, size_t len, const char *name, const char *device,
			   const char *expected_prev, struct auditlog_chain *out,
			   struct ferry_error **err);
/* Called for each record auditlog_chain_verify has accepted, in order, with
 * the line (n bytes, no newline) and its hash; r lives for the call only
 * (read by auditlog_line_read: r->f, not r->json, holds the record).
 * false stops the verification (the callback filled *err). */
typedef bool (*auditlog_record_cb)(const struct auditlog_record *r, const char *line, size_t n,
				   const char hash[SHA256_HEX_LEN + 1], void *ctx,
				   struct ferry_error **err);
/* auditlog_chain_verify that hands every accepted record to cb (a reader
 * that stores records parses each line once). */
bool auditlog_chain_verify_each(const char *data, size_t len, const char *name,
				const char *device, const char *expected_prev,
				struct auditlog_chain *out, auditlog_record_cb cb, void *ctx,
				struct ferry_error **err);

/* "<device>.<first>-<last>.jsonl" with 8-digit zero-padded seqs into out. */
bool auditlog_export_name(const char *device, uint64_t first, uint64_t last, char *out,
			  size_t out_size, struct ferry_error **err);
/* Parses a base name made by auditlog_export_name; device_out holds
 * AUDITLOG_DEVICE_ID_MAX + 1 bytes. A ".sig" name is not an export name. */
bool auditlog_export_name_parse(const char *name, char *device_out, uint64_t *first,
				uint64_t *last, struct ferry_error **err);

/* --- bounds on what a device writes (auditlog_bound.c) --- */
/* Longest string kept in a record's detail (bytes), items kept per array or
 * object, nesting kept, and the largest detail serialized: whatever a stick
 * or a bundle carries, a record stays far below AUDITLOG_LINE_MAX. */
#define AUDITLOG_STRING_MAX 1024
#define AUDITLOG_DETAIL_ITEMS_MAX 32
#define AUDITLOG_DETAIL_DEPTH_MAX 4
#define AUDITLOG_DETAIL_MAX 16384
/* What a failure record keeps of a hook, script or module output: its end. */
#define AUDITLOG_LOG_TAIL_MAX 900
/* A copy of s of at most max bytes (cut on a UTF-8 boundary, the cut marked
 * "…[N bytes cut]"); sets *cut when it cut. NULL when out of memory; caller
 * frees. */
char *auditlog_string_bound(const char *s, size_t max, bool *cut);
/* The last max bytes of s (a program's output: its end says why it failed),
 * control characters and bytes that are not UTF-8 shown as escapes
 * (common/visible.h), "[… N bytes cut] " first when some were cut. NULL when
 * out of memory; caller frees. */
char *auditlog_tail_bound(const char *s, size_t max);
/* A bounded copy of the object detail: strings, arrays and objects capped as
 * above, too-deep nesting replaced, and if still larger than
 * AUDITLOG_DETAIL_MAX only its "reason"; "truncated": true says something
 * was cut. New reference, NULL when out of memory. */
json_t *auditlog_detail_bound(const json_t *detail);

/* --- signed files on a stick (auditlog_export.c, needs pgp.c) --- */
struct pgp;

/* Writes path and path + ".sig" (binary detached signature by key fpr over
 * the exact bytes) atomically: the data file first, then its signature. A
 * reader treats a file without a valid signature as absent. */
bool auditlog_write_signed(const char *path, const void *data, size_t len, struct pgp *pgp,
			   const char *fpr, struct ferry_error **err);
/* The same for name in the open folder dirfd (a stick's, common/stick.h):
 * created, renamed and synced through dirfd; path names it in messages. */
bool auditlog_write_signed_at(int dirfd, const char *name, const char *path, const void *data,
			      size_t len, struct pgp *pgp, const char *fpr, struct ferry_error **err);
/* Writes the export of n lines (each without "\n") into dir (created if
 * missing) under auditlog_export_name; the lines must form a chain of device.
 * *path_out (optional, caller frees) is the data file written. */
bool auditlog_export_write(const char *dir, const char *device, char *const *lines, size_t n,
			   struct pgp *pgp, const char *fpr, char **path_out,
			   struct ferry_error **err);
/* auditlog_export_write into the open folder dirfd whose path is dir
 * (created by the caller: common/stick.h). */
bool auditlog_export_write_at(int dirfd, const char *dir, const char *device, char *const *lines,
			      size_t n, struct pgp *pgp, const char *fpr, char **path_out,
			      struct ferry_error **err);
/* Reads an export file and its ".sig", checks that exactly one signature is
 * valid and was made by the key with full fingerprint device_fpr, that the
 * name parses, that the chain verifies (auditlog_chain_verify with
 * expected_prev) and that its seqs and device match the name.
 * On success *data and *len hold the verified bytes (caller frees *data). */
bool auditlog_export_read(const char *path, struct pgp *pgp, const char *device_fpr,
			  const char *expected_prev, char **data, size_t *len,
			  struct auditlog_chain *chain, struct ferry_error **err);
/* auditlog_export_read of name in the open folder dirfd (a returned stick's
 * ferry/audit/<device>/); path names it in messages. */
bool auditlog_export_read_at(int dirfd, const char *name, const char *path, struct pgp *pgp,
			     const char *device_fpr, const char *expected_prev, char **data,
			     size_t *len, struct auditlog_chain *chain, struct ferry_error **err);
/* auditlog_export_read_at that hands every record of the verified chain to cb
 * (auditlog_chain_verify_each; lines point into *data); cb runs only after
 * the signature verified. */
bool auditlog_export_read_each_at(int dirfd, const char *name, const char *path,
				  struct pgp *pgp, const char *device_fpr,
				  const char *expected_prev, char **data, size_t *len,
				  struct auditlog_chain *chain, auditlog_record_cb cb, void *ctx,
				  struct ferry_error **err);

#endif
