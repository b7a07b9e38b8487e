/* auditlog_read: the reader HQ's import runs on every record line. It takes
 * a line in the one pass that checks its canonical form (json_canon_members)
 * and keeps the fields without building a jansson tree; any line that pass
 * is not sure of, or whose fields it would refuse, goes to
 * auditlog_line_parse, which decides. So it accepts exactly what
 * auditlog_line_parse accepts, with the same fields, and refuses with its
 * message and code (tests/unit/test_auditlog_read.c, tests/fuzz). */
#include "auditlog.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

/* What the members of a line have given so far; strings point into text, a
 * copy of the line in which each string value ends in a NUL. */
struct line_read {
	struct auditlog_record *out;
	const char *line;
	char *text;
	bool have_seq, have_boot;
};

/* A field of type string: its value into *dst (NUL-terminated in text). */
static bool take_string(struct line_read *lr, const char *v, size_t n, const char **dst)
{
	if (n < 2 || v[0] != '"')
		return false;
	size_t at = (size_t)(v - lr->line);
	lr->text[at + n - 1] = '\0';
	*dst = lr->text + at + 1;
	return true;
}

/* An integer between min and INT64_MAX (the scan allows at most 18 digits). */
static bool take_int(const char *v, size_t n, int64_t min, int64_t *dst)
{
	int64_t x = 0;
	if (n == 0 || v[0] < '0' || v[0] > '9')
		return false;
	for (size_t i = 0; i < n; i++)
		x = x * 10 + (v[i] - '0');
	*dst = x;
	return x >= min;
}

static bool key_is(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(k, name, n) == 0;
}

/* media: an object; its four known members strings, others kept as data. */
static bool media_member(const char *k, size_t n, const char *v, size_t vn, void *ctx)
{
	struct line_read *lr = ctx;
	struct auditlog_fields *f = &lr->out->f;
	return key_is(k, n, "usb_serial") ? take_string(lr, v, vn, &f->usb_serial)
	     : key_is(k, n, "label") ? take_string(lr, v, vn, &f->media_label)
	     : key_is(k, n, "usb_vendor") ? take_string(lr, v, vn, &f->usb_vendor)
	     : key_is(k, n, "usb_product") ? take_string(lr, v, vn, &f->usb_product)
	     : true;
}

/* detail: any object, parsed on its own (it is what reasons are read from). */
static bool take_detail(struct line_read *lr, const char *v, size_t n)
{
	if (v[0] != '{')
		return false;
	lr->out->json = json_loadb(v, n, JSON_REJECT_DUPLICATES, NULL);
	lr->out->f.detail = lr->out->json;
	return lr->out->json != NULL;
}

static bool record_member(const char *k, size_t n, const char *v, size_t vn, void *ctx)
{
	struct line_read *lr = ctx;
	struct auditlog_fields *f = &lr->out->f;
	int64_t seq = 0;
	static const struct { const char *key; size_t off; } strings[] = {
		{ "prev", offsetof(struct auditlog_fields, prev) },
		{ "time", offsetof(struct auditlog_fields, time) },
		{ "device", offsetof(struct auditlog_fields, device) },
		{ "event", offsetof(struct auditlog_fields, event) },
		{ "bundle", offsetof(struct auditlog_fields, bundle) },
		{ "version", offsetof(struct auditlog_fields, version) },
		{ "result", offsetof(struct auditlog_fields, result) },
		{ "code", offsetof(struct auditlog_fields, code) },
		{ "log", offsetof(struct auditlog_fields, log) },
		{ "order", offsetof(struct auditlog_fields, order) },
		{ "technician", offsetof(struct auditlog_fields, technician) },
	};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (key_is(k, n, strings[i].key))
			return take_string(lr, v, vn, (const char **)((char *)f + strings[i].off));
	if (key_is(k, n, "seq")) {
		lr->have_seq = take_int(v, vn, 1, &seq);
		f->seq = (uint64_t)seq;
		return lr->have_seq;
	}
	if (key_is(k, n, "boot"))
		return (lr->have_boot = take_int(v, vn, 0, &f->boot));
	if (key_is(k, n, "format"))   /* a newer major: the full parser says so */
		return take_int(v, vn, 1, &lr->out->format) && lr->out->format == AUDITLOG_FORMAT;
	if (key_is(k, n, "media"))
		return v[0] == '{' && json_canon_members(v, vn, media_member, lr);
	if (key_is(k, n, "detail"))
		return take_detail(lr, v, vn);
	lr->out->n_unknown++;   /* a newer minor's field: data */
	return true;
}

/* The one pass; false when the line needs the full parser. */
static bool read_fast(const char *line, size_t len, struct auditlog_record *out)
{
	struct line_read lr = { .out = out, .line = line, .text = malloc(len + 1) };
	memset(out, 0, sizeof(*out));
	out->format = AUDITLOG_FORMAT;
	if (!lr.text || len > AUDITLOG_LINE_MAX)
		goto slow;
	memcpy(lr.text, line, len);
	lr.text[len] = '\0';
	out->text = lr.text;
	if (json_canon_members(line, len, record_member, &lr) && lr.have_seq && lr.have_boot &&
	    auditlog_fields_well_formed(&out->f))
		return true;
slow:
	if (!out->text)
		free(lr.text);
	auditlog_record_clear(out);
	return false;
}

bool auditlog_line_read(const char *line, size_t len, struct auditlog_record *out,
			struct ferry_error **err)
{
	return read_fast(line, len, out) || auditlog_line_parse(line, len, out, err);
}
