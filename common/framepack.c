/* framepack: see framepack.h. A ring of slots: the caller fills slot i % K,
 * workers compress any filled slot, the caller writes slots in index order. */
#include "framepack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frames.h"
#include "safefile.h"

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
	enum slot_state state;
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
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
};

static struct slot *next_queued(struct pack *p)
{
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->slots[i].state == SLOT_QUEUED)
			return &p->slots[i];
	return NULL;
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

/* Waits for slot s, writes its frame and records it; the slot is free after. */
static bool write_slot(struct pack *p, struct slot *s, int out_fd, const char *out_name,
		       struct chunk_table *table, uint64_t *written, struct ferry_error **err)
{
	pthread_mutex_lock(&p->mu);
	while (s->state != SLOT_DONE)
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
	s->state = SLOT_FREE;
	return ok;
}

static unsigned thread_count(const struct framepack_opts *o)
{
	if (o->threads)
		return o->threads;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

bool framepack_stream(int in_fd, const char *in_name, int out_fd, const char *out_name,
		      const struct framepack_opts *o, struct chunk_table *table, uint64_t *size,
		      char sha256_hex[SHA256_HEX_LEN + 1], struct ferry_error **err)
{
	bool ok = false;
	struct pack p = { .o = o };
	unsigned n_threads = thread_count(o), started = 0;
	pthread_t *threads = NULL;
	struct sha256 *whole = sha256_new();
	uint64_t read_total = 0, written = 0;
	size_t submitted = 0, done = 0;
	bool eof = false;

	p.frame_size = o->frame_size ? o->frame_size : FRAMEPACK_FRAME_DEFAULT;
	chunks_init(table, p.frame_size);
	p.out_cap = frames_stored_bound(o->compression, p.frame_size);
	/* A copy the workers, who share p, never change. */
	const size_t n_slots = 2 * (size_t)n_threads;
	p.n_slots = n_slots;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cond, NULL);
	p.slots = calloc(p.n_slots, sizeof(*p.slots));
	threads = calloc(n_threads, sizeof(*threads));
	if (!whole || !p.slots || !threads) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p.n_slots; i++) {
		p.slots[i].in = malloc(p.frame_size);
		p.slots[i].out = malloc(p.out_cap);
		if (!p.slots[i].in || !p.slots[i].out) {
			ferry_error_set(err, "out of memory");
			goto out;
		}
	}
	for (; started < n_threads; started++)
		if (pthread_create(&threads[started], NULL, worker, &p) != 0) {
			ferry_error_set(err, "cannot start a compression thread");
			goto out;
		}
	while (!eof || done < submitted) {
		if (!eof && submitted - done < n_slots) {
			struct slot *s = &p.slots[submitted % n_slots];
			if (!read_full(in_fd, s->in, p.frame_size, &s->in_len, in_name, err))
				goto out;
			if (s->in_len < p.frame_size)
				eof = true;
			if (s->in_len == 0)
				continue;
			sha256_update(whole, s->in, s->in_len);
			read_total += s->in_len;
			pthread_mutex_lock(&p.mu);
			s->state = SLOT_QUEUED;
			pthread_cond_broadcast(&p.cond);
			pthread_mutex_unlock(&p.mu);
			submitted++;
			continue;
		}
		if (!write_slot(&p, &p.slots[done % n_slots], out_fd, out_name, table, &written, err))
			goto out;
		done++;
	}
	*size = read_total;
	sha256_final_hex(whole, sha256_hex);
	ok = true;
out:
	if (threads) {
		pthread_mutex_lock(&p.mu);
		/* On failure, let queued work finish before stopping: simpler than
		 * cancelling, and a frame takes milliseconds. */
		for (size_t i = 0; p.slots && i < p.n_slots; i++)
			while (started && (p.slots[i].state == SLOT_QUEUED || p.slots[i].state == SLOT_BUSY))
				pthread_cond_wait(&p.cond, &p.mu);
		p.stop = true;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.mu);
		for (unsigned i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
	}
	for (size_t i = 0; p.slots && i < p.n_slots; i++) {
		free(p.slots[i].in);
		free(p.slots[i].out);
		ferry_error_free(p.slots[i].err);
	}
	free(p.slots);
	free(threads);
	sha256_free(whole);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cond);
	return ok;
}
