/* Tests for agent/readback.c: real files as slots, written in pieces while
 * the read-back follows; the hash must be the file's, in order. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/readback.h"
#include "common/sha256.h"

#define MiB (1024 * 1024)

struct fixture {
	char *dir, *path;
	int fd, dfd;
	unsigned char *image;
	size_t len;
};

static struct fixture *setup(size_t len)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = test_tmpdir();
	assert_true(asprintf(&f->path, "%s/slot.img", f->dir) > 0);
	f->fd = open(f->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f->fd >= 0);
	f->dfd = open(f->path, O_RDWR | O_CLOEXEC | O_DIRECT);   /* -1 on tmpfs: buffered */
	f->len = len;
	f->image = malloc(len);
	for (size_t i = 0; i < len; i++)
		f->image[i] = (unsigned char)(i * 2654435761u >> 11);
	return f;
}

static void teardown(struct fixture *f)
{
	close(f->fd);
	if (f->dfd >= 0)
		close(f->dfd);
	free(f->image);
	free(f->path);
	test_tmpdir_remove(f->dir);
	free(f);
}

/* Writes image[from, to) in pieces of `piece`, telling rb after each. */
static void write_pieces(struct fixture *f, struct readback *rb, size_t from, size_t to,
			 size_t piece)
{
	for (size_t off = from; off < to; off += piece) {
		size_t n = to - off < piece ? to - off : piece;
		assert_int_equal(pwrite(f->fd, f->image + off, n, (off_t)off), (ssize_t)n);
		readback_written(rb, off + n);
	}
}

/* Reads back a 45 MiB image written in odd pieces and checks the hash of
 * [from, len) equals the image's: every byte once, in order, across ring
 * chunks, shrinking windows and an unaligned tail. */
static void hashes_every_byte_once_in_order(bool direct)
{
	struct fixture *f = setup(45 * MiB + 777);
	if (!direct && f->dfd >= 0) {
		close(f->dfd);   /* as on a filesystem without O_DIRECT */
		f->dfd = -1;
	}
	struct ferry_error *err = NULL;
	struct readback *rb = NULL;
	struct readback_stats st = { 0 };
	struct sha256 *h = sha256_new();
	size_t from = MiB;   /* as the handler does: the head is hashed first, from memory */
	sha256_update(h, f->image, from);
	assert_ok(readback_start(f->fd, f->dfd, f->path, from, f->len, h, &rb, &err), err);
	write_pieces(f, rb, from, f->len, 3 * MiB + 4096);
	assert_ok(readback_finish(rb, f->len, &st, &err), err);
	uint8_t got[SHA256_LEN], want[SHA256_LEN];
	sha256_final(h, got);
	sha256_buffer(f->image, f->len, want);
	assert_memory_equal(got, want, SHA256_LEN);
	assert_true(st.windows >= 2);   /* 45 MiB: a 32 MiB window, then the rest */
	assert_true(st.busy >= st.read && st.busy >= st.hash);
	sha256_free(h);
	teardown(f);
}

static void test_readback_hashes_every_byte_once_in_order(void **state)
{
	(void)state;
	hashes_every_byte_once_in_order(true);
}

/* The same through the buffered path (cached pages dropped before reading). */
static void test_readback_buffered_hashes_every_byte_once_in_order(void **state)
{
	(void)state;
	hashes_every_byte_once_in_order(false);
}

/* What is hashed is the medium's, not what the writer meant: a byte changed
 * in the file before it is marked written changes the hash. */
static void test_readback_hashes_what_the_file_holds(void **state)
{
	(void)state;
	struct fixture *f = setup(6 * MiB + 5);
	struct ferry_error *err = NULL;
	struct readback *rb = NULL;
	struct readback_stats st;
	struct sha256 *h = sha256_new();
	assert_ok(readback_start(f->fd, f->dfd, f->path, 0, f->len, h, &rb, &err), err);
	assert_int_equal(pwrite(f->fd, f->image, f->len, 0), (ssize_t)f->len);
	unsigned char bad = f->image[5 * MiB] ^ 0x40;
	assert_int_equal(pwrite(f->fd, &bad, 1, 5 * MiB), 1);
	assert_ok(readback_finish(rb, f->len, &st, &err), err);
	uint8_t got[SHA256_LEN], want[SHA256_LEN];
	sha256_final(h, got);
	sha256_buffer(f->image, f->len, want);
	assert_memory_not_equal(got, want, SHA256_LEN);
	sha256_free(h);
	teardown(f);
}

/* Stopped mid-image (the writer failed): returns without waiting for the
 * rest and leaves nothing running. */
static void test_readback_abort_mid_image_returns(void **state)
{
	(void)state;
	struct fixture *f = setup(40 * MiB);
	struct ferry_error *err = NULL;
	struct readback *rb = NULL;
	struct sha256 *h = sha256_new();
	assert_ok(readback_start(f->fd, f->dfd, f->path, 0, f->len, h, &rb, &err), err);
	write_pieces(f, rb, 0, 36 * MiB, MiB);
	readback_abort(rb);
	readback_abort(NULL);
	sha256_free(h);
	teardown(f);
}

/* The medium cannot be made durable (fdatasync fails): finish fails with the
 * I/O code and names the slot. */
static void test_readback_fails_when_the_slot_cannot_sync(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	struct ferry_error *err = NULL;
	struct readback *rb = NULL;
	struct readback_stats st;
	struct sha256 *h = sha256_new();
	assert_ok(readback_start(pfd[0], -1, "pipe-slot", 0, 8 * MiB, h, &rb, &err), err);
	readback_written(rb, 8 * MiB);
	assert_false(readback_finish(rb, 8 * MiB, &st, &err));
	assert_error_code(err, FERRY_E_IO);
	assert_error_contains(err, "slot pipe-slot: fdatasync");
	ferry_error_clear(&err);
	close(pfd[0]);
	close(pfd[1]);
	sha256_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readback_hashes_every_byte_once_in_order),
		cmocka_unit_test(test_readback_buffered_hashes_every_byte_once_in_order),
		cmocka_unit_test(test_readback_hashes_what_the_file_holds),
		cmocka_unit_test(test_readback_abort_mid_image_returns),
		cmocka_unit_test(test_readback_fails_when_the_slot_cannot_sync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
