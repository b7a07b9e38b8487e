/* framestream: see framestream.h. Slot i % n_slots carries frame i; a worker
 * may fill it once the consumer gave frame i - n_slots back (taken); `ready`
 * hands it to the consumer. Workers read stored frames one at a time, in
 * order (read_mu), then hash and decompress them in parallel. */
#include "framestream.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frames.h"
#include "sha256.h"

struct slot {
	uint8_t *out;
	size_t len;
	bool ready;                /* filled by a worker, not yet given back */
	char *error;               /* the worker failed on this frame */
	enum ferry_code code;      /* and what that meant */
};

struct worker {
	struct framestream *fs;
	pthread_t thread;
	bool started;
	uint8_t *stored;           /* one stored frame */
	struct frame_coder *coder;
};

struct framestream {
	const struct payload *p;
	struct chunk_table table;
	framestream_read_fn read;
	void *read_ctx;
	struct slot slots[FRAMESTREAM_SLOTS_MAX];
	size_t n_slots;
	struct worker workers[FRAMESTREAM_WORKERS_MAX];
	unsigned n_workers;
	size_t next_read;          /* the next frame a worker reads (under read_mu) */
	bool read_failed;
	struct sha256 *whole;      /* consumer's */
	size_t taken;              /* frames the consumer has given back */
	size_t held;               /* whole frames after cur the consumer borrowed */
	struct slot *cur;
	size_t cur_pos;
	uint64_t produced;
	bool ended, failed, stop;
	bool no_whole_hash;        /* the consumer proves the SHA-256 itself */
	bool frames_only;          /* authenticate frames, do not decompress */
	char *error;
	enum ferry_code code;
	pthread_mutex_t read_mu;
	pthread_mutex_t mu;
	pthread_cond_t cond;
};

/* Claims the next frame and reads its stored bytes, in frame order. */
static bool claim_and_read(struct worker *w, size_t *i, struct ferry_error **err)
{
	struct framestream *fs = w->fs;
	pthread_mutex_lock(&fs->read_mu);
	pthread_mutex_lock(&fs->mu);
	bool stop = fs->stop;
	pthread_mutex_unlock(&fs->mu);
	*i = fs->next_read;
	if (stop || fs->read_failed || *i >= fs->table.n_frames) {
		pthread_mutex_unlock(&fs->read_mu);
		*i = SIZE_MAX;
		return true;
	}
	fs->next_read++;
	bool ok = fs->read(fs->read_ctx, w->stored, (size_t)fs->table.frames[*i].stored_size, err);
	fs->read_failed = !ok;
	pthread_mutex_unlock(&fs->read_mu);
	return ok;
}

/* Authenticates stored frame i, then decompresses it into out. */
static bool check_frame(struct worker *w, size_t i, struct ferry_error **err)
{
	const struct chunk_frame *f = &w->fs->table.frames[i];
	uint8_t sha[SHA256_LEN];
	sha256_buffer(w->stored, (size_t)f->stored_size, sha);
	if (memcmp(sha, f->sha256, SHA256_LEN) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY,
					"%s: frame %zu: SHA-256 of the stored frame does not match "
					"the frame table", w->fs->p->member, i);
	return true;
}

static bool decompress_frame(struct worker *w, size_t i, uint8_t *out, struct ferry_error **err)
{
	const struct chunk_frame *f = &w->fs->table.frames[i];
	if (!frames_decompress(w->coder, w->fs->p->compression, w->stored, (size_t)f->stored_size, out,
			       f->size, err)) {
		ferry_error_prefix(err, "%s: frame %zu", w->fs->p->member, i);
		return false;
	}
	return true;
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct framestream *fs = w->fs;
	for (;;) {
		struct ferry_error *err = NULL;
		size_t i;
		bool ok = claim_and_read(w, &i, &err) && (i == SIZE_MAX || check_frame(w, i, &err));
		if (i == SIZE_MAX)
			break;   /* nothing left (a failed read was claimed: i is set) */
		struct slot *s = &fs->slots[i % fs->n_slots];
		pthread_mutex_lock(&fs->mu);
		while (i >= fs->taken + fs->n_slots && !fs->stop)
			pthread_cond_wait(&fs->cond, &fs->mu);
		bool stop = fs->stop, decompress = !fs->frames_only;
		pthread_mutex_unlock(&fs->mu);
		if (stop) {
			ferry_error_free(err);
			break;
		}
		if (ok && decompress)
			ok = decompress_frame(w, i, s->out, &err);
		pthread_mutex_lock(&fs->mu);
		s->len = fs->table.frames[i].size;
		if (!ok) {
			s->error = strdup(ferry_error_message(err));
			s->code = ferry_error_code(err);
		}
		s->ready = true;
		pthread_cond_broadcast(&fs->cond);
		pthread_mutex_unlock(&fs->mu);
		ferry_error_free(err);
		if (!ok)
			break;
	}
	return NULL;
}

