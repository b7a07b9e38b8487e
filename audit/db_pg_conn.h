/* db_pg_conn: one PostgreSQL connection of the HQ database and what every
 * statement of db_pg.c goes through: parameters, errors with their codes,
 * results, and the batch of records an import inserts. Promises: a statement
 * run with pg_run sees every record added before it (the batch is sent
 * first), so batching never changes what a reader in the transaction sees. */
#ifndef FERRY_AUDIT_DB_PG_CONN_H
#define FERRY_AUDIT_DB_PG_CONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/db.h"

#define PG_BATCH_ROWS 100   /* records per multi-row INSERT (bench/audit.sh) */
#define PG_RECORD_COLS 17

struct pg {
	PGconn *conn;
	char *name;               /* "postgresql:DBNAME" for messages (never a password) */
	unsigned copy_prepared;   /* migrate: bit i, the insert into audit_db_tables[i] */
	bool batch_prepared;      /* "ins_batch": PG_BATCH_ROWS rows at once */
	int batch_n;              /* records waiting in batch */
	char *batch[PG_BATCH_ROWS * PG_RECORD_COLS];   /* their values, owned */
	int64_t batch_first_seq;
};

/* Up to 16 parameters of one statement, as text (or binary for bytea). */
struct params {
	int n;
	const char *v[16];
	int len[16], fmt[16];
	char num[16][24];
};
void p_text(struct params *ps, const char *s);
void p_int(struct params *ps, int64_t v);
void p_int_or_null(struct params *ps, int64_t v);   /* < 0: NULL */
void p_bin(struct params *ps, const void *data, size_t len);

/* Sets *err "NAME: what: server message", classified by its SQLSTATE. */
bool pg_fail(struct pg *p, const PGresult *r, const char *what, struct ferry_error **err);
/* Sends the batch, then runs sql with ps (NULL: none); returns the result when
 * its status is want, else NULL with *err set. Caller PQclear()s it. */
PGresult *pg_run(struct pg *p, const char *sql, const struct params *ps, ExecStatusType want,
		 const char *what, struct ferry_error **err);
bool pg_cmd(struct pg *p, const char *sql, const struct params *ps, const char *what,
	    struct ferry_error **err);

/* Cells of a result: NULL for SQL NULL; cell_dup's copy is the caller's. */
const char *cell(const PGresult *r, int row, int col);
char *cell_dup(const PGresult *r, int row, int col);
int64_t cell_int(const PGresult *r, int row, int col, int64_t absent);

/* Inserts a record: inside a transaction it waits in the batch (sent when
 * full or before the next statement); outside one it is inserted now. */
bool pg_records_add(struct pg *p, const struct audit_record *r, struct ferry_error **err);
bool pg_records_flush(struct pg *p, struct ferry_error **err);
/* Forgets the batch (rollback, close). */
void pg_records_drop(struct pg *p);

#endif
