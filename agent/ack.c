/* ack: verify HQ's acknowledgement and prune what it covers (see ack.h).
 * The signature is checked on the exact bytes before they are parsed; the
 * policy decides whether the signer may speak for HQ. */
#include "agent/ack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/state.h"
#include "common/ack_format.h"
#include "common/pgp.h"
#include "common/policy.h"
#include "common/safefile.h"
#include "common/signedfile.h"
#include "common/stick.h"

/* Every reason of a refused verdict, on one line. */
static bool verdict_error(const struct policy_verdict *v, const char *path, struct ferry_error **err)
{
	char *why = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&why, &len);
	for (size_t i = 0; f && v->reasons && v->reasons[i]; i++)
		fprintf(f, "%s%s", i ? "; " : "", v->reasons[i]);
	if (f)
		fclose(f);
	ferry_error_set(err, "%s.sig: not signed by a key the policy names for role '%s'%s%s", path,
			ACK_ROLE, why && *why ? ": " : "", why ? why : "");
	free(why);
	return false;
}

bool ack_parse(const char *data, size_t len, const char *path, const char *device_id,
	       uint64_t *seq, struct ferry_error **err)
{
	struct ack_doc a;
	if (!ack_format_parse(data, len, path, &a, err))
		return false;
	if (strcmp(a.device, device_id) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: acknowledges device '%s', this is '%s'",
					path, a.device, device_id);
	*seq = a.seq;
	return true;
}

bool ack_verify(struct pgp *pgp, const struct policy *policy, const char *device_id,
		const char *device_type, int dirfd, const char *name, const char *path, time_t now,
		uint64_t *seq, struct ferry_error **err)
{
	bool ok = false;
	char *data = NULL;
	size_t len = 0;
	struct pgp_verify_result vr = { 0 };
	struct policy_verdict v = { 0 };
	if (!signedfile_read_at(pgp, dirfd, name, path, ACK_FORMAT_MAX, &data, &len, &vr, err))
		goto out;
	if (!policy_allows_role(policy, &vr, ACK_ROLE, device_type, now, &v)) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!v.allowed) {
		verdict_error(&v, path, err);
		goto out;
	}
	ok = ack_parse(data, len, path, device_id, seq, err);
out:
	policy_verdict_clear(&v);
	pgp_verify_result_clear(&vr);
	free(data);
	return ok;
}

bool ack_apply(struct state *st, struct pgp *pgp, const struct policy *policy,
	       const char *device_type, const char *ferry_dir, time_t now,
	       struct ack_result *out, struct ferry_error **err)
{
	bool ok = false;
	char *path = NULL, name[64];
	struct state_info info;
	struct stat sb;
	struct stick_dir dir;
	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	if (!stick_dir_open(ferry_dir, STICK_ACK, NULL, false, &dir, err))
		return false;
	if (dir.fd < 0) {
		stick_dir_close(&dir);
		return true;   /* no ack/ on this stick */
	}
	/* every open below goes through dir's fd: ack/ cannot be swapped meanwhile */
	if (!stick_ack_name(state_device(st), name, err) || !stick_dir_file(&dir, name, &path, err))
		goto out;
	if (fstatat(dir.fd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {   /* a link: refused below */
		ok = errno == ENOENT || ferry_error_errno(err, errno, "%s", path);
		goto out;
	}
	out->found = true;
	if (!ack_verify(pgp, policy, state_device(st), device_type, dir.fd, name, path, now,
			&out->seq, err) ||
	    !state_get(st, &info, err))
		goto out;
	if (out->seq > info.exported_seq) {
		ferry_error_set(err, "%s: acknowledges seq %llu, but this device exported only up to %llu",
				path, (unsigned long long)out->seq, (unsigned long long)info.exported_seq);
		goto out;
	}
	ok = state_prune(st, out->seq, &out->pruned, err);
out:
	stick_dir_close(&dir);
	state_info_clear(&info);
	free(path);
	return ok;
}
