/* fuzz_sbom: an SBOM's bytes into sbom_parse (common/sbom), what ferry-pack
 * create runs on a spec's "sbom" file and the agent on a bundle's; and into
 * sbom_serialize again, whose output must parse. */
#include <stdlib.h>

#include "common/sbom.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbom s = { 0 }, back = { 0 };
	struct ferry_error *err = NULL;
	char *text = NULL;
	size_t len = 0;
	if (sbom_parse((const char *)data, size, "sbom.json", &s, &err) &&
	    sbom_serialize(&s, s.kind, "fuzz", "2026-11-27T10:00:00Z", &text, &len, &err) &&
	    !sbom_parse(text, len, "again", &back, &err))
		abort();   /* what ferry writes, ferry reads */
	sbom_clear(&back);
	sbom_clear(&s);
	free(text);
	ferry_error_free(err);
	return 0;
}
