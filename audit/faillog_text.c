/* faillog_text: see faillog_text.h. */
#include "audit/faillog_text.h"

#include <stdlib.h>
#include <string.h>

#include "common/auditlog.h"
#include "common/faillog.h"

/* The record's "log" hash, or an error saying the record names none. */
static bool named_log(struct audit_db *db, const char *device, int64_t seq,
		      char sha[SHA256_HEX_LEN + 1], struct ferry_error **err)
{
	char *line = NULL;
	bool found = false, ok = false;
	struct auditlog_record r = { 0 };
	if (!audit_db_record_line(db, device, seq, &line, &found, err))
		return false;
	if (!found)
		ferry_error_setc(err, FERRY_E_STATE, "no record %lld of device '%s' imported",
				 (long long)seq, device);
	else if (auditlog_line_parse(line, strlen(line), &r, err) && !r.f.log)
		ferry_error_setc(err, FERRY_E_STATE, "record %lld of '%s' (%s) names no failure log",
				 (long long)seq, device, r.f.event);
	else if (r.f.log) {
		memcpy(sha, r.f.log, SHA256_HEX_LEN + 1);
		ok = true;
	}
	auditlog_record_clear(&r);
	free(line);
	return ok;
}

bool faillog_text_get(struct audit_db *db, const char *device, int64_t seq, char **text,
		      char sha_out[SHA256_HEX_LEN + 1], struct ferry_error **err)
{
	char sha[SHA256_HEX_LEN + 1];
	struct audit_failure_log l = { 0 };
	bool found = false, ok = false;
	*text = NULL;
	if (!named_log(db, device, seq, sha, err) ||
	    !audit_db_failure_log_get(db, device, seq, &l, &found, err))
		goto out;
	if (!found) {
		ferry_error_setc(err, FERRY_E_STATE, "record %lld of '%s' names failure log %.12s, "
				 "not imported (yet: it travels beside the record's export; the device "
				 "may have dropped it under its cap)", (long long)seq, device, sha);
		goto out;
	}
	if (!faillog_decode(l.data, l.len, sha, text, err))
		goto out;
	if (sha_out)
		memcpy(sha_out, sha, sizeof(sha));
	ok = true;
out:
	free(l.data);
	return ok;
}
