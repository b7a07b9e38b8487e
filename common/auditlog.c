/* auditlog: see auditlog.h. Record lines, their hashes, chain verification
 * and export names; the signed files are in auditlog_export.c. */
#include "auditlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "policy.h"
#include "rfc3339.h"

/* The fields of format 1 that this reader checks; any other is data of a
 * newer minor version (counted, kept in the line, never interpreted). */
static const char *const record_keys[] = {
	"format", "seq", "prev", "time", "boot", "device", "event", "bundle", "version", "result",
	"code", "media", "detail", "log", "order", "technician", NULL,
};

bool auditlog_device_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > AUDITLOG_DEVICE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

bool auditlog_result_valid(const char *result)
{
	static const char *const results[] = { "success", "failure", "refused", "info", NULL };
	for (size_t i = 0; result && results[i]; i++)
		if (strcmp(result, results[i]) == 0)
			return true;
	return false;
}

void auditlog_format_time(int64_t t, char out[21])
{
	rfc3339_format_utc(t, out);
}

/* 2026-11-27T09:42:08Z: the only spelling records use. */
static bool time_valid(const char *s)
{
	return s && rfc3339_valid_utc(s);
}

static bool set_string(json_t *obj, const char *key, const char *value)
{
	return !value || json_object_set_new(obj, key, json_string(value)) == 0;
}

/* A reason code as ferry_code_name() spells them: [a-z-], at most 32 bytes.
 * A newer device may know codes this reader does not: the spelling is checked,
 * not the list. */
static bool code_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return false;
	return true;
}

static bool check_fields(const struct auditlog_fields *f, struct ferry_error **err)
{
	if (f->seq == 0 || f->seq > INT64_MAX)
		return ferry_error_set(err, "audit record: seq must be a positive integer");
	if (!f->prev || !sha256_hex_valid(f->prev))
		return ferry_error_set(err, "audit record %" PRIu64 ": prev must be 64 lowercase hex digits",
				       f->seq);
	if (!time_valid(f->time))
		return ferry_error_set(err, "audit record %" PRIu64 ": time must be RFC 3339 UTC", f->seq);
	if (f->boot < 0)
		return ferry_error_set(err, "audit record %" PRIu64 ": boot must not be negative", f->seq);
	if (!auditlog_device_id_valid(f->device))
		return ferry_error_set(err, "audit record %" PRIu64 ": invalid device id", f->seq);
	if (!f->event || !*f->event)
		return ferry_error_set(err, "audit record %" PRIu64 ": event missing", f->seq);
	if (!auditlog_result_valid(f->result))
		return ferry_error_set(err, "audit record %" PRIu64 ": result must be success, failure, refused or info",
				       f->seq);
	if (f->code && !code_valid(f->code))
		return ferry_error_set(err, "audit record %" PRIu64 ": code must be a reason name like \"signature\"",
				       f->seq);
	if (f->log && !sha256_hex_valid(f->log))
		return ferry_error_set(err, "audit record %" PRIu64 ": log must be a SHA-256 (64 hex)", f->seq);
	if (f->detail && !json_is_object(f->detail))
		return ferry_error_set(err, "audit record %" PRIu64 ": detail must be an object", f->seq);
	if ((f->order && !policy_id_valid(f->order)) || (f->technician && !policy_id_valid(f->technician)))
		return ferry_error_set(err, "audit record %" PRIu64 ": order and technician must be "
				       "ids (1-64 letters, digits, '-', '_', '.')", f->seq);
	return true;
}

bool auditlog_line_build(const struct auditlog_fields *f, char **line, struct ferry_error **err)
{
	bool ok = false;
	json_t *obj = NULL, *media = NULL;
	if (!check_fields(f, err))
		goto out;
	obj = json_object();
	if (!obj)
		goto oom;
	if (json_object_set_new(obj, "format", json_integer(AUDITLOG_FORMAT)) ||
	    json_object_set_new(obj, "seq", json_integer((json_int_t)f->seq)) ||
	    json_object_set_new(obj, "boot", json_integer(f->boot)) ||
	    !set_string(obj, "prev", f->prev) || !set_string(obj, "time", f->time) ||
	    !set_string(obj, "device", f->device) || !set_string(obj, "event", f->event) ||
	    !set_string(obj, "bundle", f->bundle) || !set_string(obj, "version", f->version) ||
	    !set_string(obj, "result", f->result) || !set_string(obj, "code", f->code) ||
	    !set_string(obj, "log", f->log) || !set_string(obj, "order", f->order) ||
	    !set_string(obj, "technician", f->technician))
		goto oom;
	if (f->usb_serial || f->media_label || f->usb_vendor || f->usb_product) {
		media = json_object();
		if (!media || !set_string(media, "usb_serial", f->usb_serial) ||
		    !set_string(media, "label", f->media_label) ||
		    !set_string(media, "usb_vendor", f->usb_vendor) ||
		    !set_string(media, "usb_product", f->usb_product) ||
		    json_object_set(obj, "media", media))
			goto oom;
	}
	if (f->detail && json_object_set_new(obj, "detail", json_deep_copy(f->detail)))
		goto oom;
	*line = json_dump_canonical(obj);
	if (!*line)
		goto oom;
	if (strlen(*line) > AUDITLOG_LINE_MAX) {
		free(*line);
		*line = NULL;
		ferry_error_set(err, "audit record %" PRIu64 ": longer than %d bytes", f->seq,
				AUDITLOG_LINE_MAX);
		goto out;
	}
	ok = true;
	goto out;
oom:
	ferry_error_set(err, "out of memory");
out:
	json_decref(media);
	json_decref(obj);
	return ok;
}

