/* verify_pool: see verify_pool.h. One mutex guards the job list; a worker
 * claims the next job when it is within the window, verifies it without the
 * lock, and files the result; the taker waits for its job's result. */
#include "audit/verify_pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/pgp.h"
#include "common/pgp_quick.h"

struct verify_job {
	char *id, *fingerprint, *path;   /* copies: the caller's may go first */
	int dirfd;                       /* borrowed: open until taken */
	bool done, ok;
	struct ingest_export x;
	struct ferry_error *err;
};

struct verify_worker {
	struct verify_pool *vp;
	struct pgp *pgp;
	pthread_t thread;
	bool running;
};

struct verify_pool {
	pthread_mutex_t lock;
	pthread_cond_t work, result;
	struct verify_job *jobs;
	size_t n_jobs, cap_jobs;
	size_t next_claim, next_take, window;
	bool stopping;
	struct verify_worker *workers;
	size_t n_workers;
	struct pgp_quick *quick;   /* the workers' in-process signature check */
};

static void *worker_main(void *arg)
{
	struct verify_worker *w = arg;
	struct verify_pool *vp = w->vp;
	pthread_mutex_lock(&vp->lock);
	for (;;) {
		while (!vp->stopping && (vp->next_claim == vp->n_jobs ||
					 vp->next_claim >= vp->next_take + vp->window))
			pthread_cond_wait(&vp->work, &vp->lock);
		if (vp->stopping)
			break;
		size_t i = vp->next_claim++;
		/* The array may move while unlocked, not the strings it points to. */
		struct audit_device dev = { .id = vp->jobs[i].id,
					    .fingerprint = vp->jobs[i].fingerprint };
		const char *path = vp->jobs[i].path;
		int dirfd = vp->jobs[i].dirfd;
		pthread_mutex_unlock(&vp->lock);
		struct ingest_export x;
		struct ferry_error *err = NULL;
		bool ok = ingest_export_verify(w->pgp, &dev, dirfd, path, &x, &err);
		pthread_mutex_lock(&vp->lock);
		vp->jobs[i].x = x;
		vp->jobs[i].ok = ok;
		vp->jobs[i].err = err;
		vp->jobs[i].done = true;
		pthread_cond_broadcast(&vp->result);
	}
	pthread_mutex_unlock(&vp->lock);
	return NULL;
}

static size_t default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > VERIFY_POOL_MAX ? VERIFY_POOL_MAX : (size_t)n;
}

bool verify_pool_start(const char *homedir, size_t workers, struct verify_pool **out,
		       struct ferry_error **err)
{
	struct verify_pool *vp = calloc(1, sizeof(*vp));
	*out = NULL;
	if (!vp)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	pthread_mutex_init(&vp->lock, NULL);
	pthread_cond_init(&vp->work, NULL);
	pthread_cond_init(&vp->result, NULL);
	vp->n_workers = workers ? (workers > VERIFY_POOL_MAX ? VERIFY_POOL_MAX : workers)
				: default_workers();
	vp->window = 2 * vp->n_workers + 2;
	vp->workers = calloc(vp->n_workers, sizeof(*vp->workers));
	if (!vp->workers) {
		ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		goto fail;
	}
	/* Contexts opened here, one after the other: pgp_open may write the
	 * home's configuration. */
	for (size_t i = 0; i < vp->n_workers; i++) {
		vp->workers[i].vp = vp;
		if (!pgp_open(homedir, &vp->workers[i].pgp, err))
			goto fail;
	}
	/* The keyring's state and keys, read once for all files of the import;
	 * without them every signature goes to GPGME, as before the snapshot. */
	struct ferry_error *qerr = NULL;
	if (!pgp_quick_load(vp->workers[0].pgp, &vp->quick, &qerr)) {
		log_warn("%s: every signature checked by GnuPG: %s", homedir, ferry_error_message(qerr));
		ferry_error_free(qerr);
		vp->quick = NULL;
	}
	for (size_t i = 0; i < vp->n_workers; i++) {
		struct verify_worker *w = &vp->workers[i];
		pgp_use_quick(w->pgp, vp->quick);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			ferry_error_setc(err, FERRY_E_INTERNAL, "cannot start a verification thread");
			goto fail;
		}
		w->running = true;
	}
	*out = vp;
	return true;
