/* chunks: the frame table of a chunked payload (the `.chunks` member), a
 * fixed big-endian binary layout documented in docs/formats.md. Parsing is
 * strict: exact length, contiguous offsets, every frame but the last exactly
 * frame_size bytes uncompressed, sums consistent. A parsed table is what lets
 * the bundle reader authenticate a frame before any decompressor sees it. */
#ifndef FERRY_CHUNKS_H
#define FERRY_CHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "manifest.h"
#include "sha256.h"

#define CHUNKS_MAGIC "FERRYCK1"              /* 8 bytes, no NUL */
#define CHUNKS_HEADER_BYTES 32
#define CHUNKS_ENTRY_BYTES 56
#define CHUNKS_MIN_FRAME (64u * 1024)        /* smallest frame_size a table may declare */
#define CHUNKS_MAX_BYTES (16u * 1024 * 1024) /* a larger table is refused unread */

struct chunk_frame {
	uint64_t offset;         /* of the stored frame within the data member */
	uint64_t stored_size;    /* bytes in the data member */
	uint32_t size;           /* uncompressed bytes */
	uint8_t sha256[SHA256_LEN];   /* of the stored bytes */
};

struct chunk_table {
	uint32_t frame_size;     /* uncompressed size of every frame but the last */
	uint64_t total_size;     /* sum of uncompressed sizes */
	uint64_t stored_total;   /* sum of stored sizes = size of the data member */
	size_t n_frames;
	size_t cap;
	struct chunk_frame *frames;
};

/* An empty table for frames of frame_size uncompressed bytes (a power of two
 * between CHUNKS_MIN_FRAME and FRAME_MAX_UNCOMPRESSED). */
void chunks_init(struct chunk_table *t, uint32_t frame_size);
void chunks_free(struct chunk_table *t);
/* Appends the next frame (its offset follows the previous one). */
bool chunks_append(struct chunk_table *t, uint64_t stored_size, uint32_t size,
		   const uint8_t sha256[SHA256_LEN], struct ferry_error **err);
/* The serialized table; caller frees *out. */
bool chunks_serialize(const struct chunk_table *t, uint8_t **out, size_t *len,
		      struct ferry_error **err);
/* Parses and checks the structure of a serialized table (name: for messages). */
bool chunks_parse(const void *bytes, size_t len, const char *name, struct chunk_table *out,
		  struct ferry_error **err);
/* Checks a parsed table against what the manifest says of its payload: total
 * uncompressed size, and each stored frame within what the compression can
 * produce for its size (none: stored == uncompressed). */
bool chunks_check_payload(const struct chunk_table *t, const char *name, enum compression c,
			  uint64_t size, struct ferry_error **err);
/* The largest table a payload of this size can legitimately have. */
uint64_t chunks_max_table_bytes(uint64_t payload_size);

#endif
