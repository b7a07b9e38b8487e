#!/bin/bash
# pkcs11: a release signer whose key lives on a PKCS#11 token (issue 14
# item 6). A throw-away SoftHSM2 token gets an RSA key and its certificate
# (gnupg-pkcs11-scd finds keys by their certificates); gpg-agent of the
# ferry-keys home uses gnupg-pkcs11-scd as its scdaemon, so GnuPG sees the
# token key as a card key and an OpenPGP key is made from it by keygrip.
# ferry-keys adds it as a release signer, ferry-pack signs a bundle with it
# (the token PIN from --passphrase-file) and a provisioned device accepts the
# bundle. docs/roles.md "A signer key on a PKCS#11 token" says it by hand.
source "$(dirname "$0")/lib.sh"

SOFTHSM_LIB=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so 2>/dev/null | head -n 1)
missing=
for tool in softhsm2-util gnupg-pkcs11-scd pkcs11-tool openssl; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
[ -n "$SOFTHSM_LIB" ] || missing="$missing libsofthsm2.so"
if [ -n "$missing" ]; then
	why="missing:$missing (Debian: softhsm2 gnupg-pkcs11-scd opensc; scripts/debian-packages.txt)"
	if [ "${CI:-}" = true ]; then fail pkcs11_token_signing "$why"; else skip pkcs11_token_signing "$why"; fi
	finish
fi

K=$T/keys H=$T/keys/gnupg
export SOFTHSM2_CONF=$T/softhsm2.conf
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$SOFTHSM2_CONF"
printf '1234\n' >"$T/pin"

check "ferry-keys init" ferry-keys --keys "$K" init --root-name "Root"
# the token: a key and its certificate under one id, made in software here
# (a real token generates its key inside)
check "a SoftHSM2 token" softhsm2-util --init-token --free --label ferry --pin 1234 --so-pin 5678
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.pem" -subj /CN=ferry-token -days 30 2>/dev/null &&
	openssl pkey -in "$T/k.pem" -outform DER -out "$T/k.der" && openssl x509 -in "$T/c.pem" -outform DER -out "$T/c.der"
for obj in "privkey $T/k.der" "cert $T/c.der"; do
	set -- $obj
	pkcs11-tool --module "$SOFTHSM_LIB" --login --pin 1234 --write-object "$2" --type "$1" --id 01 --label sign \
		>/dev/null 2>&1 || fail "token object $1" "pkcs11-tool --write-object failed"
done
rm -f "$T/k.pem" "$T/k.der"
# the ferry-keys home's agent talks to the token through gnupg-pkcs11-scd
printf 'providers softhsm\nprovider-softhsm-library %s\n' "$SOFTHSM_LIB" >"$H/gnupg-pkcs11-scd.conf"
printf 'scdaemon-program %s\n' "$(command -v gnupg-pkcs11-scd)" >>"$H/gpg-agent.conf"
gpgconf --homedir "$H" --kill all 2>/dev/null
gpgconf --homedir "$H" --launch gpg-agent   # the home says no-autostart
GRIP=$(gpg-connect-agent --homedir "$H" "SCD LEARN --force" /bye 2>/dev/null | awk '/KEYPAIRINFO/ {print $3; exit}')
# LEARN stores the agent's stub of the token key (private-keys-v1.d/GRIP.key)
gpg-connect-agent --homedir "$H" LEARN /bye >/dev/null 2>&1
[[ $GRIP =~ ^[0-9A-F]{40}$ ]] && pass "gpg-agent sees the token key" || fail "gpg-agent sees the token key" "no KEYPAIRINFO: $GRIP"
printf '%%no-protection\nKey-Type: RSA\nKey-Grip: %s\nKey-Usage: sign\nName-Real: Release token\nExpire-Date: 0\n%%commit\n' \
	"$GRIP" >"$T/gen"
gpg --homedir "$H" --batch --pinentry-mode loopback --passphrase-file "$T/pin" --gen-key "$T/gen" >/dev/null 2>&1
TOK=$(gpg --homedir "$H" --batch --with-colons --list-secret-keys "Release token" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
[[ $TOK =~ ^[0-9A-F]{40}$ ]] && pass "an OpenPGP key on the token" || fail "an OpenPGP key on the token" "no key"
# the secret part is a stub naming the token (field 15: its serial), not a key
card=$(gpg --homedir "$H" --batch --with-colons --list-secret-keys "$TOK" 2>/dev/null | awk -F: '/^sec/ {print $15; exit}')
[ -n "$card" ] && [ "$card" != "+" ] && pass "the key's secret stays on the token" || fail "the key's secret stays on the token" "field 15: '$card'"
gpg --homedir "$H" --batch --armor --export "$TOK" >"$T/token.asc" 2>/dev/null

check "signer add --key (the token key)" ferry-keys --keys "$K" signer add "Release token" --role release \
	--device-type 'gw-*' --key "$T/token.asc"
check "policy sign" ferry-keys --keys "$K" policy sign
check "provision a device" ferry-keys --keys "$K" provision "$T/dev" --device-id gw-0001 --device-type gw-x \
	--installed edge-os=2.3.0

mkdir -p "$T/in" && head -c 65536 /dev/urandom >"$T/in/rootfs.img"
cat >"$T/in/spec.json" <<'JSON'
{ "format": 1, "name": "edge-os", "version": "2.4.1", "security_version": 7,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "rootfs.img" } ] } ] }
JSON
refuses "without the PIN nothing is packed" 2 "passphrase|PIN|nothing was packed" \
	setsid -w ferry-pack -q --keys "$K" create "$T/in/spec.json" -o "$T/none.ferry" --sign "$TOK"
[ ! -e "$T/none.ferry" ] && pass "no bundle without the PIN" || fail "no bundle without the PIN"
check "ferry-pack signs on the token" setsid -w ferry-pack -q --keys "$K" --passphrase-file "$T/pin" \
	create "$T/in/spec.json" -o "$T/b.ferry" --sign "$TOK"
[ -n "$TOK" ] && ferry-pack inspect "$T/b.ferry" 2>&1 | grep -q "$TOK" && pass "the bundle carries the token key's signature" ||
	fail "the bundle carries the token key's signature" "$(ferry-pack inspect "$T/b.ferry" 2>&1 | tail -n 3)"
refuses "the device would install it" 0 "would install variant gw-x" ferry-agent -c "$T/dev/agent.json" check "$T/b.ferry"
finish
