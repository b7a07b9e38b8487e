/* readback: see readback.h. One thread; `written` is the writer's mark and
 * `verified` the thread's, both under mu. */
#include "agent/readback.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/handler.h"

struct readback {
	int fd, dfd;
	const char *path;
	struct sha256 *h;
	void *buf;
	uint64_t verified;         /* read back and hashed up to here */
	uint64_t written;          /* the writer's mark */
	uint64_t window;
	bool done, stop, failed;
	struct readback_stats st;
	double finish_at;
	struct ferry_error *err;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
};

static bool pread_all(int fd, const char *path, char *buf, size_t len, uint64_t off,
		      struct ferry_error **err)
{
	while (len) {
		ssize_t r = pread(fd, buf, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ferry_error_errno(err, r < 0 ? errno : EIO, "slot %s: read-back at %" PRIu64,
						 path, off);
		buf += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return true;
}

bool readback_pread(int fd, int dfd, const char *path, void *buf, size_t len, uint64_t off,
		    struct ferry_error **err)
{
	size_t direct = dfd >= 0 && off % READBACK_ALIGN == 0 ? len & ~(size_t)(READBACK_ALIGN - 1) : 0;
	if (direct && !pread_all(dfd, path, buf, direct, off, err))
		return false;
	if (direct == len)
		return true;
	/* Buffered: drop the range's (clean, synced) pages so the read is the medium's. */
	uint64_t from = (off + direct) & ~(uint64_t)(READBACK_ALIGN - 1);
	posix_fadvise(fd, (off_t)from, (off_t)(off + len - from), POSIX_FADV_DONTNEED);
	return pread_all(fd, path, (char *)buf + direct, len - direct, off + direct, err);
}

/* Makes [rb->verified, end) durable, reads it back and hashes it. */
static bool verify_window(struct readback *rb, uint64_t end, struct ferry_error **err)
{
	double t0 = handler_clock();
	if (fdatasync(rb->fd) < 0)
		return ferry_error_errno(err, errno, "slot %s: fdatasync", rb->path);
	rb->st.sync += handler_clock() - t0;
	rb->st.windows++;
	while (rb->verified < end) {
		size_t n = end - rb->verified < READBACK_BUF ? (size_t)(end - rb->verified) : READBACK_BUF;
		if (!readback_pread(rb->fd, rb->dfd, rb->path, rb->buf, n, rb->verified, err))
			return false;
		sha256_update(rb->h, rb->buf, n);
		pthread_mutex_lock(&rb->mu);
		rb->verified += n;
		pthread_mutex_unlock(&rb->mu);
	}
	return true;
}

static void *reader(void *arg)
{
	struct readback *rb = arg;
	for (;;) {
		pthread_mutex_lock(&rb->mu);
		while (!rb->stop && !rb->done && rb->written - rb->verified < rb->window)
			pthread_cond_wait(&rb->cond, &rb->mu);
		uint64_t end = rb->written;
		bool last = rb->done && end == rb->verified, stop = rb->stop;
		pthread_mutex_unlock(&rb->mu);
		if (stop || last)
			break;
		double t0 = handler_clock();
		bool ok = verify_window(rb, end, &rb->err);
		double t1 = handler_clock();
		pthread_mutex_lock(&rb->mu);
		rb->st.busy += t1 - t0;
		if (rb->finish_at > 0)
			rb->st.after += t1 - (t0 > rb->finish_at ? t0 : rb->finish_at);
		rb->failed = !ok;
		pthread_mutex_unlock(&rb->mu);
		if (!ok)
			break;
	}
	return NULL;
}

static void release(struct readback *rb)
{
	pthread_mutex_destroy(&rb->mu);
	pthread_cond_destroy(&rb->cond);
	ferry_error_free(rb->err);
	free(rb->buf);
	free(rb);
}

bool readback_start(int fd, int dfd, const char *path, uint64_t from, uint64_t size,
		    struct sha256 *h, struct readback **out, struct ferry_error **err)
{
	struct readback *rb = calloc(1, sizeof(*rb));
	if (!rb || posix_memalign(&rb->buf, READBACK_ALIGN, READBACK_BUF) != 0) {
		free(rb);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	rb->fd = fd;
	rb->dfd = dfd;
	rb->path = path;
	rb->h = h;
	rb->verified = rb->written = from;
	rb->window = size / READBACK_WINDOWS > READBACK_WINDOW_MIN ? size / READBACK_WINDOWS
								  : READBACK_WINDOW_MIN;
	pthread_mutex_init(&rb->mu, NULL);
	pthread_cond_init(&rb->cond, NULL);
	if (pthread_create(&rb->thread, NULL, reader, rb) != 0) {
		release(rb);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "slot %s: cannot start the read-back thread", path);
	}
	*out = rb;
	return true;
}

void readback_written(struct readback *rb, uint64_t end)
{
	pthread_mutex_lock(&rb->mu);
	if (end > rb->written)
		rb->written = end;
	pthread_cond_broadcast(&rb->cond);
	pthread_mutex_unlock(&rb->mu);
}


bool readback_finish(struct readback *rb, uint64_t end, struct readback_stats *st,
		     struct ferry_error **err)
{
	pthread_mutex_lock(&rb->mu);
	if (end > rb->written)
		rb->written = end;
	rb->done = true;
	rb->finish_at = handler_clock();
	pthread_cond_broadcast(&rb->cond);
	pthread_mutex_unlock(&rb->mu);
	pthread_join(rb->thread, NULL);
	bool ok = !rb->failed && rb->verified == end;
	if (rb->failed && err && !*err) {
		*err = rb->err;   /* the thread's error, with its code */
		rb->err = NULL;
	} else if (!ok) {
		ferry_error_setc(err, FERRY_E_IO, "slot %s: read back %" PRIu64 " of %" PRIu64 " bytes",
				 rb->path, rb->verified, end);
	}
	*st = rb->st;
	release(rb);
	return ok;
}

void readback_abort(struct readback *rb)
{
	if (!rb)
		return;
	pthread_mutex_lock(&rb->mu);
	rb->stop = true;
	pthread_cond_broadcast(&rb->cond);
	pthread_mutex_unlock(&rb->mu);
	pthread_join(rb->thread, NULL);
	release(rb);
}
