/* faillog_store: the device's failure log excerpts (common/faillog.h).
 * Each failed install, failed health check, rollback and fall-back may keep
 * one excerpt in
 * <state_dir>/logs/<sha256>.zst — the failing step's output, the tail of the
 * agent's own log and the site's diagnostics hooks' output, zstd-compressed.
 * Promises: an excerpt never exceeds FAILLOG_MAX compressed bytes (the
 * oldest text is cut first), its name is the SHA-256 of its bytes (what the
 * audit record's "log" field holds), and the directory never holds more than
 * the total cap: the oldest excerpts are dropped first. */
#ifndef FERRY_AGENT_FAILLOG_STORE_H
#define FERRY_AGENT_FAILLOG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/faillog.h"
#include "common/sha256.h"

#define FAILLOG_TOTAL_MAX (1024 * 1024)      /* default cap of the directory */

/* What one excerpt holds; any part may be NULL or empty. */
struct faillog_parts {
	const char *what;          /* one line: "install.failed: payload rootfs: …" */
	const char *step_output;   /* the failing script, module or hook output */
	const char *agent_tail;    /* the tail of the agent's own log */
	const char *diagnostics;   /* output of <hooks_dir>/diagnostics.d/ */
};

/* Composes, compresses and stores the excerpt in dir (created), then drops
 * the oldest excerpts until the directory holds at most total_max bytes
 * (0: FAILLOG_TOTAL_MAX); the new one is never dropped. sha_out receives the
 * excerpt's SHA-256 (lowercase hex). */
bool faillog_keep(const char *dir, const struct faillog_parts *parts, size_t total_max,
		  char sha_out[SHA256_HEX_LEN + 1], struct ferry_error **err);

#endif
