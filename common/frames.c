/* frames: see frames.h. */
#include "frames.h"

#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

/* Frames hold at most 4 MiB: an 8 MiB window is ample, and refusing larger
 * windows caps what a (signed but careless) frame can make us allocate. */
#define FRAMES_ZSTD_WINDOW_LOG_MAX 23

struct frame_coder {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
};

size_t frames_stored_bound(enum compression c, size_t size)
{
	switch (c) {
	case COMPRESSION_ZSTD: return ZSTD_compressBound(size);
	case COMPRESSION_XZ:   return lzma_stream_buffer_bound(size);
	case COMPRESSION_NONE: break;
	}
	return size;
}

bool frame_coder_new(struct frame_coder **out, struct ferry_error **err)
{
	struct frame_coder *fc = calloc(1, sizeof(*fc));
	if (!fc)
		return ferry_error_set(err, "out of memory");
	*out = fc;
	return true;
}

void frame_coder_free(struct frame_coder *fc)
{
	if (!fc)
		return;
	ZSTD_freeCCtx(fc->cctx);
	ZSTD_freeDCtx(fc->dctx);
	free(fc);
}

static bool zstd_compress(struct frame_coder *fc, int level, const void *in, size_t in_len,
			  void *out, size_t out_cap, size_t *out_len, struct ferry_error **err)
{
	if (!fc->cctx && !(fc->cctx = ZSTD_createCCtx()))
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory (zstd)");
	ZSTD_CCtx_reset(fc->cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(fc->cctx, ZSTD_c_compressionLevel, level ? level : FRAMES_ZSTD_LEVEL_DEFAULT);
	ZSTD_CCtx_setParameter(fc->cctx, ZSTD_c_contentSizeFlag, 1);
	/* The frame table's SHA-256 authenticates the stored bytes already. */
	ZSTD_CCtx_setParameter(fc->cctx, ZSTD_c_checksumFlag, 0);
	size_t r = ZSTD_compress2(fc->cctx, out, out_cap, in, in_len);
	if (ZSTD_isError(r))
		return ferry_error_set(err, "zstd: %s", ZSTD_getErrorName(r));
	*out_len = r;
	return true;
}

static bool zstd_decompress(struct frame_coder *fc, const void *in, size_t in_len, void *out,
			    size_t size, struct ferry_error **err)
{
	size_t frame_len = ZSTD_findFrameCompressedSize(in, in_len);
	if (ZSTD_isError(frame_len))
		return ferry_error_set(err, "not a zstd frame: %s", ZSTD_getErrorName(frame_len));
	if (frame_len != in_len)
		return ferry_error_set(err, "%zu bytes after the zstd frame", in_len - frame_len);
	unsigned long long declared = ZSTD_getFrameContentSize(in, in_len);
	if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > size)
		return ferry_error_set(err, "decompresses past its declared size (%llu bytes, "
				       "declared %zu)", declared, size);
	if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared < size)
		return ferry_error_set(err, "decompresses to %llu bytes, declared %zu", declared, size);
	if (!fc->dctx) {
		if (!(fc->dctx = ZSTD_createDCtx()))
			return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory (zstd)");
		ZSTD_DCtx_setParameter(fc->dctx, ZSTD_d_windowLogMax, FRAMES_ZSTD_WINDOW_LOG_MAX);
	}
	size_t r = ZSTD_decompressDCtx(fc->dctx, out, size, in, in_len);
	if (ZSTD_isError(r)) {
		if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
			return ferry_error_set(err, "decompresses past its declared size of %zu bytes",
					       size);
		return ferry_error_set(err, "zstd: %s", ZSTD_getErrorName(r));
	}
	if (r != size)
		return ferry_error_set(err, "decompresses to %zu bytes, declared %zu", r, size);
	return true;
}

static bool xz_compress(int level, const void *in, size_t in_len, void *out, size_t out_cap,
			size_t *out_len, struct ferry_error **err)
{
	size_t pos = 0;
	if (level < 0 || level > 9)
		return ferry_error_set(err, "xz: level %d is outside 0..9", level);
	lzma_ret r = lzma_easy_buffer_encode((uint32_t)(level ? level : FRAMES_XZ_PRESET_DEFAULT),
					     LZMA_CHECK_CRC32, NULL, in, in_len, out, &pos, out_cap);
	if (r != LZMA_OK)
		return ferry_error_set(err, "xz: compression failed (%d)", (int)r);
	*out_len = pos;
	return true;
}

static bool xz_decompress(const void *in, size_t in_len, void *out, size_t size,
			  struct ferry_error **err)
{
	uint64_t memlimit = FRAMES_XZ_MEMLIMIT;
	size_t in_pos = 0, out_pos = 0;
	lzma_ret r = lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos, in_len, out,
					       &out_pos, size);
	switch (r) {
	case LZMA_OK:
		break;
	case LZMA_BUF_ERROR:
		/* liblzma does not say which buffer ran out */
		return ferry_error_set(err, "xz: truncated stream or decompresses past its declared "
				       "size of %zu bytes", size);
	case LZMA_MEMLIMIT_ERROR:
		return ferry_error_set(err, "xz: needs more than %u MiB to decode",
				       FRAMES_XZ_MEMLIMIT >> 20);
	case LZMA_FORMAT_ERROR:
		return ferry_error_set(err, "not an xz stream");
	default:
		return ferry_error_set(err, "xz: corrupt stream (%d)", (int)r);
	}
	if (in_pos != in_len)
		return ferry_error_set(err, "%zu bytes after the xz stream", in_len - in_pos);
	if (out_pos != size)
		return ferry_error_set(err, "decompresses to %zu bytes, declared %zu", out_pos, size);
	return true;
}

bool frames_compress(struct frame_coder *fc, enum compression c, int level, const void *in,
		     size_t in_len, void *out, size_t out_cap, size_t *out_len,
		     struct ferry_error **err)
{
	switch (c) {
	case COMPRESSION_ZSTD:
		return zstd_compress(fc, level, in, in_len, out, out_cap, out_len, err);
	case COMPRESSION_XZ:
		return xz_compress(level, in, in_len, out, out_cap, out_len, err);
	case COMPRESSION_NONE:
		break;
	}
	if (out_cap < in_len)
		return ferry_error_set(err, "frame buffer too small");
	memcpy(out, in, in_len);
	*out_len = in_len;
	return true;
}

bool frames_decompress(struct frame_coder *fc, enum compression c, const void *in, size_t in_len,
		       void *out, size_t size, struct ferry_error **err)
{
	bool ok = true;
	switch (c) {
	case COMPRESSION_ZSTD:
		ok = zstd_decompress(fc, in, in_len, out, size, err);
		break;
	case COMPRESSION_XZ:
		ok = xz_decompress(in, in_len, out, size, err);
		break;
	case COMPRESSION_NONE:
		if (in_len != size)
			ok = ferry_error_set(err, "stored frame of %zu bytes, declared %zu", in_len, size);
		else if (out != in)
			memcpy(out, in, size);
		break;
	}
	if (!ok)   /* a frame that does not decode to what its table declares is malformed */
		ferry_error_classify(err, FERRY_E_FORMAT);
	return ok;
}
