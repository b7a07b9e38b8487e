#!/bin/bash
# bench/install.sh: `ferry-agent install` of a realistic root filesystem image
# (an ext4 image of /usr files + pseudo-random blobs, AES-CTR IVs 2^64 apart)
# from a signed bundle into the inactive slot, at 256 MiB and 1 GiB. The slot
# is a loop device (as root; else a file, and the ratios say so); the agent
# verifies signature and policy, streams the zstd frames (each frame's hash
# checked), writes the slot and reads it back from the medium to check its
# SHA-256. Against, on the same image and the same slot in the same run
# (best of 3, warm page cache):
#   floor     zstd -dc PAYLOAD | dd of=SLOT bs=4M oflag=direct conv=fsync
#   swupdate  SWUpdate's streamed zstd install + sync (when installed:
#             `make bench-peers` installs it; bench/peers/swupdate.sh)
#   rauc      with FERRY_PEERS=1 (make bench-peers): RAUC's install of a plain
#             bundle into a raw slot + sync (bench/peers/rauc.sh)
#   slot      the image's size written and read back at once with dd (direct
#             I/O, zeros): the bytes an install with a read-back moves, at
#             the slot's own speed (no goal; says whether 2x SWUpdate fits)
# and ferry-agent again with the slot's "write_zeroes": false (no goal): the
# image's zero runs written as data, as the peers write them.
# Prints wall time, MiB/s, CPU, peak RSS and each goal of issue 13 with
# PASS/FAIL: install <= 1.0x the floor, >= 2x faster than swupdate, peak RSS
# <= 24 MiB and not growing with the image. Usage: bench/install.sh [MIB...]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/peers/swupdate.sh
. bench/peers/rauc.sh
BIN=$PWD/${BUILD:-build}/bin
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(256 1024)
W=${FERRY_BENCH_DIR:-/tmp/ferry-bench}
R=$W/install-run
LOOP=
mkdir -p "$W"
rm -rf "$R"; mkdir -p "$R"; chmod 700 "$R"
cleanup() {
	for h in "$R"/keys/gnupg "$R"/dev*/gnupg; do gpgconf --homedir "$h" --kill all >/dev/null 2>&1 || true; done
	rauc_stop "$R/rauc"
	[ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null || true
	rm -rf "$R"
}
trap cleanup EXIT

# rootfs_image MIB: $W/rootfs-MIB.ext4 (built once, then reused): a tree of
# regular /usr files (sorted: the same bytes every time) filling ~58% of the
# image and AES-CTR blobs ~10%, as a non-sparse ext4 image.
rootfs_image() {
	local mib=$1 img=$W/rootfs-$1.ext4 tree=$W/tree-$1
	[ -f "$img" ] && [ "$(stat -c %s "$img")" -eq $((mib << 20)) ] && { echo "$img"; return; }
	local usr=$((mib * 58 / 100 << 20)) rnd=$((mib * 10 / 100 << 20)) i=0 sz
	rm -rf "$tree"; mkdir -p "$tree/usr" "$tree/var/lib/blobs"
	(cd /usr && find share bin lib/x86_64-linux-gnu lib/python3 sbin include -type f -size -16M \
		-printf '%p\t%s\n' 2>/dev/null | LC_ALL=C sort |
		awk -F'\t' -v limit="$usr" '{ if (total + $2 > limit) exit; total += $2; print $1 }' >"$tree.list")
	tar -C /usr -cf - -T "$tree.list" | tar -C "$tree/usr" -xf -
	while [ "$rnd" -gt 0 ]; do
		sz=$(((1 + i % 8) << 20)); [ "$sz" -gt "$rnd" ] && sz=$rnd
		openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
			-iv "$(printf '%016x%016x' "$i" 0)" -in /dev/zero 2>/dev/null | head -c "$sz" >"$tree/var/lib/blobs/blob$i.bin" || true
		rnd=$((rnd - sz)); i=$((i + 1))
	done
	mke2fs -q -F -t ext4 -b 4096 -L rootfs -U 2a1c0c3e-6d7d-4b1f-9c1e-0123456789ab \
		-E root_owner=0:0,hash_seed=2a1c0c3e-6d7d-4b1f-9c1e-0123456789ab -d "$tree" "$img.tmp" "${mib}M" >"$W/mke2fs.log" 2>&1 || { cat "$W/mke2fs.log" >&2; return 1; }
	cp --sparse=never "$img.tmp" "$img" && rm -f "$img.tmp"
	rm -rf "$tree" "$tree.list"
	echo "$img"
}

# run_timed KEY CMD...: one run under /usr/bin/time -v; keeps the best wall
# time of KEY (with its CPU and peak RSS) in WALL/CPU/RSS[KEY].
declare -A WALL CPU RSS
run_timed() {
	local key=$1 out=$R/time.txt; shift
	/usr/bin/time -v -o "$out" "$@" >/dev/null 2>"$R/err.txt" || { cat "$R/err.txt" >&2; return 1; }
	local w c m
	read -r w c m < <(awk -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, t, ":"); for (i = 1; i <= n; i++) wall = wall * 60 + t[i] }
		/(User|System) time/ { cpu += $2 }
		/Maximum resident set size/ { rss = $2 }
		END { print wall, cpu, rss }' "$out")
	if [ -z "${WALL[$key]:-}" ] || awk "BEGIN { exit !($w < ${WALL[$key]}) }"; then
		WALL[$key]=$w CPU[$key]=$c RSS[$key]=$m
		cp "$R/err.txt" "$R/best-$key.err"
	fi
}

