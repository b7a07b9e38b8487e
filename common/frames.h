/* frames: compresses and decompresses one payload frame (a zstd frame, an xz
 * stream, or stored bytes). Decompression is bounded: it produces exactly
 * the declared number of bytes or fails ("decompresses past its declared
 * size", "ends before…"), accepts exactly one frame with no trailing bytes,
 * and caps decoder memory. Callers hash frames before they get here. */
#ifndef FERRY_FRAMES_H
#define FERRY_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "manifest.h"

#define FRAMES_ZSTD_LEVEL_DEFAULT 3
#define FRAMES_XZ_PRESET_DEFAULT 6
#define FRAMES_XZ_MEMLIMIT (64u * 1024 * 1024)

/* The most stored bytes a frame of size uncompressed bytes can take. */
size_t frames_stored_bound(enum compression c, size_t size);

/* One coder per thread: owns the zstd/xz contexts it reuses across frames. */
struct frame_coder;
bool frame_coder_new(struct frame_coder **out, struct ferry_error **err);
void frame_coder_free(struct frame_coder *fc);

/* Compresses in_len bytes into out (out_cap >= frames_stored_bound). level:
 * zstd level or xz preset (0: the default). */
bool frames_compress(struct frame_coder *fc, enum compression c, int level, const void *in,
		     size_t in_len, void *out, size_t out_cap, size_t *out_len,
		     struct ferry_error **err);
/* Decompresses one stored frame into exactly size bytes at out. */
bool frames_decompress(struct frame_coder *fc, enum compression c, const void *in, size_t in_len,
		       void *out, size_t size, struct ferry_error **err);

#endif
