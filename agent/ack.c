/* ack: verify HQ's acknowledgement and prune what it covers (see ack.h).
 * The signature is checked on the exact bytes before they are parsed; the
 * policy decides whether the signer may speak for HQ. */
#include "agent/ack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/state.h"
#include "common/json.h"
#include "common/pgp.h"
#include "common/policy.h"
#include "common/rfc3339.h"
#include "common/safefile.h"
#include "common/signedfile.h"

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
	static const char *const keys[] = { "format", "device", "seq", "issued", NULL };
	json_t *root = NULL;
	struct json_path p;
	const char *device = NULL, *issued = NULL;
	int64_t format = 0, n = 0;
	bool ok = false;
	json_path_root(&p, path);
	if (!json_parse_strict(data, len, path, &root, err) || !json_check_keys(root, &p, keys, err) ||
	    !json_get_int(root, &p, "format", true, 1, 1, &format, err) ||
	    !json_get_string(root, &p, "device", true, &device, err) ||
	    !json_get_int(root, &p, "seq", true, 1, INT64_MAX, &n, err) ||
	    !json_get_string(root, &p, "issued", true, &issued, err))
		goto out;
	if (!rfc3339_valid_utc(issued)) {
		json_path_error(err, &p, "issued: must be RFC 3339 UTC");
		goto out;
	}
	if (strcmp(device, device_id) != 0) {
		ferry_error_set(err, "%s: acknowledges device '%s', this is '%s'", path, device, device_id);
		goto out;
	}
	*seq = (uint64_t)n;
	ok = true;
out:
	json_decref(root);
	return ok;
}

bool ack_verify(struct pgp *pgp, const struct policy *policy, const char *device_id,
		const char *device_type, const char *path, time_t now, uint64_t *seq,
		struct ferry_error **err)
{
	bool ok = false;
	char *data = NULL;
	size_t len = 0;
	struct pgp_verify_result vr = { 0 };
	struct policy_verdict v = { 0 };
	if (!signedfile_read(pgp, path, ACK_MAX_BYTES, &data, &len, &vr, err))
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
	char *path = NULL, name[128];
	struct state_info info;
	struct stat sb;
	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	snprintf(name, sizeof(name), ACK_DIR "/%s.json", state_device(st));
	if (!path_join(ferry_dir, name, &path, err))
		return false;
	if (stat(path, &sb) != 0) {
		ok = errno == ENOENT || ferry_error_errno(err, errno, "%s", path);
		goto out;
	}
	out->found = true;
	if (!ack_verify(pgp, policy, state_device(st), device_type, path, now, &out->seq, err) ||
	    !state_get(st, &info, err))
		goto out;
	if (out->seq > info.exported_seq) {
		ferry_error_set(err, "%s: acknowledges seq %llu, but this device exported only up to %llu",
				path, (unsigned long long)out->seq, (unsigned long long)info.exported_seq);
		goto out;
	}
	ok = state_prune(st, out->seq, &out->pruned, err);
out:
	state_info_clear(&info);
	free(path);
	return ok;
}
