/* framepack: see framepack.h. A ring of slots: the caller reads frame i into
 * slot i % K, workers compress the oldest read slot, a hashing thread feeds
 * the slots to the whole payload's SHA-256 in index order, and the caller
 * writes slots in index order once compressed and hashed. The one serial
 * computation (the SHA-256 of the whole payload) thus runs beside reading,
 * compressing and writing instead of between them. (A hasher that reads a
 * file by itself, to run ahead through what compresses fast, was measured:
 * 1% faster, within the noise, for a second read of the image.) A file
 * whose size, mtime or ctime changed while it was packed is refused: its
 * frames may mix two versions (best effort: docs/packaging.md). */
#include "framepack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frames.h"
#include "safefile.h"

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

/* Slots per compressing thread: enough read ahead that a worker (or the
 * hasher) finds work while the caller waits on the oldest frame. */
#define SLOTS_PER_THREAD 4

struct slot {
	enum slot_state state;
	bool hashed;             /* fed to the whole payload's SHA-256 */
	size_t seq;              /* frame index it holds (state != SLOT_FREE) */
	uint8_t *in, *out;
	size_t in_len, out_len;
	uint8_t sha[SHA256_LEN];
	struct ferry_error *err;
};

struct pack {
	const struct framepack_opts *o;
	uint32_t frame_size;
	size_t out_cap;
	struct slot *slots;
	size_t n_slots;
	struct sha256 *whole;    /* the hasher's alone while it runs */
	size_t n_hashed;         /* frames hashed, in order */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
};

/* The queued slot holding the earliest frame: frames finish roughly in
 * order, so the caller, writing in order, waits least. */
static struct slot *next_queued(struct pack *p)
{
	struct slot *best = NULL;
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->slots[i].state == SLOT_QUEUED && (!best || p->slots[i].seq < best->seq))
			best = &p->slots[i];
	return best;
}

static void *worker(void *arg)
{
	struct pack *p = arg;
	struct frame_coder *fc = NULL;
	struct ferry_error *coder_err = NULL;
	frame_coder_new(&fc, &coder_err);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s = NULL;
		while (!p->stop && !(s = next_queued(p)))
			pthread_cond_wait(&p->cond, &p->mu);
		if (p->stop || !s)
			break;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		if (!fc)
			s->err = coder_err, coder_err = NULL;
		if (fc && frames_compress(fc, p->o->compression, p->o->level, s->in, s->in_len, s->out,
					  p->out_cap, &s->out_len, &s->err))
			sha256_buffer(s->out, s->out_len, s->sha);
		else if (!s->err)
			ferry_error_set(&s->err, "cannot compress");
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->mu);
	frame_coder_free(fc);
	ferry_error_free(coder_err);
	return NULL;
}

/* Feeds frame after frame to the whole payload's hash as soon as it is read
 * (compressing may still be reading the same bytes: both only read). */
static void *hasher(void *arg)
{
	struct pack *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s = &p->slots[p->n_hashed % p->n_slots];
		while (!p->stop && (s->state == SLOT_FREE || s->seq != p->n_hashed || s->hashed))
			pthread_cond_wait(&p->cond, &p->mu);
		if (p->stop)
			break;
		pthread_mutex_unlock(&p->mu);
		sha256_update(p->whole, s->in, s->in_len);
		pthread_mutex_lock(&p->mu);
		s->hashed = true;
		p->n_hashed++;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Waits for slot s, writes its frame and records it; the slot is free after. */
static bool write_slot(struct pack *p, struct slot *s, int out_fd, const char *out_name,
		       struct chunk_table *table, uint64_t *written, struct ferry_error **err)
{
	pthread_mutex_lock(&p->mu);
	while (s->state != SLOT_DONE || !s->hashed)
		pthread_cond_wait(&p->cond, &p->mu);
	pthread_mutex_unlock(&p->mu);
	bool ok = false;
	if (s->err) {
		ferry_error_set(err, "frame %zu: %s", table->n_frames, ferry_error_message(s->err));
		goto out;
	}
	if (!write_all(out_fd, s->out, s->out_len, out_name, err) ||
	    !chunks_append(table, s->out_len, (uint32_t)s->in_len, s->sha, err))
		goto out;
	*written += s->in_len;
	if (p->o->progress)
		p->o->progress(p->o->progress_ctx, *written);
	ok = true;
out:
	ferry_error_clear(&s->err);
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_FREE;
	s->hashed = false;
	pthread_mutex_unlock(&p->mu);
	return ok;
}

static unsigned thread_count(const struct framepack_opts *o)
{
	if (o->threads)
		return o->threads;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

struct crew {                  /* the threads of one framepack_stream */
	pthread_t *threads;        /* the workers, then the hasher */
	unsigned started;
};

static bool crew_start(struct pack *p, struct crew *c, unsigned n_workers, struct ferry_error **err)
{
	c->threads = calloc(n_workers + 1, sizeof(*c->threads));
	if (!c->threads)
		return ferry_error_set(err, "out of memory");
	for (; c->started <= n_workers; c->started++)
		if (pthread_create(&c->threads[c->started], NULL,
				   c->started < n_workers ? worker : hasher, p) != 0)
			return ferry_error_set(err, "cannot start a compression thread");
	return true;
}

/* On failure, lets queued work finish before stopping: simpler than
 * cancelling, and a frame takes milliseconds. */
static void crew_stop(struct pack *p, struct crew *c)
{
	if (!c->threads)
		return;
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; p->slots && i < p->n_slots; i++)
		while (c->started && (p->slots[i].state == SLOT_QUEUED || p->slots[i].state == SLOT_BUSY))
			pthread_cond_wait(&p->cond, &p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < c->started; i++)
		pthread_join(c->threads[i], NULL);
	free(c->threads);
	c->threads = NULL;
}

static bool slots_alloc(struct pack *p, size_t n, struct ferry_error **err)
{
	p->n_slots = n;
	p->slots = calloc(n, sizeof(*p->slots));
	if (!p->slots)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		p->slots[i].in = malloc(p->frame_size);
		p->slots[i].out = malloc(p->out_cap);
		if (!p->slots[i].in || !p->slots[i].out)
			return ferry_error_set(err, "out of memory");
	}
	return true;
}

