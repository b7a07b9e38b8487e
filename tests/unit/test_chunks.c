/* Tests for common/chunks.c, common/frames.c and common/framepack.c: the
 * frame table's strict layout, bounded frame decompression, parallel packing. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/chunks.h"
#include "common/framepack.h"
#include "common/frames.h"
#include "common/sha256.h"

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (i % 3) ? (uint8_t)(x >> 24) : (uint8_t)(i >> 10);   /* part compressible */
	}
}

static void make_table(struct chunk_table *t, size_t n, uint32_t last)
{
	uint8_t sha[SHA256_LEN] = { 0 };
	chunks_init(t, CHUNKS_MIN_FRAME);
	for (size_t i = 0; i < n; i++) {
		sha[0] = (uint8_t)i;
		assert_true(chunks_append(t, 1000 + i, i + 1 == n ? last : CHUNKS_MIN_FRAME, sha, NULL));
	}
}

static void test_chunks_roundtrip(void **state)
{
	(void)state;
	struct chunk_table t, u;
	make_table(&t, 5, 77);
	uint8_t *b;
	size_t len;
	struct ferry_error *err = NULL;
	assert_ok(chunks_serialize(&t, &b, &len, &err), err);
	assert_int_equal(len, CHUNKS_HEADER_BYTES + 5 * CHUNKS_ENTRY_BYTES);
	assert_memory_equal(b, CHUNKS_MAGIC, 8);
	assert_ok(chunks_parse(b, len, "x.chunks", &u, &err), err);
	assert_int_equal(u.n_frames, 5);
	assert_int_equal(u.total_size, 4 * CHUNKS_MIN_FRAME + 77);
	assert_int_equal(u.frames[4].offset, 1000 + 1001 + 1002 + 1003);
	assert_int_equal(u.frames[3].sha256[0], 3);
	assert_int_equal(u.stored_total, t.stored_total);
	u.frames[4].stored_size = 80;   /* within zstd's bound for 77 bytes */
	assert_ok(chunks_check_payload(&u, "x.chunks", COMPRESSION_ZSTD, u.total_size, &err), err);
	chunks_free(&u);
	chunks_free(&t);
	free(b);
}

/* Serializes a 3-frame table, lets mutate() damage it, expects a format
 * refusal that names the table. */
