/* handler_rootfs_ab: streams a raw image into the inactive slot (a block
 * device or a regular file) and proves it by reading it back. Promises: never
 * writes past the slot; the slot's head (first ROOTFS_HEAD bytes) is zero —
 * so the slot holds no recognisable filesystem — from before the first byte
 * is written until the whole image is on disk, and again after any failure;
 * the caller switches the bootloader only after install returned true. */
#include "agent/handler.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safefile.h"
#include "common/sha256.h"

#define ROOTFS_BUF (4u * 1024 * 1024)   /* one write: large and at aligned offsets */
#define ROOTFS_HEAD (1024u * 1024)      /* held back, written last, zeroed on failure */
#define ROOTFS_ALIGN 4096

struct slot {
	int fd;
	uint64_t capacity;
	const char *path;
};

static bool slot_open(const struct handler_context *ctx, struct slot *s, struct ferry_error **err)
{
	s->fd = -1;
	s->path = ctx->slot_path;
	if (!s->path || !*s->path)
		return ferry_error_set(err, "rootfs-ab: no slot given");
	/* On a block device O_EXCL fails while it is mounted: never write a
	 * filesystem in use (the running root above all). */
	struct stat st;
	int excl = stat(s->path, &st) == 0 && S_ISBLK(st.st_mode) ? O_EXCL : 0;
	s->fd = open(s->path, O_RDWR | O_CLOEXEC | excl);
	if (s->fd < 0 && errno == EBUSY)
		return ferry_error_set(err, "slot %s: in use (mounted?); refusing to write it", s->path);
	if (s->fd < 0)
		return ferry_error_errno(err, errno, "slot %s: open", s->path);
	if (fstat(s->fd, &st) < 0)
		return ferry_error_errno(err, errno, "slot %s: stat", s->path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(s->fd, BLKGETSIZE64, &s->capacity) < 0)
			return ferry_error_errno(err, errno, "slot %s: size of block device", s->path);
	} else if (S_ISREG(st.st_mode)) {
		s->capacity = ctx->slot_size ? ctx->slot_size : (uint64_t)st.st_size;
	} else {
		return ferry_error_set(err, "slot %s: neither a block device nor a regular file", s->path);
	}
	return true;
}

