/* fuzz_faillog: a failure log excerpt (as HQ imports it from a stick) into
 * faillog_decode, named by its own SHA-256 so that decompression is reached. */
#include "common/faillog.h"
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sha[SHA256_HEX_LEN + 1], *text = NULL;
	struct ferry_error *err = NULL;
	sha256_buffer_hex(data, size, sha);
	faillog_decode(data, size, sha, &text, &err);
	free(text);
	ferry_error_free(err);
	return 0;
}
