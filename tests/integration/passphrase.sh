#!/bin/bash
# passphrase.sh: passphrase-protected signer and root keys (issue 14 item 6).
# ferry-keys --protect makes them; ferry-pack and ferry-keys take the
# passphrase from --passphrase-file (or a terminal: setsid here, so there is
# none) and check the key can sign before any payload is packed: a missing or
# wrong passphrase is a clear configuration error (exit 2), not "General
# error" after compressing everything.
source "$(dirname "$0")/lib.sh"

printf 's3cret pass\n' >"$T/pw"
printf 'wrong\n' >"$T/bad"
NOTTY="setsid -w"
ferry-keys --keys "$T/k" init --root-name "Root" >/dev/null
REL=$(ferry-keys --keys "$T/k" --protect --passphrase-file "$T/pw" signer add "Release" --role release --device-type 'gw-*')
[[ $REL =~ ^[0-9A-F]{40}$ ]] && pass "signer add --protect makes a key" || fail "signer add --protect makes a key" "$REL"

mkdir -p "$T/in" && head -c 3000000 /dev/urandom >"$T/in/big.bin" && tar -C "$T/in" -cf "$T/in/app.tar" big.bin
cat >"$T/in/spec.json" <<JSON
{ "format": 1, "name": "app", "version": "1.0.0", "security_version": 1,
  "variants": [ { "id": "gw", "compatible": { "device_type": ["gw-x"] },
      "payloads": [ { "name": "app", "handler": "files", "target": "app", "file": "app.tar" } ] } ] }
JSON
refuses "no passphrase and no terminal: said before packing" 2 "protected by a passphrase and none was given.*nothing was packed|nothing was packed.*protected by a passphrase" \
	$NOTTY ferry-pack -q --keys "$T/k" create "$T/in/spec.json" -o "$T/a.ferry" --sign "$REL"
[ ! -e "$T/a.ferry" ] && pass "nothing written without the passphrase" || fail "nothing written without the passphrase"
refuses "a wrong passphrase is named" 2 "wrong passphrase" \
	$NOTTY ferry-pack -q --keys "$T/k" --passphrase-file "$T/bad" create "$T/in/spec.json" -o "$T/a.ferry" --sign "$REL"
[ ! -e "$T/a.ferry" ] && pass "nothing written with a wrong passphrase" || fail "nothing written with a wrong passphrase"
check "--passphrase-file signs" $NOTTY ferry-pack -q --keys "$T/k" --passphrase-file "$T/pw" create "$T/in/spec.json" -o "$T/a.ferry" --sign "$REL"
ferry-pack inspect "$T/a.ferry" 2>&1 | grep -q "$REL" && pass "the bundle carries the protected key's signature" ||
	fail "the bundle carries the protected key's signature" "$(ferry-pack inspect "$T/a.ferry" 2>&1 | tail -3)"
refuses "ferry-pack sign checks the key the same way" 2 "protected by a passphrase" \
	$NOTTY ferry-pack -q --keys "$T/k" sign "$T/a.ferry" --key "$REL"

# a protected root: policy sign needs the passphrase, a failure publishes nothing
check "init --protect" ferry-keys --keys "$T/r" --protect --passphrase-file "$T/pw" init --root-name "Root P"
ferry-keys --keys "$T/r" signer add "CI" --role release --device-type '*' >/dev/null
refuses "policy sign with a protected root and no passphrase" 2 "protected by a passphrase" \
	$NOTTY ferry-keys --keys "$T/r" policy sign
ferry-keys --keys "$T/r" policy show | grep -q "policy serial 1" && pass "the failed sign kept serial 1" ||
	fail "the failed sign kept serial 1" "$(ferry-keys --keys "$T/r" policy show | head -2)"
check "policy sign with the passphrase file" $NOTTY ferry-keys --keys "$T/r" --passphrase-file "$T/pw" policy sign
finish