static void slot_close(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static size_t head_len(const struct slot *s)
{
	return s->capacity < ROOTFS_HEAD ? (size_t)s->capacity : ROOTFS_HEAD;
}

/* Zeroes the slot's head and syncs: the slot no longer looks like an image. */
static bool slot_invalidate(struct slot *s, struct ferry_error **err)
{
	size_t n = head_len(s);
	char *zero = calloc(1, n ? n : 1);
	bool ok = zero != NULL;
	if (!ok)
		ferry_error_set(err, "out of memory");
	for (size_t done = 0; ok && done < n;) {
		ssize_t w = pwrite(s->fd, zero + done, n - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ok = ferry_error_errno(err, w < 0 ? errno : EIO, "slot %s: invalidating", s->path);
		else
			done += (size_t)w;
	}
	if (ok && fdatasync(s->fd) < 0)
		ok = ferry_error_errno(err, errno, "slot %s: fdatasync", s->path);
	free(zero);
	return ok;
}

static bool pwrite_all(struct slot *s, const void *buf, size_t len, uint64_t off,
		       struct ferry_error **err)
{
	const char *p = buf;
	while (len) {
		ssize_t w = pwrite(s->fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ferry_error_errno(err, w < 0 ? errno : EIO, "slot %s: write at %" PRIu64,
						 s->path, off);
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return true;
}

/* Keeps dirty pages bounded on a device with little memory: starts writeback
 * of the range just written, waits for the one before it and drops it from
 * the cache. Only a hint: errors surface at the final fdatasync. */
static void writeback_behind(struct slot *s, uint64_t off, size_t len)
{
	sync_file_range(s->fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
	if (off >= ROOTFS_HEAD + ROOTFS_BUF) {
		off_t prev = (off_t)(off - ROOTFS_BUF);
		sync_file_range(s->fd, prev, ROOTFS_BUF, SYNC_FILE_RANGE_WAIT_BEFORE |
				SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
		posix_fadvise(s->fd, prev, ROOTFS_BUF, POSIX_FADV_DONTNEED);
	}
}

/* Reads from src until buf is full or the stream ends (*got < cap only then). */
static bool fill(struct byte_source *src, char *buf, size_t cap, size_t *got, bool *end,
		 struct ferry_error **err)
{
	*got = 0;
	while (*got < cap) {
		size_t n = 0;
		if (!byte_source_read(src, buf + *got, cap - *got, &n, err))
			return false;
		if (n == 0) {
			*end = true;
			break;
		}
		*got += n;
	}
	return true;
}

/* Streams the payload: the head into memory, the rest to the slot. */
static bool stream_image(struct slot *s, const struct payload *p, struct byte_source *src,
			 char *head, size_t *head_got, char *buf, uint64_t *total,
			 struct ferry_error **err)
{
	bool end = false;
	size_t hl = head_len(s);
	if (!fill(src, head, hl, head_got, &end, err))
		return false;
	*total = *head_got;
	while (!end) {
		size_t got = 0;
		if (!fill(src, buf, ROOTFS_BUF, &got, &end, err))
			return false;
		if (got > s->capacity - *total)
			return ferry_error_set(err, "%s: payload %s is larger than slot %s (%" PRIu64
					       " bytes): stopped before writing past it",
					       src->name, p->name, s->path, s->capacity);
		if (got && !pwrite_all(s, buf, got, *total, err))
			return false;
		writeback_behind(s, *total, got);
		*total += got;
	}
	if (*total != p->size)
		return ferry_error_set(err, "%s: payload %s has %" PRIu64 " bytes, the manifest says %" PRIu64,
				       src->name, p->name, *total, p->size);
	return true;
}

/* Reads the first total bytes of the slot back from the device and compares
 * their SHA-256 with the manifest's. */
static bool verify_readback(struct slot *s, const struct payload *p, uint64_t total, char *buf,
			    struct ferry_error **err)
{
	/* Drop the cached pages so the read comes from the medium. */
	posix_fadvise(s->fd, 0, 0, POSIX_FADV_DONTNEED);
	struct sha256 *h = sha256_new();
	if (!h)
		return ferry_error_set(err, "out of memory");
	bool ok = true;
	for (uint64_t off = 0; ok && off < total;) {
		size_t want = total - off < ROOTFS_BUF ? (size_t)(total - off) : ROOTFS_BUF;
		ssize_t r = pread(s->fd, buf, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ok = ferry_error_errno(err, r < 0 ? errno : EIO, "slot %s: read-back at %" PRIu64,
					       s->path, off);
			break;
		}
		off += (uint64_t)r;
		/* The next chunks come from the medium while this one is hashed. */
		posix_fadvise(s->fd, (off_t)off, 2 * ROOTFS_BUF, POSIX_FADV_WILLNEED);
		sha256_update(h, buf, (size_t)r);
	}
	char hex[SHA256_HEX_LEN + 1];
	sha256_final_hex(h, hex);
	sha256_free(h);
	if (ok && strcmp(hex, p->sha256) != 0)
		ok = ferry_error_set(err, "slot %s: read-back of payload %s has sha256 %s, the manifest says %s",
				     s->path, p->name, hex, p->sha256);
	return ok;
}

static bool rootfs_install(const struct handler_context *ctx, const struct payload *p,
			   struct byte_source *src, struct handler_result *res, struct ferry_error **err)
{
	bool ok = false, touched = false;
	struct slot s = { .fd = -1 };
	char *buf = NULL, *head = NULL;
	uint64_t total = 0;
	size_t head_got = 0;
	double t0 = handler_clock();

	if (!slot_open(ctx, &s, err))
		goto out;
	if (p->size > s.capacity) {
		ferry_error_set(err, "payload %s: %" PRIu64 " bytes do not fit slot %s (%" PRIu64
			        " bytes); nothing written", p->name, p->size, s.path, s.capacity);
		goto out;
	}
	if (posix_memalign((void **)&buf, ROOTFS_ALIGN, ROOTFS_BUF) != 0 ||
	    posix_memalign((void **)&head, ROOTFS_ALIGN, ROOTFS_HEAD) != 0) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	touched = true;
	if (!slot_invalidate(&s, err) ||
	    !stream_image(&s, p, src, head, &head_got, buf, &total, err))
		goto out;
	if (fdatasync(s.fd) < 0) {
		ferry_error_errno(err, errno, "slot %s: fdatasync", s.path);
		goto out;
	}
	/* The whole image is durable but for its head: write that last. */
	if (!pwrite_all(&s, head, head_got, 0, err))
		goto out;
	if (fdatasync(s.fd) < 0) {
		ferry_error_errno(err, errno, "slot %s: fdatasync", s.path);
		goto out;
	}
	double t1 = handler_clock();
	if (!verify_readback(&s, p, total, buf, err))
		goto out;
	double t2 = handler_clock();
	res->bytes = total;
	res->seconds = t2 - t0;
	res->verify_seconds = t2 - t1;
	res->supports_rollback = true;
	log_info("rootfs-ab: %s -> %s: %" PRIu64 " bytes written in %.2f s (%.1f MiB/s), "
		 "read back in %.2f s (%.1f MiB/s)", p->name, s.path, total, t1 - t0,
		 (double)total / 1048576.0 / (t1 - t0 > 1e-9 ? t1 - t0 : 1e-9), t2 - t1,
		 (double)total / 1048576.0 / (t2 - t1 > 1e-9 ? t2 - t1 : 1e-9));
	ok = true;
out:
	if (!ok && touched) {
		struct ferry_error *e2 = NULL;   /* the first error is the one to report */
		if (!slot_invalidate(&s, &e2))
			log_error("%s (slot may look valid; it is never activated)", ferry_error_message(e2));
		ferry_error_free(e2);
	}
	slot_close(&s);
	free(buf);
	free(head);
	return ok;
}

static bool rootfs_activate(const struct handler_context *ctx, const struct payload *p,
			    struct handler_result *res, struct ferry_error **err)
{
	(void)ctx, (void)p, (void)err;
	res->needs_boot_switch = true;   /* boot.h's job: try the slot once */
	res->needs_reboot = true;
	res->supports_rollback = true;
	return true;
}

/* Commit (the boot backend marks the slot good) and rollback (it switches
 * back) belong to the orchestrator; the running slot is never touched here. */
static bool rootfs_nothing(const struct handler_context *ctx, const struct payload *p,
			   struct handler_result *res, struct ferry_error **err)
{
	(void)ctx, (void)p, (void)res, (void)err;
	return true;
}

/* Before activation only: makes the inactive slot unbootable-looking again. */
static bool rootfs_abort(const struct handler_context *ctx, const struct payload *p,
			 struct handler_result *res, struct ferry_error **err)
{
	(void)p, (void)res;
	struct slot s = { .fd = -1 };
	bool ok = slot_open(ctx, &s, err) && slot_invalidate(&s, err);
	slot_close(&s);
	return ok;
}

const struct handler_ops handler_rootfs_ab = {
	.name = "rootfs-ab",
	.install = rootfs_install,
	.activate = rootfs_activate,
	.commit = rootfs_nothing,
	.rollback = rootfs_nothing,
	.abort = rootfs_abort,
};
