/* framestream: see framestream.h. Slot i % FRAMESTREAM_SLOTS carries frame i;
 * `ready` hands a slot from the worker to the consumer and back. */
#include "framestream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "sha256.h"

struct slot {
	uint8_t *out;
	size_t len;
	bool ready;                /* filled by the worker, not yet given back */
	char *error;               /* the worker failed on this frame */
	enum ferry_code code;      /* and what that meant */
};

struct framestream {
	const struct payload *p;
	struct chunk_table table;
	framestream_read_fn read;
	void *read_ctx;
	struct slot slots[FRAMESTREAM_SLOTS];
	uint8_t *stored;           /* worker's buffer for one stored frame */
	struct frame_coder *coder; /* worker's */
	struct sha256 *whole;      /* consumer's */
	size_t taken;              /* frames the consumer has taken */
	struct slot *cur;
	size_t cur_pos;
	uint64_t produced;
	bool ended, failed, started, stop;
	char *error;
	enum ferry_code code;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
};

/* Reads, authenticates and decompresses frame i into out. */
static bool load_frame(struct framestream *fs, size_t i, uint8_t *out, struct ferry_error **err)
{
	const struct chunk_frame *f = &fs->table.frames[i];
	const char *name = fs->p->member;
	uint8_t sha[SHA256_LEN];
	if (!fs->read(fs->read_ctx, fs->stored, (size_t)f->stored_size, err))
		return false;
	sha256_buffer(fs->stored, (size_t)f->stored_size, sha);
	if (memcmp(sha, f->sha256, SHA256_LEN) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY,
					"%s: frame %zu: SHA-256 of the stored frame does not match "
					"the frame table", name, i);
	if (!frames_decompress(fs->coder, fs->p->compression, fs->stored, (size_t)f->stored_size, out,
			       f->size, err)) {
		ferry_error_prefix(err, "%s: frame %zu", name, i);
		return false;
	}
	return true;
}

static void *worker(void *arg)
{
	struct framestream *fs = arg;
	for (size_t i = 0; i < fs->table.n_frames; i++) {
		struct slot *s = &fs->slots[i % FRAMESTREAM_SLOTS];
		pthread_mutex_lock(&fs->mu);
		while (s->ready && !fs->stop)
			pthread_cond_wait(&fs->cond, &fs->mu);
		bool stop = fs->stop;
		pthread_mutex_unlock(&fs->mu);
		if (stop)
			break;
		struct ferry_error *err = NULL;
		bool ok = load_frame(fs, i, s->out, &err);
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
	size_t max_stored = 1;
	for (size_t i = 0; i < fs->table.n_frames; i++)
		if (fs->table.frames[i].stored_size > max_stored)
			max_stored = (size_t)fs->table.frames[i].stored_size;
	bool ok = (fs->stored = malloc(max_stored)) && (fs->whole = sha256_new()) &&
		  frame_coder_new(&fs->coder, NULL);
	for (size_t i = 0; ok && i < FRAMESTREAM_SLOTS; i++)
		ok = (fs->slots[i].out = malloc(fs->table.frame_size ? fs->table.frame_size : 1)) != NULL;
	pthread_mutex_init(&fs->mu, NULL);
	pthread_cond_init(&fs->cond, NULL);
	if (!ok) {
		framestream_stop(fs);
		return ferry_error_set(err, "out of memory");
	}
	if (pthread_create(&fs->thread, NULL, worker, fs) != 0) {
		framestream_stop(fs);
		return ferry_error_set(err, "%s: cannot start a reading thread", p->member);
	}
	fs->started = true;
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
		fs->cur->ready = false;
		fs->cur = NULL;
		fs->taken++;
		pthread_cond_broadcast(&fs->cond);
	}
	if (fs->taken == fs->table.n_frames) {
		pthread_mutex_unlock(&fs->mu);
		return true;
	}
	struct slot *s = &fs->slots[fs->taken % FRAMESTREAM_SLOTS];
	while (!s->ready)
		pthread_cond_wait(&fs->cond, &fs->mu);
	pthread_mutex_unlock(&fs->mu);
	if (s->error)
		return ferry_error_setc(err, s->code, "%s", s->error);
	sha256_update(fs->whole, s->out, s->len);
	fs->produced += s->len;
	fs->cur = s;
	fs->cur_pos = 0;
	return true;
}

bool framestream_read(struct framestream *fs, void *buf, size_t cap, size_t *got,
		      struct ferry_error **err)
{
	*got = 0;
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
	size_t n = fs->cur->len - fs->cur_pos < cap ? fs->cur->len - fs->cur_pos : cap;
	if (buf)
		memcpy(buf, fs->cur->out + fs->cur_pos, n);
	fs->cur_pos += n;
	*got = n;
	return true;
}

void framestream_stop(struct framestream *fs)
{
	if (!fs)
		return;
	if (fs->started) {
		pthread_mutex_lock(&fs->mu);
		fs->stop = true;
		pthread_cond_broadcast(&fs->cond);
		pthread_mutex_unlock(&fs->mu);
		pthread_join(fs->thread, NULL);
	}
	pthread_mutex_destroy(&fs->mu);
	pthread_cond_destroy(&fs->cond);
	for (size_t i = 0; i < FRAMESTREAM_SLOTS; i++) {
		free(fs->slots[i].out);
		free(fs->slots[i].error);
	}
	chunks_free(&fs->table);
	free(fs->stored);
	frame_coder_free(fs->coder);
	sha256_free(fs->whole);
	free(fs->error);
	free(fs);
}
