/* fuzz_audit_chain: an audit export's bytes (lines of records) into
 * auditlog_chain_verify for device gw-0001, as ferry-audit import checks them. */
#include "common/auditlog.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auditlog_chain chain;
	struct ferry_error *err = NULL;
	auditlog_chain_verify((const char *)data, size, "gw-0001.jsonl", "gw-0001", NULL, &chain, &err);
	ferry_error_free(err);
	return 0;
}
