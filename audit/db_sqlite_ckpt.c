/* db_sqlite_ckpt: the background checkpointer of a bulk import (see the
 * header). A checkpoint copies committed WAL frames into the database file
 * and syncs the WAL before and the database after (synchronous=FULL on this
 * connection); whatever it does not copy stays in the WAL, as durable as
 * before, for the next checkpoint or the importer's close. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "audit/db_sqlite_ckpt.h"

struct sq_ckpt {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool pending, stop;
};

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
		pthread_mutex_unlock(&c->lock);
		/* busy (another checkpointer, a reader of old frames) is no
		 * failure: the frames wait in the WAL for the next one */
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

bool sq_ckpt_start(const char *path, struct sq_ckpt **out, struct ferry_error **err)
{
	struct sq_ckpt *c = calloc(1, sizeof(*c));
	if (!c)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		ferry_error_setc(err, FERRY_E_IO, "%s: checkpointer: %s", path,
				 c->db ? sqlite3_errmsg(c->db) : "cannot open");
		sqlite3_close(c->db);
		free(c);
		return false;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
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

void sq_ckpt_stop(struct sq_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	c->pending = false;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	sqlite3_close(c->db);
	free(c);
}
