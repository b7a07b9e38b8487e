/* db_target: see db_target.h. */
#include "db_target.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool on_pg;

bool test_db_is_pg(void)
{
	return on_pg;
}

static void notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;   /* "drop cascades to 9 other objects" */
}

static PGconn *pg_connect(const char *url)
{
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("%s: %s", url, PQerrorMessage(c));
	PQsetNoticeProcessor(c, notice_ignore, NULL);
	return c;
}

static void pg_exec(const char *url, const char *sql)
{
	PGconn *c = pg_connect(url);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* "schema" of a target made by test_db_target_new: after the last '%3D' ('='). */
static const char *schema_of(const char *target)
{
	const char *s = strstr(target, "search_path%3D");
	return s ? s + strlen("search_path%3D") : NULL;
}

char *test_db_target_new(const char *dir)
{
	static unsigned n;
	char *target = NULL, sql[96];
	const char *base = getenv("FERRY_TEST_PG");
	if (!on_pg) {
		if (asprintf(&target, "%s/hq.db", dir) < 0)
			fail_msg("out of memory");
		return target;
	}
	char schema[40];
	snprintf(schema, sizeof(schema), "t%ld_%u", (long)getpid(), ++n);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	pg_exec(base, sql);
	if (asprintf(&target, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?',
		     schema) < 0)
		fail_msg("out of memory");
	return target;
}

void test_db_target_drop(char *target)
{
	char sql[96];
	if (target && on_pg) {
		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema_of(target));
		pg_exec(getenv("FERRY_TEST_PG"), sql);
	}
	free(target);
}

void test_db_exec(const char *target, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	if (on_pg)
		return pg_exec(target, sql);
	if (sqlite3_open(target, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s: %s", target, sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_close(db);
}

int64_t test_db_int(const char *target, const char *sql)
{
	int64_t v = 0;
	if (on_pg) {
		PGconn *c = pg_connect(target);
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
			fail_msg("%s: %s", sql, PQresultErrorMessage(r));
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
		return v;
	}
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open(target, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: %s: %s", target, sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void pg_unavailable(void **state)
{
	(void)state;
	const char *why = getenv("FERRY_TEST_PG_SKIP");
	print_message("PostgreSQL run skipped: %s\n", why && *why ? why :
		      "FERRY_TEST_PG not set (tests/run starts a server with tests/pg/cluster)");
	skip();
}

int test_db_run(const struct CMUnitTest *tests, size_t n)
{
	int failed = _cmocka_run_group_tests("sqlite", tests, n, NULL, NULL);
	const char *url = getenv("FERRY_TEST_PG");
	if (!url || !*url) {
		const struct CMUnitTest skipped[] = { cmocka_unit_test(pg_unavailable) };
		return failed + _cmocka_run_group_tests("postgresql", skipped, 1, NULL, NULL);
	}
	struct CMUnitTest *pg = calloc(n, sizeof(*pg));
	char **names = calloc(n, sizeof(*names));
	if (!pg || !names)
		return failed + 1;
	for (size_t i = 0; i < n; i++) {
		pg[i] = tests[i];
		if (asprintf(&names[i], "pg_%s", tests[i].name) < 0)
			return failed + 1;
		pg[i].name = names[i];
	}
	on_pg = true;
	failed += _cmocka_run_group_tests("postgresql", pg, n, NULL, NULL);
	on_pg = false;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(pg);
	return failed;
}
