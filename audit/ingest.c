/* ingest: one device's export files and inventory into the HQ database.
 * Order of checks for an export: name and folder agree, signature by the
 * registered key and the chain (common/auditlog) -- ingest_export_verify, no
 * database, each line parsed once into the row it becomes --, then
 * continuation of the stored chain (gap, fork) and the inserts in one
 * transaction (a savepoint inside an import's batch) -- ingest_export_store. */
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

/* The strings of an accepted record the database stores, copied into one
 * block (the record's JSON is freed when the callback returns). */
static bool row_strings(struct ingest_row *row, const struct auditlog_fields *f, char *reason)
{
	const char *src[] = { f->device, f->prev, f->time, f->event, f->bundle, f->version,
			      f->result, reason, f->code, f->usb_serial, f->media_label,
			      f->order, f->technician };
	const char **dst[] = { &row->r.device, &row->r.prev, &row->r.time, &row->r.event,
			       &row->r.bundle, &row->r.version, &row->r.result, &row->r.reason,
			       &row->r.code, &row->r.media_serial, &row->r.media_label,
			       &row->r.work_order, &row->r.technician };
	size_t n = sizeof(src) / sizeof(src[0]), total = 0;
	for (size_t i = 0; i < n; i++)
		total += src[i] ? strlen(src[i]) + 1 : 0;
	char *p = row->strings = malloc(total ? total : 1);
	for (size_t i = 0; p && i < n; i++) {
		*dst[i] = NULL;
		if (!src[i])
			continue;
		size_t l = strlen(src[i]) + 1;
		memcpy(p, src[i], l);
		*dst[i] = p;
		p += l;
	}
	return row->strings != NULL;
}

/* auditlog_record_cb: one row per record the chain check accepted, read
 * with the record format's own parser, without a second parse. */
static bool keep_row(const struct auditlog_record *rec, const char *line, size_t n,
		     const char hash[SHA256_HEX_LEN + 1], void *ctx, struct ferry_error **err)
{
	struct ingest_export *x = ctx;
	if (x->n_rows == x->cap_rows) {
		size_t cap = x->cap_rows ? x->cap_rows * 2 : 256;
		struct ingest_row *grown = realloc(x->rows, cap * sizeof(*grown));
		if (!grown)
			return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		x->rows = grown;
		x->cap_rows = cap;
	}
	struct ingest_row *row = &x->rows[x->n_rows];
	memset(row, 0, sizeof(*row));
	char *reason = record_reason(rec->f.detail);
	bool ok = row_strings(row, &rec->f, reason);
	free(reason);
	if (!ok)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	memcpy(row->hash, hash, sizeof(row->hash));   /* r.hash set once rows stop moving */
	row->r.seq = (int64_t)rec->f.seq;
	row->r.boot = rec->f.boot;
	row->r.line = line;   /* into the buffer auditlog_export_read_each returns */
	row->line_len = n;
	x->n_rows++;
	return true;
}

void ingest_export_clear(struct ingest_export *x)
{
	for (size_t i = 0; i < x->n_rows; i++)
		free(x->rows[i].strings);
	free(x->rows);
	free(x->data);
	free(x->path);
	memset(x, 0, sizeof(*x));
}

