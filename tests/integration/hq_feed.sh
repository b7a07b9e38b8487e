#!/bin/bash
# hq_feed: HQ feeds the workstation. `ferry-audit fleet -o` writes the fleet
# file that `ferry-pack simulate --fleet` reads (one writer, one parser in
# common/fleet.c); `devices --json` gives versions and rings structured; and
# without --db ferry-audit uses $FERRY_AUDIT_DB (else /var/lib/ferry/audit.db)
# and never creates an empty database for a command that only reads;
# register takes many provisioning outputs at once, all or nothing.
source "$(dirname "$0")/lib.sh"

GEN=$BUILD/bench/gen-audit
G=$T/g
DB=$T/hq/hq.db
HQ_HOME=$T/hq/gnupg
audit() { ferry-audit --db "$DB" --homedir "$HQ_HOME" "$@"; }

# 10 devices: gw-0001..gw-0008 (gw-x), sn-0001..sn-0002 (sensor-y); 9 registered,
# 8 of them with an imported inventory.
"$GEN" "$G" --devices 10 --records 40 --per-file 4 >/dev/null || { fail gen-audit "could not generate"; finish; }
ids=$(ls "$G/keys" | sed -n 's/\.asc$//p' | sort)
# provisioning outputs as ferry-keys provision writes them: agent.json + <id>.asc
for d in $ids; do
	mkdir -p "$T/prov/$d"; cp "$G/keys/$d.asc" "$T/prov/$d/"
	printf '{"format":1,"device":{"id":"%s","type":"gw-x"},"bootloader":{"type":"file","path":"e"}}\n' "$d" >"$T/prov/$d/agent.json"
done
# a batch with one bad member (another device's key under its name) registers nothing
mkdir -p "$T/bad"; cp -r "$T/prov/$(echo "$ids" | sed -n 10p)" "$T/bad/x"
cp "$G/keys/$(echo "$ids" | sed -n 1p).asc" "$T/bad/x/$(echo "$ids" | sed -n 10p).asc"
refuses register_batch_all_or_nothing 1 'nothing registered' \
	audit register $(echo "$ids" | head -n 3 | sed "s|^|$T/prov/|") "$T/bad/x"
[ "$(audit devices --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] &&
	pass register_batch_failure_leaves_no_device || fail register_batch_failure_leaves_no_device "$(audit devices)"
check register_batch_of_provisioning_outputs audit -q register $(echo "$ids" | head -n 9 | sed "s|^|$T/prov/|")
refuses register_dir_with_device_id 2 'device-id is for a key file' audit register "$T/prov/gw-0001" --device-id gw-0001
last=$(echo "$ids" | sed -n 9p)
mkdir -p "$T/stick/ferry/audit"
for d in $(echo "$ids" | head -n 8); do cp -r "$G/stick/ferry/audit/$d" "$T/stick/ferry/audit/"; done
check import_stick audit -q import "$T/stick"

# --- the default database: FERRY_AUDIT_DB, and no empty database on a read
mkdir -p "$T/cwd"
refuses no_db_read_refuses 2 'no HQ database there' \
	env FERRY_AUDIT_DB="$T/nowhere/hq.db" ferry-audit --homedir "$HQ_HOME" devices
if [ -e "$T/nowhere" ] || [ -n "$(ls -A "$T/cwd")" ]; then fail no_db_read_creates_nothing "$(ls -R "$T/nowhere" "$T/cwd" 2>&1 | tr '\n' ' ')"
else pass no_db_read_creates_nothing; fi
out=$(cd "$T/cwd" && env -u FERRY_AUDIT_DB ferry-audit --homedir "$HQ_HOME" report 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q '/var/lib/ferry/audit.db' <<<"$out" && [ -z "$(ls -A "$T/cwd")" ]; then
	pass default_is_var_lib_ferry
elif [ -e /var/lib/ferry/audit.db ]; then skip default_is_var_lib_ferry "this machine has an HQ database at /var/lib/ferry/audit.db"
else fail default_is_var_lib_ferry "rc $rc: $out; cwd: $(ls "$T/cwd")"; fi
check env_names_the_database bash -c "FERRY_AUDIT_DB='$DB' ferry-audit --homedir '$HQ_HOME' devices | grep -q gw-0001"
check register_creates_a_new_database env FERRY_AUDIT_DB="$T/new/hq.db" ferry-audit -q --homedir "$T/new/gnupg" \
	register "$G/keys/gw-0001.asc" --device-id gw-0001

# --- devices --json: versions and rings structured
audit devices --json >"$T/devices.json"
if python3 - "$T/devices.json" "$last" <<'PY'
import json, sys
devs = {d["id"]: d for d in json.load(open(sys.argv[1]))}
assert len(devs) == 9, len(devs)
g = devs["gw-0001"]
assert isinstance(g["installed"], dict) and g["installed"], g
assert all(isinstance(v, str) for v in g["installed"].values()), g
assert isinstance(g["groups"], list), g
assert any("canary" in d["groups"] for d in devs.values()), "no device in ring canary"
n = devs[sys.argv[2]]
assert n["type"] is None and n["installed"] == {} and n["groups"] == [], n
PY
then pass devices_json_structured; else fail devices_json_structured "$(head -c 400 "$T/devices.json")"; fi

# --- fleet -o: what simulate reads
check fleet_writes_the_file audit fleet -o "$T/fleet.json"
if python3 - "$T/fleet.json" "$last" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
assert f["format"] == 1
ids = [d["id"] for d in f["devices"]]
assert len(ids) == 8 and sys.argv[2] not in ids, ids
assert all(d["installed"] for d in f["devices"]), f
PY
then pass fleet_leaves_out_devices_without_inventory; else fail fleet_leaves_out_devices_without_inventory "$(head -c 400 "$T/fleet.json")"; fi
refuses fleet_needs_output 2 'needs -o' audit fleet

export FERRY_KEYS_HOME=$T/keys
ferry-keys -q init --root-name "Test Root" >/dev/null
REL=$(ferry-keys signer add "Release CI" --role release --device-type '*')
ferry-keys -q policy sign -o "$T/policy" >/dev/null
mkdir -p "$T/in"; head -c 100000 /usr/bin/bash >"$T/in/rootfs.img"
installed=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["devices"][0]; print(next(iter(d["installed"])))' "$T/fleet.json")
cat >"$T/in/spec.json" <<JSON
{ "format": 1, "name": "$installed", "version": "99.0.0", "security_version": 1, "created": "2026-11-24T10:00:00Z",
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "rootfs.img" } ] } ] }
JSON
ferry-pack -q --homedir "$T/keys/gnupg" create "$T/in/spec.json" -o "$T/b.ferry" --sign "$REL" ||
	fail create_bundle "ferry-pack create failed"
gpg --homedir "$T/keys/gnupg" --batch --quiet --armor --export >"$T/keyring.asc"
out=$(ferry-pack simulate "$T/b.ferry" --fleet "$T/fleet.json" --policy "$T/policy" --keyring "$T/keyring.asc" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'gw-0001' <<<"$out"; then pass simulate_reads_hq_fleet
else fail simulate_reads_hq_fleet "rc $rc: $(tr '\n' ' ' <<<"$out" | head -c 400)"; fi
finish
