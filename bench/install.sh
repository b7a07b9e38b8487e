#!/bin/bash
# bench/install.sh: `ferry-agent install` of a realistic root filesystem image
# (an ext4 image of /usr files + pseudo-random blobs, built like the peers'
# /work/shared/peers/mkpayload.sh, AES-CTR IVs 2^64 apart) from a signed
# bundle onto a virtual device (slots as files, file bootloader), at 256 MiB
# and 1 GiB. The agent verifies the signature and policy, streams the zstd
# payload frame by frame (each frame's hash checked), writes the inactive
# slot, fsyncs it, drops its cache and reads it back to check the SHA-256.
# Against, on the same bytes in the same run (the payload member of the
# bundle, warm page cache, best of 3):
#   zstd -dc | openssl dgst -sha256   decompress + SHA-NI hash
#   zstd -dc | sha256sum              decompress + coreutils hash
#   dd if=IMG of=FILE bs=4M conv=fsync a durable write of the image
# Prints wall time, MiB/s of image, CPU, peak RSS (/usr/bin/time -v) and the
# ratios; then whether the agent's peak RSS grew from 256 MiB to 1 GiB (it
# must not: streaming). Usage: bench/install.sh [MIB...] (default 256 1024).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/${BUILD:-build}/bin
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(256 1024)
W=${FERRY_BENCH_DIR:-/tmp/ferry-bench}
R=$W/install-run
mkdir -p "$W"
rm -rf "$R"; mkdir -p "$R"; chmod 700 "$R"
trap 'for h in "$R"/keys/gnupg "$R"/dev*/gnupg; do gpgconf --homedir "$h" --kill all >/dev/null 2>&1 || true; done; rm -rf "$R"' EXIT

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

echo "bench/install.sh: ferry-agent install of an ext4 rootfs image, best of 3, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
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
	for s in a b; do truncate -s $(((mib + 64) << 20)) "$D/slots/rootfs-$s.img"; done
	tar -xOf "$B" payloads/gw-x/rootfs.zst >"$R/payload.zst"   # the bytes the agent decompresses
	cat "$B" "$img" >/dev/null                                   # warm the page cache
	for _ in 1 2 3; do
		run_timed "zo$mib" sh -c "zstd -dc '$R/payload.zst' | openssl dgst -sha256"
		run_timed "zs$mib" sh -c "zstd -dc '$R/payload.zst' | sha256sum"
		run_timed "dd$mib" dd if="$img" of="$R/dd.img" bs=4M conv=fsync
		rm -f "$R/dd.img"
		run_timed "in$mib" "$BIN/ferry-agent" -v -c "$D/agent.json" install "$B"
		"$BIN/ferry-agent" -q -c "$D/agent.json" rollback   # so that the same bundle installs again
	done
	cmp -s -n "$size" "$img" "$D/slots/rootfs-b.img" || { echo "slot b does not hold the image" >&2; exit 1; }
	awk -v mib="$mib" -v zb="$(stat -c %s "$B")" \
		-v ti="${WALL[in$mib]}" -v ci="${CPU[in$mib]}" -v mi="${RSS[in$mib]}" \
		-v to="${WALL[zo$mib]}" -v co="${CPU[zo$mib]}" -v ts="${WALL[zs$mib]}" -v cs="${CPU[zs$mib]}" \
		-v td="${WALL[dd$mib]}" -v cd="${CPU[dd$mib]}" 'BEGIN {
		printf "  %d MiB image (bundle %.0f MiB, zstd -3)  %7s %11s %8s\n", mib, zb / 1048576, "wall", "throughput", "CPU"
		printf "    %-34s %6.2fs %6.0f MiB/s %7.2fs\n", "zstd -dc | openssl dgst -sha256", to, mib / to, co
		printf "    %-34s %6.2fs %6.0f MiB/s %7.2fs\n", "zstd -dc | sha256sum", ts, mib / ts, cs
		printf "    %-34s %6.2fs %6.0f MiB/s %7.2fs\n", "dd bs=4M conv=fsync", td, mib / td, cd
		printf "    %-34s %6.2fs %6.0f MiB/s %7.2fs  peak RSS %.1f MiB\n", "ferry-agent install", ti, mib / ti, ci, mi / 1024
		printf "    install = %.2fx (zstd -dc | openssl), %.2fx (zstd -dc | sha256sum), %.2fx dd conv=fsync\n", \
			ti / to, ti / ts, ti / td
	}'
	# the handler's own account of its best run: writing vs reading back
	sed -n 's/.*rootfs-ab: [^:]*: /    agent: /p' "$R/best-in$mib.err"
done
if [ -n "${RSS[in256]:-}" ] && [ -n "${RSS[in1024]:-}" ]; then
	awk -v a="${RSS[in256]}" -v b="${RSS[in1024]}" 'BEGIN {
		printf "  peak RSS of the agent: %.1f MiB at 256 MiB, %.1f MiB at 1 GiB: %s (%+.1f MiB)\n", a / 1024, b / 1024,
			b <= a + 2048 ? "does not grow (streaming)" : "GROWS", (b - a) / 1024
		exit b <= a + 2048 ? 0 : 1 }'
fi
echo "  peers (/work/shared/peers/RESULTS.md, another day): rauc install 256 MiB 1.12 s (229 MiB/s, 130 MiB RSS),"
echo "  1 GiB 4.22 s (243 MiB/s, 310 MiB RSS); swupdate zstd streamed + sync 256 MiB 1.41 s (182 MiB/s), 1 GiB 2.18 s (470 MiB/s), 18 MiB RSS"
