/* fuzz_json_canon: any text that parses (json_parse_strict) into
 * json_canonical_text, whose one-pass answer must be the dump-and-compare
 * answer (it decides HQ's canonical check of every audit record). */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = NULL;
	struct ferry_error *err = NULL;
	if (json_parse_strict((const char *)data, size, "fuzz", &v, &err)) {
		char *dump = json_dump_canonical(v);
		bool same = dump && strlen(dump) == size && memcmp(dump, data, size) == 0;
		if (dump && json_canonical_text(v, (const char *)data, size) != same)
			abort();
		free(dump);
	}
	json_decref(v);
	ferry_error_free(err);
	return 0;
}
