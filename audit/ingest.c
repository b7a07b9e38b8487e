/* ingest: one device's export files and inventory into the HQ database.
 * Order of checks for an export: name and folder agree, signature by the
 * registered key and the chain (common/auditlog), continuation of the stored
 * chain (gap, fork), then one transaction that inserts the new records. */
#include "audit/ingest.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/auditlog.h"
#include "common/inventory.h"
#include "common/json.h"
#include "common/pgp.h"
#include "common/rfc3339.h"
#include "common/safefile.h"
#include "common/signedfile.h"

/* The reason a device gave for a failure or refusal, if it gave one:
 * detail.reason (or error, message), else the messages of detail.reasons
 * [{code, message}] joined with "; ". Caller frees. */
static char *record_reason(const json_t *detail)
{
	static const char *const keys[] = { "reason", "error", "message" };
	json_t *reasons, *r;
	char *joined = NULL;
	size_t len = 0, i;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = json_string_value(json_object_get(detail, keys[i]));
		if (v)
			return strdup(v);
	}
	reasons = json_object_get(detail, "reasons");
	FILE *f = json_is_array(reasons) && json_array_size(reasons) ? open_memstream(&joined, &len) : NULL;
	json_array_foreach(f ? reasons : NULL, i, r) {
		const char *m = json_string_value(json_is_object(r) ? json_object_get(r, "message") : r);
		if (m)
			fprintf(f, "%s%s", ftell(f) ? "; " : "", m);
	}
	if (f)
		fclose(f);
	if (joined && !*joined) {
		free(joined);
		joined = NULL;
	}
	return joined;
}

/* Stores one line that auditlog_chain_verify already checked (strict,
 * canonical, chained), read with the record format's own parser but
 * without a second canonical round trip. line is NUL-terminated in place. */
static bool insert_line(struct audit_db *db, const char *line, size_t n, const char *hash,
			struct ingest_result *res, char last_time[32], struct ferry_error **err)
{
	struct auditlog_record rec;
	if (!auditlog_line_fields(line, n, &rec, err))
		return false;
	const struct auditlog_fields *f = &rec.f;
	char *reason = record_reason(f->detail);
	struct audit_record r = {
		.device = f->device, .hash = hash, .prev = f->prev, .seq = (int64_t)f->seq,
		.time = f->time, .event = f->event, .bundle = f->bundle, .version = f->version,
		.result = f->result, .reason = reason, .code = f->code, .boot = f->boot,
		.media_serial = f->usb_serial, .media_label = f->media_label, .line = line,
		.work_order = f->order, .technician = f->technician,
	};
	bool ok = audit_db_record_insert(db, &r, err);
	if (ok) {
		snprintf(last_time, 32, "%s", r.time);
		snprintf(res->media_serial, sizeof(res->media_serial), "%s", r.media_serial ? r.media_serial : "");
		snprintf(res->media_label, sizeof(res->media_label), "%s", r.media_label ? r.media_label : "");
	}
	free(reason);
	auditlog_record_clear(&rec);
	return ok;
}

/* Compares or stores every line of a verified export, inside a transaction. */
static bool store_lines(struct audit_db *db, const struct audit_device *dev, const char *path,
			char *data, size_t len, int64_t tail, struct ingest_result *res,
			struct ferry_error **err)
{
	char *p = data, *end = data + len;
	char hash[SHA256_HEX_LEN + 1], stored[65];
	int64_t seq = (int64_t)res->first_seq;
	char last_time[32] = "";
	bool ok = false;
	for (; p < end; seq++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);
		auditlog_line_hash(p, n, hash);
		*nl = '\0';
		if (seq <= tail) {
			bool found = false;
			if (!audit_db_record_hash(db, dev->id, seq, stored, &found, err))
				goto out;
			if (!found || strcmp(stored, hash) != 0) {
				ferry_error_set(err, "%s: fork: record %lld differs from the one imported "
						"before (the device's log was rewritten?)", path, (long long)seq);
				goto out;
			}
			res->records_known++;
		} else {
			if (!insert_line(db, p, n, hash, res, last_time, err)) {
				ferry_error_prefix(err, "%s: record %lld", path, (long long)seq);
				goto out;
			}
			res->records_new++;
		}
		p = nl + 1;
	}
	ok = !*last_time || audit_db_device_seen(db, dev->id, last_time, err);
out:
	return ok;
}

/* Keeps the device's signature over the file for `ferry-audit check`. It is
 * read again after auditlog_export_read verified it: should it have changed
 * on the stick in between, check reports it rather than trusting it. */
static bool store_signature(struct audit_db *db, const struct audit_device *dev, int dirfd,
			    const char *path, const struct ingest_result *res, struct ferry_error **err)
{
	char *sig_path = NULL, *sig = NULL, now[32];
	size_t sig_len = 0;
	bool ok = false;
	if (asprintf(&sig_path, "%s.sig", path) < 0)
		return ferry_error_set(err, "out of memory");
	if (read_file_at(dirfd, ingest_name_in(dirfd, sig_path), sig_path, SIGNEDFILE_SIG_MAX, &sig,
			 &sig_len, err)) {
		struct audit_export_sig e = {
			.device = dev->id, .first_seq = (int64_t)res->first_seq,
			.last_seq = (int64_t)res->last_seq, .fingerprint = dev->fingerprint,
			.sig = sig, .sig_len = sig_len,
		};
		rfc3339_format_utc((int64_t)time(NULL), now);
		ok = audit_db_export_sig_put(db, &e, now, err);
	}
	free(sig);
	free(sig_path);
	return ok;
}

