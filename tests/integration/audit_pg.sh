#!/bin/bash
# audit.sh once more, on PostgreSQL: every case of the SQLite run against the
# server FERRY_TEST_PG names (tests/run starts a throw-away one).
if [ -z "${FERRY_TEST_PG:-}" ]; then
	echo "SKIP: audit_on_postgresql: ${FERRY_TEST_PG_SKIP:-FERRY_TEST_PG not set (tests/run starts a server with tests/pg/cluster)}"
	exit 0
fi
FERRY_AUDIT_BACKEND=postgresql exec bash "$(dirname "$0")/audit.sh"
