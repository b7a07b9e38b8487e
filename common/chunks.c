/* chunks: see chunks.h. Layout (big-endian):
 *   header: magic[8] "FERRYCK1", u32 format (1), u32 frame_size,
 *           u64 n_frames, u64 total uncompressed size
 *   entry:  u64 offset, u64 stored_size, u64 size, u8 sha256[32]   */
#include "chunks.h"

#include <stdlib.h>
#include <string.h>

#include "frames.h"

#define CHUNKS_FORMAT 1

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static bool frame_size_valid(uint32_t fs)
{
	return fs >= CHUNKS_MIN_FRAME && fs <= FRAME_MAX_UNCOMPRESSED && (fs & (fs - 1)) == 0;
}

void chunks_init(struct chunk_table *t, uint32_t frame_size)
{
	memset(t, 0, sizeof(*t));
	t->frame_size = frame_size;
}

void chunks_free(struct chunk_table *t)
{
	free(t->frames);
	memset(t, 0, sizeof(*t));
}

bool chunks_append(struct chunk_table *t, uint64_t stored_size, uint32_t size,
		   const uint8_t sha256[SHA256_LEN], struct ferry_error **err)
{
	if (t->n_frames > 0 && t->frames[t->n_frames - 1].size != t->frame_size)
		return ferry_error_setc(err, FERRY_E_FORMAT, "frame %zu follows a short frame", t->n_frames);
	if (size == 0 || size > t->frame_size || stored_size == 0)
		return ferry_error_setc(err, FERRY_E_FORMAT, "frame %zu: invalid size", t->n_frames);
	if (t->n_frames == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct chunk_frame *f = realloc(t->frames, cap * sizeof(*f));
		if (!f)
			return ferry_error_set(err, "out of memory");
		t->frames = f;
		t->cap = cap;
	}
	struct chunk_frame *f = &t->frames[t->n_frames++];
	f->offset = t->stored_total;
	f->stored_size = stored_size;
	f->size = size;
	memcpy(f->sha256, sha256, SHA256_LEN);
	t->stored_total += stored_size;
	t->total_size += size;
	return true;
}

bool chunks_serialize(const struct chunk_table *t, uint8_t **out, size_t *len,
		      struct ferry_error **err)
{
	size_t n = CHUNKS_HEADER_BYTES + t->n_frames * CHUNKS_ENTRY_BYTES;
	uint8_t *b = malloc(n);
	if (!b)
		return ferry_error_set(err, "out of memory");
	memcpy(b, CHUNKS_MAGIC, 8);
	put_u32(b + 8, CHUNKS_FORMAT);
	put_u32(b + 12, t->frame_size);
	put_u64(b + 16, t->n_frames);
	put_u64(b + 24, t->total_size);
	for (size_t i = 0; i < t->n_frames; i++) {
		uint8_t *e = b + CHUNKS_HEADER_BYTES + i * CHUNKS_ENTRY_BYTES;
		put_u64(e, t->frames[i].offset);
		put_u64(e + 8, t->frames[i].stored_size);
		put_u64(e + 16, t->frames[i].size);
		memcpy(e + 24, t->frames[i].sha256, SHA256_LEN);
	}
	*out = b;
	*len = n;
	return true;
}

bool chunks_parse(const void *bytes, size_t len, const char *name, struct chunk_table *out,
		  struct ferry_error **err)
{
	const uint8_t *b = bytes;
	struct chunk_table t;
	chunks_init(&t, 0);
	if (len < CHUNKS_HEADER_BYTES || memcmp(b, CHUNKS_MAGIC, 8) != 0)
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: not a frame table (bad magic)", name);
	if (get_u32(b + 8) != CHUNKS_FORMAT)
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: unsupported frame table format %u", name,
				       get_u32(b + 8));
	t.frame_size = get_u32(b + 12);
	if (!frame_size_valid(t.frame_size))
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: invalid frame size %u", name, t.frame_size);
	uint64_t n = get_u64(b + 16), total = get_u64(b + 24);
	if (n > (CHUNKS_MAX_BYTES - CHUNKS_HEADER_BYTES) / CHUNKS_ENTRY_BYTES ||
	    len != CHUNKS_HEADER_BYTES + n * CHUNKS_ENTRY_BYTES)
		return ferry_error_setc(err, FERRY_E_FORMAT, "%s: %zu bytes do not hold %llu frames", name, len,
				       (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *e = b + CHUNKS_HEADER_BYTES + i * CHUNKS_ENTRY_BYTES;
		uint64_t off = get_u64(e), stored = get_u64(e + 8), size = get_u64(e + 16);
		if (off != t.stored_total) {
			ferry_error_setc(err, FERRY_E_FORMAT, "%s: frame %llu: offset %llu, expected %llu", name,
					(unsigned long long)i, (unsigned long long)off,
					(unsigned long long)t.stored_total);
			goto fail;
		}
		if (size > t.frame_size || stored > UINT32_MAX || stored == 0 ||
		    !chunks_append(&t, stored, (uint32_t)size, e + 24, NULL)) {
			ferry_error_setc(err, FERRY_E_FORMAT, "%s: frame %llu: invalid sizes (stored %llu, size %llu)",
					name, (unsigned long long)i, (unsigned long long)stored,
					(unsigned long long)size);
			goto fail;
		}
	}
	if (t.total_size != total) {
		ferry_error_setc(err, FERRY_E_FORMAT, "%s: frames hold %llu bytes, header says %llu", name,
				(unsigned long long)t.total_size, (unsigned long long)total);
		goto fail;
	}
	*out = t;
	return true;
fail:
	chunks_free(&t);
	return false;
}

bool chunks_check_payload(const struct chunk_table *t, const char *name, enum compression c,
			  uint64_t size, struct ferry_error **err)
{
	if (t->total_size != size)
		return ferry_error_setc(err, FERRY_E_INTEGRITY,
					"%s: frames hold %llu bytes, the manifest says %llu", name,
					(unsigned long long)t->total_size, (unsigned long long)size);
	for (size_t i = 0; i < t->n_frames; i++) {
		const struct chunk_frame *f = &t->frames[i];
		bool fits = c == COMPRESSION_NONE ? f->stored_size == f->size
						  : f->stored_size <= frames_stored_bound(c, f->size);
		if (!fits)
			return ferry_error_setc(err, FERRY_E_INTEGRITY,
						"%s: frame %zu: %llu stored bytes cannot hold %u bytes", name,
						i, (unsigned long long)f->stored_size, f->size);
	}
	return true;
}

uint64_t chunks_max_table_bytes(uint64_t payload_size)
{
	uint64_t n = (payload_size + CHUNKS_MIN_FRAME - 1) / CHUNKS_MIN_FRAME;
	uint64_t max = CHUNKS_HEADER_BYTES + n * CHUNKS_ENTRY_BYTES;
	return max < CHUNKS_MAX_BYTES ? max : CHUNKS_MAX_BYTES;
}
