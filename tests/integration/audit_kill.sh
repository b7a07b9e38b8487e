#!/bin/bash
# An HQ import killed (SIGKILL) at any moment leaves a database that passes
# SQLite's integrity check and `ferry-audit check` (every stored chain exact,
# nothing half-stored), and the next import stores the rest: after the last
# one every record is there once. The bulk import (audit/db_sqlite.c: its
# batches commit without a sync, a checkpointer thread copies them into the
# database file) is killed while it stores, commits and checkpoints: batches
# of 5,000 records, each import killed a little later than the one before.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_db.sh"

GEN=$BUILD/bench/gen-audit
"$GEN" "$T/g" --devices 4 --records 100000 --per-file 500 --hours 1 >/dev/null || { fail gen-audit "could not generate"; finish; }
DB=$(db_new hq) || { fail db_new "could not create the database"; finish; }
audit() { ferry-audit --db "$DB" --homedir "$T/hq/gnupg" "$@"; }
for k in "$T"/g/keys/*.asc; do
	audit -q register "$k" --device-id "$(basename "$k" .asc)" || fail "register_$k" "exit $?"
done

kills=0 mid=0 bad= seen= stored=0 delay=0.1
# later each round, until an import ends before its kill
while [ "$stored" != 100000 ] && [ "$kills" -lt 20 ]; do
	audit -q import --batch 5000 "$T/g/stick" >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep "$delay"
	kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	stored=$(sql "$DB" 'SELECT count(*) FROM records')
	seen+=" $stored"
	[ "$stored" -gt 0 ] && [ "$stored" -lt 100000 ] && mid=$((mid + 1))
	integrity=$(sql "$DB" 'PRAGMA integrity_check' 2>&1)
	checked=$(audit check 2>&1) || bad+=" after ${delay}s (${stored} records): ferry-audit check: $(tail -n 1 <<<"$checked");"
	[ "$FERRY_AUDIT_BACKEND" != sqlite ] || [ "$integrity" = ok ] || bad+=" after ${delay}s: integrity: $integrity;"
	delay=$(awk "BEGIN { print $delay + 0.03 }")
done
echo "killed $kills times, $mid while storing; records stored after each import:$seen"
if [ -n "$bad" ]; then
	fail import_killed_leaves_a_consistent_database "$bad"
elif [ "$mid" -eq 0 ]; then
	fail import_killed_leaves_a_consistent_database "no kill landed while records were being stored"
else
	pass import_killed_leaves_a_consistent_database
fi
check import_after_kills_completes audit -q import "$T/g/stick"
stored=$(sql "$DB" 'SELECT count(*) FROM records')
[ "$stored" = 100000 ] && pass every_record_stored_once || fail every_record_stored_once "$stored records, want 100000"
check chains_exact_after_kills audit check
finish
