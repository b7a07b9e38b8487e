/* export_logs: the failure log excerpts that the exported records name,
 * written beside them as ferry/audit/<device>/logs/<seq>.zst with a detached
 * signature by the device key. An excerpt already dropped by the device's
 * cap is skipped (its record still names the hash; HQ shows it as missing). */
#include "agent/export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/auditlog.h"
#include "common/faillog.h"
#include "common/log.h"
#include "common/safefile.h"
#include "common/stick.h"

/* The excerpt of one record, when it names one and the device still has it. */
static bool export_one(const struct agent_config *c, const char *top, const char *line,
		       struct pgp *p, const char *fpr, size_t *n, struct ferry_error **err)
{
	struct auditlog_record r;
	struct stick_dir dir = { .fd = -1 };
	char *src = NULL, *dst = NULL, *data = NULL, name[32];
	size_t len = 0;
	bool ok = false;
	if (!auditlog_line_parse(line, strlen(line), &r, err))
		return false;
	if (!r.f.log) {
		ok = true;
		goto out;
	}
	if (asprintf(&src, "%s/logs/%s" FAILLOG_SUFFIX, c->state_dir, r.f.log) < 0) {
		src = NULL;
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	if (access(src, F_OK) < 0 && errno == ENOENT) {
		log_warn("failure log of record %" PRIu64 " no longer kept (%s)", r.f.seq, src);
		ok = true;
		goto out;
	}
	ok = read_file_limited(src, FAILLOG_MAX, &data, &len, err) &&
	     faillog_decode(data, len, r.f.log, NULL, err) &&
	     stick_log_name(r.f.seq, name, err) &&
	     stick_dir_open(top, STICK_DEVICE_LOGS, c->device.id, true, &dir, err) &&
	     stick_dir_file(&dir, name, &dst, err) &&
	     auditlog_write_signed_at(dir.fd, name, dst, data, len, p, fpr, err);
	if (ok)
		(*n)++;
out:
	stick_dir_close(&dir);
	auditlog_record_clear(&r);
	free(src);
	free(dst);
	free(data);
	return ok;
}

bool agent_export_logs(const struct agent_config *c, const char *top, char *const *lines,
		       size_t n_lines, struct pgp *p, const char *fpr, size_t *n_out,
		       struct ferry_error **err)
{
	*n_out = 0;
	for (size_t i = 0; i < n_lines; i++)
		if (!export_one(c, top, lines[i], p, fpr, n_out, err)) {
			ferry_error_prefix(err, "failure logs");
			return false;
		}
	return true;
}
