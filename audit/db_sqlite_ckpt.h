/* db_sqlite_ckpt: the background checkpointer of a bulk import into a SQLite
 * database in WAL mode. While an import stores batch N+1 on its connection
 * (with automatic checkpoints off), a thread with a connection of its own
 * copies batch N from the WAL into the database file (a PASSIVE checkpoint:
 * it never waits for readers or writers). Owns that thread and its
 * connection; db_sqlite.c starts it, nudges it after each commit, waits for
 * it when the WAL has grown too large, and stops it at the end of the
 * import. */
#ifndef FERRY_AUDIT_DB_SQLITE_CKPT_H
#define FERRY_AUDIT_DB_SQLITE_CKPT_H

#include <stdbool.h>

#include "common/error.h"

struct sq_ckpt;

/* Opens a second connection to the database at path and starts its thread. */
bool sq_ckpt_start(const char *path, struct sq_ckpt **out, struct ferry_error **err);
/* Asks for a checkpoint of what is committed now (returns at once). */
void sq_ckpt_nudge(struct sq_ckpt *c);
/* Waits until no checkpoint is asked for or running. */
void sq_ckpt_wait(struct sq_ckpt *c);
/* Runs the checkpoint still asked for, ends the thread, closes its
 * connection. NULL: nothing. */
void sq_ckpt_stop(struct sq_ckpt *c);

#endif
