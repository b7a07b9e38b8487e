#!/bin/bash
# stick_race.sh: a stick that changes while ferry works on it (issue 11 item
# 3 and 4). Every file on a stick is opened, written and renamed through its
# folder's open fd, so swapping ferry/audit/<id> (export) or ferry/ack (HQ's
# ack) for a symbolic link into "the device" between ferry's check and its
# writes must never send a write through the link: a background process
# swaps the folder and the link in a loop while the command runs again and
# again (bounded time). HQ's import refuses a FIFO in a returned stick's
# audit folder without blocking, and another import and a report of the
# same database proceed meanwhile.
source "$(dirname "$0")/lib.sh"

TO=20          # seconds: a command that takes longer is hanging
RACE=${FERRY_RACE_SECONDS:-8}
K="ferry-keys --homedir $T/keys"
$K init --root-name "Root" >/dev/null
$K policy sign -o "$T/policy" >/dev/null
$K provision "$T/gw" --device-id gw-0001 --device-type gw-x >/dev/null
GW="ferry-agent -c $T/gw/agent.json"

DEV=$T/device   # what a link on the stick points at; must never change
mkdir -p "$DEV/etc" && echo "root:x:0:0" >"$DEV/etc/passwd"
sums() { (cd "$DEV" && find . -printf '%p %y %s %m\n' | sort && find . -type f -exec sha256sum {} + | sort); }
DEV0=$(sums)

# swap DIR NAME SECONDS: swaps DIR/NAME (a folder) with a symbolic link to
# $DEV, as fast as it can, for SECONDS; prints how many swaps it made.
swap() {
	python3 - "$1" "$2" "$DEV" "$3" <<'PY'
import os, sys, time
d, name, target, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
real, held, link = os.path.join(d, name), os.path.join(d, ".held"), os.path.join(d, ".link")
os.symlink(target, link)
n, end = 0, time.time() + secs
while time.time() < end:
    for a, b in ((real, held), (link, real), (real, link), (held, real)):
        try:
            os.rename(a, b)
        except OSError:
            pass   # the command made or removed something meanwhile: go on
    n += 1
print(n)
PY
}

# race NAME SWAPDIR SWAPNAME CMD...: runs CMD again and again while swap runs;
# passes when "the device" never changed and no run hung.
race() {
	local name=$1 dir=$2 entry=$3 runs=0 hung=0 ok=0 swaps; shift 3
	swap "$dir" "$entry" "$RACE" >"$T/swaps" &
	local spid=$! end=$((SECONDS + RACE))
	while [ $SECONDS -lt $end ]; do
		timeout -k 5 "$TO" "$@" >/dev/null 2>&1
		case $? in 0) ok=$((ok + 1)) ;; 124|137) hung=$((hung + 1)) ;; esac
		runs=$((runs + 1))
	done
	wait $spid; swaps=$(cat "$T/swaps")
	if [ "$hung" -gt 0 ]; then fail "$name" "$hung of $runs runs hung"
	elif [ "$(sums)" != "$DEV0" ]; then fail "$name" "the device folder changed: $(ls -R "$DEV" | tr "\n" " " | head -c 300)"
	elif [ "$runs" -lt 2 ] || [ "${swaps:-0}" -lt 10 ]; then skip "$name" "too little happened ($runs runs, ${swaps:-0} swaps)"
	else pass "$name ($runs runs, $ok wrote, ${swaps} swaps)"
	fi
}

# --- the device's export while ferry/audit/gw-0001 flips to a link -----------
mkdir -p "$T/s/ferry/audit/gw-0001"
$GW -q reboot >/dev/null 2>&1   # a few records to export
race export_race_audit_folder "$T/s/ferry/audit" gw-0001 $GW -q export "$T/s"
# ... and while ferry/audit itself flips
race export_race_audit "$T/s/ferry" audit $GW -q export "$T/s"

# --- HQ: ack while ferry/ack flips; import while the device folder flips ----
GEN=$BUILD/bench/gen-audit
G=$T/g
DB=$T/hq/hq.db
"$GEN" "$G" --devices 1 --records 40 --per-file 10 >/dev/null || { fail gen-audit "could not generate"; finish; }
ferry-audit --db "$DB" register "$G/keys/gw-0001.asc" --device-id gw-0001 >/dev/null
HQ=$(ferry-audit --db "$DB" --homedir "$T/hq/gnupg" keygen --name "ferry HQ test" -o "$T/hq.asc" | head -1)
ferry-audit --db "$DB" -q import "$G/stick" >/dev/null 2>&1
mkdir -p "$T/a/ferry/ack"
race hq_ack_race_ack_folder "$T/a/ferry" ack ferry-audit --db "$DB" --homedir "$T/hq/gnupg" -q ack "$T/a" --key "$HQ"
cp -r "$G/stick" "$T/r"
race hq_import_race_device_folder "$T/r/ferry/audit" gw-0001 ferry-audit --db "$DB" -q import "$T/r"

# --- HQ: a FIFO in the audit folder blocks nothing, not even the database ----
mkdir -p "$T/f/ferry/audit/gw-0001"
mkfifo "$T/f/ferry/audit/gw-0001/gw-0001.00000041-00000050.jsonl"
(exec 3>"$T/f/ferry/audit/gw-0001/gw-0001.00000041-00000050.jsonl"; sleep 30) &   # a writer that never writes
writer=$!
"$GEN" "$T/g2" --devices 2 --records 10 --per-file 10 >/dev/null
ferry-audit --db "$DB" register "$T/g2/keys/gw-0002.asc" --device-id gw-0002 >/dev/null
mkdir -p "$T/g2only/ferry/audit" && cp -r "$T/g2/stick/ferry/audit/gw-0002" "$T/g2only/ferry/audit/"
start=$(date +%s)
timeout -k 5 "$TO" ferry-audit --db "$DB" import "$T/f" >"$T/fifo.out" 2>&1 &
imp=$!
timeout -k 5 "$TO" ferry-audit --db "$DB" -q import "$T/g2only" >"$T/other.out" 2>&1; other=$?
timeout -k 5 "$TO" ferry-audit --db "$DB" report >/dev/null 2>&1; rep=$?
wait $imp; rc=$?
took=$(( $(date +%s) - start ))
kill $writer 2>/dev/null; wait $writer 2>/dev/null
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then fail hq_import_fifo_does_not_block "the import hung"
elif [ $rc -ne 1 ] || ! grep -q "a FIFO" "$T/fifo.out"; then fail hq_import_fifo_does_not_block "exit $rc: $(head -c 300 "$T/fifo.out")"
else pass "hq_import_fifo_does_not_block (${took} s)"
fi
[ $other -eq 0 ] && [ $rep -eq 0 ] && pass hq_import_and_report_proceed_beside_a_fifo \
	|| fail hq_import_and_report_proceed_beside_a_fifo "import exit $other, report exit $rep: $(head -c 300 "$T/other.out")"
finish
