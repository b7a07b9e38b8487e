#!/bin/bash
# keyhome.sh: one key home (issue 14 item 5). ferry-pack finds the signer keys
# ferry-keys made through the ferry-keys directory (--keys DIR, or
# FERRY_KEYS_HOME), without the user knowing GnuPG's layout; --homedir still
# names a GnuPG home as before; no command turns a directory that is not a
# GnuPG home into one, and none leaves a gpg-agent running that it started.
source "$(dirname "$0")/lib.sh"

ferry-keys --keys "$T/k" init --root-name "Root" >/dev/null
REL=$(ferry-keys --keys "$T/k" signer add "Release" --role release --device-type 'gw-*')
mkdir -p "$T/in" && echo hello >"$T/in/a.txt" && tar -C "$T/in" -cf "$T/in/app.tar" a.txt
cat >"$T/in/spec.json" <<JSON
{ "format": 1, "name": "app", "version": "1.0.0", "security_version": 1,
  "variants": [ { "id": "gw", "compatible": { "device_type": ["gw-x"] },
      "payloads": [ { "name": "app", "handler": "files", "target": "app", "file": "app.tar" } ] } ] }
JSON
agent_up() {   # agent_up GNUPGHOME: does a gpg-agent answer there?
	gpg-connect-agent --homedir "$1" --no-autostart 'GETINFO pid' /bye 2>/dev/null | grep -q '^D '
}
snapshot() { find "$1" | sort; }

check "ferry-pack --keys DIR signs with ferry-keys' signer" ferry-pack -q --keys "$T/k" create "$T/in/spec.json" -o "$T/a.ferry" --sign "$REL"
! agent_up "$T/k/gnupg" && pass "no gpg-agent left running after create" || fail "no gpg-agent left running after create"
check "FERRY_KEYS_HOME=DIR works the same" env FERRY_KEYS_HOME="$T/k" ferry-pack -q create "$T/in/spec.json" -o "$T/b.ferry" --sign "$REL"
check "--homedir DIR/gnupg works as before" ferry-pack -q --homedir "$T/k/gnupg" create "$T/in/spec.json" -o "$T/c.ferry" --sign "$REL"
mkdir -p "$T/home/.config/ferry" && cp -a "$T/k" "$T/home/.config/ferry/keys"
check "ferry-keys' default directory is found without options" env HOME="$T/home" ferry-pack -q create "$T/in/spec.json" -o "$T/d.ferry" --sign "$REL"

before=$(snapshot "$T/k")
refuses "--homedir of a ferry-keys directory names the right option" 2 "is a ferry-keys directory: use --keys" \
	ferry-pack -q --homedir "$T/k" create "$T/in/spec.json" -o "$T/e.ferry" --sign "$REL"
[ "$(snapshot "$T/k")" = "$before" ] && pass "the ferry-keys directory is left as it was" || fail "the ferry-keys directory is left as it was"
mkdir -p "$T/project" && echo notes >"$T/project/README"
refuses "--homedir of another folder is not turned into a GnuPG home" 2 "not a GnuPG home" \
	ferry-pack -q --homedir "$T/project" create "$T/in/spec.json" -o "$T/e.ferry" --sign "$REL"
[ "$(ls -A "$T/project")" = README ] && pass "the other folder is left as it was" || fail "the other folder is left as it was" "$(ls -A "$T/project")"
refuses "--keys of a folder that is not a ferry-keys directory" 2 "not a ferry-keys directory" \
	ferry-pack -q --keys "$T/nokeys" create "$T/in/spec.json" -o "$T/e.ferry" --sign "$REL"
[ ! -e "$T/nokeys" ] && pass "--keys creates nothing" || fail "--keys creates nothing"

# an agent the user started is left alone
gpgconf --homedir "$T/k/gnupg" --launch gpg-agent
check "create with the user's agent running" ferry-pack -q --keys "$T/k" create "$T/in/spec.json" -o "$T/f.ferry" --sign "$REL"
agent_up "$T/k/gnupg" && pass "the user's gpg-agent still runs" || fail "the user's gpg-agent still runs"
gpgconf --homedir "$T/k/gnupg" --kill all
finish
