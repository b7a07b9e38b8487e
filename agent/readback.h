/* readback: proves what a slot holds while it is still being written. A
 * reader thread follows the writer: it makes everything written so far
 * durable (fdatasync), then reads that window back from the medium (O_DIRECT
 * where the slot allows it, else with its cached pages dropped first) into a
 * small ring; a hasher thread feeds the ring, in order, to the caller's
 * SHA-256 while the next chunk is read. So the image is hashed once, from the
 * medium, reading and hashing overlap each other and the write of the next
 * window instead of costing a second pass, and windows shrink towards the
 * image's end so that little is left to read once the write is done.
 * Promises: no byte is hashed before it was durable and read back;
 * readback_finish returns true only when every byte from `from` to the end
 * was. */
#ifndef FERRY_AGENT_READBACK_H
#define FERRY_AGENT_READBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/sha256.h"

#define READBACK_ALIGN 4096u          /* O_DIRECT offsets, lengths, buffers */
#define READBACK_CHUNK (2u * 1024 * 1024)   /* one read from the medium */
#define READBACK_CHUNKS 2                     /* the ring: one read while one is hashed */
/* A window is read back once this much more was written: each window costs
 * one flush of the device's cache (on a loop device, a journal commit of
 * the filesystem under it, during which writes wait), so a few of them per
 * image; but the last one is read after the write ends, so not too large. */
#define READBACK_WINDOW_MIN (32ull * 1024 * 1024)
#define READBACK_WINDOWS 8   /* per image, when that makes them larger */
/* Near the end a window is at most half of what is left to read back, and
 * at least this: the last one, read after the write ends, stays small. */
#define READBACK_WINDOW_TAIL (4ull * 1024 * 1024)

struct readback;

/* fd: the slot opened buffered; dfd: the same slot opened O_DIRECT, or -1.
 * Reading starts at `from` (READBACK_ALIGN-aligned); h (caller's, must
 * outlive the thread) already holds the bytes before it; size: the image's
 * (sets the window). path: for messages. */
bool readback_start(int fd, int dfd, const char *path, uint64_t from, uint64_t size,
		    struct sha256 *h, struct readback **out, struct ferry_error **err);
/* The writer's pwrite up to `end` returned: that much may be read back. */
void readback_written(struct readback *rb, uint64_t end);
/* Where the thread's time went, in seconds. */
struct readback_stats {
	double busy;               /* the busier of read and hash (they run in parallel) */
	double read;               /* the reader thread: fdatasync and reads */
	double sync;               /* of which fdatasync */
	double hash;               /* the hasher thread */
	double after;              /* from readback_finish's call to the last byte hashed */
	unsigned windows;          /* fdatasync + read-back rounds */
};

/* The writer is done at `end`: waits until the rest is durable, read back
 * and hashed. Then frees rb (also on failure). */
bool readback_finish(struct readback *rb, uint64_t end, struct readback_stats *st,
		     struct ferry_error **err);
/* Stops the thread without waiting for the rest and frees rb; NULL is fine. */
void readback_abort(struct readback *rb);

/* Reads len bytes at off from the medium into buf (READBACK_ALIGN-aligned):
 * through dfd for the aligned part, the rest through fd with its cached pages
 * dropped. Used for the slot's head, written last. */
bool readback_pread(int fd, int dfd, const char *path, void *buf, size_t len, uint64_t off,
		    struct ferry_error **err);

#endif
