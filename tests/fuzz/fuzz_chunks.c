/* fuzz_chunks: a frame table member (.chunks) into chunks_parse and
 * chunks_check_payload under each compression, as the bundle reader runs them. */
#include "common/chunks.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunk_table t;
	struct ferry_error *err = NULL;
	chunks_init(&t, 0);
	if (chunks_parse(data, size, "p.chunks", &t, &err)) {
		for (int c = COMPRESSION_NONE; c <= COMPRESSION_XZ; c++) {
			chunks_check_payload(&t, "p.chunks", (enum compression)c, t.total_size, &err);
			ferry_error_clear(&err);
		}
	}
	chunks_free(&t);
	ferry_error_free(err);
	return 0;
}