void auditlog_line_hash(const char *line, size_t len, char out[SHA256_HEX_LEN + 1])
{
	sha256_buffer_hex(line, len, out);
}

bool auditlog_fields_well_formed(const struct auditlog_fields *f)
{
	return f->prev && sha256_hex_valid(f->prev) && time_valid(f->time) && f->event &&
	       auditlog_device_id_valid(f->device) && auditlog_result_valid(f->result) &&
	       (!f->code || code_valid(f->code)) && (!f->log || sha256_hex_valid(f->log)) &&
	       (!f->order || policy_id_valid(f->order)) &&
	       (!f->technician || policy_id_valid(f->technician));
}

static bool parse_media(json_t *obj, const struct json_path *p, struct auditlog_fields *f,
			struct ferry_error **err)
{
	json_t *media = NULL;
	struct json_path mp;
	if (!json_get_object(obj, p, "media", false, &media, err))
		return false;
	if (!media)
		return true;
	json_path_key(&mp, p, "media");
	return json_get_string(media, &mp, "usb_serial", false, &f->usb_serial, err) &&
	       json_get_string(media, &mp, "label", false, &f->media_label, err) &&
	       json_get_string(media, &mp, "usb_vendor", false, &f->usb_vendor, err) &&
	       json_get_string(media, &mp, "usb_product", false, &f->usb_product, err);
}

static bool parse_fields(json_t *obj, const struct json_path *p, struct auditlog_fields *f,
			 struct ferry_error **err)
{
	int64_t seq = 0;
	json_t *detail = NULL;
	if (!json_get_int(obj, p, "seq", true, 1, INT64_MAX, &seq, err) ||
	    !json_get_string(obj, p, "prev", true, &f->prev, err) ||
	    !json_get_string(obj, p, "time", true, &f->time, err) ||
	    !json_get_int(obj, p, "boot", true, 0, INT64_MAX, &f->boot, err) ||
	    !json_get_string(obj, p, "device", true, &f->device, err) ||
	    !json_get_string(obj, p, "event", true, &f->event, err) ||
	    !json_get_string(obj, p, "bundle", false, &f->bundle, err) ||
	    !json_get_string(obj, p, "version", false, &f->version, err) ||
	    !json_get_string(obj, p, "result", true, &f->result, err) ||
	    !json_get_string(obj, p, "code", false, &f->code, err) ||
	    !json_get_string(obj, p, "log", false, &f->log, err) ||
	    !json_get_string(obj, p, "order", false, &f->order, err) ||
	    !json_get_string(obj, p, "technician", false, &f->technician, err) ||
	    !parse_media(obj, p, f, err) || !json_get_object(obj, p, "detail", false, &detail, err))
		return false;
	f->seq = (uint64_t)seq;
	f->detail = detail;
	if (!auditlog_fields_well_formed(f))
		return ferry_error_setc(err, FERRY_E_FORMAT, "record: prev, time, device, result, "
					"code, log, order or technician malformed");
	return true;
}

bool auditlog_line_fields(const char *line, size_t len, struct auditlog_record *out,
			  struct ferry_error **err)
{
	struct json_path p;
	memset(out, 0, sizeof(*out));
	json_path_root(&p, "record");
	if (len > AUDITLOG_LINE_MAX) {
		ferry_error_setc(err, FERRY_E_FORMAT, "record longer than %d bytes", AUDITLOG_LINE_MAX);
		return false;
	}
	if (!json_parse_strict(line, len, "record", &out->json, err) ||
	    !json_get_format(out->json, &p, false, AUDITLOG_FORMAT, &out->format, err) ||
	    !parse_fields(out->json, &p, &out->f, err)) {
		ferry_error_classify(err, FERRY_E_FORMAT);
		auditlog_record_clear(out);
		return false;
	}
	out->n_unknown = json_count_unknown(out->json, record_keys);
	return true;
}

bool auditlog_line_parse(const char *line, size_t len, struct auditlog_record *out,
			 struct ferry_error **err)
{
	if (!auditlog_line_fields(line, len, out, err))
		return false;
	if (!json_canonical_text(out->json, line, len)) {
		auditlog_record_clear(out);
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "record: not in canonical form (altered?)");
	}
	return true;
}

