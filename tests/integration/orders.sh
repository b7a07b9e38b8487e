#!/bin/bash
# orders.sh: work orders at the workstation (issue 18): technicians granted
# and revoked in the signed policy and its log, and `ferry-keys order create`
# writing a signed order to a stick only when the policy would accept it
# (a dispatcher's signature, an active technician, a scope, a window).
# The device side of orders is checked by tests/unit/test_order.
source "$(dirname "$0")/lib.sh"

K="ferry-keys --homedir $T/keys"
S=$T/stick
mkdir -p "$S"

check "init" $K init --root-name "ACME Root"
DISP=$($K signer add Dispatch --role dispatcher --device-type 'gw-*')
REL=$($K signer add "Release CI" --role release --device-type '*')
check "technician add t.alice" $K technician add t.alice --name "Alice Example"
check "technician add t.bob" $K technician add t.bob --name "Bob Example"
refuses "a technician cannot be added twice" 1 "already in the draft" $K technician add t.bob --name Bob
refuses "a technician id is a word" 2 "ID must be" $K technician add "bob b" --name Bob
check "technician revoke t.bob" $K technician revoke t.bob --at 2026-12-01T00:00:00Z
refuses "a revoked technician cannot be revoked again" 1 "already revoked" $K technician revoke t.bob
out=$($K technician list)
grep -q $'^t.alice\tAlice Example\t-\tactive' <<<"$out" && grep -q $'^t.bob\tBob Example\t-\trevoked 2026-12-01T00:00:00Z' <<<"$out" &&
	pass "technician list shows active and revoked people" || fail "technician list shows active and revoked people" "$out"
check "policy sign" $K policy sign
out=$($K policy log)
grep -q "technician granted t.alice 'Alice Example'" <<<"$out" && grep -q "technician revoked t.bob 'Bob Example' at 2026-12-01T00:00:00Z" <<<"$out" &&
	pass "policy log records who was granted and who was revoked" || fail "policy log records who was granted and who was revoked" "$out"

WHEN="--not-after 2099-01-01T00:00:00Z"
check "order create: a read-only order for gw-x" $K order create wo-1 --technician t.alice --op read --device-type gw-x $WHEN --signer "$DISP" -o "$S"
if gpg --homedir "$T/keys/gnupg" --batch --no-autostart --verify "$S/ferry/orders/wo-1.json.sig" "$S/ferry/orders/wo-1.json" >/dev/null 2>&1; then
	pass "the order's signature verifies with plain gpg"
else fail "the order's signature verifies with plain gpg"; fi
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["operations"]==["read"] and d["technician"]=="t.alice" and d["scope"]=={"device_types":["gw-x"]}' "$S/ferry/orders/wo-1.json" &&
	pass "the order names technician, operations and scope" || fail "the order names technician, operations and scope"
check "order create: an install order limited to one bundle" $K order create wo-2 --technician t.alice --op install --device-id gw-0001 --bundle gw-os=2.1.0 $WHEN --signer "$DISP" -o "$S"

before=$(ls "$S/ferry/orders" | sort | tr '\n' ' ')
refuses "a revoked technician gets no order" 1 "technician 't.bob' is revoked" $K order create wo-3 --technician t.bob --op read --device-type gw-x $WHEN --signer "$DISP" -o "$S"
refuses "an unknown technician gets no order" 1 "'t.carol' is not in policy" $K order create wo-3 --technician t.carol --op read --device-type gw-x $WHEN --signer "$DISP" -o "$S"
refuses "a release signer is no dispatcher" 1 "not signed by a valid dispatcher" $K order create wo-3 --technician t.alice --op read --device-type gw-x $WHEN --signer "$REL" -o "$S"
refuses "a dispatcher signs only for its device types" 1 "may not sign for device type sensor-a" $K order create wo-3 --technician t.alice --op read --device-type sensor-a $WHEN --signer "$DISP" -o "$S"
refuses "an order needs a scope" 1 "scope: must name" $K order create wo-3 --technician t.alice --op read $WHEN --signer "$DISP" -o "$S"
refuses "an order whose window is past" 1 "not_after" $K order create wo-3 --technician t.alice --op read --device-type gw-x --not-before 2020-01-01T00:00:00Z --not-after 2020-02-01T00:00:00Z --signer "$DISP" -o "$S"
refuses "an upper-case id is no stick name" 1 "lower-case" $K order create WO-3 --technician t.alice --op read --device-type gw-x $WHEN --signer "$DISP" -o "$S"
refuses "an unknown operation is a usage error" 2 "read, install or policy" $K order create wo-3 --technician t.alice --op reboot --device-type gw-x $WHEN --signer "$DISP" -o "$S"
after=$(ls "$S/ferry/orders" | sort | tr '\n' ' ')
[ "$before" = "$after" ] && pass "a refused order writes nothing" || fail "a refused order writes nothing" "$before -> $after"
finish
