#!/bin/bash
# hostile_stick.sh: sticks built by someone without any key (issue 11 items
# 1, 3, 4, 9; the label, item 7, is tests/unit/test_watch.c's). FIFOs at
# every path the agent or HQ opens on a stick, and symbolic links at ferry/,
# ferry/audit, ferry/audit/<id>, ferry/bundles, ferry/ack and MEDIA.json
# pointing into a folder that stands for "the device". Each case asserts: the
# exit code, a reason naming the path, nothing changed in "the device"
# (checksums before/after) nor in the device's GnuPG home, and no hang (every
# command runs under `timeout`). Sticks are plain folders here;
# tests/integration/media.sh covers real mounted sticks.
source "$(dirname "$0")/lib.sh"

TO=20   # seconds: a command that takes longer is hanging
K="ferry-keys --homedir $T/keys"
$K init --root-name "Root" >/dev/null
REL=$($K signer add "Release" --role release --device-type 'gw-*')
$K policy sign -o "$T/policy" >/dev/null
$K provision "$T/gw" --device-id gw-0001 --device-type gw-x --hw-revision 2 \
	--installed app=1.0.0 >/dev/null
mkdir -p "$T/gw/targets/app" && echo "old app" >"$T/gw/targets/app/version.txt"
GW="ferry-agent -c $T/gw/agent.json"
HOME_DIR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trust"]["homedir"])' "$T/gw/agent.json")

mkdir -p "$T/in/app" && echo "new app" >"$T/in/app/version.txt" && tar -C "$T/in/app" -cf "$T/in/app.tar" .
cat >"$T/in/app.json" <<JSON
{ "format": 1, "name": "app", "version": "1.1.0", "security_version": 1,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
      "payloads": [ { "name": "app", "handler": "files", "target": "app", "file": "app.tar" } ] } ] }
JSON
ferry-pack -q --homedir "$T/keys/gnupg" create "$T/in/app.json" -o "$T/app-1.1.0.ferry" --sign "$REL" ||
	{ fail setup "cannot build the bundle"; finish; }

# "The device": files a link on the stick points at; must never change.
DEV=$T/device
mkdir -p "$DEV/etc" && echo "root:x:0:0" >"$DEV/etc/passwd" && cp "$T/app-1.1.0.ferry" "$DEV/"
sums() { (cd "$DEV" && find . -printf '%p %y %s %m\n' | sort && find . -type f -exec sha256sum {} + | sort); }
home_sums() { gpg --homedir "$HOME_DIR" --batch --list-keys --with-colons 2>/dev/null; ls -A "$HOME_DIR/private-keys-v1.d" 2>/dev/null; }
DEV0=$(sums)
HOME0=$(home_sums)

# A clean stick: the good bundle and the policy in force.
fresh() {   # fresh NAME -> $T/NAME is a new stick folder
	rm -rf "${T:?}/$1"
	mkdir -p "$T/$1/ferry/bundles" "$T/$1/ferry/policy"
	cp "$T/app-1.1.0.ferry" "$T/$1/ferry/bundles/"
	cp "$T/policy/"* "$T/$1/ferry/policy/"
}

# hostile NAME RC PATTERN CMD...: under timeout, CMD exits RC (124: hung),
# prints PATTERN, "the device" and the trust store stay as they were.
hostile() {
	local name=$1 want=$2 pat=$3 out rc; shift 3
	out=$(timeout -k 5 "$TO" "$@" 2>&1); rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then fail "$name" "hung (killed after ${TO}s)"; return; fi
	if [ $rc -ne "$want" ]; then fail "$name" "exit $rc, not $want: $(head -c 400 <<<"$out")"; return; fi
	if ! grep -Eq -- "$pat" <<<"$out"; then fail "$name" "no '$pat' in: $(head -c 400 <<<"$out")"; return; fi
	if [ "$(sums)" != "$DEV0" ]; then fail "$name" "the device folder changed"; return; fi
	if [ "$(home_sums)" != "$HOME0" ]; then fail "$name" "the device's GnuPG home changed"; return; fi
	pass "$name"
}

# --- FIFOs at every path the agent opens --------------------------------------
fresh s; mkfifo "$T/s/ferry/MEDIA.json"
hostile fifo_media_json_check 1 'MEDIA.json: a FIFO' $GW check "$T/s"
hostile fifo_media_json_install 1 'MEDIA.json: a FIFO' $GW install "$T/s"
hostile fifo_media_json_export 1 'MEDIA.json: a FIFO' $GW export "$T/s"

fresh s; rm "$T/s/ferry/policy/policy.json"; mkfifo "$T/s/ferry/policy/policy.json"
hostile fifo_policy_json_install 1 'policy' $GW install "$T/s"

fresh s; mkfifo "$T/s/ferry/bundles/junk-1.0.ferry"
hostile fifo_bundle_named_and_others_judged 0 'junk-1.0.ferry: a FIFO, not a regular file: ignored' $GW check "$T/s"
grep -q 'app 1.1.0: would install' <<<"$(timeout "$TO" $GW check "$T/s" 2>&1)" && pass fifo_bundle_good_bundle_beside_it ||
	fail fifo_bundle_good_bundle_beside_it
hostile fifo_bundle_recorded 0 'ignored' $GW install "$T/s"
hostile fifo_bundle_in_record 0 '"junk-1.0.ferry: a FIFO, not a regular file"' $GW --json status

fresh s; mkdir -p "$T/s/ferry/ack"; mkfifo "$T/s/ferry/ack/gw-0001.json"
hostile fifo_ack_install 0 '' $GW install "$T/s"
hostile fifo_ack_export 0 '' $GW export "$T/s"

