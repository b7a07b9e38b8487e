#!/bin/bash
# keys.sh: ferry-keys end to end: init, signers, a two-person rule, revoke,
# the lock-out guard, policy sign/show/log, provisioning a device (C2), and
# usage errors that exit 2 and name what is wrong.
source "$(dirname "$0")/lib.sh"

K="ferry-keys --homedir $T/keys"

check "init creates the root and policy serial 1" $K init --root-name "ACME Root"
refuses "init refuses an initialised directory" 1 "already initialised" $K init --root-name again
REL=$($K signer add "Release CI" --role release --device-type 'gw-*' --device-type 'sensor-*' 2>&1)
[[ $REL =~ ^[0-9A-F]{40}$ ]] && pass "signer add prints the new fingerprint" || fail "signer add prints the new fingerprint" "$REL"
QA=$($K signer add "QA Lead" --role qa --device-type '*' --expires 2099-12-31)
# a person's key made elsewhere (plain gpg), imported by its public key
mkdir -m 700 "$T/alice"
gpg --homedir "$T/alice" --batch --passphrase '' --quick-gen-key 'Alice <alice@example.org>' ed25519 sign never >/dev/null 2>&1
gpg --homedir "$T/alice" --batch --armor --export alice@example.org >"$T/alice.asc" 2>/dev/null
gpgconf --homedir "$T/alice" --kill all
ALICE=$(gpg --homedir "$T/alice" --batch --no-autostart --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
json=$($K --json signer add "HQ Alice" --role hq --device-type '*' --key "$T/alice.asc")
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["fingerprint"]==sys.argv[1] and d["roles"]==["hq"] and not d["created_key"]' "$ALICE" <<<"$json" &&
	pass "signer add --key imports a public key (role hq), --json" || fail "signer add --key imports a public key (role hq), --json" "$json"
refuses "the same key cannot be added twice" 1 "already signer 'HQ Alice'" $K signer add Again --role qa --device-type x --key "$T/alice.asc"
check "rule add: gw-* needs release + qa" $K rule add --device-type 'gw-*' --require-role release --require-role qa
check "policy sign -o writes the signed pair" $K policy sign -o "$T/out"
[ -s "$T/out/policy.json" ] && [ -s "$T/out/policy.json.sig" ] && [ -s "$T/out/keys.asc" ] &&
	pass "-o DIR holds policy.json, policy.json.sig, keys.asc" || fail "-o DIR holds policy.json, policy.json.sig, keys.asc"

# interop: the policy signature verifies with plain gpg
if gpg --homedir "$T/keys/gnupg" --batch --no-autostart --verify "$T/out/policy.json.sig" "$T/out/policy.json" >/dev/null 2>&1; then
	pass "policy.json.sig verifies with plain gpg"
else fail "policy.json.sig verifies with plain gpg"; fi

out=$($K policy show 2>&1)
grep -q "policy serial 2" <<<"$out" && grep -q "$REL 'Release CI' roles release" <<<"$out" &&
	grep -q "1. device types gw-\* require release, qa" <<<"$out" &&
	pass "policy show lists serial, signers and rules" || fail "policy show lists serial, signers and rules" "$out"
json=$($K --json policy show)
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["policy"]["serial"]==2 and len(d["policy"]["signers"])==3' <<<"$json" &&
	pass "policy show --json is the policy" || fail "policy show --json is the policy" "$json"

check "signer revoke records the revocation in the draft" $K signer revoke "$QA" --reason "left the company"
refuses "policy sign refuses a policy that locks everyone out" 1 "lock out.*rule 1.*release, qa" $K policy sign
QA2=$($K signer add "QA Two" --role qa --device-type 'gw-*')
check "policy sign after a replacement signer" $K policy sign
log=$($K policy log)
grep -q "^serial 3" <<<"$log" && grep -q "revoked $QA 'QA Lead' at .*: left the company" <<<"$log" &&
	grep -q "granted $QA2 'QA Two'" <<<"$log" && grep -q "granted $REL 'Release CI'" <<<"$log" &&
	pass "policy log says who was granted and revoked what, per serial" || fail "policy log says who was granted and revoked what, per serial" "$log"
[ -s "$T/keys/history/policy-0003.json" ] && [ -s "$T/keys/history/policy-0003.json.sig" ] &&
	pass "history keeps every serial as signed files" || fail "history keeps every serial as signed files"

# provisioning (contract C2)
check "provision a virtual device" $K provision "$T/dev" --device-id gw-0001 --device-type gw-x \
	--hw-revision 2 --group canary --installed gateway-os=2.3.0
ok=1
for f in agent.json gnupg/pubring.kbx policy/policy.json policy/policy.json.sig gw-0001.asc slots/rootfs-a.img slots/rootfs-b.img; do
	[ -e "$T/dev/$f" ] || { ok=0; fail "provision writes $f"; }
done
[ $ok = 1 ] && pass "provision writes the C2 layout"
python3 - "$T/dev/agent.json" <<'PY' && pass "agent.json names the device, a file bootloader and file slots" || fail "agent.json names the device, a file bootloader and file slots"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["format"] == 1 and c["device"]["id"] == "gw-0001" and c["device"]["type"] == "gw-x"
assert c["device"]["hw_revision"] == 2 and c["device"]["groups"] == ["canary"]
assert c["device"]["installed"] == {"gateway-os": "2.3.0"}
assert c["bootloader"]["type"] == "file" and c["trust"] == {"homedir": "gnupg", "policy": "policy"}
PY
n=$(gpg --homedir "$T/dev/gnupg" --batch --no-autostart --list-keys --with-colons 2>/dev/null | grep -c '^pub:')
s=$(gpgconf --homedir "$T/dev/gnupg" --launch gpg-agent; gpg --homedir "$T/dev/gnupg" --batch --list-secret-keys --with-colons 2>/dev/null | grep -c '^sec:')
gpgconf --homedir "$T/dev/gnupg" --kill all
[ "$n" = 6 ] && [ "$s" = 1 ] && pass "device home: root + 4 signers + own secret key" || fail "device home: root + 4 signers + own secret key" "pub=$n sec=$s"
grep -q "BEGIN PGP PUBLIC KEY BLOCK" "$T/dev/gw-0001.asc" && pass "device public key is armored" || fail "device public key is armored"
refuses "provision refuses an existing directory" 1 "existing, non-empty" $K provision "$T/dev" --device-id gw-0002 --device-type gw-x
[ ! -e "$T/dev.partial" ] && pass "a refused provision leaves nothing behind" || fail "a refused provision leaves nothing behind"

# the chain end to end: signers of ferry-keys sign with ferry-pack (same home),
# the provisioned device's agent applies the two-person rule
if [ -x "$FERRY_BIN/ferry-pack" ] && [ -x "$FERRY_BIN/ferry-agent" ]; then
	mkdir -p "$T/in" && head -c 65536 /dev/urandom >"$T/in/rootfs.img"
	cat >"$T/in/spec.json" <<'JSON'
{ "format": 1, "name": "edge-os", "version": "2.4.1", "security_version": 7,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "rootfs.img" } ] } ] }
JSON
	check "ferry-pack signs with a ferry-keys signer" ferry-pack --homedir "$T/keys/gnupg" create "$T/in/spec.json" -o "$T/b.ferry" --sign "$REL"
	refuses "the device refuses a gw-x bundle signed by release alone" 1 "rule 1 .*needs roles release, qa from distinct signers" \
		ferry-agent -c "$T/dev/agent.json" check "$T/b.ferry"
	check "QA co-signs" ferry-pack --homedir "$T/keys/gnupg" sign "$T/b.ferry" --key "$QA2"
	refuses "the device would install it with release + QA" 0 "would install variant gw-x" \
		ferry-agent -c "$T/dev/agent.json" check "$T/b.ferry"
	gpgconf --homedir "$T/dev/gnupg" --kill all
