/* db_target: the databases the audit unit tests run against. A test file
 * runs its tests once on SQLite and once more on PostgreSQL when
 * FERRY_TEST_PG names a server (tests/run starts one with tests/pg/cluster);
 * without one the PostgreSQL run is one skipped test that says why. Every
 * test gets an empty database of its own: a file, or a PostgreSQL schema. */
#ifndef FERRY_TEST_DB_TARGET_H
#define FERRY_TEST_DB_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "testutil.h"

/* true while the PostgreSQL run is going. */
bool test_db_is_pg(void);
/* A new empty database for one test: dir/hq.db, or a fresh schema on the
 * server. Free with test_db_target_drop. */
char *test_db_target_new(const char *dir);
void test_db_target_drop(char *target);
/* Runs SQL on target with the backend's own client library (not audit/db),
 * failing the test on an error; test_db_int returns the query's one integer. */
void test_db_exec(const char *target, const char *sql);
int64_t test_db_int(const char *target, const char *sql);
/* Runs tests on SQLite, then again on PostgreSQL with names prefixed "pg_". */
int test_db_run(const struct CMUnitTest *tests, size_t n);

#endif
