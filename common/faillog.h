/* faillog: the failure log excerpt as it travels from a device to HQ — one
 * zstd frame of text, named "<sha256>.zst" by the SHA-256 of its bytes, at
 * most FAILLOG_MAX bytes, expanding to at most FAILLOG_TEXT_MAX. The device
 * keeps them (agent/faillog_store.h), exports them signed beside its audit
 * export, HQ verifies and stores them (docs/formats.md §6). Promises: a
 * decoded excerpt matched its hash and both caps. */
#ifndef FERRY_FAILLOG_H
#define FERRY_FAILLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "sha256.h"

#define FAILLOG_MAX (64 * 1024)              /* compressed bytes of one excerpt */
#define FAILLOG_TEXT_MAX (1024 * 1024)       /* text a reader decompresses at most */
#define FAILLOG_SUFFIX ".zst"
#define FAILLOG_NAME_LEN (SHA256_HEX_LEN + sizeof FAILLOG_SUFFIX - 1)

/* True when name is "<64 lowercase hex>.zst"; sha (may be NULL) receives
 * the hash part. */
bool faillog_name_parse(const char *name, char sha[SHA256_HEX_LEN + 1]);

/* Checks that bytes are an excerpt whose SHA-256 is sha, at most FAILLOG_MAX
 * bytes, decompressing to at most FAILLOG_TEXT_MAX bytes; *text receives
 * the NUL-terminated text (caller frees; may be NULL to only check).
 * Errors are classified integrity (hash), unsafe (a cap) or format (not zstd). */
bool faillog_decode(const void *bytes, size_t len, const char *sha, char **text,
		    struct ferry_error **err);

#endif
