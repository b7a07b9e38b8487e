/* framestream: the authenticated, decompressed bytes of one chunked payload.
 * Worker threads read each stored frame, compare its SHA-256 with the frame
 * table BEFORE any decompressor sees it, and decompress it into a small ring
 * of buffers; the consumer's thread hashes the whole payload as it takes the
 * bytes and checks size and SHA-256 at the end. Errors name the member and
 * frame. One worker per usable CPU while two frame buffers per worker and
 * each worker's stored frame fit in FRAMESTREAM_MEMORY (two or three with
 * 1 MiB frames, ferry-pack's default), else one, double-buffered; stored
 * frames are still read in order. */
#ifndef FERRY_FRAMESTREAM_H
#define FERRY_FRAMESTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "chunks.h"
#include "error.h"
#include "manifest.h"

#define FRAMESTREAM_WORKERS_MAX 4
#define FRAMESTREAM_SLOTS_MAX (2 * FRAMESTREAM_WORKERS_MAX)
/* The frame buffers and the workers' stored frames, at most (but for one
 * worker, which always has two frame buffers). */
#define FRAMESTREAM_MEMORY (8u * 1024 * 1024)
#define FRAMESTREAM_ALIGN 4096   /* frame buffers: fit for O_DIRECT writes */

/* Reads exactly len stored bytes (the next frame) from wherever they are. */
typedef bool (*framestream_read_fn)(void *ctx, void *buf, size_t len, struct ferry_error **err);

struct framestream;

/* Starts the workers. Takes over *table (left empty). p gives the member
 * name, compression, size and sha256 (must outlive the stream). read is
 * called from one worker at a time, frame after frame, until framestream_stop. */
bool framestream_start(struct chunk_table *table, const struct payload *p, framestream_read_fn read,
		       void *read_ctx, struct framestream **out, struct ferry_error **err);
/* byte_source-style read: *got = 0 at the end, after size and hash matched.
 * buf NULL: the bytes are checked and skipped, not copied (verification). */
bool framestream_read(struct framestream *fs, void *buf, size_t cap, size_t *got,
		      struct ferry_error **err);
/* Like framestream_read, without a copy: the rest of the current frame in
 * place (FRAMESTREAM_ALIGN-aligned at frame starts), then up to max - 1
 * whole frames after it that are already decompressed (so that one pwritev
 * writes several; at most half the ring is held, so the workers go on), all
 * valid until the next call; *n = 0 at the end, after the same checks. */
bool framestream_borrow(struct framestream *fs, struct iovec *runs, size_t max, size_t *n,
			struct ferry_error **err);
/* Before the first read. The consumer proves the payload's SHA-256 itself
 * (rootfs-ab hashes what it reads back from the medium): frames are still
 * authenticated and the size checked, the whole-payload hash is not computed
 * here, so the decompressed bytes are hashed once, not twice. */
void framestream_skip_whole_hash(struct framestream *fs);
/* Before the first read, with buf NULL reads only: every stored frame is
 * read and its SHA-256 compared with the (signed) frame table, nothing is
 * decompressed and the whole-payload SHA-256 is not checked (ferry-pack
 * verify; see docs/packaging.md for what that proves). */
void framestream_frames_only(struct framestream *fs);
/* Stops the worker (finishing the frame in hand) and frees; NULL is fine. */
void framestream_stop(struct framestream *fs);

#endif
