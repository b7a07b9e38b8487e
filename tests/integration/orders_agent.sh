#!/bin/bash
# orders_agent.sh: the device enforces signed work orders (issue 18). A policy
# whose order_rules require an order for read, install and policy on gw-*:
# every kind of bad order is refused with its reason (code policy), a record
# and nothing installed; a read-only order exports and installs nothing; a
# valid install order installs and every record of the run names the order
# and its technician; a newer policy needs a policy order. A device type
# without a rule behaves as before. Real GnuPG homes, bundles and sticks as
# directories; orders made by ferry-keys or signed by hand with gpg.
source "$(dirname "$0")/lib.sh"

K="ferry-keys --homedir $T/keys"
KG=$T/keys/gnupg
$K init --root-name Root >/dev/null
REL=$($K signer add Release --role release --device-type '*')
DISP=$($K signer add Dispatch --role dispatcher --device-type 'gw-*')
DGONE=$($K signer add "Dispatch gone" --role dispatcher --device-type 'gw-*')
DSN=$($K signer add "Dispatch sensors" --role dispatcher --device-type 'sn-*')
SOON=$(date -u -d '+25 seconds' +%Y-%m-%dT%H:%M:%SZ)
DOLD=$($K signer add "Dispatch expiring" --role dispatcher --device-type 'gw-*' --expires "$SOON")
$K technician add t.alice --name "Alice Example" >/dev/null
$K technician add t.bob --name "Bob Example" >/dev/null
$K technician revoke t.bob --at 2026-01-01T00:00:00Z >/dev/null
$K signer revoke "$DGONE" --reason "left the company" >/dev/null
check "order-rule set gw-*" $K order-rule set 'gw-*' --require read,install --require policy
refuses "order-rule set needs a known operation" 2 "read, install or policy" $K order-rule set 'gw-*' --require reboot
out=$($K order-rule list)
[ "$out" = $'gw-*\tread,install,policy' ] && pass "order-rule list shows the rule" || fail "order-rule list shows the rule" "$out"
check "policy sign with the order rule" $K policy sign -o "$T/policy"
$K policy log | grep -q 'order rule added: gw-\*: read,install,policy' && pass "policy log records the order rule" ||
	fail "policy log records the order rule" "$($K policy log | tail -n 3)"

provision() {   # provision DIR ID TYPE
	$K provision "$T/$1" --device-id "$2" --device-type "$3" --hw-revision 2 --group north \
		--installed app=1.0.0 >/dev/null
	mkdir -p "$T/$1/targets/app" && echo "old app" >"$T/$1/targets/app/version.txt"
}
provision gw gw-0001 gw-x
provision sn sn-0001 sn-y
GW="ferry-agent -c $T/gw/agent.json"
SN="ferry-agent -c $T/sn/agent.json"

mkdir -p "$T/in/app"
echo "new app" >"$T/in/app/version.txt"
tar -C "$T/in/app" -cf "$T/in/app.tar" .
bundle() {   # bundle VERSION -> $T/app-VERSION.ferry for gw-x and sn-y
	cat >"$T/in/app-$1.json" <<JSON
{ "format": 1, "name": "app", "version": "$1", "security_version": 1,
  "variants": [ { "id": "any", "compatible": { "device_type": ["gw-x", "sn-y"] },
      "payloads": [ { "name": "app", "handler": "files", "target": "app", "file": "app.tar" } ] } ] }
JSON
	ferry-pack -q --homedir "$KG" create "$T/in/app-$1.json" -o "$T/app-$1.ferry" --sign "$REL"
}
bundle 2.0.0
bundle 2.1.0
bundle 2.2.0

NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LATER=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
stick() {   # stick NAME [VERSION]: a fresh stick with one bundle
	rm -rf "$T/s-$1"
	mkdir -p "$T/s-$1/ferry/bundles" "$T/s-$1/ferry/orders"
	cp "$T/app-${2:-2.0.0}.ferry" "$T/s-$1/ferry/bundles/"
	echo "$T/s-$1"
}
# gpgsign FPR FILE: FILE.sig by hand; the keys home has no-autostart (and
# ferry-keys stops the agent it started), so start one first
gpgsign() {
	gpgconf --homedir "$KG" --launch gpg-agent
	gpg --homedir "$KG" --batch --yes --no-tty -u "$1!" --detach-sign -o "$2.sig" "$2" 2>/dev/null
}
# handmade STICK ID SIGNER JSON-FIELDS: an order written and signed with gpg
# directly (windows and scopes that `ferry-keys order create` would refuse)
handmade() {
	local f=$1/ferry/orders/$2.json
	printf '{"format":1,"id":"%s","technician":"t.alice","operations":["read","install"],"issued":"%s",%s}\n' \
		"$2" "$NOW" "$4" >"$f"
	gpgsign "$3" "$f"
}
order() {   # order STICK ID [order create options...]
	local s=$1 id=$2; shift 2
	$K order create "$id" --signer "$DISP" -o "$s" --not-after "$LATER" "$@" >/dev/null
}
app() { cat "$T/gw/targets/app/version.txt"; }
installed() { $GW --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["installed"]["app"])'; }
records() { [ ! -f "$T/$1/state/agent.db" ] || sqlite3 "$T/$1/state/agent.db" "SELECT line FROM journal ORDER BY seq"; }
newest() {   # newest DEVICE EVENT: the newest record of EVENT
	records "$1" | python3 -c '
import json,sys
r=[json.loads(l) for l in sys.stdin if json.loads(l)["event"] == sys.argv[1]]
print(json.dumps(r[-1]) if r else "{}")' "$2"
}
count() { records "$1" | grep -c "\"event\":\"$2\""; }

# refused CASE PATTERN STICK: install refused (exit 1) naming PATTERN, a new
# install.refused record with code policy and the reason, nothing installed
refused() {
	local name=$1 pattern=$2 s=$3 before out rc rec version
	before=$(count gw install.refused)
	version=$(installed)
	out=$($GW install "$s" 2>&1); rc=$?
	rec=$(newest gw install.refused)
	if [ $rc -ne 1 ] || ! grep -Eq -- "no valid work order for install: .*($pattern)" <<<"$out"; then
		fail "$name: refused" "rc $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
	elif [ "$(count gw install.refused)" -ne $((before + 1)) ] ||
		! python3 -c 'import json,re,sys; r=json.loads(sys.argv[1]); assert r["code"]=="policy" and re.search(sys.argv[2], json.dumps(r["detail"]))' "$rec" "$pattern" 2>/dev/null; then
		fail "$name: recorded" "$rec"
	elif [ "$(installed)" != "$version" ]; then
		fail "$name: nothing installed" "$version -> $(installed)"
	else pass "$name"; fi
}

# --- refusals --------------------------------------------------------------------
# a window open from the past far into the future, for gw-0001
OPEN='"scope":{"device_ids":["gw-0001"]},"not_before":"2026-01-01T00:00:00Z","not_after":"2099-01-02T00:00:00Z"'

S=$(stick none)
refused "no order on the stick" "carries no order" "$S"
refuses "no order: check says why and changes nothing" 1 "no valid work order for install" $GW check "$S"
refuses "no order: no export either" 1 "no valid work order for read" $GW export "$S"
[ -z "$(ls "$S/ferry/audit/gw-0001" 2>/dev/null)" ] && pass "no order: nothing written to the stick" ||
	fail "no order: nothing written to the stick" "$(ls -R "$S/ferry/audit")"
[ "$(newest gw export.refused | python3 -c 'import json,sys; print(json.load(sys.stdin).get("code"))')" = policy ] &&
	pass "a refused export leaves a record" || fail "a refused export leaves a record"

# case NAME PATTERN STICK MAKE ARGS...: a fresh stick, MAKE STICK ARGS... puts
# the order on it, then the install must be refused naming PATTERN
case_() {
	local name=$1 pattern=$2 s make=$4
	s=$(stick "$3"); shift 4
	"$make" "$s" "$@"
	refused "$name" "$pattern" "$s"
}
bob() {   # an order for the revoked t.bob, signed by the dispatcher
	handmade "$1" wo-bob "$DISP" "$OPEN"
	sed -i 's/t.alice/t.bob/' "$1/ferry/orders/wo-bob.json"
	gpgsign "$DISP" "$1/ferry/orders/wo-bob.json"
}
replayed() {   # a valid order of the sensors' dispatcher, naming this device too
	$K order create wo-sn --signer "$DSN" -o "$1" --not-after "$LATER" --technician t.alice \
		--op install --device-id gw-0001 --device-id sn-0001 >/dev/null
}
case_ "an expired order" "expired at 2026-01-02" expired handmade wo-exp "$DISP" \
	'"scope":{"device_ids":["gw-0001"]},"not_before":"2026-01-01T00:00:00Z","not_after":"2026-01-02T00:00:00Z"'