const char *ingest_name_in(int dirfd, const char *path)
{
	const char *slash = strrchr(path, '/');
	return dirfd == AT_FDCWD || !slash ? path : slash + 1;
}

bool ingest_export(struct audit_db *db, struct pgp *pgp, const struct audit_device *dev,
		   int dirfd, const char *path, struct ingest_result *res, struct ferry_error **err)
{
	bool ok = false, in_txn = false, have_prev = false;
	char *copy = strdup(path), *data = NULL;
	size_t len = 0;
	char name_dev[AUDITLOG_DEVICE_ID_MAX + 1], tail_hash[65], prev[65];
	int64_t tail = 0;
	struct auditlog_chain chain;
	memset(res, 0, sizeof(*res));
	if (!copy)
		return ferry_error_set(err, "out of memory");
	if (!auditlog_export_name_parse(basename(copy), name_dev, &res->first_seq, &res->last_seq, err))
		goto out;
	if (strcmp(name_dev, dev->id) != 0) {
		ferry_error_set(err, "%s: records of device '%s' in the folder of '%s'", path, name_dev,
				dev->id);
		goto out;
	}
	/* The write lock first: another import of the same device must not move
	 * the chain between what is read here and what is inserted below. */
	if (!audit_db_begin(db, err))
		goto out;
	in_txn = true;
	if (!audit_db_chain_tail(db, dev->id, &tail, tail_hash, err))
		goto out;
	/* The prev the file's first record must carry: the stored record before it. */
	if (res->first_seq > 1) {
		if (!audit_db_record_hash(db, dev->id, (int64_t)res->first_seq - 1, prev, &have_prev, err))
			goto out;
	}
	if (!auditlog_export_read_at(dirfd, ingest_name_in(dirfd, path), path, pgp, dev->fingerprint,
				     have_prev ? prev : NULL, &data, &len, &chain, err))
		goto out;
	if (res->first_seq > 1 && !have_prev) {
		ferry_error_set(err, "%s: gap: records %lld-%llu missing (the database holds %s%lld); "
				"import the earlier export first", path, (long long)tail + 1,
				(unsigned long long)res->first_seq - 1, tail ? "up to " : "",
				(long long)tail);
		goto out;
	}
	if (!store_lines(db, dev, path, data, len, tail, res, err) ||
	    !store_signature(db, dev, dirfd, path, res, err) || !audit_db_commit(db, err))
		goto out;
	in_txn = false;
	ok = true;
out:
	if (in_txn)
		audit_db_rollback(db);
	if (!ok)
		res->records_new = res->records_known = 0;
	free(data);
	free(copy);
	return ok;
}

/* A device's clock may be off, but a time far in the future would freeze
 * HQ's view of it (every later inventory looks older): refused. */
static bool inventory_time_plausible(const char *path, const char *time, const char *now,
				     struct ferry_error **err)
{
	int64_t t = 0, hq = 0;
	if (!rfc3339_parse_utc(time, &t, NULL) || !rfc3339_parse_utc(now, &hq, NULL))
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: time: must be RFC 3339 UTC", path);
	if (t > hq + INGEST_FUTURE_TOLERANCE)
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: time %s is more than a day ahead of "
					"HQ's clock (%s): refused, it would hide later inventories",
					path, time, now);
	return true;
}

bool ingest_inventory(struct audit_db *db, struct pgp *pgp, const struct audit_device *dev,
		      int dirfd, const char *path, const char *now, bool *applied,
		      struct ferry_error **err)
{
	bool ok = false;
	char *data = NULL;
	size_t len = 0;
	struct inventory inv = { 0 };
	*applied = false;
	if (!signedfile_read_by_at(pgp, dirfd, ingest_name_in(dirfd, path), path, INVENTORY_MAX,
				   dev->fingerprint, "the device key", &data, &len, err) ||
	    !inventory_parse(data, len, path, &inv, err))
		goto out;
	if (strcmp(inv.device, dev->id) != 0) {
		ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: inventory of device '%s' in the folder of '%s'",
				 path, inv.device, dev->id);
		goto out;
	}
	if (!inventory_time_plausible(path, inv.time, now, err))
		goto out;
	struct audit_inventory row = {
		.device = inv.device, .type = inv.type, .time = inv.time, .raw = data,
		.hw_revision = inv.hw_revision, .security_version = inv.security_version,
		.policy_serial = inv.policy_serial, .n_installed = inv.n_installed,
		.names = inv.names, .versions = inv.versions, .groups = inv.groups,
		.software = inv.software_list, .n_software = inv.n_software,
	};
	if (!audit_db_begin(db, err))
		goto out;
	if (!audit_db_inventory_put(db, &row, now, applied, err) || !audit_db_commit(db, err)) {
		audit_db_rollback(db);
		goto out;
	}
	ok = true;
out:
	inventory_clear(&inv);
	free(data);
	return ok;
}
