#!/bin/bash
# antirollback.sh: the highest security_version per target (issue 11 item 8).
# A device that reached security_version 5 on its files target "app" refuses
# a validly signed older bundle of another name writing "app" (the reason
# names the target), while a bundle for an unrelated target keeps its own
# numbering; status shows each target. An agent.db made at test time with
# schema 1 (one value per device) upgrades in place: that value holds every
# target it knew.
source "$(dirname "$0")/lib.sh"

K="ferry-keys --homedir $T/keys"
$K init --root-name "Root" >/dev/null
REL=$($K signer add "Release" --role release --device-type 'gw-*')
$K policy sign -o "$T/policy" >/dev/null
provision() {   # provision DIR ID: a device with files targets app and tools
	$K provision "$1" --device-id "$2" --device-type gw-x --hw-revision 2 --installed app=1.0.0 >/dev/null
	mkdir -p "$1/targets/app" "$1/targets/tools"
	python3 - "$1/agent.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c.setdefault("targets", {})["tools"] = c["targets"]["app"].replace("app", "tools")
json.dump(c, open(p, "w"), indent=2)
PY
}
provision "$T/gw" gw-0001
mkdir -p "$T/in/tree" && echo "content" >"$T/in/tree/version.txt" && tar -C "$T/in/tree" -cf "$T/in/tree.tar" .
bundle() {   # bundle NAME VERSION SECURITY_VERSION TARGET -> $T/NAME-VERSION.ferry
	cat >"$T/in/$1.json" <<JSON
{ "format": 1, "name": "$1", "version": "$2", "security_version": $3,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
      "payloads": [ { "name": "tree", "handler": "files", "target": "$4", "file": "tree.tar" } ] } ] }
JSON
	ferry-pack -q --homedir "$T/keys/gnupg" create "$T/in/$1.json" -o "$T/$1-$2.ferry" --sign "$REL" ||
		fail "bundle_$1_$2" "cannot build it"
}
stick() {   # stick NAME BUNDLE...: a stick folder with these bundles and the policy
	rm -rf "${T:?}/$1"; local n=$1; shift
	mkdir -p "$T/$n/ferry/bundles" "$T/$n/ferry/policy"
	for b in "$@"; do cp "$T/$b" "$T/$n/ferry/bundles/"; done
	cp "$T/policy/"* "$T/$n/ferry/policy/"
}
bundle app 1.1.0 5 app
bundle app-legacy 0.9.0 3 app
bundle tools 1.0.0 1 tools
GW="ferry-agent -c $T/gw/agent.json"

stick s1 app-1.1.0.ferry
check per_target_install_at_5 timeout 60 $GW -q install "$T/s1"
stick s2 app-legacy-0.9.0.ferry
refuses per_target_older_bundle_of_another_name_refused 1 \
	'security_version 3 is below 5, the highest installed on files:app' timeout 60 $GW install "$T/s2"
grep -q "content" "$T/gw/targets/app/version.txt" 2>/dev/null && [ ! -e "$T/gw/targets/app.old" ] \
	&& pass per_target_refusal_changes_nothing || fail per_target_refusal_changes_nothing "$(ls "$T/gw/targets")"
stick s3 tools-1.0.0.ferry
check per_target_unrelated_target_keeps_its_own timeout 60 $GW -q install "$T/s3"
out=$($GW status 2>&1)
grep -q "security: 5 on files:app" <<<"$out" && grep -q "security: 1 on files:tools" <<<"$out" \
	&& pass per_target_status_shows_targets || fail per_target_status_shows_targets "$out"
v=$($GW --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["security_targets"]["bundle:app"])')
[ "$v" = 5 ] && pass per_target_status_json || fail per_target_status_json "bundle:app is $v"

# --- an agent.db of schema 1 (one security_version per device) upgrades in place
provision "$T/old" gw-0002
STATE=$(python3 -c 'import json,os,sys; print(os.path.join(os.path.dirname(sys.argv[1]), json.load(open(sys.argv[1])).get("state_dir", "state")))' "$T/old/agent.json")
mkdir -p "$STATE"
python3 - "$STATE/agent.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE installed (name TEXT PRIMARY KEY, version TEXT NOT NULL);
CREATE TABLE txn (id INTEGER PRIMARY KEY CHECK (id = 1), bundle TEXT, version TEXT,
  variant TEXT, security_version INTEGER NOT NULL DEFAULT 0, target_slot TEXT,
  previous_slot TEXT, started TEXT, usb_serial TEXT, media_label TEXT, detail TEXT);
CREATE TABLE progress (payload TEXT PRIMARY KEY, handler TEXT, phase TEXT,
  offset INTEGER NOT NULL DEFAULT 0, data TEXT);
CREATE TABLE journal (seq INTEGER PRIMARY KEY, line TEXT NOT NULL);
INSERT INTO meta VALUES ('device', 'gw-0002'), ('state', 5), ('boot_count', 0), ('boot_id', ''),
  ('security_version', 4), ('policy_serial', 0), ('exported_seq', 0);
INSERT INTO installed VALUES ('app', '1.0.0');
PRAGMA user_version = 1;
""")
db.commit()
PY
OLD="ferry-agent -c $T/old/agent.json"
stick s4 tools-1.0.0.ferry
refuses upgraded_db_holds_every_target 1 'security_version 1 is below 4, the highest installed on bundle:tools' \
	timeout 60 $OLD install "$T/s4"
ver=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$STATE/agent.db")
[ "$ver" = 2 ] && pass upgraded_db_is_schema_2 || fail upgraded_db_is_schema_2 "user_version $ver"
grep -q "security: 4 on every target" <<<"$($OLD status 2>&1)" && pass upgraded_db_status_shows_every \
	|| fail upgraded_db_status_shows_every "$($OLD status 2>&1)"
stick s5 app-1.1.0.ferry
check upgraded_db_installs_at_or_above timeout 60 $OLD -q install "$T/s5"
finish
