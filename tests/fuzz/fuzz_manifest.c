/* fuzz_manifest: manifest.json bytes into manifest_parse (the agent, ferry-pack
 * verify/inspect/simulate and the bundle reader); a parsed manifest must serialize and parse again. */
#include <stdlib.h>

#include "common/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL, *again = NULL;
	struct ferry_error *err = NULL;
	char *text = NULL;
	size_t len = 0;
	if (manifest_parse((const char *)data, size, "manifest.json", &m, &err)) {
		if (!manifest_serialize(m, &text, &len, &err) ||
		    !manifest_parse(text, len, "again", &again, &err))
			abort();   /* what we accept, we must be able to write back */
	}
	manifest_free(again);
	manifest_free(m);
	free(text);
	ferry_error_free(err);
	return 0;
}