else
	skip "chain end to end" "ferry-pack or ferry-agent not built"
fi

# usage errors: exit 2 and name the problem
refuses "unknown command" 2 "unknown command 'frobnicate'" $K frobnicate
refuses "unknown option" 2 "unknown option '--frob'" $K policy sign --frob
refuses "missing option argument" 2 "needs an argument" $K signer add X --role
refuses "signer add needs a role" 2 "at least one --role" $K signer add X --device-type gw-x
refuses "bad role name" 2 "'Release' is not a valid role name" $K signer add X --role Release --device-type gw-x
refuses "bad expiry date" 2 "--expires: .*2027-12-31" $K signer add X --role qa --device-type gw-x --expires tomorrow
refuses "expiry in the past" 2 "--expires 2020-01-01 lies in the past" $K signer add X --role qa --device-type gw-x --expires 2020-01-01
refuses "bad fingerprint" 2 "'ABC' is not a fingerprint" $K signer revoke ABC --reason x
refuses "revoke an unknown signer" 1 "is not a signer" $K signer revoke 0123456789ABCDEF0123456789ABCDEF01234567 --reason x
refuses "bad device id" 2 "--device-id 'GW 1'" $K provision "$T/x" --device-id "GW 1" --device-type gw-x
# one device-id rule (common/auditlog.h) for provision, agent.json and HQ
id36=$(printf 'd%.0s' $(seq 36)); id37=${id36}d
refuses "provision refuses a 37-character device id" 2 "--device-id '$id37' is not valid: 1-36" \
	$K provision "$T/id37" --device-id "$id37" --device-type gw-x
