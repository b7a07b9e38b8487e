/* framepack: turns a stream of payload bytes into independent frames, in
 * parallel. Worker threads compress and hash frames while the calling thread
 * reads, hashes the whole payload and writes finished frames in order, so
 * the output is identical whatever the thread count. Fills the frame table. */
#ifndef FERRY_FRAMEPACK_H
#define FERRY_FRAMEPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "chunks.h"
#include "error.h"
#include "manifest.h"
#include "sha256.h"

/* 1 MiB: zstd -3's window is 1 MiB anyway (bundles barely grow), and a
 * device decompresses such frames two at a time within its memory budget
 * (framestream.h). */
#define FRAMEPACK_FRAME_DEFAULT (1024u * 1024)

struct framepack_opts {
	enum compression compression;
	int level;               /* zstd level / xz preset; 0: default */
	unsigned threads;        /* compressing threads; 0: one per online CPU */
	uint32_t frame_size;     /* 0: FRAMEPACK_FRAME_DEFAULT */
	/* Called from the calling thread after each frame is written. */
	void (*progress)(void *ctx, uint64_t bytes);
	void *progress_ctx;
};

/* Reads in_fd to its end and appends the frames to out_fd. *table is
 * initialised here (caller chunks_free's it, also on failure); *size and
 * sha256_hex describe the uncompressed bytes. */
bool framepack_stream(int in_fd, const char *in_name, int out_fd, const char *out_name,
		      const struct framepack_opts *o, struct chunk_table *table, uint64_t *size,
		      char sha256_hex[SHA256_HEX_LEN + 1], struct ferry_error **err);

#endif
