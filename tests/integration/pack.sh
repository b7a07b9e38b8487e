#!/bin/bash
# pack.sh: ferry-pack end to end with real keys: a two-variant bundle is
# created, co-signed and verified; tar and plain gpg agree with it; inspect
# and simulate print what they should; a single flipped byte anywhere in a
# member (header or data: manifest, signatures, frame tables, payloads,
# hooks) or in the padding makes verify fail naming that member.
source "$(dirname "$0")/lib.sh"

# The chain of trust by ferry-keys: a root, a release and a QA signer, and a
# rule that gw-* devices need both (two-person rule). ferry-pack signs with
# the keys in ferry-keys' GnuPG home.
K=$T/keys
export FERRY_KEYS_HOME=$K
ferry-keys -q init --root-name "Test Root" >/dev/null
REL=$(ferry-keys signer add "Release CI" --role release --device-type 'gw-*' --device-type 'sensor-*')
QA=$(ferry-keys signer add "QA Lead" --role qa --device-type '*')
ferry-keys -q rule add --device-type 'gw-*' --require-role release --require-role qa >/dev/null
ferry-keys -q policy sign -o "$T/policy" >/dev/null
H=$K/gnupg           # ferry-pack's home: the signers' secret keys
gpg --homedir "$H" --batch --quiet --armor --export >"$T/keyring.asc"
if [ ${#REL} -ne 40 ] || [ ${#QA} -ne 40 ] || [ ! -s "$T/policy/policy.json.sig" ]; then
	fail trust_setup "ferry-keys did not give two signers and a signed policy"; out=$(ferry-pack verify "$T/f.ferry" --keyring "$T/keyring.asc" --policy "$T/policy" --json 2>/dev/null)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["ok"] is False and d["error"] else 1)' "$out" &&
	pass verify_json_failure || fail verify_json_failure "$out"
finish
fi

# --- inputs: two variants, three payloads (zstd, xz, none), a hook ---------
mkdir -p "$T/in/img" "$T/in/hooks"
openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 -in /dev/zero 2>/dev/null |
	head -c $((5 * 1024 * 1024 + 777)) >"$T/in/img/gw.img"
head -c 300000 /usr/bin/bash >"$T/in/img/app.tar"
head -c 200000 /usr/bin/gpg >"$T/in/img/sensor.img"
printf '#!/bin/sh\nexit 0\n' >"$T/in/hooks/check.sh"
cat >"$T/in/spec.json" <<'JSON'
{
  "format": 1, "name": "edge-os", "version": "2.4.1", "security_version": 7,
  "created": "2026-11-24T10:00:00Z", "description": "integration test bundle",
  "variants": [
    { "id": "gw-x", "compatible": { "device_type": ["gw-x"], "hw_revision": ">=2" },
      "payloads": [
        { "name": "rootfs", "handler": "rootfs-ab", "file": "img/gw.img" },
        { "name": "app", "handler": "files", "target": "app", "file": "img/app.tar", "compression": "xz" } ],
      "hooks": { "health_check": { "file": "hooks/check.sh" } } },
    { "id": "sensor-y", "compatible": { "device_type": ["sensor-y"] },
      "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "img/sensor.img", "compression": "none" } ] }
  ],
  "rollout": { "groups": ["canary"], "percent": 100 }
}
JSON
cat >"$T/fleet.json" <<'JSON'
{ "format": 1, "devices": [
  { "id": "gw-0001", "type": "gw-x", "hw_revision": 2, "groups": ["canary"], "installed": { "edge-os": "2.3.0" }, "security_version": 6 },
  { "id": "gw-0002", "type": "gw-x", "hw_revision": 1, "groups": ["production"], "installed": { "edge-os": "2.3.0" } },
  { "id": "sn-0001", "type": "sensor-y", "groups": ["canary"] },
  { "id": "cam-0001", "type": "camera-z", "groups": ["canary"] } ] }
JSON
B=$T/edge.ferry
check create_signed ferry-pack --homedir "$H" create "$T/in/spec.json" -o "$B" --sign "$REL"
[ -e "$B.tmp" ] && fail create_leaves_no_tmp "$B.tmp exists" || pass create_leaves_no_tmp
# The frames go straight to their place in the bundle (no copy after signing):
# the probe signature's length predicted manifest.sig's.
out=$(ferry-pack -vv --homedir "$H" create "$T/in/spec.json" -o "$T/again.ferry" --sign "$REL" 2>&1)
if grep -q "(frames in place)" <<<"$out" && [ "$(stat -c %s "$T/again.ferry")" = "$(stat -c %s "$B")" ]
then pass create_frames_in_place; else fail create_frames_in_place "$(tail -c 300 <<<"$out")"; fi
rm -f "$T/again.ferry"
refuses create_unknown_key 2 "no secret key" ferry-pack --homedir "$H" create "$T/in/spec.json" -o "$T/x.ferry" --sign 0000000000000000000000000000000000000000
refuses create_missing_spec 1 "nope.json" ferry-pack --homedir "$H" create "$T/in/nope.json" -o "$T/x.ferry"
[ -e "$T/x.ferry" ] && fail create_failure_leaves_nothing "x.ferry exists" || pass create_failure_leaves_nothing
refuses verify_needs_qa_cosignature 1 "manifest.sig: the policy does not allow it for variant gw-x" \
	ferry-pack verify "$B" --keyring "$T/keyring.asc" --policy "$T/policy"
out=$(ferry-pack simulate "$B" --fleet "$T/fleet.json" --policy "$T/policy" 2>&1)
if grep -q "gw-0001.*refused" <<<"$out" && grep -q "^ *policy .*qa" <<<"$out" && grep -q "sn-0001.*would install" <<<"$out"
then pass simulate_policy_before_cosign; else fail simulate_policy_before_cosign "$(tr '\n' ' ' <<<"$out" | head -c 400)"; fi
check cosign ferry-pack --homedir "$H" sign "$B" --key "$QA"
refuses cosign_twice 1 "already signed by $QA" ferry-pack --homedir "$H" sign "$B" --key "$QA"

out=$(ferry-pack verify "$B" --keyring "$T/keyring.asc" --policy "$T/policy" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "valid signature by $REL" <<<"$out" && grep -q "valid signature by $QA" <<<"$out" &&
	grep -q "variant gw-x, device type gw-x: released by" <<<"$out" &&
	[ "$(grep -c '^ok  payload' <<<"$out")" -eq 3 ]; then pass verify_two_signers
else fail verify_two_signers "rc $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; fi
out=$(ferry-pack verify "$B" --keyring "$T/keyring.asc" --policy "$T/policy" --deep 2>&1) &&
	grep -q 'uncompressed SHA-256 match' <<<"$out" && pass verify_deep || fail verify_deep "$(tail -n 2 <<<"$out")"
ferry-pack verify "$B" --keyring "$T/keyring.asc" --policy "$T/policy" --json >"$T/verify.json" 2>&1 &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["ok"] else 1)' "$T/verify.json" &&
	pass verify_json || fail verify_json "$(head -c 200 "$T/verify.json")"

# --- tar and gpg agree -----------------------------------------------------------
want="manifest.json manifest.sig payloads/gw-x/rootfs.zst.chunks payloads/gw-x/rootfs.zst payloads/gw-x/app.xz.chunks payloads/gw-x/app.xz payloads/gw-x/health_check.hook payloads/sensor-y/rootfs.bin.chunks payloads/sensor-y/rootfs.bin"
got=$(tar -tvf "$B" | awk '{ print $NF }' | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] && pass tar_lists_members_in_order || fail tar_lists_members_in_order "$got"
tar -tvf "$B" | awk '{ if ($1 != "-rw-r--r--" || $2 != "0/0") bad=1 } END { exit bad }' &&
	pass tar_members_plain_files || fail tar_members_plain_files "$(tar -tvf "$B" | head -n 2)"
mkdir -p "$T/x" "$T/g" && chmod 700 "$T/g"   # plain gpg, a home of its own
tar -xf "$B" -C "$T/x" manifest.json manifest.sig
gpg --homedir "$T/g" --batch --quiet --import "$T/keyring.asc" 2>/dev/null
gout=$(gpg --homedir "$T/g" --batch --verify "$T/x/manifest.sig" "$T/x/manifest.json" 2>&1) &&
	[ "$(grep -c 'Good signature' <<<"$gout")" -eq 2 ] && pass gpg_verifies_manifest_signatures ||
	fail gpg_verifies_manifest_signatures "$(tr '\n' ' ' <<<"$gout")"

# --- determinism: same spec and inputs, same bytes (signatures aside) ----------
ferry-pack -q create "$T/in/spec.json" -o "$T/u1.ferry" && ferry-pack -q create "$T/in/spec.json" -o "$T/u2.ferry" --threads 1 &&
	cmp -s "$T/u1.ferry" "$T/u2.ferry" && pass create_is_deterministic || fail create_is_deterministic "bundles differ"
refuses verify_unsigned 1 "manifest.sig: no signatures" ferry-pack verify "$T/u1.ferry" --keyring "$T/keyring.asc" --policy "$T/policy"

# --- one admission: nothing is parsed before its signature is checked ----------
# A signed manifest whose first byte is flipped (tampered) and an unsigned one
# that is not even JSON: verify and simulate name the signature, exit 1, and
# never get to parse (no "manifest.json:" parse message).
python3 - "$B" "$T/tampered-manifest.ferry" "$T/unsigned-junk.ferry" <<'PY'
import io, shutil, sys, tarfile
src, tampered, junk = sys.argv[1:4]
shutil.copy(src, tampered)
with tarfile.open(src) as t:
    m = t.getmember("manifest.json")
with open(tampered, "r+b") as f:
    f.seek(m.offset_data); b = f.read(1); f.seek(m.offset_data); f.write(bytes([b[0] ^ 0x55]))
with tarfile.open(junk, "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("manifest.json", b"this is { not a manifest"), ("manifest.sig", b"")):
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
        t.addfile(i, io.BytesIO(data))
PY
for f in tampered-manifest unsigned-junk; do
	want="manifest.sig: (signature 1 .*does not match manifest.json|no signatures)"
	for cmd in verify simulate; do
		if [ $cmd = verify ]; then args=(--keyring "$T/keyring.asc"); else args=(--fleet "$T/fleet.json"); fi
		out=$(ferry-pack $cmd "$T/$f.ferry" "${args[@]}" --policy "$T/policy" 2>&1); rc=$?
		if [ $rc -eq 1 ] && grep -Eq "$want" <<<"$out" && ! grep -q "manifest.json: [a-z]" <<<"$out"
		then pass "${cmd}_refuses_${f//-/_}_before_parsing"
		else fail "${cmd}_refuses_${f//-/_}_before_parsing" "rc $rc: $(tr '\n' ' ' <<<"$out" | head -c 300)"; fi
	done
done

# --- inspect and simulate -------------------------------------------------------
out=$(ferry-pack inspect "$B" 2>&1)
if grep -q "edge-os 2.4.1" <<<"$out" && grep -q "signatures:  2 (unverified" <<<"$out" &&
	grep -q "$REL" <<<"$out" && grep -q "variant sensor-y" <<<"$out" && grep -q "payloads/gw-x/app.xz" <<<"$out"
then pass inspect_text; else fail inspect_text "$(head -n 3 <<<"$out" | tr '\n' ' ')"; fi
ferry-pack inspect "$B" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["manifest"]["name"] == "edge-os" and len(d["signatures"]) == 2
assert all(s["verified"] is False for s in d["signatures"])
assert [v["id"] for v in d["manifest"]["variants"]] == ["gw-x", "sensor-y"]' && pass inspect_json || fail inspect_json "bad JSON"

out=$(ferry-pack simulate "$B" --fleet "$T/fleet.json" --policy "$T/policy" 2>&1)
if grep -q "gw-0001.*would install edge-os 2.4.1 (variant gw-x)" <<<"$out" && grep -q "hw_revision " <<<"$out" &&
	grep -q "rollout " <<<"$out" && grep -q "sn-0001.*would install.*sensor-y" <<<"$out" && grep -q "device_type " <<<"$out"
then pass simulate_table; else fail simulate_table "$(tr '\n' ' ' <<<"$out" | head -c 300)"; fi
ferry-pack simulate "$B" --fleet "$T/fleet.json" --policy "$T/policy" --json | python3 -c '
import json, sys
d = {x["device"]: x for x in json.load(sys.stdin)["devices"]}
assert d["gw-0001"]["result"] == "install" and d["gw-0001"]["variant"] == "gw-x"
codes = [r["code"] for r in d["gw-0002"]["reasons"]]
assert "hw_revision" in codes and "rollout" in codes, codes
assert d["cam-0001"]["result"] == "refused"' && pass simulate_json_every_reason || fail simulate_json_every_reason "bad JSON"
refuses simulate_bad_fleet 2 "nope.json" ferry-pack simulate "$B" --fleet "$T/nope.json" --policy "$T/policy"

# --- one flipped byte, many places: verify names the member ---------------------
# Positions: per member its header (name, size field, checksum), its data spread
# evenly (more for the big payload), and the padding after it.
python3 - "$B" >"$T/positions" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        pos = [m.offset, m.offset + 130, m.offset + 150]
        k = 12 if m.size > 1 << 20 else 5
        pos += sorted({m.offset_data + (m.size - 1) * i // (k - 1) for i in range(k)})
        if m.size % 512:
            pos.append(m.offset_data + m.size + (512 - m.size % 512) // 2)
        for p in pos:
            print(p, m.name)
PY
n=0 bad=0
while read -r pos member; do
	n=$((n + 1))
	cp "$B" "$T/f.ferry"
	python3 -c 'import sys; f=open(sys.argv[1],"r+b"); p=int(sys.argv[2]); f.seek(p); b=f.read(1); f.seek(p); f.write(bytes([b[0]^0x20]))' "$T/f.ferry" "$pos"
	out=$(ferry-pack verify "$T/f.ferry" --keyring "$T/keyring.asc" --policy "$T/policy" -q 2>&1); rc=$?
	if [ $rc -ne 1 ] || ! grep -qF "$member" <<<"$out"; then
		bad=$((bad + 1))
		echo "flip at $pos ($member): rc $rc: $out"
	fi
done <"$T/positions"
[ "$n" -ge 40 ] && [ "$bad" -eq 0 ] && pass "flip_any_byte_fails_naming_member ($n positions)" ||
	fail flip_any_byte_fails_naming_member "$bad of $n flips not refused with the member named"
out=$(ferry-pack verify "$T/f.ferry" --keyring "$T/keyring.asc" --policy "$T/policy" --json 2>/dev/null)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["ok"] is False and d["error"] else 1)' "$out" &&
	pass verify_json_failure || fail verify_json_failure "$out"
finish
