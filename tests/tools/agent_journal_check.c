/* agent_journal_check: verifies the hash chain of an agent.db journal with
 * common/auditlog's verifier (for integration tests); prints "N records".
 * usage: agent_journal_check AGENT_DB */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auditlog.h"

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct ferry_error *err = NULL;
	char *buf = NULL, device[64] = "";
	size_t len = 0;
	int rc = 1;
	if (argc != 2) {
		fprintf(stderr, "usage: agent_journal_check AGENT_DB\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'device'", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(device, sizeof(device), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT line FROM journal ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		char *grown = realloc(buf, len + n + 1);
		if (!grown)
			goto out;
		buf = grown;
		memcpy(buf + len, sqlite3_column_text(st, 0), n);
		buf[len + n] = '\n';
		len += n + 1;
	}
	struct auditlog_chain c;
	if (!auditlog_chain_verify(buf, len, argv[1], device, NULL, &c, &err)) {
		fprintf(stderr, "%s\n", ferry_error_message(err));
		goto out;
	}
	printf("%zu records\n", c.n);
	rc = 0;
out:
	ferry_error_free(err);
	free(buf);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
