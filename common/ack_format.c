/* ack_format: see ack_format.h. */
#include "ack_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditlog.h"
#include "json.h"
#include "rfc3339.h"

static const char *const ack_keys[] = { "format", "device", "seq", "issued", NULL };

static bool check(const struct ack_doc *a, const char *name, struct ferry_error **err)
{
	if (!auditlog_device_id_valid(a->device))
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: device: '%s' is not a valid device id",
					name, a->device);
	if (a->seq == 0 || a->seq > INT64_MAX)
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: seq: must be a positive integer", name);
	if (!rfc3339_valid_utc(a->issued))
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: issued: must be RFC 3339 UTC", name);
	return true;
}

bool ack_format_serialize(const struct ack_doc *a, char **text, struct ferry_error **err)
{
	*text = NULL;
	if (!check(a, "ack", err))
		return false;
	json_t *o = json_pack("{s:i, s:s, s:I, s:s}", "format", ACK_FORMAT, "device", a->device,
			      "seq", (json_int_t)a->seq, "issued", a->issued);
	*text = o ? json_dump_canonical(o) : NULL;
	json_decref(o);
	return *text ? true : ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
}

bool ack_format_parse(const char *data, size_t len, const char *name, struct ack_doc *out,
		      struct ferry_error **err)
{
	json_t *root = NULL;
	struct json_path p;
	const char *device = NULL, *issued = NULL;
	int64_t seq = 0;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	json_path_root(&p, name);
	if (!json_parse_strict(data, len, name, &root, err) ||
	    !json_get_format(root, &p, true, ACK_FORMAT, &out->format, err) ||
	    !json_get_string(root, &p, "device", true, &device, err) ||
	    !json_get_int(root, &p, "seq", true, 1, INT64_MAX, &seq, err) ||
	    !json_get_string(root, &p, "issued", true, &issued, err))
		goto out;
	if (strlen(device) >= sizeof(out->device) || strlen(issued) >= sizeof(out->issued)) {
		ferry_error_setc(err, FERRY_E_FORMAT, "%s: device or issued too long", name);
		goto out;
	}
	snprintf(out->device, sizeof(out->device), "%s", device);
	snprintf(out->issued, sizeof(out->issued), "%s", issued);
	out->seq = (uint64_t)seq;
	out->n_unknown = json_count_unknown(root, ack_keys);
	ok = check(out, name, err);
out:
	if (!ok) {
		ferry_error_classify(err, FERRY_E_FORMAT);
		memset(out, 0, sizeof(*out));
	}
	json_decref(root);
	return ok;
}
