/* Tests for agent/handler_rootfs_ab.c: slots are real files. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/handler.h"
#include "common/safefile.h"
#include "common/sha256.h"
#include "source_fixture.h"

#define MiB (1024 * 1024)

struct fixture {
	char *dir, *slot;
	unsigned char *image;
	size_t image_len;
	struct payload p;
	struct handler_context ctx;
	struct handler_result res;
	struct mem_source ms;
};

static void make_slot(struct fixture *f, size_t size, unsigned char fill)
{
	unsigned char *b = malloc(size);
	memset(b, fill, size);
	free(test_write_file(f->dir, "slot-b.img", b, size));
	free(b);
}

static struct fixture *setup(size_t image_len, size_t slot_len)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = test_tmpdir();
	assert_true(asprintf(&f->slot, "%s/slot-b.img", f->dir) > 0);
	make_slot(f, slot_len, 'S');
	f->image_len = image_len;
	f->image = malloc(image_len);
	for (size_t i = 0; i < image_len; i++)
		f->image[i] = (unsigned char)(i * 2654435761u >> 13);
	f->p.name = "rootfs.img";
	f->p.handler = "rootfs-ab";
	f->p.size = image_len;
	sha256_buffer_hex(f->image, image_len, f->p.sha256);
	f->ctx.slot_path = f->slot;
	mem_source_init(&f->ms, f->image, image_len, "payloads/gw-x/rootfs.img.zst");
	f->ms.piece = 100000;   /* reads of odd sizes, as from frames */
	return f;
}

static void teardown(struct fixture *f)
{
	handler_result_free(&f->res);
	free(f->image);
	free(f->slot);
	test_tmpdir_remove(f->dir);
	free(f);
}

static unsigned char *read_slot(struct fixture *f, size_t *len)
{
	char *data = NULL;
	struct ferry_error *err = NULL;
	assert_ok(read_file_limited(f->slot, 64 * MiB, &data, len, &err), err);
	return (unsigned char *)data;
}

static void assert_all(const unsigned char *b, size_t len, unsigned char v)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != v)
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, b[i], v);
}

static void test_handler_rootfs_ab_writes_and_reads_back(void **state)
{
	(void)state;
	struct fixture *f = setup(5 * MiB + 123, 8 * MiB);
	struct ferry_error *err = NULL;
	assert_ptr_equal(handler_find("rootfs-ab"), &handler_rootfs_ab);
	assert_ok(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_int_equal(f->res.bytes, f->image_len);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_int_equal(len, 8 * MiB);
	assert_memory_equal(slot, f->image, f->image_len);
	assert_all(slot + f->image_len, len - f->image_len, 'S');   /* nothing past the image */
	free(slot);
	assert_ok(handler_rootfs_ab.activate(&f->ctx, &f->p, &f->res, &err), err);
	assert_true(f->res.needs_boot_switch);
	assert_true(f->res.needs_reboot);
	teardown(f);
}

/* Zero stretches: one in the head (written last, as data), a whole aligned
 * MiB, an unaligned one and the image's tail. With runs at MiB offsets the
 * whole 64 KiB grains in them are 1 MiB + 512 KiB + 64 KiB. */
#define ZEROS_IN_GRAINS (1600 * 1024)
static void put_zeros(struct fixture *f)
{
	memset(f->image + 512 * 1024, 0, 256 * 1024);
	memset(f->image + MiB, 0, MiB);
	memset(f->image + 2 * MiB + 100, 0, 600 * 1024);
	memset(f->image + f->image_len - 70000, 0, 70000);
	sha256_buffer_hex(f->image, f->image_len, f->p.sha256);
}

/* Whether files in dir take FALLOC_FL_ZERO_RANGE (ext4, xfs: yes; tmpfs: no). */
static bool zero_range_works(const char *dir)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/probe", dir) > 0);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	bool ok = ftruncate(fd, 65536) == 0 && fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 65536) == 0;
	close(fd);
	unlink(path);
	free(path);
	return ok;
}

