/* handler_rootfs_ab: streams a raw image into the inactive slot (a block
 * device or a regular file) and proves it by reading it back from the medium
 * while it writes (agent/readback.h): O_DIRECT aligned writes where the slot
 * allows them, so no page-cache churn, and the image's SHA-256 computed once,
 * over what the medium holds. Aligned all-zero stretches of the image
 * (ROOTFS_ZERO_GRAIN or more) go to the slot as write-zeroes requests
 * (BLKZEROOUT, FALLOC_FL_ZERO_RANGE) instead of as data: the medium holds
 * zeros there all the same, and is read back and hashed like the rest; the
 * kernel writes the zeros itself where the device has no such command.
 * Promises: never
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
#include <sys/uio.h>
#include <unistd.h>

#include "agent/readback.h"
#include "common/log.h"
#include "common/safefile.h"
#include "common/sha256.h"

#define ROOTFS_BUF (4u * 1024 * 1024)   /* one write, for sources that do not lend theirs */
#define ROOTFS_HEAD (1024u * 1024)      /* held back, written last, zeroed on failure */
#define ROOTFS_ALIGN READBACK_ALIGN
#define ROOTFS_ZERO_GRAIN (64u * 1024)  /* zero runs are found in aligned steps of this */
#define ROOTFS_RUNS 8                   /* borrowed runs written by one pwritev, at most */

struct slot {
	int fd;                    /* buffered: the head, unaligned tails, fdatasync */
	int dfd;                   /* O_DIRECT, or -1 where the slot does not allow it */
	bool blk;                  /* a block device (else a regular file) */
	bool zeroes;               /* zero runs go as write-zeroes requests */
	uint64_t capacity;
	uint64_t zeroed;           /* bytes so requested */
	const char *path;
};

static bool slot_open(const struct handler_context *ctx, struct slot *s, struct ferry_error **err)
{
	s->fd = s->dfd = -1;
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
	s->blk = S_ISBLK(st.st_mode);
	s->zeroes = !ctx->slot_write_zeroes_off;
	if (s->blk) {
		if (ioctl(s->fd, BLKGETSIZE64, &s->capacity) < 0)
			return ferry_error_errno(err, errno, "slot %s: size of block device", s->path);
	} else if (S_ISREG(st.st_mode)) {
		s->capacity = ctx->slot_size ? ctx->slot_size : (uint64_t)st.st_size;
	} else {
		return ferry_error_set(err, "slot %s: neither a block device nor a regular file", s->path);
	}
	/* The exclusive claim is fd's; a filesystem without O_DIRECT (EINVAL)
	 * leaves the buffered path, with pages dropped before each read-back. */
	s->dfd = open(s->path, O_RDWR | O_CLOEXEC | O_DIRECT);
	return true;
}

static void slot_close(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->dfd >= 0)
		close(s->dfd);
	s->fd = s->dfd = -1;
}

static size_t head_len(const struct slot *s)
{
	return s->capacity < ROOTFS_HEAD ? (size_t)s->capacity : ROOTFS_HEAD;
}

/* Writes all of iov (changed: it is consumed) at off on fd, resuming after
 * short writes. */