bool ingest_export_verify(struct pgp *pgp, const struct audit_device *dev, int dirfd,
			  const char *path, struct ingest_export *x, struct ferry_error **err)
{
	char *copy = strdup(path), name_dev[AUDITLOG_DEVICE_ID_MAX + 1];
	bool ok = false;
	memset(x, 0, sizeof(*x));
	x->path = strdup(path);
	x->dirfd = dirfd;
	if (!copy || !x->path) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	if (!auditlog_export_name_parse(basename(copy), name_dev, &x->first_seq, &x->last_seq, err))
		goto out;
	if (strcmp(name_dev, dev->id) != 0) {
		ferry_error_set(err, "%s: records of device '%s' in the folder of '%s'", path, name_dev,
				dev->id);
		goto out;
	}
	/* The first prev is checked against the database when the file is stored. */
	if (!auditlog_export_read_each_at(dirfd, ingest_name_in(dirfd, path), path, pgp,
					  dev->fingerprint, NULL, &x->data, &x->len, &x->chain,
					  keep_row, x, err))
		goto out;
	for (size_t i = 0; i < x->n_rows; i++) {   /* each line a string of its own */
		x->data[(x->rows[i].r.line - x->data) + x->rows[i].line_len] = '\0';
		x->rows[i].r.hash = x->rows[i].hash;
	}
	ok = true;
out:
	if (!ok)
		ingest_export_clear(x);
	free(copy);
	return ok;
}
/* Compares or stores every row of a verified export. */
static bool store_rows(struct audit_db *db, const struct audit_device *dev,
		       const struct ingest_export *x, int64_t tail, struct ingest_result *res,
		       struct ferry_error **err)
{
	char stored[65];
	const struct audit_record *last = NULL;
	for (size_t i = 0; i < x->n_rows; i++) {
		const struct audit_record *r = &x->rows[i].r;
		if (r->seq <= tail) {
			bool found = false;
			if (!audit_db_record_hash(db, dev->id, r->seq, stored, &found, err))
				return false;
			if (!found || strcmp(stored, r->hash) != 0)
				return ferry_error_set(err, "%s: fork: record %lld differs from the one "
						       "imported before (the device's log was rewritten?)",
						       x->path, (long long)r->seq);
			res->records_known++;
			continue;
		}
		if (!audit_db_record_insert(db, r, err)) {
			ferry_error_prefix(err, "%s: record %lld", x->path, (long long)r->seq);
			return false;
		}
		res->records_new++;
		last = r;
	}
	if (!last)
		return true;
	snprintf(res->media_serial, sizeof(res->media_serial), "%s", last->media_serial ? last->media_serial : "");
	snprintf(res->media_label, sizeof(res->media_label), "%s", last->media_label ? last->media_label : "");
	return audit_db_device_seen(db, dev->id, last->time, err);
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

/* The checks against what the database holds: the file continues the stored
 * chain (its first prev is the stored record before it), no gap. */
static bool continues_chain(struct audit_db *db, const struct audit_device *dev,
			    const struct ingest_export *x, int64_t *tail, struct ferry_error **err)
{
	char tail_hash[65], prev[65];
	bool have_prev = false;
	/* Holds the device's chain: another import of it must not move the chain
	 * between what is read here and what is inserted below. */
	if (!audit_db_chain_tail(db, dev->id, tail, tail_hash, err))
		return false;
	if (x->first_seq > 1 &&
	    !audit_db_record_hash(db, dev->id, (int64_t)x->first_seq - 1, prev, &have_prev, err))
		return false;
	if (have_prev && strcmp(x->chain.first_prev, prev) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: line 1 (seq %llu): prev does not "
					"match the hash of the record before (record altered, missing "
					"or from another chain)", x->path,
					(unsigned long long)x->first_seq);
	if (x->first_seq > 1 && !have_prev)
		return ferry_error_set(err, "%s: gap: records %lld-%llu missing (the database holds "
				       "%s%lld); import the earlier export first", x->path,
				       (long long)*tail + 1, (unsigned long long)x->first_seq - 1,
				       *tail ? "up to " : "", (long long)*tail);
	return true;
}

bool ingest_export_store(struct audit_db *db, const struct audit_device *dev,
			 const struct ingest_export *x, struct ingest_result *res,
			 struct ferry_error **err)
{
	int64_t tail = 0;
	memset(res, 0, sizeof(*res));
	res->first_seq = x->first_seq;
	res->last_seq = x->last_seq;
	/* The write lock first (SQLite: BEGIN IMMEDIATE, outside a batch). */
	if (!audit_db_begin(db, err))
		return false;
	if (!continues_chain(db, dev, x, &tail, err) || !store_rows(db, dev, x, tail, res, err) ||
	    !store_signature(db, dev, x->dirfd, x->path, res, err) || !audit_db_commit(db, err)) {
		audit_db_rollback(db);
		res->records_new = res->records_known = 0;
		return false;
	}
	return true;
}

bool ingest_export(struct audit_db *db, struct pgp *pgp, const struct audit_device *dev,
		   int dirfd, const char *path, struct ingest_result *res, struct ferry_error **err)
{
	struct ingest_export x;
	memset(res, 0, sizeof(*res));
	if (!ingest_export_verify(pgp, dev, dirfd, path, &x, err))
		return false;
	bool ok = ingest_export_store(db, dev, &x, res, err);
	ingest_export_clear(&x);
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
