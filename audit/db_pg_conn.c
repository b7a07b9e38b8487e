/* db_pg_conn: see db_pg_conn.h. */
#include "audit/db_pg_conn.h"

#include "audit/db_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void p_text(struct params *ps, const char *s)
{
	ps->v[ps->n] = s;
	ps->len[ps->n] = 0;
	ps->fmt[ps->n++] = 0;
}

void p_int(struct params *ps, int64_t v)
{
	snprintf(ps->num[ps->n], sizeof(ps->num[0]), "%lld", (long long)v);
	p_text(ps, ps->num[ps->n]);
}

void p_int_or_null(struct params *ps, int64_t v)
{
	if (v >= 0)
		p_int(ps, v);
	else
		p_text(ps, NULL);
}

void p_bin(struct params *ps, const void *data, size_t len)
{
	ps->v[ps->n] = data;
	ps->len[ps->n] = (int)len;
	ps->fmt[ps->n++] = 1;
}

/* What a failed statement means: SQLSTATE class 23 (a constraint refused it)
 * integrity, 08 (the connection) io, 40 (deadlock, serialization) busy. */
static enum ferry_code code_of(const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!state)
		return FERRY_E_IO;
	if (strncmp(state, "23", 2) == 0)
		return FERRY_E_INTEGRITY;
	if (strncmp(state, "08", 2) == 0)
		return FERRY_E_IO;
	if (strncmp(state, "40", 2) == 0)
		return FERRY_E_BUSY;
	return FERRY_E_INTERNAL;
}

bool pg_fail(struct pg *p, const PGresult *r, const char *what, struct ferry_error **err)
{
	const char *msg = r ? PQresultErrorMessage(r) : "";
	if (!*msg)
		msg = PQerrorMessage(p->conn);
	int n = (int)strcspn(msg, "\n");
	return ferry_error_setc(err, code_of(r), "%s: %s: %.*s", p->name, what, n, msg);
}

PGresult *pg_run(struct pg *p, const char *sql, const struct params *ps, ExecStatusType want,
		 const char *what, struct ferry_error **err)
{
	if (p->batch_n && !pg_records_flush(p, err))
		return NULL;
	PGresult *r = PQexecParams(p->conn, sql, ps ? ps->n : 0, NULL, ps ? ps->v : NULL,
				   ps ? ps->len : NULL, ps ? ps->fmt : NULL, 0);
	if (PQresultStatus(r) == want)
		return r;
	pg_fail(p, r, what, err);
	PQclear(r);
	return NULL;
}

bool pg_cmd(struct pg *p, const char *sql, const struct params *ps, const char *what,
	    struct ferry_error **err)
{
	PGresult *r = pg_run(p, sql, ps, PGRES_COMMAND_OK, what, err);
	PQclear(r);
	return r != NULL;
}

char *cell_dup(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

const char *cell(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int64_t cell_int(const PGresult *r, int row, int col, int64_t absent)
{
	return PQgetisnull(r, row, col) ? absent : strtoll(PQgetvalue(r, row, col), NULL, 10);
}


static const char *const record_cols[PG_RECORD_COLS] = { "device", "seq", "hash", "prev", "time",
	"boot", "event", "bundle", "version", "result", "reason", "media_serial", "media_label", "line", "code",
	"work_order", "technician" };

static char *batch_sql(int n)
{
	return audit_db_insert_sql("records", record_cols, PG_RECORD_COLS, (size_t)n, "");
}

void pg_records_drop(struct pg *p)
{
	for (int i = 0; i < p->batch_n * PG_RECORD_COLS; i++) {
		free(p->batch[i]);
		p->batch[i] = NULL;
	}
	p->batch_n = 0;
}

/* A full batch through the prepared statement, a partial one parsed once. */
static PGresult *batch_send(struct pg *p, const char *const *vals)
{
	char *sql = NULL;
	if (p->batch_n == PG_BATCH_ROWS && !p->batch_prepared && (sql = batch_sql(PG_BATCH_ROWS))) {
		PGresult *r = PQprepare(p->conn, "ins_batch", sql, 0, NULL);
		p->batch_prepared = PQresultStatus(r) == PGRES_COMMAND_OK;
		free(sql);
		if (!p->batch_prepared)
			return r;
		PQclear(r);
	}
	if (p->batch_n == PG_BATCH_ROWS && p->batch_prepared)
		return PQexecPrepared(p->conn, "ins_batch", PG_BATCH_ROWS * PG_RECORD_COLS, vals, NULL,
				      NULL, 0);
	if (!(sql = batch_sql(p->batch_n)))
		return NULL;
	PGresult *r = PQexecParams(p->conn, sql, p->batch_n * PG_RECORD_COLS, NULL, vals, NULL, NULL, 0);
	free(sql);
	return r;
}

bool pg_records_flush(struct pg *p, struct ferry_error **err)
{
	if (!p->batch_n)
		return true;
	PGresult *r = batch_send(p, (const char *const *)p->batch);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok) {
		/* which record: the server's detail names the key ("Key (device, seq)=…") */
		char what[256];
		const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
		snprintf(what, sizeof(what), "inserting records %s/%lld-%lld%s%s%s", p->batch[0],
			 (long long)p->batch_first_seq, (long long)p->batch_first_seq + p->batch_n - 1,
			 detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
		pg_fail(p, r, what, err);
	}
	PQclear(r);
	pg_records_drop(p);
	return ok;
}

bool pg_records_add(struct pg *p, const struct audit_record *r, struct ferry_error **err)
{
	char seq[24], boot[24];
	snprintf(seq, sizeof(seq), "%lld", (long long)r->seq);
	snprintf(boot, sizeof(boot), "%lld", (long long)r->boot);
	const char *v[PG_RECORD_COLS] = { r->device, seq, r->hash, r->prev, r->time,
		r->boot >= 0 ? boot : NULL, r->event, r->bundle, r->version, r->result, r->reason,
		r->media_serial, r->media_label, r->line, r->code, r->work_order, r->technician };
	char **row = &p->batch[p->batch_n * PG_RECORD_COLS];
	for (int c = 0; c < PG_RECORD_COLS; c++)
		if (v[c] && !(row[c] = strdup(v[c]))) {
			pg_records_drop(p);
			return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
		}
	if (p->batch_n++ == 0)
		p->batch_first_seq = r->seq;
	if (p->batch_n < PG_BATCH_ROWS && PQtransactionStatus(p->conn) == PQTRANS_INTRANS)
		return true;
	if (p->batch_n == 1) {   /* alone: say which record, as SQLite does */
		char what[160];
		snprintf(what, sizeof(what), "inserting record %s/%lld", r->device, (long long)r->seq);
		PGresult *res = batch_send(p, (const char *const *)p->batch);
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			pg_fail(p, res, what, err);
		PQclear(res);
		pg_records_drop(p);
		return ok;
	}
	return pg_records_flush(p, err);
}