fresh s; mkdir -p "$T/s/ferry/audit"; mkfifo "$T/s/ferry/audit/gw-0001"
hostile fifo_audit_folder_export 1 'ferry/audit/gw-0001: a symbolic link or not a folder' $GW export "$T/s"

# --- symbolic links into "the device" ---------------------------------------------
mkdir -p "$T/s1"; ln -s "$DEV" "$T/s1/ferry"
hostile link_ferry_check 1 'ferry: .*symbolic link' $GW check "$T/s1"
hostile link_ferry_install 1 'ferry: .*symbolic link' $GW install "$T/s1"
hostile link_ferry_export 1 'ferry: .*symbolic link' $GW export "$T/s1"

fresh s; ln -s "$DEV" "$T/s/ferry/audit"
hostile link_audit_export 1 'ferry/audit: a symbolic link' $GW export "$T/s"
fresh s; mkdir -p "$T/s/ferry/audit"; ln -s "$DEV" "$T/s/ferry/audit/gw-0001"
hostile link_device_audit_export 1 'audit/gw-0001: a symbolic link' $GW export "$T/s"
fresh s; rm -rf "$T/s/ferry/bundles"; ln -s "$DEV" "$T/s/ferry/bundles"
hostile link_bundles_check 1 'ferry/bundles: a symbolic link' $GW check "$T/s"
fresh s; ln -s "$DEV" "$T/s/ferry/ack"
hostile link_ack_install 0 'ferry/ack: a symbolic link' $GW install "$T/s"   # reported, the rest goes on
fresh s; ln -s "$DEV/etc/passwd" "$T/s/ferry/MEDIA.json"
hostile link_media_json_check 1 'MEDIA.json: a symbolic link' $GW check "$T/s"

# --- keys from a stick before adoption (item 1): a replayed older policy,
# validly signed by the current root, carrying an extra public and secret key
cp -r "$T/policy" "$T/policy-old"
$K policy sign -o "$T/policy" >/dev/null   # serial 2: the device's must be newer than the replay
fresh s; cp "$T/policy-old/"* "$T/s/ferry/policy/"
gpgconf --homedir "$T/keys/gnupg" --launch gpg-agent
gpg --homedir "$T/keys/gnupg" --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "Intruder <x@ferry.test>" ed25519 sign never 2>/dev/null
gpg --homedir "$T/keys/gnupg" --batch --armor --export "Intruder" >>"$T/s/ferry/policy/keys.asc"
gpg --homedir "$T/keys/gnupg" --batch --pinentry-mode loopback --passphrase '' --armor \
	--export-secret-keys "Intruder" >>"$T/s/ferry/policy/keys.asc" 2>/dev/null
fresh adopt; cp "$T/policy/"* "$T/adopt/ferry/policy/"
$GW install "$T/adopt" >/dev/null 2>&1   # the device adopts serial 2 (named keys only)
HOME0=$(home_sums)
hostile replayed_policy_keys_check 0 'not higher than the current serial' $GW check "$T/s"
hostile replayed_policy_keys_install 0 'not higher than the current serial' $GW install "$T/s"
grep -q Intruder <<<"$(home_sums)" && fail replayed_policy_no_intruder_key "in the home" || pass replayed_policy_no_intruder_key
fresh e; hostile export_still_works_after_replay 0 'exported|record' $GW export "$T/e"

# --- HQ: a returned stick with FIFOs and links ----------------------------------
GEN=$BUILD/bench/gen-audit
G=$T/g
DB=$T/hq/hq.db
"$GEN" "$G" --devices 1 --records 10 --per-file 10 >/dev/null || { fail gen-audit "could not generate"; finish; }
ferry-audit --db "$DB" register "$G/keys/gw-0001.asc" --device-id gw-0001 >/dev/null
S=$G/stick/ferry/audit/gw-0001
f=$(cd "$S" && ls gw-0001.*.jsonl | head -1)
mkdir -p "$T/h/ferry/audit/gw-0001"
cp "$S/$f" "$S/$f.sig" "$T/h/ferry/audit/gw-0001/"
mkfifo "$T/h/ferry/audit/gw-0001/gw-0001.00000011-00000020.jsonl" "$T/h/ferry/audit/gw-0001/gw-0001.00000011-00000020.jsonl.sig"
mkfifo "$T/h/ferry/audit/gw-0001/inventory.json" "$T/h/ferry/audit/gw-0001/inventory.json.sig"
hostile hq_import_fifo_export_file 1 '00000011-00000020.jsonl: a FIFO' ferry-audit --db "$DB" import "$T/h"
n=$(ferry-audit --db "$DB" events --json --device gw-0001 | wc -l)
[ "$n" = 10 ] && pass hq_import_good_file_beside_fifo || fail hq_import_good_file_beside_fifo "$n records"
mkdir -p "$T/h2/ferry"; mkfifo "$T/h2/ferry/MEDIA.json"
hostile hq_import_fifo_media_json 1 'MEDIA.json' ferry-audit --db "$DB" import "$T/h2"
mkdir -p "$T/h3"; ln -s "$DEV" "$T/h3/ferry"
hostile hq_import_link_ferry 1 'ferry: .*symbolic link' ferry-audit --db "$DB" import "$T/h3"
hq=$(ferry-audit --db "$DB" keygen --name "ferry HQ test" -o "$T/hq.asc" | head -1)
mkdir -p "$T/h4/ferry"; ln -s "$DEV" "$T/h4/ferry/ack"
hostile hq_ack_link_ack 1 'ferry/ack: a symbolic link' ferry-audit --db "$DB" ack "$T/h4" --key "$hq"

# --- small ones (item 9) --------------------------------------------------------
(cd "$T" && timeout "$TO" $GW export --help >/dev/null 2>&1)
[ ! -e "$T/--help" ] && pass export_help_creates_nothing || fail export_help_creates_nothing "made $T/--help"
finish