static void slots_free(struct pack *p)
{
	for (size_t i = 0; p->slots && i < p->n_slots; i++) {
		free(p->slots[i].in);
		free(p->slots[i].out);
		ferry_error_free(p->slots[i].err);
	}
	free(p->slots);
}

/* Reads the next frame into its slot and queues it; *eof after the last. */
static bool read_slot(struct pack *p, struct slot *s, size_t seq, int in_fd, const char *in_name,
		      bool *eof, struct ferry_error **err)
{
	if (!read_full(in_fd, s->in, p->frame_size, &s->in_len, in_name, err))
		return false;
	*eof = s->in_len < p->frame_size;
	if (s->in_len == 0)
		return true;
	pthread_mutex_lock(&p->mu);
	s->seq = seq;
	s->state = SLOT_QUEUED;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	return true;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* A regular file must not have changed since *before (taken first). */
static bool unchanged(int fd, const char *name, const struct stat *before, struct ferry_error **err)
{
	struct stat after;
	if (!S_ISREG(before->st_mode))
		return true;   /* a pipe or a device: nothing to compare */
	if (fstat(fd, &after) == 0 && after.st_size == before->st_size &&
	    same_time(&after.st_mtim, &before->st_mtim) && same_time(&after.st_ctim, &before->st_ctim))
		return true;
	return ferry_error_set(err, "%s: changed while it was being packed", name);
}

bool framepack_stream(int in_fd, const char *in_name, int out_fd, const char *out_name,
		      const struct framepack_opts *o, struct chunk_table *table, uint64_t *size,
		      char sha256_hex[SHA256_HEX_LEN + 1], struct ferry_error **err)
{
	bool ok = false, eof = false;
	struct pack p = { .o = o };
	struct crew crew = { 0 };
	unsigned n_threads = thread_count(o);
	uint64_t written = 0;
	size_t submitted = 0, done = 0;
	struct stat before = { .st_mode = 0 };

	p.frame_size = o->frame_size ? o->frame_size : FRAMEPACK_FRAME_DEFAULT;
	chunks_init(table, p.frame_size);
	p.out_cap = frames_stored_bound(o->compression, p.frame_size);
	/* A copy the workers, who share p, never change. */
	const size_t n_slots = SLOTS_PER_THREAD * (size_t)n_threads;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cond, NULL);
	if (fstat(in_fd, &before) < 0)
		before.st_mode = 0;
	if (!(p.whole = sha256_new()))
		ferry_error_set(err, "out of memory");
	if (!p.whole || !slots_alloc(&p, n_slots, err) || !crew_start(&p, &crew, n_threads, err))
		goto out;
#ifdef __clang_analyzer__
	if (n_slots == 0)   /* thread_count is at least 1; the analyser does not follow it */
		goto out;
#endif
	while (!eof || done < submitted) {
		if (!eof && submitted - done < n_slots) {
			struct slot *s = &p.slots[submitted % n_slots];
			if (!read_slot(&p, s, submitted, in_fd, in_name, &eof, err))
				goto out;
			submitted += s->in_len > 0;
			continue;
		}
		if (!write_slot(&p, &p.slots[done % n_slots], out_fd, out_name, table, &written, err))
			goto out;
		done++;
	}
	*size = written;
	ok = unchanged(in_fd, in_name, &before, err);
out:
	crew_stop(&p, &crew);
	if (ok)
		sha256_final_hex(p.whole, sha256_hex);
	slots_free(&p);
	sha256_free(p.whole);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cond);
	return ok;
}