case_ "an order not valid yet" "not valid before 2099" early handmade wo-early "$DISP" \
	'"scope":{"device_ids":["gw-0001"]},"not_before":"2099-01-01T00:00:00Z","not_after":"2099-01-02T00:00:00Z"'
case_ "out of scope: another device id" "device gw-0001 is not in its device_ids" id \
	order wo-id --technician t.alice --op install --device-id gw-0002
case_ "out of scope: another device type" "device type gw-x is not in its device_types" type \
	order wo-type --technician t.alice --op install --device-type gw-z
case_ "out of scope: another group" "in none of its groups" group \
	order wo-group --technician t.alice --op install --group south
case_ "a revoked technician" "technician 't.bob' is revoked" bob bob
case_ "signed by a non-dispatcher" "not signed by a valid dispatcher" rel handmade wo-rel "$REL" "$OPEN"
case_ "signed by a revoked dispatcher" "not signed by a valid dispatcher|unknown-key|revoked" gone \
	handmade wo-gone "$DGONE" "$OPEN"
case_ "an order of another device type's dispatcher, replayed here" "not signed by a valid dispatcher" \
	replay replayed
S=$(stick list); order "$S" wo-list --technician t.alice --op install --device-id gw-0001 --bundle app=2.1.0
refused "a bundle not in the order's list" "bundle app 2.0.0 is not in its bundle list" "$S"
S=$(stick tamper); order "$S" wo-tamper --technician t.alice --op install --device-id gw-0001
sed -i 's/gw-0001/gw-0009/' "$S/ferry/orders/wo-tamper.json"
if gpg --homedir "$KG" --batch --verify "$S/ferry/orders/wo-tamper.json.sig" "$S/ferry/orders/wo-tamper.json" 2>/dev/null; then
	fail "the tampered order fails plain gpg too"
else pass "the tampered order fails plain gpg too"; fi
refused "a tampered order" "signature bad" "$S"
# an invalid order beside a valid one is listed, never fatal to it
order "$S" wo-good --technician t.alice --op install --device-id gw-0001
out=$($GW check "$S" 2>&1)
grep -q "work order wo-good (technician t.alice): install until" <<<"$out" && grep -q "would install" <<<"$out" &&
	pass "a bad order beside a valid one: the valid one counts" || fail "a bad order beside a valid one: the valid one counts" "$out"

