/* verify_pool: export files verified ahead of the importer, in worker
 * threads (ingest_export_verify: signature, chain, one parse).
 * Each worker has its own GPGME context on the same home directory, and all
 * share one snapshot of its keyring taken at start (common/pgp_quick.h:
 * device signatures checked in-process, anything else by GPGME); results
 * are taken in the order the files were added, and workers never run more
 * than a window of files ahead of the taker, so memory stays bounded by the
 * window (each file at most AUDITLOG_EXPORT_MAX and its rows). */
#ifndef FERRY_AUDIT_VERIFY_POOL_H
#define FERRY_AUDIT_VERIFY_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/ingest.h"
#include "common/error.h"

struct verify_pool;

/* Starts workers (0: one per online CPU, at most VERIFY_POOL_MAX) with
 * contexts on homedir. */
#define VERIFY_POOL_MAX 8
bool verify_pool_start(const char *homedir, size_t workers, struct verify_pool **out,
		       struct ferry_error **err);
/* Queues path (opened in the folder dirfd: ingest_export_verify) of the
 * registered device dev (id and fingerprint copied); dirfd must stay open
 * until the file is taken or the pool stopped. */
bool verify_pool_add(struct verify_pool *vp, const struct audit_device *dev, int dirfd,
		     const char *path, struct ferry_error **err);
/* Waits for the oldest file not taken yet, which must be path, and hands
 * over its verified export (*x, caller clears) or why it was refused (false,
 * *err). Call it once per file added, in order; a caller that lost the order
 * gets FERRY_E_INTERNAL for every file, never another file's records. */
bool verify_pool_take(struct verify_pool *vp, const char *path, struct ingest_export *x,
		      struct ferry_error **err);
/* Stops the workers (files not taken are dropped) and frees the pool. */
/* The keyring snapshot the workers check signatures with (pgp_quick.h),
 * for the importer's own checks of the same stick; lives until stop. */
struct pgp_quick;
const struct pgp_quick *verify_pool_quick(const struct verify_pool *vp);
void verify_pool_stop(struct verify_pool *vp);

#endif
