/* fuzz_audit_line: one audit record line (as HQ imports it from a stick) into
 * both readers, auditlog_line_parse (jansson) and auditlog_line_read (the
 * import's one pass): the same verdict, code, message and fields, or abort. */
#include <stdlib.h>
#include <string.h>

#include "common/auditlog.h"
#include "tests/fuzz/fuzz.h"

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_fields(const struct auditlog_record *x, const struct auditlog_record *y)
{
	const struct auditlog_fields *a = &x->f, *b = &y->f;
	return a->seq == b->seq && a->boot == b->boot && x->format == y->format &&
	       x->n_unknown == y->n_unknown && same(a->prev, b->prev) && same(a->time, b->time) &&
	       same(a->device, b->device) && same(a->event, b->event) &&
	       same(a->bundle, b->bundle) && same(a->version, b->version) &&
	       same(a->result, b->result) && same(a->code, b->code) && same(a->log, b->log) &&
	       same(a->usb_serial, b->usb_serial) && same(a->media_label, b->media_label) &&
	       same(a->usb_vendor, b->usb_vendor) && same(a->usb_product, b->usb_product) &&
	       same(a->order, b->order) && same(a->technician, b->technician) &&
	       (a->detail ? b->detail && json_equal((json_t *)a->detail, (json_t *)b->detail)
			  : !b->detail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auditlog_record r = { 0 }, q = { 0 };
	struct ferry_error *err = NULL, *qerr = NULL;
	bool ok = auditlog_line_parse((const char *)data, size, &r, &err);
	bool qok = auditlog_line_read((const char *)data, size, &q, &qerr);
	if (ok != qok || (ok && !same_fields(&r, &q)) ||
	    (!ok && (ferry_error_code(err) != ferry_error_code(qerr) ||
		     strcmp(ferry_error_message(err), ferry_error_message(qerr)) != 0)))
		abort();
	auditlog_record_clear(&r);
	auditlog_record_clear(&q);
	ferry_error_free(err);
	ferry_error_free(qerr);
	return 0;
}
