/* db_sqlite_ckpt: the background checkpointer of a bulk import (see the
 * header). A checkpoint syncs the WAL, copies the committed frames no reader
 * still needs into the database file, and syncs that file when it copied
 * them all (synchronous=FULL on this connection); what it leaves stays in
 * the WAL, as durable, for the next checkpoint or the importer's close. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "audit/db_sqlite_ckpt.h"
#include "common/log.h"

struct sq_ckpt {
	sqlite3 *db;
	const char *path;          /* the importer's: outlives this */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;       /* a nudge or stop (to the thread) */
	pthread_cond_t idle;       /* a checkpoint ended (to sq_ckpt_wait) */
	bool pending, running, stop;
};

static void checkpoint(struct sq_ckpt *c)
{
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	/* busy (another station's checkpointer) is no failure: the frames wait
	 * in the WAL for the next checkpoint */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("%s: checkpoint: %s (the frames stay in the WAL)", c->path, sqlite3_errmsg(c->db));
}

static void *ckpt_main(void *arg)
{
	struct sq_ckpt *c = arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->pending && !c->stop)
			pthread_cond_wait(&c->wake, &c->lock);
		if (!c->pending)
			break;
		c->pending = false;
		c->running = true;
		pthread_mutex_unlock(&c->lock);
		checkpoint(c);
		pthread_mutex_lock(&c->lock);
		c->running = false;
		pthread_cond_broadcast(&c->idle);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

bool sq_ckpt_start(const char *path, struct sq_ckpt **out, struct ferry_error **err)
{
	struct sq_ckpt *c = calloc(1, sizeof(*c));
	if (!c)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	c->path = path;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(c->db, 60000) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		ferry_error_setc(err, FERRY_E_IO, "%s: checkpointer: %s", path,
				 c->db ? sqlite3_errmsg(c->db) : "cannot open");
		sqlite3_close(c->db);
		free(c);
		return false;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->idle, NULL);
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
		pthread_cond_destroy(&c->idle);
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		sqlite3_close(c->db);
		free(c);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "%s: checkpointer: cannot start a thread", path);
	}
	*out = c;
	return true;
}

void sq_ckpt_nudge(struct sq_ckpt *c)
{
	pthread_mutex_lock(&c->lock);
	c->pending = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

void sq_ckpt_wait(struct sq_ckpt *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->pending || c->running)
		pthread_cond_wait(&c->idle, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

void sq_ckpt_stop(struct sq_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->idle);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	sqlite3_close(c->db);
	free(c);
}
