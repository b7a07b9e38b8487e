#!/bin/bash
# install.sh: ferry-agent on virtual devices, end to end with real keys,
# bundles and stick directories (issue 5): a good install, trial boot and
# commit; a failing health check rolled back; refusals for a wrong device
# type, a lower security_version, a revoked signer (after adopting the newer
# policy from the stick), a tampered payload and escaping file trees — each
# with its reason in `check`, the audit journal and the exit code, and the
# slots, bootloader and trees untouched.
source "$(dirname "$0")/lib.sh"

K="ferry-keys --homedir $T/keys"
$K init --root-name "Root" >/dev/null
REL=$($K signer add "Release" --role release --device-type 'gw-*' --device-type 'sensor-*')
QA=$($K signer add "QA" --role qa --device-type '*')
$K rule add --device-type 'gw-*' --require-role release --require-role qa >/dev/null
$K policy sign -o "$T/policy" >/dev/null
PACK="ferry-pack -q --homedir $T/keys/gnupg"

provision() {   # provision DIR ID TYPE HWREV
	$K provision "$T/$1" --device-id "$2" --device-type "$3" --hw-revision "$4" \
		--installed edge-os=2.3.0 >/dev/null
	mkdir -p "$T/$1/targets/app" && echo "old app" >"$T/$1/targets/app/version.txt"
}
provision gw gw-0001 gw-x 2
provision sn sn-0001 sensor-y 1
GW="ferry-agent -c $T/gw/agent.json"
SN="ferry-agent -c $T/sn/agent.json"

# --- inputs -------------------------------------------------------------------
mkdir -p "$T/in/app" "$T/in/hooks"
openssl enc -aes-128-ctr -nosalt -K 00112233445566778899aabbccddeeff -iv 0 -in /dev/zero 2>/dev/null |
	head -c $((6 * 1024 * 1024 + 123)) >"$T/in/rootfs.img"
echo "new app" >"$T/in/app/version.txt"
mkdir -p "$T/in/app/bin" && printf 'x%.0s' $(seq 1 5000) >"$T/in/app/bin/data"
tar -C "$T/in/app" -cf "$T/in/app.tar" .
printf '#!/bin/sh\necho healthy\nexit 0\n' >"$T/in/hooks/ok.sh"
printf '#!/bin/sh\necho "service did not start" >&2\nexit 3\n' >"$T/in/hooks/bad.sh"

spec() {   # spec NAME VERSION SECVER HEALTH_HOOK [APP_TAR] -> writes $T/in/NAME-VERSION.json
	cat >"$T/in/$1-$2.json" <<JSON
{ "format": 1, "name": "$1", "version": "$2", "security_version": $3,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"], "hw_revision": ">=2" },
      "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "rootfs.img" },
                    { "name": "app", "handler": "files", "target": "app", "file": "${5:-app.tar}" } ],
      "hooks": { "health_check": { "file": "hooks/$4" } } } ] }
JSON
}
bundle() {   # bundle NAME VERSION SECVER HOOK [APP_TAR] [SIGNERS...]
	local n=$1 v=$2 s=$3 h=$4 tarf=${5:-app.tar}; shift 5 2>/dev/null || shift $#
	local signs=() k
	for k in "${@:-$REL $QA}"; do for f in $k; do signs+=(--sign "$f"); done; done
	spec "$n" "$v" "$s" "$h" "$tarf"
	$PACK create "$T/in/$n-$v.json" -o "$T/$n-$v.ferry" "${signs[@]}"
}
bundle edge-os 2.4.1 7 ok.sh app.tar
bundle edge-os 2.4.2 7 bad.sh app.tar
bundle edge-os 2.4.0 6 ok.sh app.tar
bundle edge-os 2.4.3 6 ok.sh app.tar   # newer, but below the security_version installed