/* The CPUs this thread may run on (its affinity; all online ones if unknown). */
static long usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/* One worker per usable CPU (at most FRAMESTREAM_WORKERS_MAX) with two frame
 * buffers each, as many as fit in FRAMESTREAM_MEMORY with their stored
 * frames; with one CPU or large frames one worker, double-buffered. */
static void plan_workers(struct framestream *fs, size_t max_stored)
{
	size_t frame = fs->table.frame_size ? fs->table.frame_size : 1;
	long cpus = usable_cpus();
	unsigned w = FRAMESTREAM_WORKERS_MAX;
	if (cpus < (long)w)
		w = cpus > 1 ? (unsigned)cpus : 1;
	while (w > 1 && 2 * w * frame + w * max_stored > FRAMESTREAM_MEMORY)
		w--;
	fs->n_workers = w;
	fs->n_slots = 2 * (size_t)w;
}

bool framestream_start(struct chunk_table *table, const struct payload *p, framestream_read_fn read,
		       void *read_ctx, struct framestream **out, struct ferry_error **err)
{
	struct framestream *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return ferry_error_set(err, "out of memory");
	fs->p = p;
	fs->table = *table;
	chunks_init(table, 0);
	fs->read = read;
	fs->read_ctx = read_ctx;
	pthread_mutex_init(&fs->read_mu, NULL);
	pthread_mutex_init(&fs->mu, NULL);
	pthread_cond_init(&fs->cond, NULL);
	size_t max_stored = 1;
	for (size_t i = 0; i < fs->table.n_frames; i++)
		if (fs->table.frames[i].stored_size > max_stored)
			max_stored = (size_t)fs->table.frames[i].stored_size;
	plan_workers(fs, max_stored);
	bool ok = (fs->whole = sha256_new()) != NULL;
	for (size_t i = 0; ok && i < fs->n_slots; i++)
		ok = posix_memalign((void **)&fs->slots[i].out, FRAMESTREAM_ALIGN,
				    fs->table.frame_size ? fs->table.frame_size : 1) == 0;
	for (unsigned k = 0; ok && k < fs->n_workers; k++) {
		fs->workers[k].fs = fs;
		ok = (fs->workers[k].stored = malloc(max_stored)) &&
		     frame_coder_new(&fs->workers[k].coder, NULL);
	}
	if (!ok) {
		framestream_stop(fs);
		return ferry_error_set(err, "out of memory");
	}
	for (unsigned k = 0; k < fs->n_workers; k++) {
		if (pthread_create(&fs->workers[k].thread, NULL, worker, &fs->workers[k]) != 0) {
			framestream_stop(fs);
			return ferry_error_set(err, "%s: cannot start a reading thread", p->member);
		}
		fs->workers[k].started = true;
	}
	*out = fs;
	return true;
}

static bool fail(struct framestream *fs, struct ferry_error **err)
{
	fs->failed = true;
	free(fs->error);
	fs->error = strdup(ferry_error_message(err ? *err : NULL));
	fs->code = err ? ferry_error_code(*err) : FERRY_E_NONE;
	return false;
}

static bool finish(struct framestream *fs, struct ferry_error **err)
{
	char hex[SHA256_HEX_LEN + 1];
	if (fs->produced != fs->p->size)
		return ferry_error_setc(err, FERRY_E_INTEGRITY, "%s: %llu bytes, the manifest says %llu",
					fs->p->member, (unsigned long long)fs->produced,
					(unsigned long long)fs->p->size);
	if (fs->no_whole_hash) {
		fs->ended = true;
		return true;
	}
	sha256_final_hex(fs->whole, hex);
	if (strcmp(hex, fs->p->sha256) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY,
					"%s: SHA-256 of the payload does not match the manifest",
					fs->p->member);
	fs->ended = true;
	return true;
}

