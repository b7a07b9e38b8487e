/* fuzz_rfc3339: a time string (manifests, records, acks, policies) into
 * rfc3339_parse_utc; a parsed time must format back to the same text. */
#include <stdlib.h>
#include <string.h>

#include "common/rfc3339.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct ferry_error *err = NULL;
	int64_t t = 0;
	char out[RFC3339_UTC_LEN + 1];
	if (text && rfc3339_parse_utc(text, &t, &err) &&
	    (!rfc3339_format_utc(t, out) || strcmp(out, text) != 0))
		abort();   /* only the canonical spelling is accepted */
	if (text && rfc3339_valid_utc(text) != (err == NULL))
		abort();   /* the two entry points agree */
	free(text);
	ferry_error_free(err);
	return 0;
}
