#!/bin/bash
# bench/audit.sh: how fast ferry-audit import stores verified audit records,
# against the machine's own limit on the same rows in the same run: a bare
# SQLite insert (same schema, one transaction, one prepared statement, no
# verification) by bench/audit-insert-baseline.
#   BUILD=build bench/audit.sh [RECORDS [DEVICES [PER_FILE]]]   (default 1000000 100 1000)
# gen-audit makes the stick like devices would: ed25519 device keys, chained
# records, every export file signed by its device. Not part of `make check`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RECORDS=${1:-1000000} DEVICES=${2:-100} PER_FILE=${3:-1000}
W=$(mktemp -d /tmp/fb.XXXXXX)
trap 'gpgconf --homedir "$W/g/gnupg" --kill all 2>/dev/null; gpgconf --homedir "$W/hq/gnupg" --kill all 2>/dev/null; rm -rf "$W"' EXIT
secs() { python3 -c "import sys; print(f'{$2 - $1:.3f}')"; }
now() { date +%s.%N; }

t0=$(now)
"$BUILD/bench/gen-audit" "$W/g" --devices "$DEVICES" --records "$RECORDS" --per-file "$PER_FILE"
t1=$(now)
files=$(find "$W/g/stick/ferry/audit" -name '*.jsonl' | wc -l)
echo "generated $RECORDS records of $DEVICES devices in $files signed export files: $(secs "$t0" "$t1") s"

for k in "$W"/g/keys/*.asc; do
	d=$(basename "$k" .asc)
	"$BUILD/bin/ferry-audit" --db "$W/hq/hq.db" -q register "$k" --device-id "$d"
done
t0=$(now)
"$BUILD/bin/ferry-audit" --db "$W/hq/hq.db" import "$W/g/stick" </dev/null
t1=$(now)
imp=$(secs "$t0" "$t1")
stored=$(sqlite3 "$W/hq/hq.db" 'SELECT count(*) FROM records')

read -r rows _ base _ < <("$BUILD/bench/audit-insert-baseline" "$W/base.db" "$W/g/stick")
python3 - "$stored" "$imp" "$rows" "$base" <<'PY'
import sys
stored, imp, rows, base = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
ir, br = stored / imp, rows / base
print(f"ferry-audit import : {stored} records in {imp:.2f} s = {ir:,.0f} records/s "
      "(signature + chain verified, one transaction per file)")
print(f"bare SQLite insert : {rows} rows in {base:.2f} s = {br:,.0f} rows/s "
      "(same schema, one transaction, prepared statement)")
print(f"ratio              : import runs at {ir / br:.2f} of the bare insert rate ({br / ir:.1f}x slower)")
PY
