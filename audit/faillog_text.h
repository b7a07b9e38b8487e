/* faillog_text: the text of the failure log excerpt a stored record names,
 * read from the HQ database, checked again against the record's hash and
 * decoded. One reader for `ferry-audit logs` and the HTML report. */
#ifndef FERRY_AUDIT_FAILLOG_TEXT_H
#define FERRY_AUDIT_FAILLOG_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/db.h"
#include "common/sha256.h"

/* *text: the decoded excerpt of record device/seq (caller frees); sha (may
 * be NULL) its hash. Errors (FERRY_E_STATE) say when the record names none
 * or its excerpt was not imported. */
bool faillog_text_get(struct audit_db *db, const char *device, int64_t seq, char **text,
		      char sha[SHA256_HEX_LEN + 1], struct ferry_error **err);

#endif
