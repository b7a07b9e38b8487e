/* fuzz_framestream: stored frames into framestream (hash check, decompression,
 * size and SHA-256 at the end). Input: compression byte, then frames as
 * [u32 BE stored size][u32 BE uncompressed size][stored bytes]; the target
 * writes the frame table with the right hashes, so the decompressors are reached. */
#include <stdlib.h>
#include <string.h>

#include "common/chunks.h"
#include "common/framestream.h"
#include "tests/fuzz/fuzz.h"

#define FRAME_SIZE CHUNKS_MIN_FRAME

struct stored {
	const uint8_t *data;
	size_t len, pos;
};

static bool read_stored(void *ctx, void *buf, size_t len, struct ferry_error **err)
{
	struct stored *s = ctx;
	if (len > s->len - s->pos)
		return ferry_error_set(err, "stored: short read");
	memcpy(buf, s->data + s->pos, len);
	s->pos += len;
	return true;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Appends a frame per input record to t and its bytes to *stored. */
static bool build_table(const uint8_t *data, size_t size, struct chunk_table *t, uint8_t *stored,
			size_t *stored_len)
{
	struct ferry_error *err = NULL;
	size_t pos = 0;
	*stored_len = 0;
	while (size - pos >= 8) {
		uint32_t len = be32(data + pos), usize = be32(data + pos + 4);
		uint8_t sha[SHA256_LEN];
		pos += 8;
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		sha256_buffer(data + pos, len, sha);
		if (!chunks_append(t, len, usize % (FRAME_SIZE + 1), sha, &err)) {
			ferry_error_free(err);
			return false;
		}
		memcpy(stored + *stored_len, data + pos, len);
		*stored_len += len;
		pos += len;
	}
	return t->n_frames > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunk_table t;
	struct payload p = { .name = "p", .member = "payloads/v/p", .chunks = "payloads/v/p.chunks" };
	struct framestream *fs = NULL;
	struct ferry_error *err = NULL;
	struct stored s = { 0 };
	uint8_t *stored = size ? malloc(size) : NULL;
	if (!stored)
		return 0;
	chunks_init(&t, FRAME_SIZE);
	p.compression = (enum compression)(data[0] % 3);
	if (build_table(data + 1, size - 1, &t, stored, &s.len)) {
		p.size = t.total_size;
		memset(p.sha256, '0', SHA256_HEX_LEN);
		s.data = stored;
		if (chunks_check_payload(&t, p.chunks, p.compression, p.size, &err) &&
		    framestream_start(&t, &p, read_stored, &s, &fs, &err)) {
			size_t got = 1;
			while (got && framestream_read(fs, NULL, 1 << 16, &got, &err))
				;
		}
	}
	framestream_stop(fs);
	chunks_free(&t);
	free(stored);
	ferry_error_free(err);
	return 0;
}
