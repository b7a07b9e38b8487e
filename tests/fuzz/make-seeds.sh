#!/bin/bash
# make-seeds.sh: (re)writes the seed corpora under tests/fuzz/corpus/ from
# tests/data and from small inputs made here with the real programs (signed
# bundles, MEDIA.json, frame tables, a chained audit log, a grubenv). The
# result is committed; run it again only when a format changes:
#   make all && bash tests/fuzz/make-seeds.sh
set -eu
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/${BUILD:-build}/bin
C=$ROOT/tests/fuzz/corpus
T=$(mktemp -d /tmp/fs.XXXXXX)
trap 'gpgconf --homedir "$T/keys/gnupg" --kill all >/dev/null 2>&1 || true; rm -rf "$T"' EXIT

seed() {   # seed TARGET NAME < bytes
	mkdir -p "$C/$1"
	cat >"$C/$1/$2"
}
copy() {   # copy TARGET FILE...
	local t=$1; shift
	mkdir -p "$C/$t"
	for f in "$@"; do cp "$f" "$C/$t/$(basename "$(dirname "$f")")-$(basename "$f")"; done
}

rm -rf "$C"
# --- from tests/data and examples ---------------------------------------------
copy manifest tests/data/manifests/good/*.json tests/data/manifests/bad/*.json examples/manifest.json
copy spec examples/spec.json tests/data/manifests/good/spec-example.json
copy policy tests/data/policies/good/*.json tests/data/policies/bad/*.json
copy order tests/data/orders/good/*.json
copy agent_config dist/agent.json tests/data/agent-config/bad/*.json
copy fleet examples/fleet.json

# --- signed bundles, MEDIA.json, signatures and frame tables ------------------
export FERRY_KEYS_HOME=$T/keys
"$BIN/ferry-keys" -q init --root-name "Seed Root" >/dev/null
REL=$("$BIN/ferry-keys" signer add "Seed Release" --role release --device-type '*')
"$BIN/ferry-keys" -q policy sign -o "$T/policy" >/dev/null
copy policy "$T/policy/policy.json"
mkdir -p "$T/in/hooks"
printf 'hello ferry\n' >"$T/in/app.txt"
head -c 3000 /dev/zero >"$T/in/zero.img"
printf '#!/bin/sh\nexit 0\n' >"$T/in/hooks/check.sh"
mk_bundle() {   # mk_bundle NAME COMPRESSION [HOOK]
	local hook=""
	[ -n "${3:-}" ] && hook=', "hooks": { "health_check": { "file": "hooks/check.sh" } }'
	cat >"$T/in/$1.json" <<JSON
{ "format": 1, "name": "$1", "version": "1.0.0", "security_version": 1,
  "created": "2026-11-24T10:00:00Z",
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "zero.img", "compression": "$2" },
                  { "name": "app", "handler": "files", "target": "app", "file": "app.txt", "compression": "none" } ]$hook } ] }
JSON
	"$BIN/ferry-pack" --homedir "$T/keys/gnupg" -q create "$T/in/$1.json" -o "$T/$1.ferry" --sign "$REL"
	cp "$T/$1.ferry" "$C/bundle/$1.ferry" 2>/dev/null || { mkdir -p "$C/bundle"; cp "$T/$1.ferry" "$C/bundle/"; }
	mkdir -p "$T/x/$1" && tar -xf "$T/$1.ferry" -C "$T/x/$1"
	seed bundle_sig "$1.sig" <"$T/x/$1/manifest.sig"
	seed manifest "$1.json" <"$T/x/$1/manifest.json"
	for ck in $(find "$T/x/$1" -name '*.chunks'); do
		seed chunks "$1-$(basename "$ck")" <"$ck"
	done
}
mk_bundle zs zstd hook
mk_bundle xz xz
mk_bundle none none
copy spec "$T/in/zs.json"
mkdir -p "$T/stick"
"$BIN/ferry-pack" -q write "$T/stick" "$T/zs.ferry" "$T/none.ferry" --policy "$T/policy" --label SEEDS >/dev/null
seed media stick.json <"$T/stick/ferry/MEDIA.json"
printf '{"format":1,"created":"2026-11-24T10:00:00Z","writer":"ferry-pack 0.1.0","bundles":[]}\n' | seed media empty.json

# --- frame streams: [compression][u32 stored][u32 size][stored]... -------------
frames() {   # frames COMPRESSION_BYTE FILE
	python3 - "$1" "$2" <<'PY'
import struct, sys
c, path = int(sys.argv[1]), sys.argv[2]
raw = b"ferry frame " * 40
stored = open(path, "rb").read()
sys.stdout.buffer.write(bytes([c]) + struct.pack(">II", len(stored), len(raw)) + stored)
PY
}
printf 'ferry frame %.0s' $(seq 40) >"$T/frame"
zstd -q -c "$T/frame" >"$T/frame.zst"
xz -q -c --check=crc32 "$T/frame" >"$T/frame.xz"
frames 0 "$T/frame" | seed framestream none
frames 1 "$T/frame.zst" | seed framestream zstd
frames 2 "$T/frame.xz" | seed framestream xz

# --- audit records: a chain of three for gw-0001 ------------------------------
prev=0000000000000000000000000000000000000000000000000000000000000000
: >"$T/chain"
for seq in 1 2 3; do
	line="{\"boot\":1,\"device\":\"gw-0001\",\"event\":\"install.finished\",\"prev\":\"$prev\",\"result\":\"success\",\"seq\":$seq,\"time\":\"2026-11-27T09:42:0${seq}Z\",\"version\":\"1.0.0\"}"
	printf '%s' "$line" | seed audit_line "seq$seq"
	printf '%s\n' "$line" >>"$T/chain"
	prev=$(printf '%s' "$line" | sha256sum | cut -c1-64)
done
printf '{"boot":2,"detail":{"n":1},"device":"gw-0001","event":"boot.committed","media":{"label":"L","usb_serial":"AA01"},"prev":"%s","result":"info","seq":4,"time":"2026-11-27T10:00:00Z"}' "$prev" | seed audit_line detail
# json_canon: the audit lines, and spellings the one-pass check must not trust
mkdir -p "$C/json_canon"
for f in "$C"/audit_line/*; do cp "$f" "$C/json_canon/audit-$(basename "$f")"; done
printf '{"b":1,"a":2}' | seed json_canon unsorted
printf '{"a": 1}' | seed json_canon space
printf '{"a":-0,"b":1.5,"c":"\\u0041","d":"\\u00E9"}' | seed json_canon numbers-escapes
printf '{"a":{"x":[1,2,{}]},"ab":[],"b":null}' | seed json_canon nested
seed audit_chain three <"$T/chain"
head -n 1 "$T/chain" | seed audit_chain one

# --- inventory, ack ---------------------------------------------------------------
seed inventory full.json <<'JSON'
{"format":1,"device":"gw-0001","type":"gw-x","hw_revision":2,"groups":["canary"],"attributes":{"site":"north"},"time":"2026-11-27T10:00:00Z","installed":{"gateway-os":"2.4.1"},"security_version":7,"policy_serial":3,"state":"committed","slots":{"bootloader":"file","booted":"b","primary":"b","next":"b","a_left":3,"b_left":3},"boot":{"count":7,"id":"5f0c"},"free_space":{"state_dir":1234567,"app":7654321}}
JSON
printf '{"format":1,"device":"gw-0001","time":"2026-11-27T10:00:00Z","installed":{}}' | seed inventory minimal.json
printf '{"format":1,"device":"gw-0001","time":"2026-11-27T10:00:00Z","installed":{"edge-os":"2.4.1"},"software":{"edge-os":{"version":"2.4.1","support_until":"2030-06-30","components":[{"name":"zlib1g","version":"1:1.2.13","licence":"Zlib"},{"name":"busybox","version":"1.35"}]}}}' | seed inventory software.json
# --- SBOMs ----------------------------------------------------------------------
printf '{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"rootfs","documentNamespace":"urn:x","creationInfo":{"created":"2026-11-01T00:00:00Z","creators":["Tool: x"]},"packages":[{"SPDXID":"SPDXRef-1","name":"zlib1g","versionInfo":"1:1.2.13","licenseConcluded":"NOASSERTION","licenseDeclared":"Zlib"}]}' | seed sbom spdx.json
printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"openssl","version":"3.0.11","licenses":[{"license":{"id":"Apache-2.0"}}]},{"type":"library","name":"x","version":"1","licenses":[{"expression":"MIT OR BSD-2-Clause"}]}]}' | seed sbom cyclonedx.json
printf '{"format":1,"device":"gw-0001","seq":42,"issued":"2026-11-27T10:00:00Z"}\n' | seed ack good.json
printf '{"format":1,"device":"gw-0002","seq":1,"issued":"2026-11-27T10:00:00Z"}\n' | seed ack other.json

# --- bootloader environments ----------------------------------------------------
grub-editenv "$T/grubenv" create
grub-editenv "$T/grubenv" set BOOT_ORDER="A B" BOOT_A_LEFT=3 BOOT_B_LEFT=0 'other=x\y'
seed grubenv set <"$T/grubenv"
grub-editenv "$T/grubenv2" create
seed grubenv empty <"$T/grubenv2"
printf '{"BOOT_ORDER":"B A","BOOT_A_LEFT":"3","BOOT_B_LEFT":"1","BOOTED":"B","BOOT_ID":"7"}\n' | seed boot_file trial.json
printf '{}\n' | seed boot_file empty.json

# --- semver (range, newline, version) and times ---------------------------------
printf '>=1.2.0 <2.0.0-rc.1\n1.9.9+build.5' | seed semver range
printf '!=3\n3' | seed semver integer
printf '=1.0.0-alpha.1\n1.0.0-alpha.beta' | seed semver pre
for t in 2026-11-24T10:00:00Z 2024-02-29T23:59:59Z 0001-01-01T00:00:00Z 9999-12-31T23:59:59Z; do
	printf '%s' "$t" | seed rfc3339 "$t"
done
echo "make-seeds: $(find "$C" -type f | wc -l) files in $(ls "$C" | wc -l) corpora"
