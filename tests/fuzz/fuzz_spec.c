/* fuzz_spec: bundle spec bytes (what ferry-pack create reads) into
 * manifest_parse_spec. */
#include "common/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL;
	struct ferry_error *err = NULL;
	manifest_parse_spec((const char *)data, size, "spec.json", &m, &err);
	manifest_free(m);
	ferry_error_free(err);
	return 0;
}