static void expect_parse_refusal(void (*mutate)(uint8_t *b, size_t *len))
{
	struct chunk_table t, u;
	make_table(&t, 3, 10);
	uint8_t *b;
	size_t len;
	assert_true(chunks_serialize(&t, &b, &len, NULL));
	mutate(b, &len);
	struct ferry_error *err = NULL;
	assert_false(chunks_parse(b, len, "p.chunks", &u, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	assert_error_contains(err, "p.chunks");
	ferry_error_free(err);
	chunks_free(&t);
	free(b);
}

static void bad_magic(uint8_t *b, size_t *len) { (void)len; b[0] = 'X'; }
static void truncated(uint8_t *b, size_t *len) { (void)b; *len -= 1; }
static void gap(uint8_t *b, size_t *len) { (void)len; b[CHUNKS_HEADER_BYTES + CHUNKS_ENTRY_BYTES + 7] ^= 1; }
static void short_middle(uint8_t *b, size_t *len)
{
	(void)len;   /* frame 0's size becomes frame_size - 1: a short frame not last */
	uint8_t *e = b + CHUNKS_HEADER_BYTES + 16;
	e[7] = 0xff; e[6] = 0xff; e[5] = 0;
}
static void wrong_total(uint8_t *b, size_t *len) { (void)len; b[31] ^= 1; }
static void odd_frame_size(uint8_t *b, size_t *len) { (void)len; b[15] = 1; }
static void huge_count(uint8_t *b, size_t *len) { (void)len; b[16] = 0x7f; }

static void test_chunks_rejects_bad_magic(void **s) { (void)s; expect_parse_refusal(bad_magic); }
static void test_chunks_rejects_wrong_length(void **s) { (void)s; expect_parse_refusal(truncated); }
static void test_chunks_rejects_offset_gap(void **s) { (void)s; expect_parse_refusal(gap); }
static void test_chunks_rejects_short_frame_not_last(void **s) { (void)s; expect_parse_refusal(short_middle); }
static void test_chunks_rejects_total_mismatch(void **s) { (void)s; expect_parse_refusal(wrong_total); }
static void test_chunks_rejects_frame_size(void **s) { (void)s; expect_parse_refusal(odd_frame_size); }
static void test_chunks_rejects_huge_count(void **s) { (void)s; expect_parse_refusal(huge_count); }

static void test_chunks_check_payload_refuses_mismatch(void **state)
{
	(void)state;
	struct chunk_table t;
	make_table(&t, 2, 5);
	struct ferry_error *err = NULL;
	assert_false(chunks_check_payload(&t, "a.chunks", COMPRESSION_ZSTD, 12, &err));
	assert_error_code(err, FERRY_E_INTEGRITY);
	ferry_error_clear(&err);
	/* none: stored bytes must equal uncompressed bytes */
	assert_false(chunks_check_payload(&t, "a.chunks", COMPRESSION_NONE, t.total_size, &err));
	assert_error_code(err, FERRY_E_INTEGRITY);
	ferry_error_clear(&err);
	t.frames[1].stored_size = 1u << 30;
	assert_false(chunks_check_payload(&t, "a.chunks", COMPRESSION_XZ, t.total_size, &err));
	assert_error_code(err, FERRY_E_INTEGRITY);
	ferry_error_free(err);
	chunks_free(&t);
}

static void roundtrip(enum compression c)
{
	size_t n = 300000;
	uint8_t *in = malloc(n), *out = malloc(frames_stored_bound(c, n)), *back = malloc(n);
	fill(in, n, 1);
	struct frame_coder *fc;
	struct ferry_error *err = NULL;
	size_t len;
	assert_true(frame_coder_new(&fc, NULL));
	assert_ok(frames_compress(fc, c, 0, in, n, out, frames_stored_bound(c, n), &len, &err), err);
	if (c != COMPRESSION_NONE)
		assert_true(len < n);
	assert_ok(frames_decompress(fc, c, out, len, back, n, &err), err);
	assert_memory_equal(in, back, n);
	/* a frame that holds more than declared: refused, never written past */
	assert_false(frames_decompress(fc, c, out, len, back, n - 1, &err));
	if (c != COMPRESSION_NONE)
		assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_clear(&err);
	/* trailing bytes after the frame */
	uint8_t *longer = malloc(len + 4);
	memcpy(longer, out, len);
	memcpy(longer + len, out, 4);
	assert_false(frames_decompress(fc, c, longer, len + 4, back, n, &err));
	ferry_error_clear(&err);
	/* truncated */
	assert_false(frames_decompress(fc, c, out, len - 1, back, n, &err));
	ferry_error_free(err);
	frame_coder_free(fc);
	free(longer);
	free(in);
	free(out);
	free(back);
}

static void test_frames_zstd_roundtrip_and_bounds(void **s) { (void)s; roundtrip(COMPRESSION_ZSTD); }
static void test_frames_xz_roundtrip_and_bounds(void **s) { (void)s; roundtrip(COMPRESSION_XZ); }
static void test_frames_none_roundtrip_and_bounds(void **s) { (void)s; roundtrip(COMPRESSION_NONE); }

static void test_frames_zstd_refuses_zip_bomb(void **state)
{
	(void)state;
	/* 4 MiB of zeros compress to a few hundred bytes; declared 64 KiB. */
	size_t n = FRAME_MAX_UNCOMPRESSED;
	uint8_t *zeros = calloc(1, n), *out = malloc(frames_stored_bound(COMPRESSION_ZSTD, n));
	uint8_t *small = malloc(CHUNKS_MIN_FRAME);
	struct frame_coder *fc;
	struct ferry_error *err = NULL;
	size_t len;
	assert_true(frame_coder_new(&fc, NULL));
	assert_true(frames_compress(fc, COMPRESSION_ZSTD, 0, zeros, n, out,
				    frames_stored_bound(COMPRESSION_ZSTD, n), &len, NULL));
	assert_true(len < 1000);
	assert_false(frames_decompress(fc, COMPRESSION_ZSTD, out, len, small, CHUNKS_MIN_FRAME, &err));
	assert_error_code(err, FERRY_E_FORMAT);
	ferry_error_free(err);
	frame_coder_free(fc);
	free(zeros);
	free(out);
	free(small);
}

/* Packs size bytes with the given thread count; returns the packed bytes. */
static uint8_t *pack(const char *dir, size_t size, unsigned threads, enum compression c,
		     struct chunk_table *t, char hex[65], size_t *packed_len)
{
	uint8_t *data = malloc(size);
	fill(data, size, 7);
	char *in = test_write_file(dir, "in.bin", data, size);
	char *outp;
	assert_true(asprintf(&outp, "%s/out.%u", dir, threads) > 0);
	int ifd = open(in, O_RDONLY), ofd = open(outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct framepack_opts o = { .compression = c, .threads = threads, .frame_size = CHUNKS_MIN_FRAME };
	uint64_t got;
	struct ferry_error *err = NULL;
	assert_ok(framepack_stream(ifd, in, ofd, outp, &o, t, &got, hex, &err), err);
	assert_int_equal(got, size);
	char want[65];
	sha256_buffer_hex(data, size, want);
	assert_string_equal(hex, want);
	*packed_len = (size_t)lseek(ofd, 0, SEEK_CUR);
	uint8_t *packed = malloc(*packed_len + 1);
	assert_int_equal(pread(ofd, packed, *packed_len, 0), (ssize_t)*packed_len);
	/* every frame decompresses to its slice of the input */
	struct frame_coder *fc;
	assert_true(frame_coder_new(&fc, NULL));
	uint8_t *back = malloc(CHUNKS_MIN_FRAME);
	for (size_t i = 0; i < t->n_frames; i++) {
		const struct chunk_frame *f = &t->frames[i];
		uint8_t sha[SHA256_LEN];
		sha256_buffer(packed + f->offset, f->stored_size, sha);
		assert_memory_equal(sha, f->sha256, SHA256_LEN);
		assert_ok(frames_decompress(fc, c, packed + f->offset, f->stored_size, back, f->size, &err), err);
		assert_memory_equal(back, data + i * CHUNKS_MIN_FRAME, f->size);
	}
	frame_coder_free(fc);
	close(ifd);
	close(ofd);
	free(back);
	free(in);
	free(outp);
	free(data);
	return packed;
}

static void test_framepack_output_independent_of_threads(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	size_t size = 7 * CHUNKS_MIN_FRAME + 1234, l1, l3;
	struct chunk_table t1, t3;
	char h1[65], h3[65];
	uint8_t *p1 = pack(dir, size, 1, COMPRESSION_ZSTD, &t1, h1, &l1);
	uint8_t *p3 = pack(dir, size, 3, COMPRESSION_ZSTD, &t3, h3, &l3);
	assert_int_equal(t1.n_frames, 8);
	assert_int_equal(t1.frames[7].size, 1234);
	assert_int_equal(l1, l3);
	assert_memory_equal(p1, p3, l1);
	assert_int_equal(t1.stored_total, l1);
	chunks_free(&t1);
	chunks_free(&t3);
	free(p1);
	free(p3);
	uint8_t *p = pack(dir, 2 * CHUNKS_MIN_FRAME, 2, COMPRESSION_NONE, &t1, h1, &l1);
	assert_int_equal(t1.n_frames, 2);
	assert_int_equal(l1, 2 * CHUNKS_MIN_FRAME);
	chunks_free(&t1);
	free(p);
	p = pack(dir, 3 * CHUNKS_MIN_FRAME - 5, 2, COMPRESSION_XZ, &t1, h1, &l1);
	assert_int_equal(t1.n_frames, 3);
	chunks_free(&t1);
	free(p);
	test_tmpdir_remove(dir);
}

/* Packs fd with 2 threads; checks size and SHA-256 against want. */
static void pack_fd_and_check(const char *dir, int fd, const uint8_t *want, size_t size)
{
	char *outp = NULL, hex[65], wanthex[65];
	assert_true(asprintf(&outp, "%s/out.fd", dir) > 0);
	int ofd = open(outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct framepack_opts o = { .compression = COMPRESSION_ZSTD, .threads = 2,
				    .frame_size = CHUNKS_MIN_FRAME };
	struct chunk_table t;
	uint64_t got = 0;
	struct ferry_error *err = NULL;
	assert_ok(framepack_stream(fd, "in", ofd, outp, &o, &t, &got, hex, &err), err);
	assert_int_equal(got, size);
	sha256_buffer_hex(want, size, wanthex);
	assert_string_equal(hex, wanthex);
	chunks_free(&t);
	close(ofd);
	free(outp);
}

/* A pipe packs like a file; a file from where its offset stands. */
static void test_framepack_hashes_pipes_and_files_from_their_offset(void **state)
{
	(void)state;
	char *dir = test_tmpdir();
	size_t size = 9 * CHUNKS_MIN_FRAME + 77;
	uint8_t *data = malloc(size);
	fill(data, size, 3);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		for (size_t done = 0; done < size;) {
			ssize_t w = write(pfd[1], data + done, size - done < 4096 ? size - done : 4096);
			if (w <= 0)
				_exit(1);
			done += (size_t)w;
		}
		_exit(0);
	}
	close(pfd[1]);
	pack_fd_and_check(dir, pfd[0], data, size);
	close(pfd[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char *in = test_write_file(dir, "in.bin", data, size);
	int fd = open(in, O_RDONLY);
	assert_int_equal(lseek(fd, 1000, SEEK_SET), 1000);
	pack_fd_and_check(dir, fd, data + 1000, size - 1000);
	close(fd);
	free(in);
	free(data);
	test_tmpdir_remove(dir);
}

struct toucher {
	const char *path;
	bool done;
};

/* After the first frame: the input's times change, as a write would. */
static void touch_input(void *ctx, uint64_t bytes)
{
	struct toucher *t = ctx;
	(void)bytes;
	struct timespec times[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	if (!t->done)
		assert_int_equal(utimensat(AT_FDCWD, t->path, times, 0), 0);
	t->done = true;
}

static void test_framepack_refuses_input_changed_while_packed(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), *outp = NULL, hex[65];
	size_t size = 6 * CHUNKS_MIN_FRAME;
	uint8_t *data = malloc(size);
	fill(data, size, 5);
	char *in = test_write_file(dir, "in.bin", data, size);
	assert_true(asprintf(&outp, "%s/out", dir) > 0);
	int fd = open(in, O_RDONLY), ofd = open(outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct toucher tc = { .path = in };
	struct framepack_opts o = { .compression = COMPRESSION_ZSTD, .threads = 2,
				    .frame_size = CHUNKS_MIN_FRAME, .progress = touch_input,
				    .progress_ctx = &tc };
	struct chunk_table t;
	uint64_t got = 0;
	struct ferry_error *err = NULL;
	assert_false(framepack_stream(fd, in, ofd, outp, &o, &t, &got, hex, &err));
	assert_error_contains(err, "in.bin: changed while it was being packed");
	ferry_error_free(err);
	chunks_free(&t);
	close(fd);
	close(ofd);
	free(outp);
	free(in);
	free(data);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunks_roundtrip),
		cmocka_unit_test(test_framepack_hashes_pipes_and_files_from_their_offset),
		cmocka_unit_test(test_framepack_refuses_input_changed_while_packed),
		cmocka_unit_test(test_chunks_rejects_bad_magic),
		cmocka_unit_test(test_chunks_rejects_wrong_length),
		cmocka_unit_test(test_chunks_rejects_offset_gap),
		cmocka_unit_test(test_chunks_rejects_short_frame_not_last),
		cmocka_unit_test(test_chunks_rejects_total_mismatch),
		cmocka_unit_test(test_chunks_rejects_frame_size),
		cmocka_unit_test(test_chunks_rejects_huge_count),
		cmocka_unit_test(test_chunks_check_payload_refuses_mismatch),
		cmocka_unit_test(test_frames_zstd_roundtrip_and_bounds),
		cmocka_unit_test(test_frames_xz_roundtrip_and_bounds),
		cmocka_unit_test(test_frames_none_roundtrip_and_bounds),
		cmocka_unit_test(test_frames_zstd_refuses_zip_bomb),
		cmocka_unit_test(test_framepack_output_independent_of_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