void auditlog_record_clear(struct auditlog_record *r)
{
	json_decref(r->json);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/* Checks record r (line number lineno) against what came before it. */
static bool chain_step(const struct auditlog_record *r, size_t lineno, const char *name,
		       const char *device, const char *want_prev, uint64_t want_seq,
		       struct ferry_error **err)
{
	if (strcmp(r->f.device, device) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: line %zu (seq %" PRIu64 "): record of device '%s', expected '%s'",
				       name, lineno, r->f.seq, r->f.device, device);
	if (want_seq && r->f.seq != want_seq)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: line %zu: seq %" PRIu64 " where %" PRIu64 " was expected (record missing, duplicated or reordered)",
				       name, lineno, r->f.seq, want_seq);
	if (r->f.seq == 1 && strcmp(r->f.prev, AUDITLOG_GENESIS_PREV) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: line %zu (seq 1): prev is not the genesis value",
				       name, lineno);
	if (want_prev && strcmp(r->f.prev, want_prev) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: line %zu (seq %" PRIu64 "): prev does not match the hash of the record before (record altered, missing or from another chain)",
				       name, lineno, r->f.seq);
	return true;
}

bool auditlog_chain_verify(const char *data, size_t len, const char *name, const char *device,
			   const char *expected_prev, struct auditlog_chain *out,
			   struct ferry_error **err)
{
	return auditlog_chain_verify_each(data, len, name, device, expected_prev, out, NULL, NULL,
					  err);
}

bool auditlog_chain_verify_each(const char *data, size_t len, const char *name,
				const char *device, const char *expected_prev,
				struct auditlog_chain *out, auditlog_record_cb cb, void *ctx,
				struct ferry_error **err)
{
	struct auditlog_chain c;
	char prev[SHA256_HEX_LEN + 1];
	size_t pos = 0, lineno = 0;
	memset(&c, 0, sizeof(c));
	if (len == 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: no records", name);
	if (data[len - 1] != '\n')
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: last line does not end in a newline (truncated?)", name);
	while (pos < len) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = (size_t)(nl - line);
		struct auditlog_record r;
		lineno++;
		if (!auditlog_line_read(line, n, &r, err)) {
			ferry_error_prefix(err, "%s: line %zu", name, lineno);
			ferry_error_classify(err, FERRY_E_FORMAT);
			return false;
		}
		bool ok = chain_step(&r, lineno, name, device, lineno == 1 ? expected_prev : prev,
				     lineno == 1 ? 0 : c.last_seq + 1, err);
		if (ok && lineno == 1) {
			c.first_seq = r.f.seq;
			memcpy(c.first_prev, r.f.prev, sizeof(c.first_prev));
		}
		c.last_seq = r.f.seq;
		ferry_error_classify(err, FERRY_E_INTEGRITY);   /* the chain is broken */
		if (ok)
			auditlog_line_hash(line, n, prev);
		ok = ok && (!cb || cb(&r, line, n, prev, ctx, err));
		auditlog_record_clear(&r);
		if (!ok)
			return false;
		pos += n + 1;
	}
	c.n = lineno;
	memcpy(c.last_hash, prev, sizeof(c.last_hash));
	if (out)
		*out = c;
	return true;
}

bool auditlog_export_name(const char *device, uint64_t first, uint64_t last, char *out,
			  size_t out_size, struct ferry_error **err)
{
	if (!auditlog_device_id_valid(device))
		return ferry_error_set(err, "'%s': not a valid device id", device ? device : "");
	if (first == 0 || last < first)
		return ferry_error_set(err, "export of %s: bad seq range %" PRIu64 "-%" PRIu64,
				       device, first, last);
	int n = snprintf(out, out_size, "%s.%08" PRIu64 "-%08" PRIu64 ".jsonl", device, first, last);
	if (n < 0 || (size_t)n >= out_size)
		return ferry_error_set(err, "export of %s: name too long", device);
	return true;
}

/* Parses exactly digits (at least 8) up to the end of [s, e). */
static bool parse_seq(const char *s, const char *e, uint64_t *out)
{
	uint64_t v = 0;
	if (e - s < 8 || e - s > 19)
		return false;
	for (const char *p = s; p < e; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return true;
}

bool auditlog_export_name_parse(const char *name, char *device_out, uint64_t *first,
				uint64_t *last, struct ferry_error **err)
{
	static const char suffix[] = ".jsonl";
	size_t n = strlen(name);
	size_t sl = sizeof(suffix) - 1;
	if (n <= sl || strcmp(name + n - sl, suffix) != 0)
		return ferry_error_set(err, "%s: not an audit export name (*.jsonl)", name);
	const char *end = name + n - sl;
	const char *dash = NULL, *dot = NULL;
	for (const char *p = end; p > name; p--) {
		if (!dash && p[-1] == '-')
			dash = p - 1;
		else if (dash && p[-1] == '.') {
			dot = p - 1;
			break;
		}
	}
	if (!dash || !dot || (size_t)(dot - name) > AUDITLOG_DEVICE_ID_MAX ||
	    !parse_seq(dot + 1, dash, first) || !parse_seq(dash + 1, end, last))
		return ferry_error_set(err, "%s: not an audit export name (<device>.<first>-<last>.jsonl)",
				       name);
	memcpy(device_out, name, (size_t)(dot - name));
	device_out[dot - name] = '\0';
	if (!auditlog_device_id_valid(device_out) || *first == 0 || *last < *first)
		return ferry_error_set(err, "%s: bad device id or seq range in audit export name", name);
	return true;
}
