/* ingest: verifying one device's files from a stick against the registry and
 * the database, and storing them. Promises: nothing from a file is stored
 * unless its signature is by the device's registered key, its chain verifies
 * and continues what the database holds (no gap, no fork); a file is stored
 * in one transaction; a file already imported changes nothing. */
#ifndef FERRY_AUDIT_INGEST_H
#define FERRY_AUDIT_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/db.h"
#include "common/error.h"

struct pgp;

struct ingest_result {
	int64_t records_new, records_known;
	uint64_t first_seq, last_seq;
	char media_serial[128], media_label[128];   /* from the file's last record, "" if none */
};

/* The files below are opened as the last component of path in the open
 * folder dirfd (a returned stick's, common/stick.h: never by a path looked
 * up again), or by path with AT_FDCWD; path names them in messages. */
const char *ingest_name_in(int dirfd, const char *path);

/* Imports the export file path of the registered device dev. false: refused,
 * *err says why (the caller journals it); the database is unchanged. */
bool ingest_export(struct audit_db *db, struct pgp *pgp, const struct audit_device *dev,
		   int dirfd, const char *path, struct ingest_result *res, struct ferry_error **err);

/* How far (seconds) an inventory's time may be ahead of HQ's clock. */
#define INGEST_FUTURE_TOLERANCE (24 * 3600)
/* Imports dir's inventory.json (+ .sig) of the registered device dev. *applied
 * is false when the database already holds an inventory at least as new. A
 * time more than INGEST_FUTURE_TOLERANCE ahead of now is refused
 * (FERRY_E_FORMAT): it would make every later inventory look older. */
bool ingest_inventory(struct audit_db *db, struct pgp *pgp, const struct audit_device *dev,
		      int dirfd, const char *path, const char *now, bool *applied,
		      struct ferry_error **err);

/* Imports a failure log excerpt (ferry/audit/<device>/logs/<seq>.zst + .sig;
 * ingest_logs.c) of the registered device dev: signed by its key, within
 * the caps of common/faillog.h, and the one its imported record seq names by
 * SHA-256. *applied is false when it is stored already. */
bool ingest_failure_log(struct audit_db *db, struct pgp *pgp, const struct audit_device *dev,
			int dirfd, const char *path, int64_t seq, const char *now, bool *applied,
			struct ferry_error **err);

#endif
