/* readback: see readback.h. Two threads share one lock (mu): the reader owns
 * read_to and fills ring chunk nread % READBACK_CHUNKS; the hasher takes
 * chunk nhashed and moves `verified`. `written` is the writer's mark. */
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
	char *ring;                /* READBACK_CHUNKS chunks of READBACK_CHUNK */
	size_t len[READBACK_CHUNKS];
	uint64_t nread, nhashed;   /* chunks read into the ring / hashed */
	uint64_t read_to;          /* read back up to here (the reader's) */
	uint64_t verified;         /* read back and hashed up to here */
	uint64_t written;          /* the writer's mark */
	uint64_t size, window;
	bool done, stop, failed, reader_done;
	struct readback_stats st;
	double finish_at;
	struct ferry_error *err;   /* the reader's */
	pthread_t reader, hasher;
	bool hasher_started;
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

/* How much must be written past read_to before the next window: the image's
 * share, but at most half of what is left, so the windows shrink towards
 * the end (READBACK_WINDOW_TAIL at least). */
static uint64_t window_at(const struct readback *rb)
{
	uint64_t left = rb->size > rb->read_to ? rb->size - rb->read_to : 0;
	uint64_t w = left / 2 < rb->window ? left / 2 : rb->window;
	return w > READBACK_WINDOW_TAIL ? w : READBACK_WINDOW_TAIL;
}

/* Reads [off, off + n) into the next free chunk of the ring; false when
 * stopped or the read failed. */
static bool read_chunk(struct readback *rb, uint64_t off, size_t n, struct ferry_error **err)
{
	pthread_mutex_lock(&rb->mu);
	while (!rb->stop && rb->nread - rb->nhashed == READBACK_CHUNKS)
		pthread_cond_wait(&rb->cond, &rb->mu);
	bool stop = rb->stop;
	pthread_mutex_unlock(&rb->mu);
	size_t k = (size_t)(rb->nread % READBACK_CHUNKS);
	if (stop || !readback_pread(rb->fd, rb->dfd, rb->path, rb->ring + k * READBACK_CHUNK, n, off, err))
		return false;
	pthread_mutex_lock(&rb->mu);
	rb->len[k] = n;
	rb->nread++;
	pthread_cond_broadcast(&rb->cond);
	pthread_mutex_unlock(&rb->mu);
	return true;
}

/* Makes [rb->read_to, end) durable and reads it into the ring. */
static bool read_window(struct readback *rb, uint64_t end, struct ferry_error **err)
{
	double t0 = handler_clock();
	if (fdatasync(rb->fd) < 0)
		return ferry_error_errno(err, errno, "slot %s: fdatasync", rb->path);
	rb->st.sync += handler_clock() - t0;
	rb->st.windows++;
	while (rb->read_to < end) {
		size_t n = end - rb->read_to < READBACK_CHUNK ? (size_t)(end - rb->read_to) : READBACK_CHUNK;
		if (!read_chunk(rb, rb->read_to, n, err))
			return false;
		rb->read_to += n;
	}
	return true;
}

static void *reader(void *arg)
{
	struct readback *rb = arg;
	bool ok = true;
	while (ok) {
		pthread_mutex_lock(&rb->mu);
		while (!rb->stop && !rb->done && rb->written - rb->read_to < window_at(rb))
			pthread_cond_wait(&rb->cond, &rb->mu);
		uint64_t end = rb->written;
		bool last = rb->done && end == rb->read_to, stop = rb->stop;
		pthread_mutex_unlock(&rb->mu);
		if (stop || last)
			break;
		double t0 = handler_clock();
		ok = read_window(rb, end, &rb->err);
		rb->st.read += handler_clock() - t0;
	}
	pthread_mutex_lock(&rb->mu);
	rb->failed = !ok;
	rb->reader_done = true;
	pthread_cond_broadcast(&rb->cond);
	pthread_mutex_unlock(&rb->mu);
	return NULL;
}

