/* ack_format: HQ's acknowledgement, ack/<device>.json on a stick (contract
 * C4, docs/formats.md §6): written by ferry-audit ack, signed by the HQ key,
 * read by the agent (agent/ack.c checks the signature and the policy first).
 * One writer and one strict parser. Versioned: "format" is the major version;
 * a reader keeps fields of a newer minor version as data and refuses a newer
 * major (FERRY_E_FORMAT): HQ may be upgraded before its devices. */
#ifndef FERRY_ACK_FORMAT_H
#define FERRY_ACK_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define ACK_FORMAT 1
#define ACK_FORMAT_MAX 4096   /* bytes a reader accepts */

struct ack_doc {
	char device[40];          /* the device id (auditlog_device_id_valid) */
	uint64_t seq;             /* every record up to it is imported at HQ */
	char issued[32];          /* RFC 3339 UTC */
	int64_t format;           /* parser: the document's major version */
	size_t n_unknown;         /* parser: fields of a newer minor version */
};

/* The canonical text (compact, keys sorted, no newline); caller frees. */
bool ack_format_serialize(const struct ack_doc *a, char **text, struct ferry_error **err);
/* Strict parse of len bytes (name for messages). */
bool ack_format_parse(const char *data, size_t len, const char *name, struct ack_doc *out,
		      struct ferry_error **err);

#endif
