/* bytesource: a pull interface over a stream of bytes, so that payload
 * consumers (handlers, libarchive extraction) read from a bundle, a file or
 * memory alike. A bundle's payload source returns only authenticated bytes
 * and reports a hash or size mismatch as an error at the latest when the
 * consumer reads past the end: a consumer makes nothing effective before it
 * has seen *got == 0 (end of stream) without error. */
#ifndef FERRY_BYTESOURCE_H
#define FERRY_BYTESOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "error.h"

struct byte_source {
	/* Reads up to cap bytes into buf; *got = 0 means the end of the stream.
	 * Returns false with *err set on any failure (I/O, hash mismatch…). */
	bool (*read)(void *ctx, void *buf, size_t cap, size_t *got, struct ferry_error **err);
	void *ctx;
	const char *name;   /* for messages: "payloads/gw-x/rootfs.img.zst" */
	/* Optional (NULL: not offered), called before the first read by a
	 * consumer that proves the stream's SHA-256 itself, from what it reads
	 * back from the medium: the source then checks its frames and size but
	 * not the whole-stream hash, which is computed once instead of twice. */
	void (*skip_whole_hash)(void *ctx);
	/* Optional (NULL: not offered): the next bytes in place instead of a
	 * copy, as *n runs (1 <= *n <= max) that follow each other in the stream,
	 * all valid until the next call; more than one only where they are
	 * ready at once. *n = 0 at the end, after the same checks as read. For
	 * consumers that write large buffers as they are (pwritev). */
	bool (*borrow)(void *ctx, struct iovec *runs, size_t max, size_t *n,
		       struct ferry_error **err);
};

/* True when the source left the whole-stream SHA-256 to the caller. */
static inline bool byte_source_skip_whole_hash(struct byte_source *s)
{
	if (!s->skip_whole_hash)
		return false;
	s->skip_whole_hash(s->ctx);
	return true;
}

static inline bool byte_source_read(struct byte_source *s, void *buf, size_t cap, size_t *got,
				    struct ferry_error **err)
{
	return s->read(s->ctx, buf, cap, got, err);
}

#endif