/* Installs f->image over a slot full of 'S' and checks every byte. */
static void install_and_compare(struct fixture *f, size_t slot_len)
{
	struct ferry_error *err = NULL;
	make_slot(f, slot_len, 'S');
	assert_ok(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_int_equal(f->res.bytes, f->image_len);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_memory_equal(slot, f->image, f->image_len);
	assert_all(slot + f->image_len, len - f->image_len, 'S');
	free(slot);
}

/* The same from a source that lends runs of run bytes, as frames are lent. */
static void install_lent_and_compare(struct fixture *f, size_t run)
{
	mem_source_init(&f->ms, f->image, f->image_len, "lent");
	mem_source_lend(&f->ms, run);
	install_and_compare(f, 8 * MiB);
	mem_source_free(&f->ms);
}

static void test_handler_rootfs_ab_zero_stretches_are_zeros_on_the_medium(void **state)
{
	(void)state;
	struct fixture *f = setup(5 * MiB + 123, 8 * MiB);
	put_zeros(f);
	uint64_t want = zero_range_works(f->dir) ? ZEROS_IN_GRAINS : 0;
	/* read into the handler's buffer, odd pieces */
	install_and_compare(f, 8 * MiB);
	assert_int_equal(f->res.zeroed_bytes, want);
	/* lent runs of one MiB, as frames are: written several per pwritev */
	install_lent_and_compare(f, MiB);
	assert_int_equal(f->res.zeroed_bytes, want);
	/* lent runs of odd sizes: the grains follow each run */
	install_lent_and_compare(f, 196 * 1024);
	assert_true(f->res.zeroed_bytes % (64 * 1024) == 0 && f->res.zeroed_bytes <= ZEROS_IN_GRAINS);
	assert_true(want == 0 || f->res.zeroed_bytes > 0);
	/* agent.json "write_zeroes": false: all of it written as data */
	f->ctx.slot_write_zeroes_off = true;
	install_lent_and_compare(f, MiB);
	assert_int_equal(f->res.zeroed_bytes, 0);
	teardown(f);
}

/* A filesystem without FALLOC_FL_ZERO_RANGE (tmpfs): the zeros are written. */
static void test_handler_rootfs_ab_writes_zeros_where_the_slot_cannot_zero(void **state)
{
	(void)state;
	struct statfs sf;
	if (statfs("/dev/shm", &sf) != 0 || sf.f_type != TMPFS_MAGIC || access("/dev/shm", W_OK) != 0)
		skip();   /* no writable tmpfs at /dev/shm here */
	struct fixture *f = setup(5 * MiB + 123, 8 * MiB);
	test_tmpdir_remove(f->dir);
	f->dir = strdup("/dev/shm/fy.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	free(f->slot);
	assert_true(asprintf(&f->slot, "%s/slot-b.img", f->dir) > 0);
	f->ctx.slot_path = f->slot;
	if (zero_range_works(f->dir)) {   /* a kernel whose tmpfs zeroes ranges: nothing to fall back from */
		teardown(f);
		skip();
	}
	put_zeros(f);
	install_lent_and_compare(f, MiB);
	assert_int_equal(f->res.zeroed_bytes, 0);
	teardown(f);
}

static void test_handler_rootfs_ab_refuses_payload_larger_than_slot_before_writing(void **state)
{
	(void)state;
	struct fixture *f = setup(3 * MiB, 2 * MiB);
	struct ferry_error *err = NULL;
	assert_false(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "do not fit slot");
	assert_error_contains(err, "nothing written");
	ferry_error_clear(&err);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_int_equal(len, 2 * MiB);
	assert_all(slot, len, 'S');
	free(slot);
	assert_int_equal(f->ms.pos, 0);   /* not even read */
	teardown(f);
}

static void test_handler_rootfs_ab_stops_a_stream_longer_than_the_slot(void **state)
{
	(void)state;
	/* The manifest says 1 MiB, the stream brings 6: never write past 2 MiB. */
	struct fixture *f = setup(6 * MiB, 2 * MiB);
	f->p.size = 1 * MiB;
	struct ferry_error *err = NULL;
	assert_false(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "larger than slot");
	ferry_error_clear(&err);
	struct stat st;
	assert_int_equal(stat(f->slot, &st), 0);
	assert_int_equal(st.st_size, 2 * MiB);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_all(slot, MiB, 0);   /* head invalidated */
	free(slot);
	teardown(f);
}

static void test_handler_rootfs_ab_source_error_at_end_leaves_slot_invalid(void **state)
{
	(void)state;
	struct fixture *f = setup(3 * MiB, 4 * MiB);
	f->ms.fail_at_end = true;
	struct ferry_error *err = NULL;
	assert_false(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "sha256 mismatch at end of payload");
	ferry_error_clear(&err);
	assert_false(f->res.needs_boot_switch);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_all(slot, MiB, 0);   /* no recognisable image */
	free(slot);
	teardown(f);
}

/* The install fails on its read-back, with the integrity code, and leaves
 * the slot's head zero; frees f. */
static void expect_readback_mismatch(struct fixture *f)
{
	struct ferry_error *err = NULL;
	assert_false(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_int_equal(ferry_error_code(err), FERRY_E_INTEGRITY);
	assert_error_contains(err, "read-back of payload rootfs.img has sha256");
	ferry_error_clear(&err);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_all(slot, MiB, 0);
	free(slot);
	teardown(f);
}

static void test_handler_rootfs_ab_readback_mismatch_fails_and_invalidates(void **state)
{
	(void)state;
	struct fixture *f = setup(2 * MiB + 7, 4 * MiB);
	memset(f->p.sha256, 'a', 64);   /* the manifest expects other bytes */
	expect_readback_mismatch(f);
}

/* A source that leaves the whole hash to the handler (as a bundle payload
 * does): the handler asks for that, and its read-back alone catches one
 * changed byte in the middle of the image, with the integrity code. */
static bool skipped_whole_hash;
static void note_skip(void *ctx)
{
	(void)ctx;
	skipped_whole_hash = true;
}

static void test_handler_rootfs_ab_hashes_once_from_the_medium(void **state)
{
	(void)state;
	struct fixture *f = setup(5 * MiB + 4097, 8 * MiB);
	struct ferry_error *err = NULL;
	skipped_whole_hash = false;
	f->ms.src.skip_whole_hash = note_skip;
	assert_ok(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_true(skipped_whole_hash);
	f->image[3 * MiB + 5] ^= 1;   /* the source now hands out other bytes */
	mem_source_init(&f->ms, f->image, f->image_len, "changed");
	f->ms.src.skip_whole_hash = note_skip;
	f->ms.piece = 12345;
	expect_readback_mismatch(f);
}

static void test_handler_rootfs_ab_size_mismatch_fails(void **state)
{
	(void)state;
	struct fixture *f = setup(2 * MiB, 4 * MiB);
	f->p.size = 2 * MiB + 1;
	struct ferry_error *err = NULL;
	assert_false(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "the manifest says 2097153");
	ferry_error_clear(&err);
	teardown(f);
}

static void test_handler_rootfs_ab_small_image_and_abort(void **state)
{
	(void)state;
	/* Smaller than the held-back head; regular-file slot grows to slot_size. */
	struct fixture *f = setup(1000, 10);
	f->ctx.slot_size = 4096;
	struct ferry_error *err = NULL;
	assert_ok(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_memory_equal(slot, f->image, 1000);
	free(slot);
	assert_ok(handler_rootfs_ab.abort(&f->ctx, &f->p, &f->res, &err), err);
	slot = read_slot(f, &len);
	assert_all(slot, len < 4096 ? len : 4096, 0);
	free(slot);
	teardown(f);
}

static void test_handler_rootfs_ab_names_missing_slot(void **state)
{
	(void)state;
	struct fixture *f = setup(10, 10);
	f->ctx.slot_path = "/nonexistent/slot";
	struct ferry_error *err = NULL;
	assert_false(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "slot /nonexistent/slot: open");
	ferry_error_clear(&err);
	teardown(f);
}

/* Kills an install that hangs once 5 MiB were handed out (lend: runs of
 * that many bytes lent, else read): the head stays zero, the first written
 * bytes of the body are the image's. */
static void kill_mid_write(struct fixture *f, size_t lend, size_t written)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		mem_source_init(&f->ms, f->image, f->image_len, "hanging");
		if (lend)
			mem_source_lend(&f->ms, lend);
		f->ms.hang_after = 5 * MiB;
		f->ms.hang_fd = pfd[1];
		struct ferry_error *err = NULL;
		handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err);
		_exit(2);
	}
	char c;
	assert_int_equal(read(pfd[0], &c, 1), 1);
	kill(pid, SIGKILL);   /* as a power cut would, mid-image */
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	close(pfd[0]);
	close(pfd[1]);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_all(slot, MiB, 0);                                   /* no image header */
	assert_memory_equal(slot + MiB, f->image + MiB, written);  /* but the body was being written */
	free(slot);
}

static void test_handler_rootfs_ab_killed_mid_write_leaves_head_zero(void **state)
{
	(void)state;
	struct fixture *f = setup(6 * MiB, 8 * MiB);
	/* Whole 4 MiB reads: the head (1 MiB) kept, 3 MiB written, then a hang
	 * while the next read is being filled. */
	kill_mid_write(f, 0, 3 * MiB);
	/* Lent 1 MiB runs, four at a time, with zero stretches sent as
	 * write-zeroes requests: the head kept, 4 MiB written, then a hang. */
	put_zeros(f);
	make_slot(f, 8 * MiB, 'S');
	kill_mid_write(f, MiB, 4 * MiB);
	teardown(f);
}

/* A loop device as the slot: the block-device path (size by ioctl, O_EXCL). */
static char *loop_attach(const char *file)
{
	char *cmd = NULL, line[64] = "";
	assert_true(asprintf(&cmd, "losetup -f --show %s 2>/dev/null", file) > 0);
	FILE *p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return NULL;
	bool got = fgets(line, sizeof line, p) != NULL;
	if (pclose(p) != 0 || !got || strncmp(line, "/dev/loop", 9) != 0)
		return NULL;
	line[strcspn(line, "\n")] = '\0';
	return strdup(line);
}

static void loop_detach(char *dev)
{
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "losetup -d %s", dev) > 0);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: %s failed\n", cmd);
	free(cmd);
	free(dev);
}

