#!/bin/bash
# bench/audit.sh: how fast ferry-audit import stores verified audit records,
# against the machine's own limit on the same rows in the same run: a bare
# SQLite insert (same schema, one transaction, one prepared statement, no
# verification) by bench/audit-insert-baseline.
#   BUILD=build bench/audit.sh [RECORDS [DEVICES [PER_FILE]]]   (default 1000000 100 1000)
# gen-audit makes the stick like devices would: ed25519 device keys, chained
# records, every export file signed by its device. The same stick is then
# imported into PostgreSQL too, on a throw-away cluster (tests/pg/cluster,
# fsync and synchronous_commit on, like SQLite's synchronous=FULL); without a
# PostgreSQL server that line says why it is missing. Not part of `make check`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RECORDS=${1:-1000000} DEVICES=${2:-100} PER_FILE=${3:-1000}
W=$(mktemp -d /tmp/fb.XXXXXX) PGW=$(mktemp -d /tmp/fpg.XXXXXX)   # the server's user must reach PGW
trap 'gpgconf --homedir "$W/g/gnupg" --kill all 2>/dev/null; gpgconf --homedir "$W/hq/gnupg" --kill all 2>/dev/null; tests/pg/cluster stop "$PGW"; rm -rf "$W"' EXIT
secs() { python3 -c "import sys; print(f'{$2 - $1:.3f}')"; }
now() { date +%s.%N; }

t0=$(now)
# --hours 1: the records end an hour before now (without it they start on
# 1 Nov 2026, and the inventories of a long log lie in HQ's future: refused)
"$BUILD/bench/gen-audit" "$W/g" --devices "$DEVICES" --records "$RECORDS" --per-file "$PER_FILE" --hours 1
t1=$(now)
files=$(find "$W/g/stick/ferry/audit" -name '*.jsonl' | wc -l)
echo "generated $RECORDS records of $DEVICES devices in $files signed export files: $(secs "$t0" "$t1") s"

for k in "$W"/g/keys/*.asc; do
	d=$(basename "$k" .asc)
	"$BUILD/bin/ferry-audit" --db "$W/hq/hq.db" -q register "$k" --device-id "$d"
done
t0=$(now)
"$BUILD/bin/ferry-audit" --db "$W/hq/hq.db" -v import "$W/g/stick" </dev/null 2> >(grep -v ": info: imported: " >&2)
t1=$(now)
imp=$(secs "$t0" "$t1")
stored=$(sqlite3 "$W/hq/hq.db" 'SELECT count(*) FROM records')

# PostgreSQL: the same stick, the same HQ keyring
pg_stored=0 pg_imp=0 pg_why=
if url=$(FERRY_PG_FSYNC=on tests/pg/cluster start "$PGW" 2>"$W/pg.err"); then
	for k in "$W"/g/keys/*.asc; do
		"$BUILD/bin/ferry-audit" --db "$url" --homedir "$W/hq/gnupg" -q register "$k" --device-id "$(basename "$k" .asc)"
	done
	t0=$(now)
	"$BUILD/bin/ferry-audit" --db "$url" --homedir "$W/hq/gnupg" -v import "$W/g/stick" </dev/null 2> >(grep -v ": info: imported: " >&2)
	t1=$(now)
	pg_imp=$(secs "$t0" "$t1")
	pg_stored=$(psql -X -A -t "$url" -c 'SELECT count(*) FROM records')
else
	pg_why=$(tail -n 1 "$W/pg.err")
fi

read -r rows _ base _ < <("$BUILD/bench/audit-insert-baseline" "$W/base.db" "$W/g/stick")
python3 - "$stored" "$imp" "$rows" "$base" "$pg_stored" "$pg_imp" "$pg_why" <<'PY'
import sys
stored, imp, rows, base = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
pg_stored, pg_imp, pg_why = int(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
ir, br = stored / imp, rows / base
print(f"ferry-audit import : {stored} records in {imp:.2f} s = {ir:,.0f} records/s "
      "(signatures + chains verified in worker threads, one commit per batch of files)")
print(f"bare SQLite insert : {rows} rows in {base:.2f} s = {br:,.0f} rows/s "
      "(same schema, one transaction, prepared statement)")
print(f"ratio              : import runs at {ir / br:.2f} of the bare insert rate ({br / ir:.1f}x slower)")
print("issue 13's goals:")
print(f"  import records/s                 {ir:9,.0f}   goal >= 100,000   {'PASS' if ir >= 100000 else 'FAIL'}")
print(f"  import / bare SQLite insert      {ir / br:9.2f}   goal >= 0.6       {'PASS' if ir / br >= 0.6 else 'FAIL'}")
if pg_imp > 0:
    pr = pg_stored / pg_imp
    print(f"import, PostgreSQL : {pg_stored} records in {pg_imp:.2f} s = {pr:,.0f} records/s "
          f"({pr / br:.2f} of the bare SQLite insert rate, {pr / ir:.2f} of the SQLite import)")
else:
    print(f"import, PostgreSQL : not measured: {pg_why or 'no server'}")
PY
