/* ingest_logs: a failure log excerpt from a stick into the HQ database.
 * Promises: stored only when signed by the registered device's key, within
 * the caps of common/faillog.h, and its SHA-256 is the one the device's
 * already imported record <seq> names in its "log" field. */
#include "audit/ingest.h"

#include <stdlib.h>
#include <string.h>

#include "common/auditlog.h"
#include "common/faillog.h"
#include "common/signedfile.h"

/* The "log" field of the stored record dev/seq, into sha. */
static bool record_log_sha(struct audit_db *db, const char *device, int64_t seq,
			   char sha[SHA256_HEX_LEN + 1], const char *path, struct ferry_error **err)
{
	char *line = NULL;
	bool found = false, ok = false;
	struct auditlog_record r = { 0 };
	if (!audit_db_record_line(db, device, seq, &line, &found, err))
		return false;
	if (!found) {
		ferry_error_setc(err, FERRY_E_STATE, "%s: record %lld of '%s' not imported (import its "
				 "export first)", path, (long long)seq, device);
		goto out;
	}
	if (!auditlog_line_parse(line, strlen(line), &r, err))
		goto out;
	if (!r.f.log) {
		ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: record %lld of '%s' names no failure log",
				 path, (long long)seq, device);
		goto out;
	}
	memcpy(sha, r.f.log, SHA256_HEX_LEN + 1);
	ok = true;
out:
	auditlog_record_clear(&r);
	free(line);
	return ok;
}

bool ingest_failure_log(struct audit_db *db, struct pgp *pgp, const struct audit_device *dev,
			int dirfd, const char *path, int64_t seq, const char *now, bool *applied,
			struct ferry_error **err)
{
	char *data = NULL, sha[SHA256_HEX_LEN + 1];
	size_t len = 0;
	bool ok = false, found = false;
	struct audit_failure_log have = { 0 };
	*applied = false;
	if (!signedfile_read_by_at(pgp, dirfd, ingest_name_in(dirfd, path), path, FAILLOG_MAX,
				   dev->fingerprint, "the device key", &data, &len, err) ||
	    !record_log_sha(db, dev->id, seq, sha, path, err))
		goto out;
	if (!faillog_decode(data, len, sha, NULL, err)) {
		ferry_error_prefix(err, "%s", path);
		goto out;
	}
	if (!audit_db_failure_log_get(db, dev->id, seq, &have, &found, err))
		goto out;
	if (found) {
		ok = true;
		goto out;
	}
	struct audit_failure_log l = { .device = dev->id, .seq = seq, .data = data, .len = len };
	memcpy(l.sha256, sha, sizeof sha);
	if (!audit_db_begin(db, err))
		goto out;
	if (!audit_db_failure_log_put(db, &l, now, err) || !audit_db_commit(db, err)) {
		audit_db_rollback(db);
		goto out;
	}
	*applied = true;
	ok = true;
out:
	free(have.data);
	free(data);
	return ok;
}