[ ! -e "$T/id37" ] && pass "a refused provision writes nothing" || fail "a refused provision writes nothing"
check "provision takes a 36-character device id" $K provision "$T/id36" --device-id "$id36" --device-type gw-x
check "the agent loads the provisioned 36-character id" ferry-agent -c "$T/id36/agent.json" status
refuses "a device id starting with a dot is refused" 2 "1-36 of" $K provision "$T/iddot" --device-id ".gw" --device-type gw-x
refuses "uninitialised directory" 2 "not initialised.*init --root-name" ferry-keys --homedir "$T/none" policy show
check "--help" ferry-keys --help
refuses "--version" 0 "ferry-keys [0-9]" ferry-keys --version

mkdir -p "$T/notpolicy" && echo precious >"$T/notpolicy/thesis.txt"
refuses "policy sign -o refuses to replace a directory of other files" 1 "holds 'thesis.txt': not a policy directory" $K policy sign -o "$T/notpolicy"
[ -s "$T/notpolicy/thesis.txt" ] && $K policy show | grep -q "policy serial 3" &&
	pass "a refused sign changes nothing" || fail "a refused sign changes nothing"

# -o DIR/ as the docs write it (issue 14 item 4); a failed sign publishes nothing
serial() { $K --json policy show | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["serial"])'; }
check "policy sign -o DIR/ (trailing slash)" $K policy sign -o "$T/slash/"
check "policy sign -o DIR/ replaces its own output" $K policy sign -o "$T/slash/"
[ "$(ls -A "$T/slash" | tr '\n' ' ')" = "keys.asc policy.json policy.json.sig " ] && [ ! -e "$T/slash.new" ] &&
	pass "-o DIR/ leaves no .new behind" || fail "-o DIR/ leaves no .new behind" "$(ls -A "$T" "$T/slash")"
before=$(serial)
echo file >"$T/afile"
refuses "policy sign into an impossible -o fails" 1 "afile" $K policy sign -o "$T/afile/out"
[ "$(serial)" = "$before" ] && [ ! -e "$T/afile/out.new" ] && pass "a failed sign keeps the serial" ||
	fail "a failed sign keeps the serial" "$before -> $(serial)"
check "the retry works" $K policy sign -o "$T/retry/"
[ "$(serial)" = $((before + 1)) ] && pass "the retry publishes the next serial" || fail "the retry publishes the next serial" "$(serial)"
# the guard looks at scopes (in a home of its own): revoking the only signer
# who may release for sensor-* would leave that device type without one,
# though a release signer for gw-* is left
K2="ferry-keys --homedir $T/keys2"
$K2 init --root-name "Root 2" >/dev/null
R2=$($K2 signer add "Release all" --role release --device-type 'gw-*' --device-type 'sensor-*')
$K2 policy sign >/dev/null
$K2 signer add "Release gw" --role release --device-type 'gw-*' >/dev/null
$K2 signer revoke "$R2" --reason "scope test" >/dev/null
refuses "policy sign refuses a policy that leaves a device type without a release signer" 1 \
	"device type sensor-\*: no unrevoked" $K2 policy sign
$K2 policy show | grep -q "policy serial 2" && pass "the refused scope lock-out changes nothing" ||
	fail "the refused scope lock-out changes nothing"

# root rotation: add the new root, sign (old + new), remove the old one, sign again
OLD=$($K --json policy show | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["roots"]["keys"][0])')
check "root add" $K root add "ACME Root 2027"
check "policy sign with old and new roots" $K policy sign -o "$T/rot1"
check "root remove the old root" $K root remove "$OLD"
check "policy sign after the rotation" $K policy sign -o "$T/rot2"
n=$(gpg --homedir "$T/keys/gnupg" --batch --no-autostart --status-fd 1 --verify "$T/rot2/policy.json.sig" "$T/rot2/policy.json" 2>/dev/null | grep -c '^\[GNUPG:\] GOODSIG')
[ "$n" = 2 ] && pass "the rotated policy carries the old and the new root's signatures" || fail "the rotated policy carries the old and the new root's signatures" "$n good signatures"
$K policy log | grep -q "root removed $OLD" && pass "policy log shows the rotation" || fail "policy log shows the rotation"
refuses "the last root cannot be removed" 1 "is the only root" $K root remove "$($K --json policy show | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["roots"]["keys"][0])')"

# a tampered signed policy is noticed
sed -i -E 's/"serial": [0-9]+/"serial": 99/' "$T/keys/policy/policy.json"
refuses "a tampered signed policy is refused" 1 "policy.json: no valid signature.*bad" $K policy show
finish