static void test_handler_rootfs_ab_writes_block_device_and_refuses_busy_one(void **state)
{
	(void)state;
	struct fixture *f = setup(5 * MiB + 123, 8 * MiB);
	put_zeros(f);   /* as BLKZEROOUT requests (the kernel writes them if the device cannot) */
	mem_source_lend(&f->ms, MiB);
	f->ms.piece = 0;
	char *dev = loop_attach(f->slot);
	if (!dev) {
		teardown(f);
		skip();   /* no loop devices here (not root, or a container without them) */
	}
	f->ctx.slot_path = dev;
	struct ferry_error *err = NULL;
	assert_ok(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_int_equal(f->res.bytes, f->image_len);
	assert_int_equal(f->res.zeroed_bytes, ZEROS_IN_GRAINS);
	mem_source_free(&f->ms);
	/* Someone holds the device exclusively (as a mount does): refused. */
	int fd = open(dev, O_RDONLY | O_EXCL);
	assert_true(fd >= 0);
	mem_source_init(&f->ms, f->image, f->image_len, "again");
	assert_false(handler_rootfs_ab.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "in use (mounted?)");
	ferry_error_clear(&err);
	close(fd);
	loop_detach(dev);
	size_t len = 0;
	unsigned char *slot = read_slot(f, &len);
	assert_memory_equal(slot, f->image, f->image_len);
	free(slot);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_rootfs_ab_writes_and_reads_back),
		cmocka_unit_test(test_handler_rootfs_ab_zero_stretches_are_zeros_on_the_medium),
		cmocka_unit_test(test_handler_rootfs_ab_writes_zeros_where_the_slot_cannot_zero),
		cmocka_unit_test(test_handler_rootfs_ab_refuses_payload_larger_than_slot_before_writing),
		cmocka_unit_test(test_handler_rootfs_ab_stops_a_stream_longer_than_the_slot),
		cmocka_unit_test(test_handler_rootfs_ab_source_error_at_end_leaves_slot_invalid),
		cmocka_unit_test(test_handler_rootfs_ab_readback_mismatch_fails_and_invalidates),
		cmocka_unit_test(test_handler_rootfs_ab_hashes_once_from_the_medium),
		cmocka_unit_test(test_handler_rootfs_ab_size_mismatch_fails),
		cmocka_unit_test(test_handler_rootfs_ab_small_image_and_abort),
		cmocka_unit_test(test_handler_rootfs_ab_names_missing_slot),
		cmocka_unit_test(test_handler_rootfs_ab_killed_mid_write_leaves_head_zero),
		cmocka_unit_test(test_handler_rootfs_ab_writes_block_device_and_refuses_busy_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