/* Gives the current slot back and takes the next frame's. */
static bool next_slot(struct framestream *fs, struct ferry_error **err)
{
	pthread_mutex_lock(&fs->mu);
	if (fs->cur) {
		for (size_t k = 0; k <= fs->held; k++)
			fs->slots[(fs->taken + k) % fs->n_slots].ready = false;
		fs->cur = NULL;
		fs->taken += 1 + fs->held;
		fs->held = 0;
		pthread_cond_broadcast(&fs->cond);
	}
	if (fs->taken == fs->table.n_frames) {
		pthread_mutex_unlock(&fs->mu);
		return true;
	}
	struct slot *s = &fs->slots[fs->taken % fs->n_slots];
	while (!s->ready)
		pthread_cond_wait(&fs->cond, &fs->mu);
	pthread_mutex_unlock(&fs->mu);
	if (s->error)
		return ferry_error_setc(err, s->code, "%s", s->error);
	if (!fs->no_whole_hash)
		sha256_update(fs->whole, s->out, s->len);
	fs->produced += s->len;
	fs->cur = s;
	fs->cur_pos = 0;
	return true;
}

/* Takes up to cap bytes of the current frame in place (*n = 0 at the end). */
static bool take(struct framestream *fs, size_t cap, const uint8_t **data, size_t *n,
		 struct ferry_error **err)
{
	*n = 0;
	*data = NULL;
	if (fs->failed)
		return ferry_error_setc(err, fs->code, "%s", fs->error ? fs->error : "payload failed");
	while (!fs->cur || fs->cur_pos == fs->cur->len) {
		if (fs->ended)
			return true;
		if (!next_slot(fs, err))
			return fail(fs, err);
		if (!fs->cur)
			return finish(fs, err) || fail(fs, err);
	}
	*n = fs->cur->len - fs->cur_pos < cap ? fs->cur->len - fs->cur_pos : cap;
	*data = fs->cur->out + fs->cur_pos;
	fs->cur_pos += *n;
	return true;
}

bool framestream_read(struct framestream *fs, void *buf, size_t cap, size_t *got,
		      struct ferry_error **err)
{
	const uint8_t *data;
	if (!take(fs, cap, &data, got, err))
		return false;
	if (buf && *got)
		memcpy(buf, data, *got);
	return true;
}

/* The frame after cur and those it holds when it is decompressed and
 * fine (under mu; NULL if not, or at the end): a failed one is left for
 * next_slot to report in order. */
static struct slot *ready_after(struct framestream *fs)
{
	size_t i = fs->taken + 1 + fs->held;
	struct slot *s = &fs->slots[i % fs->n_slots];
	return i < fs->table.n_frames && s->ready && !s->error ? s : NULL;
}

bool framestream_borrow(struct framestream *fs, struct iovec *runs, size_t max, size_t *n,
			struct ferry_error **err)
{
	const uint8_t *d;
	size_t len, hold = fs->n_slots / 2;
	*n = 0;
	if (max == 0)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "%s: borrow of no runs", fs->p->member);
	if (!take(fs, SIZE_MAX, &d, &len, err))
		return false;
	if (len == 0)
		return true;
	runs[(*n)++] = (struct iovec){ (void *)d, len };
	pthread_mutex_lock(&fs->mu);
	for (struct slot *s; *n < max && fs->held + 1 < hold && (s = ready_after(fs));) {
		fs->held++;
		runs[(*n)++] = (struct iovec){ s->out, s->len };
	}
	pthread_mutex_unlock(&fs->mu);
	for (size_t k = 1; k < *n; k++) {
		if (!fs->no_whole_hash)
			sha256_update(fs->whole, runs[k].iov_base, runs[k].iov_len);
		fs->produced += runs[k].iov_len;
	}
	return true;
}

void framestream_skip_whole_hash(struct framestream *fs)
{
	fs->no_whole_hash = true;
}

void framestream_frames_only(struct framestream *fs)
{
	pthread_mutex_lock(&fs->mu);
	fs->frames_only = true;
	fs->no_whole_hash = true;
	pthread_mutex_unlock(&fs->mu);
}

void framestream_stop(struct framestream *fs)
{
	if (!fs)
		return;
	pthread_mutex_lock(&fs->mu);
	fs->stop = true;
	pthread_cond_broadcast(&fs->cond);
	pthread_mutex_unlock(&fs->mu);
	for (unsigned k = 0; k < fs->n_workers; k++) {
		if (fs->workers[k].started)
			pthread_join(fs->workers[k].thread, NULL);
		free(fs->workers[k].stored);
		frame_coder_free(fs->workers[k].coder);
	}
	pthread_mutex_destroy(&fs->read_mu);
	pthread_mutex_destroy(&fs->mu);
	pthread_cond_destroy(&fs->cond);
	for (size_t i = 0; i < fs->n_slots; i++) {
		free(fs->slots[i].out);
		free(fs->slots[i].error);
	}
	chunks_free(&fs->table);
	sha256_free(fs->whole);
	free(fs->error);
	free(fs);
}
