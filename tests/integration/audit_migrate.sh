#!/bin/bash
# ferry-audit migrate: an HQ database copied to another backend holds the
# same rows (every table), the same reports and the same verified chains; a
# copy into a non-empty database and a source that does not verify are
# refused. SQLite to SQLite always; SQLite to PostgreSQL and back when
# tests/run started a server (FERRY_TEST_PG).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_db.sh"

GEN=$BUILD/bench/gen-audit
"$GEN" "$T/g" --devices 5 --records 300 --per-file 20 >/dev/null || { fail gen-audit "could not generate"; finish; }
SRC=$(db_new src) H=$T/src/gnupg
for k in "$T"/g/keys/*.asc; do
	ferry-audit --db "$SRC" --homedir "$H" -q register "$k" --device-id "$(basename "$k" .asc)"
done
ferry-audit --db "$SRC" --homedir "$H" -q import "$T/g/stick" || { fail source_import "exit $?"; finish; }
TABLES="devices device_versions device_groups records imports policy_serials export_sigs schema_version"
counts() { local t; for t in $TABLES; do printf '%s=%s ' "$t" "$(sql "$1" "SELECT count(*) FROM $t")"; done; }
same_db() {   # same_db NAME A B: every table's count, the report and the events agree
	local name=$1 a=$2 b=$3
	if [ "$(counts "$a")" != "$(counts "$b")" ]; then fail "$name" "counts $(counts "$a") vs $(counts "$b")"; return; fi
	# the two reports are made a moment apart: the fields that are HQ's
	# clock (generated, and stale_before = generated - stale days) may differ
	if ! diff <(ferry-audit --db "$a" --homedir "$H" report --format json --stale-days 3650 | grep -v '"generated"\|"stale_before"') \
		<(ferry-audit --db "$b" --homedir "$H" report --format json --stale-days 3650 | grep -v '"generated"\|"stale_before"') >"$T/diff"; then
		fail "$name" "reports differ: $(head -c 600 "$T/diff" | tr "\n" " ")"; return
	fi
	if ! diff <(ferry-audit --db "$a" --homedir "$H" events --json) <(ferry-audit --db "$b" --homedir "$H" events --json) >"$T/diff"; then
		fail "$name" "events differ: $(head -c 300 "$T/diff")"; return
	fi
	[ "$(sql "$a" 'SELECT sum(id) FROM imports')" = "$(sql "$b" 'SELECT sum(id) FROM imports')" ] ||
		{ fail "$name" "import journal ids differ"; return; }
	pass "$name"
}

COPY=$T/copy/hq.db; mkdir -p "$T/copy"
check migrate_sqlite_to_sqlite ferry-audit --homedir "$H" migrate --from "sqlite:$SRC" --to "sqlite:$COPY"
same_db migrate_sqlite_copy_is_the_same "$SRC" "$COPY"
refuses migrate_refuses_a_non_empty_destination 1 'holds 5 devices already' \
	ferry-audit --homedir "$H" migrate --from "$SRC" --to "$COPY"
refuses migrate_needs_from_and_to 2 'needs --from' ferry-audit migrate --to "$COPY"
cp "$SRC" "$T/bad.db"
sql "$T/bad.db" "UPDATE records SET line = replace(line, '\"time\":\"2026', '\"time\":\"2025') WHERE seq = 7"
mkdir -p "$T/badcopy"
refuses migrate_refuses_a_copy_that_does_not_verify 1 'do not verify after the copy' \
	ferry-audit --homedir "$H" migrate --from "$T/bad.db" --to "$T/badcopy/hq.db"

if [ -z "${FERRY_TEST_PG:-}" ]; then
	skip migrate_to_postgresql "${FERRY_TEST_PG_SKIP:-FERRY_TEST_PG not set (tests/run starts a server with tests/pg/cluster)}"
	finish
fi
FERRY_AUDIT_BACKEND=postgresql
PG=$(db_new pg) || { fail migrate_to_postgresql "no schema"; finish; }
check migrate_sqlite_to_postgresql ferry-audit --homedir "$H" migrate --from "sqlite:$SRC" --to "$PG"
same_db migrate_postgresql_copy_is_the_same "$SRC" "$PG"
check migrate_postgresql_copy_checks ferry-audit --db "$PG" --homedir "$H" check
# the copy is a working HQ: a later import is journaled after the copied lines
ids=$(sql "$PG" 'SELECT max(id) FROM imports')
check migrate_copy_keeps_working bash -c "ferry-audit --db '$PG' --homedir '$H' import '$T/g/stick' | grep -q 'nothing new'"
[ "$(sql "$PG" 'SELECT min(id) FROM imports WHERE id > '"$ids")" = $((ids + 1)) ] && pass migrate_journal_continues_after_the_copy ||
	fail migrate_journal_continues_after_the_copy "next id $(sql "$PG" "SELECT min(id) FROM imports WHERE id > $ids"), copied up to $ids"
BACK=$T/back/hq.db; mkdir -p "$T/back"
check migrate_postgresql_to_sqlite ferry-audit --homedir "$H" migrate --from "$PG" --to "$BACK"
same_db migrate_round_trip_is_the_same "$PG" "$BACK"
finish
