#!/bin/bash
# agent_boot_crash: SIGKILL `ferry-agent reboot` and `ferry-agent commit` at
# random moments on a virtual device; after each crash the next start must
# settle to a state that agrees with the bootloader, the journal chain must
# stay intact, and no step may be recorded twice.
source "$(dirname "$0")/lib.sh"
FAKE=$BUILD/tests/tools/agent_fake_install
if ! [ -x "$FAKE" ] || ! command -v sqlite3 >/dev/null; then skip agent_boot_crash "needs $FAKE and sqlite3"; finish; fi

D=$T/dev
mkdir -p "$D/slots"
cat >"$D/agent.json" <<'JSON'
{ "format": 1, "device": { "id": "gw-0001", "type": "gw-x", "installed": { "os": "1.0.0" } },
  "slots": { "rootfs": { "a": "slots/a.img", "b": "slots/b.img" } },
  "bootloader": { "type": "file", "path": "state/bootenv.json" } }
JSON
A() { ferry-agent -q -c "$D/agent.json" "$@"; }
state() { A --json status | grep -m1 '"state"' | sed -E 's/.*: "([^"]*)".*/\1/'; }
booted() { grep '"BOOTED"' "$D/state/bootenv.json" | sed -E 's/.*: "([AB])".*/\1/' | tr AB ab; }
# kill_at CMD...: runs CMD in the background and SIGKILLs it after 0-14 ms
# (a run takes about 12 ms); counts the runs that were cut short.
killed=0
kill_at() {
	"$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % 15)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? -eq 137 ] && killed=$((killed + 1))
}
chain_ok() { "$BUILD/tests/tools/agent_journal_check" "$D/state/agent.db"; }

bad=0
for i in $(seq 1 20); do
	v="2.0.$i"
	target=$("$FAKE" "$D/agent.json" os "$v" "$i") || { fail "round_$i" "install failed"; bad=1; break; }
	kill_at ferry-agent -c "$D/agent.json" reboot
	A boot >/dev/null || { fail "round_$i" "boot after the killed reboot failed"; bad=1; break; }
	# Killed before the virtual power-on: the machine never rebooted.
	[ "$(state)" = installed ] && A reboot >/dev/null
	if [ "$(state)" != trial ] || [ "$(booted)" != "$target" ]; then
		fail "round_$i" "after reboot: state $(state), running $(booted), trial slot $target"; bad=1; break
	fi
	kill_at ferry-agent -c "$D/agent.json" commit
	A commit >/dev/null || { fail "round_$i" "commit after the killed commit failed"; bad=1; break; }
	if [ "$(state)" != committed ]; then fail "round_$i" "state $(state) after commit"; bad=1; break; fi
	# The committed slot must survive the next boots.
	A reboot >/dev/null; A reboot >/dev/null
	if [ "$(booted)" != "$target" ]; then fail "round_$i" "committed slot $target not booted"; bad=1; break; fi
done
echo "info: $killed of 40 runs were killed before they finished"
[ $bad = 0 ] && pass killed_reboots_and_commits_settle
check journal_chain_intact_after_kills chain_ok
dups=$(sqlite3 "$D/state/agent.db" "SELECT COUNT(*) FROM (SELECT json_extract(line,'$.version') v, json_extract(line,'$.event') e FROM journal WHERE e IN ('boot.trial','boot.committed') GROUP BY v, e HAVING COUNT(*) > 1)")
[ "$dups" = 0 ] && pass no_step_recorded_twice || fail no_step_recorded_twice "$dups duplicated"
n=$(sqlite3 "$D/state/agent.db" "SELECT COUNT(*) FROM journal WHERE line LIKE '%\"event\":\"boot.committed\"%'")
[ "$n" = 20 ] && pass every_round_committed_once || fail every_round_committed_once "$n commits"
finish