# The chain of trust, once: a root, a release signer, the signed policy.
K() { "$BIN/ferry-keys" -q --homedir "$R/keys" "$@"; }
K init --root-name "Bench Root" >/dev/null
REL=$("$BIN/ferry-keys" --homedir "$R/keys" signer add Bench --role release --device-type 'gw-*')
K policy sign -o "$R/policy" >/dev/null

# The slot everyone writes: a loop device over a file in $W, when we may,
# with direct I/O on its backing file, as a real block device behaves: no
# page cache between the device and the medium, so a read-back reads the
# disk, not cached pages, and a flush is the disk's, not a whole-file fsync
# of the filesystem under the loop device (docs/performance.md).
max=0; for mib in "${SIZES[@]}"; do [ "$mib" -gt "$max" ] && max=$mib; done
truncate -s $(((max + 64) << 20)) "$R/slot-b.img"
if [ "$(id -u)" -eq 0 ] && LOOP=$(losetup -f --show --direct-io=on "$R/slot-b.img" 2>/dev/null); then
	SLOT=$LOOP; SLOTKIND="loop device $LOOP, direct I/O on its backing file"
	[ "$(cat "/sys/block/${LOOP#/dev/}/loop/dio" 2>/dev/null)" = 1 ] ||
		SLOTKIND="loop device $LOOP, buffered (its backing file's filesystem refused direct I/O)"
else
	LOOP=; SLOT=$R/slot-b.img; SLOTKIND="file (no loop device: not comparable with the goals)"
fi
PEER=no; swu_available && [ -n "$LOOP" ] && PEER=yes
RAUC=no; [ "${FERRY_PEERS:-}" = 1 ] && rauc_available && [ -n "$LOOP" ] && RAUC=yes

echo "bench/install.sh: ferry-agent install of an ext4 rootfs image, best of 3, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  slot: $SLOTKIND; swupdate: $([ $PEER = yes ] && dpkg-query -W -f '${Version}' swupdate 2>/dev/null || echo 'not installed (make bench-peers)')"
for mib in "${SIZES[@]}"; do
	img=$(rootfs_image "$mib")
	size=$(stat -c %s "$img")
	D=$R/dev-$mib B=$R/b-$mib.ferry
	payload="{ \"name\": \"rootfs\", \"handler\": \"rootfs-ab\", \"file\": \"$img\" }"
	printf '{ "format": 1, "name": "bench-os", "version": "1.0.%s", "security_version": 1, %s %s }\n' "$mib" \
		'"created": "2026-11-27T10:00:00Z",' \
		"\"variants\": [ { \"id\": \"gw-x\", \"compatible\": { \"device_type\": [\"gw-x\"] }, \"payloads\": [ $payload ] } ]" \
		>"$R/spec.json"
	"$BIN/ferry-pack" -q --homedir "$R/keys/gnupg" create "$R/spec.json" -o "$B" --sign "$REL" >/dev/null
	K provision "$D" --device-id "gw-$mib" --device-type gw-x >/dev/null
	truncate -s $(((mib + 64) << 20)) "$D/slots/rootfs-a.img"
	python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["slots"]["rootfs"]["b"]=sys.argv[2]; json.dump(c,open(p,"w"),indent=1)
c["slots"]["rootfs"]["write_zeroes"]=False; json.dump(c,open(sys.argv[3],"w"),indent=1)' \
		"$D/agent.json" "$SLOT" "$D/agent-data.json"
	tar -xOf "$B" payloads/gw-x/rootfs.zst >"$R/payload.zst"   # the frames the agent decompresses
	[ $PEER = no ] || swu_make "$R/swu" "$img" "$SLOT"
	if [ $RAUC = yes ]; then
		rauc_stop "$R/rauc"; rm -rf "$R/rauc"; truncate -s $(((mib + 64) << 20)) "$R/rauc-a.img"
		rauc_setup "$R/rauc" "$img" "$R/rauc-a.img" "$SLOT"
	fi
	cat "$B" "$img" "$R/payload.zst" >/dev/null                 # warm the page cache
	for _ in 1 2 3; do
		run_timed "fl$mib" sh -c "zstd -dc '$R/payload.zst' | dd of='$SLOT' bs=4M oflag=direct conv=fsync status=none"
		# the slot's own limit for an install that reads back: the image's
		# size written and read at once, direct I/O, nothing to decompress
		run_timed "io$mib" sh -c "dd if=/dev/zero of='$SLOT' bs=4M count=$((mib / 4)) oflag=direct conv=fsync status=none &
			dd if='$SLOT' of=/dev/null bs=4M count=$((mib / 4)) iflag=direct status=none; wait"
		if [ $PEER = yes ]; then
			dd if=/dev/zero of="$SLOT" bs=1M count=4 conv=fsync status=none
			run_timed "sw$mib" bash -c '. bench/peers/swupdate.sh && SWU_DEV=$1 swu_install "$2"' _ "$SLOT" "$R/swu"
		fi
		if [ $RAUC = yes ]; then
			dd if=/dev/zero of="$SLOT" bs=1M count=4 conv=fsync status=none
			run_timed "ra$mib" bash -c '. bench/peers/rauc.sh && rauc_install "$1"' _ "$R/rauc"
		fi
		for c in in:agent iz:agent-data; do
			run_timed "${c%%:*}$mib" "$BIN/ferry-agent" -v -c "$D/${c#*:}.json" install "$B"
			cmp -s -n "$size" "$img" "$SLOT" || { echo "the slot does not hold the image after ferry-agent install" >&2; exit 1; }
			"$BIN/ferry-agent" -q -c "$D/agent.json" rollback   # so that the same bundle installs again
		done
	done
	[ $RAUC = no ] || RSS[ra$mib]=$(rauc_service_rss "$R/rauc")
	awk -v mib="$mib" -v zb="$(stat -c %s "$B")" -v peer="$PEER" -v rauc="$RAUC" \
		-v tr="${WALL[ra$mib]:-0}" -v mr="${RSS[ra$mib]:-0}" \
		-v ti="${WALL[in$mib]}" -v ci="${CPU[in$mib]}" -v mi="${RSS[in$mib]}" \
		-v tz="${WALL[iz$mib]}" -v cz="${CPU[iz$mib]}" -v mz="${RSS[iz$mib]}" \
		-v tf="${WALL[fl$mib]}" -v cf="${CPU[fl$mib]}" -v to="${WALL[io$mib]}" \
		-v tw="${WALL[sw$mib]:-0}" -v cw="${CPU[sw$mib]:-0}" -v mw="${RSS[sw$mib]:-0}" 'BEGIN {
		printf "  %d MiB image (bundle %.0f MiB, zstd -3)  %7s %11s %8s\n", mib, zb / 1048576, "wall", "throughput", "CPU"
		printf "    %-40s %6.2fs %6.0f MiB/s %7.2fs\n", "floor: zstd -dc | dd oflag=direct fsync", tf, mib / tf, cf
		printf "    %-40s %6.2fs %6.0f MiB/s\n", "slot: dd write || dd read, direct I/O", to, mib / to
		if (peer == "yes")
			printf "    %-40s %6.2fs %6.0f MiB/s %7.2fs  peak RSS %.1f MiB\n", "swupdate zstd streamed + sync", tw, mib / tw, cw, mw / 1024
		if (rauc == "yes")
			printf "    %-40s %6.2fs %6.0f MiB/s %8s  peak RSS %.1f MiB (service)\n", "rauc install (plain bundle) + sync", tr, mib / tr, "", mr / 1024
		printf "    %-40s %6.2fs %6.0f MiB/s %7.2fs  peak RSS %.1f MiB\n", "ferry-agent install (read-back)", ti, mib / ti, ci, mi / 1024
		printf "    %-40s %6.2fs %6.0f MiB/s %7.2fs  peak RSS %.1f MiB\n", "  the same, zero runs written as data", tz, mib / tz, cz, mz / 1024
		goal("install / floor", ti / tf, "<=", 1.0)
		if (peer == "yes") goal("swupdate / install", tw / ti, ">=", 2.0)
		else printf "    %-28s SKIP (swupdate not installed: make bench-peers)\n", "swupdate / install"
		goal("peak RSS of the agent, MiB", mi / 1024, "<=", 24)
		if (rauc == "yes") printf "    %-28s %6.2f   (no goal)\n", "rauc / install", tr / ti
		printf "    %-28s %6.2f   (no goal: the floor and the peers write zeros as data)\n", "install / floor, zeros data", tz / tf
		if (peer == "yes") printf "    %-28s %6.2f   (no goal)\n", "swupdate / install, zeros data", tw / tz
		printf "    %-28s %6.2f   (no goal: an install that reads the image back moves these bytes)\n", "install / slot write||read", ti / to
		if (peer == "yes")
			printf "    %-28s %6.2f   (>= 2x swupdate needs install <= %.2f s: %s the slot limit, %.2f s)\n",
				"swupdate/2 / slot limit", tw / 2 / to, tw / 2, (tw / 2 >= to ? "within" : "below"), to
	}
	function goal(what, v, op, g) {
		ok = op == "<=" ? v <= g : v >= g
		printf "    %-28s %6.2f   goal %s %.1f   %s\n", what, v, op, g, ok ? "PASS" : "FAIL"
	}'
	# the handler's own account of its best run: write, read-back, overlap;
	# and what the install spent outside it (signature, policy, state)
	sed -n 's/.*rootfs-ab: [^:]*: /    agent: /p' "$R/best-in$mib.err"
	hs=$(sed -n 's/.*rootfs-ab: .* bytes in \([0-9.]*\) s .*/\1/p' "$R/best-in$mib.err")
	[ -z "$hs" ] || awk -v t="${WALL[in$mib]}" -v h="$hs" 'BEGIN {
		printf "    agent outside the rootfs-ab handler (signature, policy, state): %.2f s\n", t - h }'
done
if [ -n "${RSS[in256]:-}" ] && [ -n "${RSS[in1024]:-}" ]; then
	awk -v a="${RSS[in256]}" -v b="${RSS[in1024]}" 'BEGIN {
		printf "  peak RSS 256 MiB -> 1 GiB: %.1f -> %.1f MiB (%+.1f MiB)   goal: constant (+-2 MiB)   %s\n",
			a / 1024, b / 1024, (b - a) / 1024, b <= a + 2048 ? "PASS" : "FAIL" }'
fi