# --- a read-only order: export happens, nothing installs -----------------------------
S=$(stick read); order "$S" wo-read --technician t.alice --op read --device-id gw-0001
out=$($GW install "$S" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "no valid work order for install: order wo-read: does not grant install" <<<"$out" &&
	[ "$(app)" = "old app" ] && pass "a read order installs nothing" || fail "a read order installs nothing" "rc $rc: $out"
ls "$S/ferry/audit/gw-0001/"*.jsonl >/dev/null 2>&1 && [ -f "$S/ferry/audit/gw-0001/inventory.json" ] &&
	pass "a read order exports the log and the inventory" || fail "a read order exports the log and the inventory"
tail -n 1 "$S"/ferry/audit/gw-0001/*.jsonl | python3 -c '
import json,sys; r=json.loads(sys.stdin.read())
assert r["event"]=="export.ordered" and r["order"]=="wo-read" and r["technician"]=="t.alice", r' &&
	pass "the export names the read order and its technician" || fail "the export names the read order and its technician"

# --- a valid install order: installs; every record of the run carries it -------------
S=$(stick good); order "$S" wo-go --technician t.alice --op read --op install --device-type 'gw-*' --group north --bundle app=2.0.0
seq0=$(records gw | wc -l)
out=$($GW install "$S" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(app)" = "new app" ] && grep -q "work order wo-go (technician t.alice): read, install until" <<<"$out" &&
	pass "a valid install order installs" || fail "a valid install order installs" "rc $rc: $out"
records gw | tail -n +$((seq0 + 1)) | python3 -c '
import json,sys
rs=[json.loads(l) for l in sys.stdin]
assert rs and any(r["event"].startswith("install.") for r in rs), rs
bad=[r["event"] for r in rs if r.get("order")!="wo-go" or r.get("technician")!="t.alice"]
assert not bad, bad' && pass "every record of the run names the order and technician" ||
	fail "every record of the run names the order and technician" "$(records gw | tail -n 3)"

# --- policy adoption needs a policy order --------------------------------------------
$K technician add t.carol --name "Carol Example" >/dev/null
$K policy sign -o "$T/policy2" >/dev/null
S=$T/s-pol; mkdir -p "$S/ferry/orders"
ferry-pack -q write "$S" "$T/app-2.1.0.ferry" --policy "$T/policy2"
order "$S" wo-inst --technician t.alice --op install --device-id gw-0001
out=$($GW install "$S" 2>&1)
grep -q "trust policy on the stick not adopted: no valid work order for policy" <<<"$out" &&
	[ "$(newest gw policy.refused | python3 -c 'import json,sys; print(json.load(sys.stdin).get("code"))')" = policy ] &&
	pass "a newer policy without a policy order is refused" || fail "a newer policy without a policy order is refused" "$out"
order "$S" wo-pol --technician t.alice --op policy --device-id gw-0001
out=$($GW install "$S" 2>&1)
grep -q "trust policy: adopted serial" <<<"$out" &&
	[ "$(newest gw policy.adopted | python3 -c 'import json,sys; print(json.load(sys.stdin).get("order"))')" = wo-pol ] &&
	pass "a policy order lets the newer policy in, and its record names it" || fail "a policy order lets the newer policy in, and its record names it" "$out"

# --- an expired dispatcher ------------------------------------------------------------
S=$(stick old 2.2.0)
handmade "$S" wo-old "$DOLD" "$OPEN"
while [ "$(date -u +%s)" -le "$(date -u -d "$SOON" +%s)" ]; do sleep 1; done
refused "signed by an expired dispatcher" "not signed by a valid dispatcher" "$S"

# --- a device type without a rule: as before --------------------------------------------
S=$(stick sensor)
check "no rule for sn-*: installs without an order" $SN install "$S"
records sn | grep -q '"order"' && fail "no rule: records name no order" || pass "no rule: records name no order"
# --- HQ: orders learnt, records stored with order and technician, reports ---------------
A="ferry-audit --db $T/hq/audit.db --homedir $T/hq/gnupg"
mkdir -p "$T/hq"
$A -q register "$T/gw/gw-0001.asc" --device-id gw-0001 >/dev/null
S=$(stick late); order "$S" wo-late --technician t.alice --op read --device-id gw-0001 --not-before "$LATER" --not-after "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)"
check "order import: dispatcher-signed orders are learnt" $A order import --policy "$T/policy" \
	"$T/s-good/ferry/orders/wo-go.json" "$T/s-read/ferry/orders/wo-read.json" "$T/s-late/ferry/orders/wo-late.json" \
	"$T/s-expired/ferry/orders/wo-exp.json"
out=$($A order import --policy "$T/policy" "$T/s-good/ferry/orders/wo-go.json" 2>&1)
grep -q "0 order(s) stored, 1 known, 0 refused" <<<"$out" && pass "order import twice: known, nothing new" ||
	fail "order import twice: known, nothing new" "$out"
refuses "order import: a non-dispatcher's order is refused" 1 "not signed by a dispatcher" \
	$A order import --policy "$T/policy" "$T/s-rel/ferry/orders/wo-rel.json"
refuses "order import: a tampered order is refused" 1 "signature bad" \
	$A order import --policy "$T/policy" "$T/s-tamper/ferry/orders/wo-tamper.json"
check "import the stick the valid order came back on" $A import "$T/s-good"
out=$($A --json events --device gw-0001)
grep -q '"order":"wo-go"' <<<"$out" && pass "HQ keeps the records' order field" || fail "HQ keeps the records' order field" "$(tail -n 2 <<<"$out")"
n=$(sqlite3 "$T/hq/audit.db" "SELECT count(*) FROM records WHERE work_order = 'wo-go' AND technician = 't.alice'")
[ "${n:-0}" -gt 0 ] && pass "HQ stores order and technician in their columns ($n records)" ||
	fail "HQ stores order and technician in their columns" "$n"
rep=$($A report --format json)
python3 - "$rep" <<'PY' && pass "report: changes by technician and order; orders used, expired unused, not used yet" ||
import json, sys
d = json.loads(sys.argv[1])
sec = d["sections"]
ch = sec["changes_by_order"]["rows"]
assert any(r["technician"] == "t.alice" and r["work_order"] == "wo-go" and r["event"].startswith("install.") for r in ch), ch
st = {r["work_order"]: r["status"] for r in sec["orders"]["rows"]}
assert st["wo-go"] == "used" and st["wo-exp"] == "expired unused" and st["wo-late"] == "not used yet", st
PY
	fail "report: changes by technician and order; orders used, expired unused, not used yet" "$(head -c 600 <<<"$rep")"
for f in text csv html; do
	$A report --format $f | grep -q "wo-go" && pass "report $f names the order" || fail "report $f names the order"
done
finish