slot() { echo "$T/gw/slots/rootfs-$1.img"; }
state() { $GW --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
# refused_code AGENT: the code of the newest install.refused record
refused_code() { "$@" --json status | python3 -c '
import json,sys
d=json.load(sys.stdin)
r=[r for r in d.get("last_records", []) if r["event"] == "install.refused"]
print(r[-1].get("code", "") if r else "")'; }
events() { $GW --json status | python3 -c '
import json,sys
d=json.load(sys.stdin)
print(" ".join(r["event"] for r in d.get("records", d.get("last_records", []))))'; }
app() { cat "$T/gw/targets/app/version.txt"; }
boot_next() { python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e.get("BOOT_ORDER",""))' "$T/gw/state/bootenv.json"; }

# --- check changes nothing ------------------------------------------------------
out=$($GW check "$T/edge-os-2.4.1.ferry" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "would install variant gw-x" <<<"$out" && pass check_says_would_install ||
	fail check_says_would_install "rc $rc: $out"
[ "$(state)" = idle ] && [ ! -s "$(slot b)" -o "$(head -c 4096 "$(slot b)" | tr -d '\0' | wc -c)" = 0 ] &&
	pass check_changes_nothing || fail check_changes_nothing "state $(state)"

# --- a good install, trial boot, commit --------------------------------------
out=$($GW install "$T/edge-os-2.4.1.ferry" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "installed into slot b" <<<"$out" && pass install_good || fail install_good "rc $rc: $out"
[ "$(state)" = installed ] && pass state_installed_reboot_pending || fail state_installed_reboot_pending "$(state)"
cmp -s -n $(stat -c %s "$T/in/rootfs.img") "$T/in/rootfs.img" "$(slot b)" && pass slot_b_holds_image ||
	fail slot_b_holds_image
[ "$(app)" = "new app" ] && [ -d "$T/gw/targets/app.ferry-old" ] && pass files_swapped_old_kept ||
	fail files_swapped_old_kept "$(app)"
refuses commit_before_reboot_refused 1 "reboot" $GW commit
check reboot_into_trial $GW reboot
[ "$(state)" = trial ] && pass state_trial || fail state_trial "$(state)"
check commit_after_health_check $GW commit
[ "$(state)" = committed ] && [ ! -e "$T/gw/targets/app.ferry-old" ] && pass committed_old_tree_dropped ||
	fail committed_old_tree_dropped "$(state)"
$GW --json status | python3 -c '
import json,sys; d=json.load(sys.stdin)
assert d["installed"]["edge-os"] == "2.4.1", d["installed"]
assert d["security_version"] == 7, d' && pass versions_recorded || fail versions_recorded
out=$($GW install "$T/edge-os-2.4.1.ferry" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "already installed" <<<"$out" && pass reinstall_is_nothing_new || fail reinstall_is_nothing_new "$out"

# --- the health check fails: rolled back --------------------------------------
cp "$(slot b)" "$T/slot-b.good"
check install_bad_health $GW install "$T/edge-os-2.4.2.ferry"
check reboot_into_trial_2 $GW reboot
refuses commit_health_check_fails 1 "health check failed.*service did not start|exited with status 3" $GW commit
[ "$(state)" = rolled_back ] && pass state_rolled_back || fail state_rolled_back "$(state)"
[ "$(app)" = "new app" ] && [ ! -e "$T/gw/targets/app.ferry-old" ] && pass tree_swapped_back ||
	fail tree_swapped_back "$(app)"
check reboot_back_to_good_slot $GW reboot
$GW --json status | python3 -c '
import json,sys; d=json.load(sys.stdin)
assert d["installed"]["edge-os"] == "2.4.1", d' && pass still_241_after_rollback || fail still_241_after_rollback

# --- refusals: reason in check, journal and exit code; nothing touched --------
# The running slot is b; a is inactive. Refusals before any payload is read
# change no slot at all; a payload that fails its hash while streaming may
# have written into the inactive slot, but never activates it.
snapshot() { sha256sum "$@" "$T/gw/state/bootenv.json" | cut -c1-64; find "$T/gw/targets" | sort; }
before=$(snapshot "$(slot a)" "$(slot b)")
refuses lower_security_version_check 1 "security_version 6 is below 7|security" $GW check "$T/edge-os-2.4.3.ferry"
refuses lower_security_version_install 1 "security" $GW install "$T/edge-os-2.4.3.ferry"
# an older version than the one installed is nothing new, not a refusal
# (docs/field-guide.md, the outcome table)
out=$($GW install "$T/edge-os-2.4.0.ferry" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "nothing new: downgrade" <<<"$out" && pass older_version_is_nothing ||
	fail older_version_is_nothing "$out"
refuses wrong_device_type 1 "not for this device.*device type|device type sensor-y" $SN install "$T/edge-os-2.4.1.ferry"
SNJ=$($SN --json status)
grep -q install.refused <<<"$SNJ" && pass wrong_device_type_audited || fail wrong_device_type_audited "$SNJ"
[ "$(refused_code $SN)" = compatibility ] && pass wrong_device_type_code || fail wrong_device_type_code "$(refused_code $SN)"

# one signature is not enough for gw-* (release + qa rule)
bundle edge-os 2.5.0 8 ok.sh app.tar "$REL"
refuses single_signer_refused 1 "qa" $GW install "$T/edge-os-2.5.0.ferry"
[ "$(refused_code $GW)" = policy ] && pass single_signer_code_policy || fail single_signer_code_policy "$(refused_code $GW)"
# a manifest changed after signing (here: no longer JSON) is refused by its
# signature, before the parser sees it (the one admission, common/admit)
python3 - "$T/edge-os-2.5.0.ferry" "$T/tampered-manifest.ferry" <<'PY'
import shutil, sys, tarfile
shutil.copy(sys.argv[1], sys.argv[2])
with tarfile.open(sys.argv[1]) as t:
    off = t.getmember("manifest.json").offset_data
with open(sys.argv[2], "r+b") as f:
    f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 0x55]))
PY
refuses tampered_manifest_refused_by_signature 1 "manifest.sig: signature [0-9]+ .*does not match manifest.json" \
	$GW install "$T/tampered-manifest.ferry"
[ "$(refused_code $GW)" = signature ] && pass tampered_manifest_code_signature ||
	fail tampered_manifest_code_signature "$(refused_code $GW)"
after=$(snapshot "$(slot a)" "$(slot b)")
[ "$before" = "$after" ] && pass refusals_touch_no_slot || fail refusals_touch_no_slot "$(diff <(echo "$before") <(echo "$after"))"
before=$(snapshot "$(slot b)")

# tampered payload: one byte in the middle of the rootfs data
cp "$T/edge-os-2.4.1.ferry" "$T/tampered.ferry"
bundle edge-os 2.6.0 8 ok.sh app.tar
python3 - "$T/edge-os-2.6.0.ferry" "$T/tampered.ferry" <<'PY'
import sys, tarfile, shutil
src, dst = sys.argv[1], sys.argv[2]
shutil.copy(src, dst)
with tarfile.open(src) as t:
    m = [m for m in t.getmembers() if m.name.endswith("rootfs.zst")][0]
    off = m.offset_data + m.size // 2
with open(dst, "r+b") as f:
    f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 0x40]))
PY
refuses tampered_payload_fails 1 "rootfs.zst" $GW install "$T/tampered.ferry"
[ "$(state)" = failed ] && pass tampered_state_failed || fail tampered_state_failed "$(state)"
events | grep -q install.failed && pass tampered_audited || fail tampered_audited "$(events)"
after=$(snapshot "$(slot b)")
[ "$before" = "$after" ] && pass tampered_touches_no_bootable_slot || fail tampered_touches_no_bootable_slot "$(diff <(echo "$before") <(echo "$after"))"
[ "$(head -c 4096 "$(slot a)" | tr -d '\0' | wc -c)" = 0 ] && pass tampered_inactive_slot_left_invalid ||
	fail tampered_inactive_slot_left_invalid
[ "$(app)" = "new app" ] && pass tree_untouched_after_failures || fail tree_untouched_after_failures

# escaping trees
python3 - "$T/in" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def add(t, name, data=b"x", **kw):
    i = tarfile.TarInfo(name); i.size = len(data)
    for k, v in kw.items(): setattr(i, k, v)
    t.addfile(i, io.BytesIO(data) if i.isreg() else None)
with tarfile.open(d + "/dotdot.tar", "w") as t:
    add(t, "ok.txt"); add(t, "../evil.txt")
with tarfile.open(d + "/symlink.tar", "w") as t:
    i = tarfile.TarInfo("link"); i.type = tarfile.SYMTYPE; i.linkname = "/tmp"; t.addfile(i)
    add(t, "link/evil.txt")
PY
bundle edge-os 2.7.0 8 ok.sh dotdot.tar
refuses dotdot_tree_refused 1 "\.\." $GW install "$T/edge-os-2.7.0.ferry"
bundle edge-os 2.7.1 8 ok.sh symlink.tar
refuses symlink_escape_refused 1 "link|symlink" $GW install "$T/edge-os-2.7.1.ferry"
[ ! -e "$T/evil.txt" ] && [ ! -e "$T/gw/targets/evil.txt" ] && [ ! -e /tmp/evil.txt ] && [ "$(app)" = "new app" ] &&
	pass escaping_trees_wrote_nothing || fail escaping_trees_wrote_nothing

# --- a stick: newer policy adopted, revoked signer refused, audit exported ----
REL2=$($K signer add "Release 2" --role release --device-type 'gw-*' --device-type 'sensor-*')   # takes over REL's device types
$K signer revoke "$REL" --reason "laptop lost" >/dev/null
$K policy sign -o "$T/policy2" >/dev/null
bundle edge-os 2.8.0 8 ok.sh app.tar          # still signed by the revoked REL + QA
mkdir -p "$T/stick"
check write_stick ferry-pack -q write "$T/stick" "$T/edge-os-2.8.0.ferry" --policy "$T/policy2"
out=$($GW install "$T/stick" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "adopted serial" <<<"$out" && grep -qi "revoked" <<<"$out" &&
	pass revoked_signer_refused_after_adoption || fail revoked_signer_refused_after_adoption "rc $rc: $out"
ls "$T/stick/ferry/audit/gw-0001/"*.jsonl >/dev/null 2>&1 && ls "$T/stick/ferry/audit/gw-0001/"*.jsonl.sig >/dev/null 2>&1 &&
	pass audit_exported_to_stick || fail audit_exported_to_stick "$(ls -R "$T/stick/ferry")"
python3 - "$T/stick/ferry/audit/gw-0001" <<'PY' && pass exported_chain_intact || fail exported_chain_intact
import glob, hashlib, json, sys
lines = []
for f in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
    lines += open(f, "rb").read().splitlines()
prev = "0" * 64
for i, l in enumerate(lines):
    r = json.loads(l)
    assert r["seq"] == i + 1, (r["seq"], i)
    assert r["prev"] == prev, r
    prev = hashlib.sha256(l).hexdigest()
events = [json.loads(l)["event"] for l in lines]
assert "policy.adopted" in events and "install.refused" in events, events
PY
bundle edge-os 2.8.1 8 ok.sh app.tar "$REL2 $QA"
cp "$T/edge-os-2.8.1.ferry" "$T/stick/ferry/bundles/"
check new_signer_accepted_from_stick $GW install "$T/stick"
[ "$(state)" = installed ] && pass new_signer_installed || fail new_signer_installed "$(state)"

# --- update modules: one that installs at once, one that asks for a reboot -----
provision mod mod-0001 gw-x 2
M="ferry-agent -c $T/mod/agent.json"
mkdir -p "$T/mod/modules" "$T/mod/data"
cp "$FERRY_ROOT/dist/modules/file-copy" "$T/mod/modules/file-copy"
echo "dest=$T/mod/data" >"$T/mod/modules/file-copy.conf"
sed 's/^\tNeedsArtifactReboot)$/&/' "$T/mod/modules/file-copy" |
	awk '/^NeedsArtifactReboot\)/ { print; getline; print "\techo Yes ;;"; next } { print }' \
	>"$T/mod/modules/reboot-copy"
chmod +x "$T/mod/modules/reboot-copy"
echo "dest=$T/mod/data" >"$T/mod/modules/reboot-copy.conf"
echo "config v2" >"$T/in/settings.conf"
modspec() {   # modspec NAME VERSION MODULE
	cat >"$T/in/$1-$2.json" <<JSON
{ "format": 1, "name": "$1", "version": "$2", "security_version": 1,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
      "payloads": [ { "name": "settings", "handler": "module", "target": "$3", "file": "settings.conf" } ] } ] }
JSON
	$PACK create "$T/in/$1-$2.json" -o "$T/$1-$2.ferry" --sign "$REL2" --sign "$QA"   # REL is revoked by now
}
mstate() { $M --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
modspec settings 1.0.0 file-copy
out=$($M install "$T/settings-1.0.0.ferry" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "installed and committed" <<<"$out" && [ "$(cat "$T/mod/data/settings" 2>/dev/null)" = "config v2" ] &&
	[ "$(mstate)" = committed ] && pass module_installs_and_commits_at_once || fail module_installs_and_commits_at_once "rc $rc: $out"
echo "config v3" >"$T/in/settings.conf"
modspec settings 1.1.0 reboot-copy
out=$($M install "$T/settings-1.1.0.ferry" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "asks for a reboot" <<<"$out" && [ "$(mstate)" = installed ] &&
	pass module_asking_for_reboot_waits || fail module_asking_for_reboot_waits "rc $rc, state $(mstate): $out"
$M status >/dev/null   # a restart before the reboot must not commit it
[ "$(mstate)" = installed ] && pass module_update_not_committed_before_reboot || fail module_update_not_committed_before_reboot "$(mstate)"
check module_reboot $M reboot
check module_commit_after_reboot $M commit
[ "$(mstate)" = committed ] && [ "$(cat "$T/mod/data/settings")" = "config v3" ] &&
	pass module_update_committed || fail module_update_committed "$(mstate)"

# --- confirm: local — a person at the device must say yes ---------------------
echo "config v4" >"$T/in/settings.conf"
modspec settings 1.2.0 file-copy
python3 - "$T/in/settings-1.2.0.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p)); d["confirm"] = "local"; json.dump(d, open(p, "w"))
PY
$PACK create "$T/in/settings-1.2.0.json" -o "$T/settings-1.2.0.ferry" --sign "$REL2" --sign "$QA"
out=$($M check "$T/settings-1.2.0.ferry" 2>&1)
grep -q "after a local confirmation" <<<"$out" && pass confirm_local_check_says_so || fail confirm_local_check_says_so "$out"
out=$($M install "$T/settings-1.2.0.ferry" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "needs a local confirmation" <<<"$out" && [ "$(cat "$T/mod/data/settings")" = "config v3" ] &&
	pass confirm_local_waits_for_a_person || fail confirm_local_waits_for_a_person "rc $rc: $out"
$M --json status | grep -q install.awaiting_confirmation && pass confirm_local_audited || fail confirm_local_audited
out=$($M install --confirm "$T/settings-1.2.0.ferry" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(cat "$T/mod/data/settings")" = "config v4" ] && pass confirm_local_installs_when_confirmed ||
	fail confirm_local_installs_when_confirmed "rc $rc: $out"
finish
