#!/bin/bash
# bench/media.sh: `ferry-pack write` of one bundle onto a stick (a loop device
# image, ext4 in the kernel and exFAT through exfat-fuse) against the machine's
# own tools on the same bytes, in the same run, on the same kind of stick:
#   reference = dd conv=fsync of the bundle onto the stick, then a read back
#               with O_DIRECT (past the page cache) through openssl dgst -sha256
# which is the least a verified stick write can do (write durably, read back,
# hash). Prints seconds, MiB/s and the ratio ferry / reference (median of 3).
# Needs root, loop devices, mkfs.ext4 (and exfat-fuse for the exFAT row).
# Usage: bench/media.sh [MIB (128)]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$PWD/$BUILD/bin
MIB=${1:-128}
[ "$(id -u)" -eq 0 ] && [ -e /dev/loop-control ] || { echo "SKIP: needs root and loop devices"; exit 0; }
W=$(mktemp -d /tmp/fb.XXXXXX)
LOOP=
cleanup() {
	mountpoint -q "$W/m" 2>/dev/null && umount "$W/m"
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	gpgconf --homedir "$W/h" --kill all >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT

# A signed bundle whose payload is MIB of pseudo-random bytes (zstd stores it
# as is: the bundle is about MIB large).
mkdir -p -m 700 "$W/h"
gpg --homedir "$W/h" --batch --passphrase '' --quick-gen-key 'Bench <b@ferry.test>' ed25519 sign never 2>/dev/null
FPR=$(gpg --homedir "$W/h" --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 -in /dev/zero 2>/dev/null |
	head -c $((MIB << 20)) >"$W/rootfs.img" || true
cat >"$W/spec.json" <<EOF
{ "format": 1, "name": "bench-os", "version": "1.0.0", "security_version": 1,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "rootfs.img" } ] } ] }
EOF
"$BIN/ferry-pack" -q --homedir "$W/h" create "$W/spec.json" -o "$W/b.ferry" --sign "$FPR"
rm -f "$W/rootfs.img"
SIZE=$(stat -c %s "$W/b.ferry")
cat "$W/b.ferry" >/dev/null   # the source warm, for both sides alike

median() { sort -n | sed -n 2p; }
now() { date +%s.%N; }
mounted() {   # mounted FS: a fresh filesystem on the stick, mounted at $W/m
	mountpoint -q "$W/m" 2>/dev/null && umount "$W/m"
	case $1 in
	ext4)  mkfs.ext4 -q -F "$LOOP"; mount -t ext4 "$LOOP" "$W/m" ;;
	exfat) mkfs.exfat "$LOOP" >/dev/null; mount -t exfat-fuse "$LOOP" "$W/m" ;;
	esac
}
run_ferry() {
	mounted "$1"; local t0; t0=$(now)
	"$BIN/ferry-pack" -q write "$W/m" "$W/b.ferry"
	echo "$(now) - $t0" | bc
}
run_reference() {
	mounted "$1"; local t0; t0=$(now)
	dd if="$W/b.ferry" of="$W/m/b.ferry" bs=1M conv=fsync status=none
	dd if="$W/m/b.ferry" bs=1M iflag=direct status=none | openssl dgst -sha256 >/dev/null
	echo "$(now) - $t0" | bc
}

truncate -s $((MIB * 2 + 64))M "$W/stick.img"
LOOP=$(losetup -f --show "$W/stick.img")
mkdir -p "$W/m"
printf 'ferry-pack write, %d MiB bundle, median of 3 (s, MiB/s); reference: dd conv=fsync + O_DIRECT read | openssl sha256\n' \
	$((SIZE >> 20))
for fs in ext4 exfat; do
	if [ "$fs" = exfat ] && ! command -v mount.exfat-fuse >/dev/null; then echo "$fs: SKIP (no exfat-fuse)"; continue; fi
	f=$(for _ in 1 2 3; do run_ferry "$fs"; done | median)
	r=$(for _ in 1 2 3; do run_reference "$fs"; done | median)
	printf '%-6s ferry %6.2f s %7.1f MiB/s | reference %6.2f s %7.1f MiB/s | ratio %.2f\n' "$fs" \
		"$f" "$(echo "$SIZE / 1048576 / $f" | bc -l)" "$r" "$(echo "$SIZE / 1048576 / $r" | bc -l)" \
		"$(echo "$f / $r" | bc -l)"
done
