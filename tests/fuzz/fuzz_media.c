/* fuzz_media: MEDIA.json bytes (the index on every stick) into
 * media_index_parse; a parsed index must serialize and parse again. */
#include <stdlib.h>
#include <string.h>

#include "common/media.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct media_index *idx = NULL, *again = NULL;
	struct ferry_error *err = NULL;
	char *text = NULL;
	if (media_index_parse((const char *)data, size, "MEDIA.json", &idx, &err)) {
		text = media_index_serialize(idx);
		if (!text || !media_index_parse(text, strlen(text), "again", &again, &err))
			abort();   /* what we accept, we must be able to write back */
	}
	media_index_free(again);
	media_index_free(idx);
	free(text);
	ferry_error_free(err);
	return 0;
}
