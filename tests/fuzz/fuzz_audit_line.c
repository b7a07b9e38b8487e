/* fuzz_audit_line: one audit record line (as HQ imports it from a stick) into
 * auditlog_line_parse. */
#include "common/auditlog.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auditlog_record r = { 0 };
	struct ferry_error *err = NULL;
	auditlog_line_parse((const char *)data, size, &r, &err);
	auditlog_record_clear(&r);
	ferry_error_free(err);
	return 0;
}