static bool pwritev_all(struct slot *s, int fd, struct iovec *iov, size_t n, uint64_t off,
			struct ferry_error **err)
{
	while (n) {
		ssize_t w = pwritev(fd, iov, (int)n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ferry_error_errno(err, w < 0 ? errno : EIO, "slot %s: write at %" PRIu64,
						 s->path, off);
		off += (uint64_t)w;
		size_t done = (size_t)w;
		for (; n && done >= iov->iov_len; iov++, n--)
			done -= iov->iov_len;
		if (n) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return true;
}

/* Zeroes the slot's head and syncs: the slot no longer looks like an image. */
static bool slot_invalidate(struct slot *s, struct ferry_error **err)
{
	size_t n = head_len(s);
	struct iovec zero = { calloc(1, n ? n : 1), n };
	bool ok = zero.iov_base != NULL;
	void *buf = zero.iov_base;
	if (!ok)
		ferry_error_set(err, "out of memory");
	if (ok && !(ok = pwritev_all(s, s->fd, &zero, n ? 1 : 0, 0, err)))
		ferry_error_prefix(err, "invalidating");
	if (ok && fdatasync(s->fd) < 0)
		ok = ferry_error_errno(err, errno, "slot %s: fdatasync", s->path);
	free(buf);
	return ok;
}

/* Writes len bytes at off: O_DIRECT where the slot allows it and buffer and
 * offset are aligned, the rest (the image's unaligned tail) buffered. */
static bool write_body(struct slot *s, const char *buf, size_t len, uint64_t off,
		       struct ferry_error **err)
{
	bool aligned = ((uintptr_t)buf | off) % ROOTFS_ALIGN == 0;
	size_t direct = s->dfd >= 0 && aligned ? len & ~(size_t)(ROOTFS_ALIGN - 1) : 0;
	struct iovec d = { (void *)buf, direct }, b = { (void *)(buf + direct), len - direct };
	if (direct && !pwritev_all(s, s->dfd, &d, 1, off, err))
		return false;
	if (direct < len && !pwritev_all(s, s->fd, &b, 1, off + direct, err))
		return false;
	if (direct < len)   /* buffered: start writeback now, the read-back syncs it */
		sync_file_range(s->fd, (off_t)(off + direct), (off_t)(len - direct), SYNC_FILE_RANGE_WRITE);
	return true;
}

/* Makes [off, off + len) of the slot read as zeros without sending them:
 * a write-zeroes request on a block device (a loop device makes it an
 * unwritten extent of its backing file; without the command the kernel
 * writes zero pages), FALLOC_FL_ZERO_RANGE on a file. *unsupported: the
 * slot offers neither (the caller writes the zeros); not an error. */
static bool zero_range(struct slot *s, uint64_t off, uint64_t len, bool *unsupported,
		       struct ferry_error **err)
{
	int r;
	*unsupported = false;
	do {
		uint64_t range[2] = { off, len };
		r = s->blk ? ioctl(s->fd, BLKZEROOUT, range)
			   : fallocate(s->fd, FALLOC_FL_ZERO_RANGE, (off_t)off, (off_t)len);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return true;
	if (errno == EOPNOTSUPP || errno == ENOTTY || errno == ENOSYS || errno == EINVAL) {
		*unsupported = true;
		return false;
	}
	return ferry_error_errno(err, errno, "slot %s: zeroing %" PRIu64 " bytes at %" PRIu64,
				 s->path, len, off);
}

static bool all_zero(const char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Whether the grain at pos of a run of len bytes at an aligned offset is a
 * whole zero one that the slot may be asked to zero. */
static bool zero_grain(const struct slot *s, const char *buf, size_t len, size_t pos, bool aligned)
{
	return s->zeroes && aligned && len - pos >= ROOTFS_ZERO_GRAIN &&
	       all_zero(buf + pos, ROOTFS_ZERO_GRAIN);
}

/* Data to write, gathered from consecutive runs: one pwritev. */
struct span {
	struct iovec iov[ROOTFS_RUNS];
	size_t n;
	uint64_t off;   /* where iov[0] goes */
};

/* Writes the span and empties it: one pwritev on the O_DIRECT descriptor
 * when every piece is aligned, else piece by piece (write_body). */
static bool span_flush(struct slot *s, struct span *sp, struct ferry_error **err)
{
	bool direct = s->dfd >= 0 && sp->off % ROOTFS_ALIGN == 0;
	for (size_t k = 0; direct && k < sp->n; k++)
		direct = ((uintptr_t)sp->iov[k].iov_base | sp->iov[k].iov_len) % ROOTFS_ALIGN == 0;
	bool ok = true;
	size_t n = sp->n;
	sp->n = 0;
	if (direct)
		return pwritev_all(s, s->dfd, sp->iov, n, sp->off, err);
	for (size_t k = 0, off = 0; ok && k < n; off += sp->iov[k++].iov_len)
		ok = write_body(s, sp->iov[k].iov_base, sp->iov[k].iov_len, sp->off + off, err);
	return ok;
}

/* Appends len bytes of data at off (right after what the span holds). */
static bool span_add(struct slot *s, struct span *sp, const char *buf, size_t len, uint64_t off,
		     struct ferry_error **err)
{
	struct iovec *last = sp->n ? &sp->iov[sp->n - 1] : NULL;
	if (last && (const char *)last->iov_base + last->iov_len == buf) {
		last->iov_len += len;
		return true;
	}
	if (sp->n == ROOTFS_RUNS && !span_flush(s, sp, err))
		return false;
	if (sp->n == 0)
		sp->off = off;
	sp->iov[sp->n++] = (struct iovec){ (void *)buf, len };
	return true;
}

/* Writes runs (consecutive in the image) at off: stretches of whole zero
 * grains as write-zeroes requests while the slot takes them, the data
 * between them with as few writes as the runs allow. */
static bool write_runs(struct slot *s, const struct iovec *runs, size_t n, uint64_t off,
		       struct ferry_error **err)
{
	struct span sp = { .n = 0 };
	for (size_t r = 0; r < n; off += runs[r++].iov_len) {
		const char *buf = runs[r].iov_base;
		size_t len = runs[r].iov_len;
		bool aligned = off % ROOTFS_ALIGN == 0;
		for (size_t pos = 0, end; pos < len; pos = end) {
			bool zero = zero_grain(s, buf, len, pos, aligned), unsupported = false;
			end = pos;
			do
				end += len - end < ROOTFS_ZERO_GRAIN ? len - end : ROOTFS_ZERO_GRAIN;
			while (end < len && zero_grain(s, buf, len, end, aligned) == zero);
			if (zero && !span_flush(s, &sp, err))
				return false;
			if (zero && zero_range(s, off + pos, end - pos, &unsupported, err)) {
				s->zeroed += end - pos;
				continue;
			}
			if (zero && !unsupported)
				return false;
			s->zeroes = s->zeroes && !unsupported;
			if (!span_add(s, &sp, buf + pos, end - pos, off + pos, err))
				return false;
		}
	}
	return span_flush(s, &sp, err);
}

/* Reads from src until buf is full or the stream ends (*got < cap only then). */
static bool fill(struct byte_source *src, char *buf, size_t cap, size_t *got,
		 struct ferry_error **err)
{
	*got = 0;
	while (*got < cap) {
		size_t n = 0;
		if (!byte_source_read(src, buf + *got, cap - *got, &n, err))
			return false;
		if (n == 0)
			break;
		*got += n;
	}
	return true;
}

/* The next runs of the payload, at most max (*n = 0 at its end): the
 * source's own buffers when it lends them (no copy), else one read into
 * scratch. */
static bool next_runs(struct byte_source *src, char **scratch, struct iovec *runs, size_t max,
		      size_t *n, struct ferry_error **err)
{
	if (src->borrow)
		return src->borrow(src->ctx, runs, max, n, err);
	if (!*scratch && posix_memalign((void **)scratch, ROOTFS_ALIGN, ROOTFS_BUF) != 0) {
		*scratch = NULL;
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	size_t len;
	if (!fill(src, *scratch, ROOTFS_BUF, &len, err))
		return false;
	runs[0] = (struct iovec){ *scratch, len };
	*n = len > 0;
	return true;
}

/* Copies the payload's first hl bytes (fewer only if it is shorter) into
 * head; *rest: what is left of the last run (maybe nothing). */
static bool take_head(struct byte_source *src, char **scratch, char *head, size_t hl,
		      size_t *head_got, struct iovec *rest, struct ferry_error **err)
{
	size_t n = 0;
	*head_got = 0;
	*rest = (struct iovec){ NULL, 0 };
	while (*head_got < hl) {
		if (!next_runs(src, scratch, rest, 1, &n, err))
			return false;
		if (n == 0)
			break;
		size_t k = rest->iov_len < hl - *head_got ? rest->iov_len : hl - *head_got;
		memcpy(head + *head_got, rest->iov_base, k);
		*head_got += k;
		rest->iov_base = (char *)rest->iov_base + k;
		rest->iov_len -= k;
	}
	return true;
}

/* Streams the payload's head into memory (hashed first: it is written last)
 * and the rest to the slot, the read-back following each window. */
static bool stream_image(struct slot *s, const struct payload *p, struct byte_source *src,
			 struct sha256 *h, char *head, size_t *head_got, char **scratch,
			 uint64_t *total, struct readback **rb, struct ferry_error **err)
{
	struct iovec runs[ROOTFS_RUNS];
	if (!take_head(src, scratch, head, head_len(s), head_got, &runs[0], err))
		return false;
	size_t n = runs[0].iov_len > 0;
	sha256_update(h, head, *head_got);
	*total = *head_got;
	if (!readback_start(s->fd, s->dfd, s->path, *total, p->size, h, rb, err))
		return false;
	for (;;) {
		if (n == 0 && !next_runs(src, scratch, runs, ROOTFS_RUNS, &n, err))
			return false;
		if (n == 0)
			break;
		uint64_t len = 0;
		for (size_t k = 0; k < n; k++)
			len += runs[k].iov_len;
		if (len > s->capacity - *total)
			return ferry_error_setc(err, FERRY_E_NOSPACE, "%s: payload %s is larger than slot %s (%"
						PRIu64 " bytes): stopped before writing past it",
						src->name, p->name, s->path, s->capacity);
		if (!write_runs(s, runs, n, *total, err))
			return false;
		*total += len;
		n = 0;
		readback_written(*rb, *total);
	}
	if (*total != p->size)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: payload %s has %" PRIu64
					" bytes, the manifest says %" PRIu64, src->name, p->name, *total, p->size);
	return true;
}

/* The head, written last: durable, read back from the medium and equal to
 * the bytes the hash began with; then the whole hash against the manifest. */
static bool finish_head(struct slot *s, const struct payload *p, struct sha256 *h,
			const char *head, size_t head_got, struct ferry_error **err)
{
	char hex[SHA256_HEX_LEN + 1];
	char *back = NULL;
	bool ok = false;
	if (!write_body(s, head, head_got, 0, err))
		return false;
	if (fdatasync(s->fd) < 0)
		return ferry_error_errno(err, errno, "slot %s: fdatasync", s->path);
	if (posix_memalign((void **)&back, ROOTFS_ALIGN, ROOTFS_HEAD) != 0)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	if (!readback_pread(s->fd, s->dfd, s->path, back, head_got, 0, err))
		goto out;
	if (memcmp(back, head, head_got) != 0) {
		ferry_error_setc(err, FERRY_E_INTEGRITY, "slot %s: read-back of payload %s: its first "
				 "%zu bytes differ from what was written", s->path, p->name, head_got);
		goto out;
	}
	sha256_final_hex(h, hex);
	if (strcmp(hex, p->sha256) != 0) {
		ferry_error_setc(err, FERRY_E_INTEGRITY, "slot %s: read-back of payload %s has sha256 %s, "
				 "the manifest says %s", s->path, p->name, hex, p->sha256);
		goto out;
	}
	ok = true;
out:
	free(back);
	return ok;
}

static void log_split(const struct slot *s, const struct payload *p, uint64_t total,
		      double all, double write, const struct readback_stats *rs)
{
	double mib = (double)total / 1048576.0;
	log_info("rootfs-ab: %s -> %s: %" PRIu64 " bytes in %.2f s (%.1f MiB/s): write %.2f s, "
		 "read-back: read %.2f s (fdatasync %.2f s, %u windows) and hash %.2f s in parallel "
		 "with the write and each other, %.2f s after the write; %s, %.0f MiB of zero runs as "
		 "write-zeroes requests", p->name, s->path, total, all, mib / (all > 1e-9 ? all : 1e-9),
		 write, rs->read, rs->sync, rs->windows, rs->hash, all - write,
		 s->dfd >= 0 ? "O_DIRECT" : "buffered", (double)s->zeroed / 1048576.0);
}

static bool rootfs_install(const struct handler_context *ctx, const struct payload *p,
			   struct byte_source *src, struct handler_result *res, struct ferry_error **err)
{
	bool ok = false, touched = false;
	struct slot s = { .fd = -1, .dfd = -1 };
	struct readback *rb = NULL;
	struct sha256 *h = NULL;
	char *scratch = NULL, *head = NULL;   /* scratch: only for sources that lend nothing */
	uint64_t total = 0;
	size_t head_got = 0;
	struct readback_stats rs = { 0 };
	double t0 = handler_clock(), t1;

	if (!slot_open(ctx, &s, err))
		goto out;
	if (p->size > s.capacity) {
		ferry_error_setc(err, FERRY_E_NOSPACE, "payload %s: %" PRIu64 " bytes do not fit slot %s (%"
				 PRIu64 " bytes); nothing written", p->name, p->size, s.path, s.capacity);
		goto out;
	}
	if (posix_memalign((void **)&head, ROOTFS_ALIGN, ROOTFS_HEAD) != 0 || !(h = sha256_new())) {
		head = NULL;
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto out;
	}
	/* The SHA-256 is computed here, over what the medium holds. */
	byte_source_skip_whole_hash(src);
	touched = true;
	if (!slot_invalidate(&s, err) ||
	    !stream_image(&s, p, src, h, head, &head_got, &scratch, &total, &rb, err))
		goto out;
	t1 = handler_clock();
	ok = readback_finish(rb, total, &rs, err);
	rb = NULL;
	if (!ok)
		goto out;
	/* The whole image is durable (read back after fdatasync) but for its
	 * head: write that last. */
	ok = finish_head(&s, p, h, head, head_got, err);
	if (!ok)
		goto out;
	double t2 = handler_clock();
	res->bytes = total;
	res->seconds = t2 - t0;
	res->verify_seconds = rs.busy;
	res->zeroed_bytes = s.zeroed;
	res->supports_rollback = true;
	log_split(&s, p, total, t2 - t0, t1 - t0, &rs);
out:
	readback_abort(rb);
	if (!ok && touched) {
		struct ferry_error *e2 = NULL;   /* the first error is the one to report */
		if (!slot_invalidate(&s, &e2))
			log_error("%s (slot may look valid; it is never activated)", ferry_error_message(e2));
		ferry_error_free(e2);
	}
	slot_close(&s);
	sha256_free(h);
	free(scratch);
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
