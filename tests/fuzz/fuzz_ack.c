/* fuzz_ack: HQ's ack/<device>.json bytes into ack_parse, what the agent runs
 * once the ack's signature checked out. */
#include "agent/ack.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_error *err = NULL;
	uint64_t seq = 0;
	ack_parse((const char *)data, size, "ack/gw-0001.json", "gw-0001", &seq, &err);
	ferry_error_free(err);
	return 0;
}