fail:
	verify_pool_stop(vp);
	return false;
}

static void job_clear(struct verify_job *j)
{
	ingest_export_clear(&j->x);
	ferry_error_free(j->err);
	free(j->id);
	free(j->fingerprint);
	free(j->path);
	memset(j, 0, sizeof(*j));
}

static bool jobs_room(struct verify_pool *vp)
{
	if (vp->n_jobs < vp->cap_jobs)
		return true;
	size_t cap = vp->cap_jobs ? vp->cap_jobs * 2 : 64;
	struct verify_job *grown = realloc(vp->jobs, cap * sizeof(*grown));
	if (!grown)
		return false;
	vp->jobs = grown;
	vp->cap_jobs = cap;
	return true;
}

bool verify_pool_add(struct verify_pool *vp, const struct audit_device *dev, int dirfd,
		     const char *path, struct ferry_error **err)
{
	struct verify_job j = { .id = strdup(dev->id), .fingerprint = strdup(dev->fingerprint),
				.path = strdup(path), .dirfd = dirfd };
	bool ok = false;
	pthread_mutex_lock(&vp->lock);
	if (j.id && j.fingerprint && j.path && jobs_room(vp)) {
		vp->jobs[vp->n_jobs++] = j;
		memset(&j, 0, sizeof(j));
		ok = true;
		pthread_cond_signal(&vp->work);
	}
	pthread_mutex_unlock(&vp->lock);
	job_clear(&j);
	return ok || ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
}

bool verify_pool_take(struct verify_pool *vp, const char *path, struct ingest_export *x,
		      struct ferry_error **err)
{
	memset(x, 0, sizeof(*x));
	pthread_mutex_lock(&vp->lock);
	if (vp->next_take == vp->n_jobs || strcmp(vp->jobs[vp->next_take].path, path) != 0) {
		pthread_mutex_unlock(&vp->lock);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "%s: not the file verified next", path);
	}
	struct verify_job *j = &vp->jobs[vp->next_take];
	while (!j->done) {
		pthread_cond_wait(&vp->result, &vp->lock);
		j = &vp->jobs[vp->next_take];
	}
	bool ok = j->ok;
	*x = j->x;
	memset(&j->x, 0, sizeof(j->x));
	if (!ok && err) {
		*err = j->err;
		j->err = NULL;
	}
	job_clear(j);
	vp->next_take++;
	pthread_cond_broadcast(&vp->work);   /* the window moved */
	pthread_mutex_unlock(&vp->lock);
	return ok;
}

const struct pgp_quick *verify_pool_quick(const struct verify_pool *vp)
{
	return vp ? vp->quick : NULL;
}

void verify_pool_stop(struct verify_pool *vp)
{
	if (!vp)
		return;
	pthread_mutex_lock(&vp->lock);
	vp->stopping = true;
	pthread_cond_broadcast(&vp->work);
	pthread_mutex_unlock(&vp->lock);
	for (size_t i = 0; vp->workers && i < vp->n_workers; i++) {
		if (vp->workers[i].running)
			pthread_join(vp->workers[i].thread, NULL);
		pgp_close(vp->workers[i].pgp);
	}
	for (size_t i = 0; i < vp->n_jobs; i++)
		job_clear(&vp->jobs[i]);
	free(vp->jobs);
	free(vp->workers);
	pgp_quick_free(vp->quick);
	pthread_cond_destroy(&vp->work);
	pthread_cond_destroy(&vp->result);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
}