/* Hashes the ring's chunks in order until the reader is done and the ring
 * empty (or stop). */
static void *hasher(void *arg)
{
	struct readback *rb = arg;
	pthread_mutex_lock(&rb->mu);
	for (;;) {
		while (!rb->stop && rb->nhashed == rb->nread && !rb->reader_done)
			pthread_cond_wait(&rb->cond, &rb->mu);
		if (rb->stop || rb->nhashed == rb->nread)
			break;
		size_t k = (size_t)(rb->nhashed % READBACK_CHUNKS);
		pthread_mutex_unlock(&rb->mu);
		double t0 = handler_clock();
		sha256_update(rb->h, rb->ring + k * READBACK_CHUNK, rb->len[k]);
		double t1 = handler_clock();
		pthread_mutex_lock(&rb->mu);
		rb->st.hash += t1 - t0;
		rb->verified += rb->len[k];
		rb->nhashed++;
		if (rb->finish_at > 0)
			rb->st.after = t1 - rb->finish_at;
		pthread_cond_broadcast(&rb->cond);
	}
	pthread_mutex_unlock(&rb->mu);
	return NULL;
}

static void release(struct readback *rb)
{
	pthread_mutex_destroy(&rb->mu);
	pthread_cond_destroy(&rb->cond);
	ferry_error_free(rb->err);
	free(rb->ring);
	free(rb);
}

/* Stops both threads (at once if stop, else once all is hashed), joins. */
static void join(struct readback *rb, bool stop)
{
	pthread_mutex_lock(&rb->mu);
	rb->stop |= stop;
	rb->done = true;
	if (rb->finish_at == 0)
		rb->finish_at = handler_clock();
	pthread_cond_broadcast(&rb->cond);
	pthread_mutex_unlock(&rb->mu);
	pthread_join(rb->reader, NULL);
	if (rb->hasher_started)
		pthread_join(rb->hasher, NULL);
}

bool readback_start(int fd, int dfd, const char *path, uint64_t from, uint64_t size,
		    struct sha256 *h, struct readback **out, struct ferry_error **err)
{
	struct readback *rb = calloc(1, sizeof(*rb));
	if (!rb || posix_memalign((void **)&rb->ring, READBACK_ALIGN,
				  (size_t)READBACK_CHUNKS * READBACK_CHUNK) != 0) {
		free(rb);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	rb->fd = fd;
	rb->dfd = dfd;
	rb->path = path;
	rb->h = h;
	rb->verified = rb->read_to = rb->written = from;
	rb->size = size;
	rb->window = size / READBACK_WINDOWS > READBACK_WINDOW_MIN ? size / READBACK_WINDOWS
								  : READBACK_WINDOW_MIN;
	pthread_mutex_init(&rb->mu, NULL);
	pthread_cond_init(&rb->cond, NULL);
	if (pthread_create(&rb->reader, NULL, reader, rb) != 0) {
		release(rb);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "slot %s: cannot start the read-back thread", path);
	}
	rb->hasher_started = pthread_create(&rb->hasher, NULL, hasher, rb) == 0;
	if (!rb->hasher_started) {
		join(rb, true);
		release(rb);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "slot %s: cannot start the hashing thread", path);
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
	rb->finish_at = handler_clock();
	pthread_mutex_unlock(&rb->mu);
	join(rb, false);
	bool ok = !rb->failed && rb->verified == end;
	if (rb->failed && err && !*err) {
		*err = rb->err;   /* the reader's error, with its code */
		rb->err = NULL;
	} else if (!ok) {
		ferry_error_setc(err, FERRY_E_IO, "slot %s: read back %" PRIu64 " of %" PRIu64 " bytes",
				 rb->path, rb->verified, end);
	}
	*st = rb->st;
	st->busy = st->read > st->hash ? st->read : st->hash;
	release(rb);
	return ok;
}

void readback_abort(struct readback *rb)
{
	if (!rb)
		return;
	join(rb, true);
	release(rb);
}
