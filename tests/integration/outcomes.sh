#!/bin/bash
# outcomes.sh: what a stick's outcome means (issue 14 items 1-3, the outcome
# table of docs/field-guide.md): nothing for this device ends as "nothing"
# (exit 0) — the same stick again, an older version, bundles only for other
# device types even when signed under another type's rules; "refused" (exit 1)
# is for a bundle meant for this device that fails a check; a directory that
# is not a ferry stick is a usage error (exit 2) and gets nothing written;
# a second agent does not take the device (busy).
source "$(dirname "$0")/lib.sh"

K="ferry-keys --homedir $T/keys"
$K init --root-name "Root" >/dev/null
REL=$($K signer add "Release" --role release --device-type 'gw-*')
SEN=$($K signer add "Sensor CI" --role release --device-type 'sensor-*')
$K policy sign -o "$T/policy" >/dev/null
PACK="ferry-pack -q --homedir $T/keys/gnupg"
$K provision "$T/gw" --device-id gw-0001 --device-type gw-x --hw-revision 2 --installed app=0.5.0 >/dev/null
mkdir -p "$T/gw/targets/app" && echo "old app" >"$T/gw/targets/app/version.txt"
GW="ferry-agent -c $T/gw/agent.json"

mkdir -p "$T/in/app" && echo "new app" >"$T/in/app/version.txt"
tar -C "$T/in/app" -cf "$T/in/app.tar" .
bundle() {   # bundle VERSION DEVICE_TYPE SIGNER
	cat >"$T/in/app-$1-$2.json" <<JSON
{ "format": 1, "name": "app", "version": "$1", "security_version": 1,
  "variants": [ { "id": "v", "compatible": { "device_type": ["$2"], "installed_version": ">=0.0.0 <$1" },
      "payloads": [ { "name": "app", "handler": "files", "target": "app", "file": "app.tar" } ] } ] }
JSON
	$PACK create "$T/in/app-$1-$2.json" -o "$T/app-$1-$2.ferry" --sign "$3"
}
stick() {   # stick NAME BUNDLE... : a stick directory holding these bundles
	local s=$T/$1; shift
	mkdir -p "$s/ferry/bundles"
	for b in "$@"; do cp "$T/$b.ferry" "$s/ferry/bundles/"; done
	echo "$s"
}
row() {   # row NAME WANT_RC WANT_RESULT STICK: install, check exit code and result line
	local out rc
	out=$($GW install "$4" 2>&1); rc=$?
	if [ "$rc" -eq "$2" ] && grep -q "^$3: " <<<"$out"; then pass "$1"; else fail "$1" "exit $rc: $out"; fi
}
bundle 1.0.0 gw-x "$REL"
bundle 0.9.0 gw-x "$REL"
bundle 1.0.0 sensor-y "$SEN"
bundle 2.0.0 gw-x "$SEN"

row new_version_installs 0 success "$(stick s1 app-1.0.0-gw-x)"
row same_stick_again_is_nothing 0 nothing "$T/s1"
row older_version_is_nothing 0 nothing "$(stick s2 app-0.9.0-gw-x)"
row other_device_type_is_nothing 0 nothing "$(stick s3 app-1.0.0-sensor-y)"
grep -q "not for this device" <<<"$($GW check "$T/s3" 2>&1)" && pass other_device_type_says_why ||
	fail other_device_type_says_why "$($GW check "$T/s3" 2>&1)"
row signer_of_other_types_for_this_device_is_refused 1 refused "$(stick s4 app-2.0.0-gw-x)"
row mixed_stick_refused_when_one_for_us_fails 1 refused "$(stick s5 app-1.0.0-sensor-y app-2.0.0-gw-x)"

# --- not a stick: exit 2, nothing written, nothing marked exported -------------
mkdir -p "$T/notastick"
out=$($GW install "$T/notastick" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "not a ferry stick" <<<"$out" && pass not_a_stick_exit_2 || fail not_a_stick_exit_2 "exit $rc: $out"
[ -z "$(ls -A "$T/notastick")" ] && pass not_a_stick_nothing_written || fail not_a_stick_nothing_written "$(find "$T/notastick")"
out=$($GW install "$T/s6" 2>&1); rc=$?   # missing altogether: not a stick either
[ $rc -ne 0 ] && [ ! -e "$T/s6" ] && pass missing_dir_not_created || fail missing_dir_not_created "exit $rc: $out"
# the records stay unexported: the next real stick gets them
mkdir -p "$T/s7/ferry"
$GW install "$T/s7" >/dev/null 2>&1
[ -n "$(find "$T/s7/ferry/audit" -type f 2>/dev/null)" ] && pass real_stick_gets_records || fail real_stick_gets_records "$(find "$T/s7")"

# --- one agent per device ------------------------------------------------------
STATE=$(python3 -c 'import json,sys,os; c=json.load(open(sys.argv[1])); d=c["state_dir"]; print(d if os.path.isabs(d) else os.path.join(os.path.dirname(sys.argv[1]), d))' "$T/gw/agent.json")
if command -v flock >/dev/null; then
	flock "$STATE/watch.lock" sleep 30 & holder=$!
	sleep 0.5
	out=$($GW watch --source kernel --max-sticks 1 2>&1); rc=$?
	[ $rc -eq 1 ] && grep -q "another ferry-agent watch" <<<"$out" && pass second_watch_refused ||
		fail second_watch_refused "exit $rc: $out"
	kill "$holder"; wait "$holder" 2>/dev/null
	flock "$STATE/agent.lock" sleep 30 & holder=$!
	sleep 0.5
	out=$($GW install "$T/s1" 2>&1); rc=$?
	[ $rc -eq 1 ] && grep -q "another ferry-agent is working on this device" <<<"$out" && ! grep -q "pull the stick" <<<"$out" &&
		pass install_while_busy_refused || fail install_while_busy_refused "exit $rc: $out"
	kill "$holder"; wait "$holder" 2>/dev/null
else
	skip second_watch_refused "flock(1) from util-linux is not installed"
fi
finish
