#!/bin/bash
# bench/pack.sh: ferry-pack create and verify of a realistic 1 GiB image,
# against the machine's own tools on the same bytes in the same run:
#   create  vs  zstd -T0 -3 (compression alone)
#   verify  vs  openssl dgst -sha256 (SHA-NI) and sha256sum of the image
# Prints seconds, MiB/s, ratios, bundle size vs zstd -3, and peak RSS, and
# issue 13's goals with PASS/FAIL: create <= 1.2x zstd -T0 -3, verify (by the
# frame hashes) <= 0.5x openssl dgst -sha256 of the image.
# The image: /usr files (sorted, deterministic) + AES-CTR pseudo-random
# blobs + free space (AES-CTR IVs 2^64 apart, so that blobs do not overlap); reused from
# $FERRY_BENCH_DIR (default /tmp/ferry-bench) once built.
# Usage: bench/pack.sh [MIB (1024)]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PACK=$PWD/$BUILD/bin/ferry-pack
MIB=${1:-1024}
W=${FERRY_BENCH_DIR:-/tmp/ferry-bench}
IMG=$W/image-$MIB.img
mkdir -p "$W"

make_image() {   # 55% /usr files, 10% pseudo-random, the rest zeros (free space)
	local usr=$((MIB * 55 / 100 << 20)) rnd=$((MIB * 10 / 100 << 20)) i=0 left
	{
		find /usr/share /usr/bin /usr/lib/x86_64-linux-gnu /usr/lib/python3 -type f -size -16M 2>/dev/null |
			LC_ALL=C sort | xargs cat 2>/dev/null | head -c "$usr" || true
		left=$rnd
		while [ "$left" -gt 0 ]; do   # IVs 2^64 apart: blobs do not overlap
			local sz=$(((1 + i % 8) << 20)); [ "$sz" -gt "$left" ] && sz=$left
			openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
				-iv "$(printf '%016x%016x' "$i" 0)" -in /dev/zero 2>/dev/null | head -c "$sz" || true
			left=$((left - sz)); i=$((i + 1))
		done
	} >"$IMG.tmp"
	truncate -s $((MIB << 20)) "$IMG.tmp"
	# non-sparse, like a real image
	cp --sparse=never "$IMG.tmp" "$IMG" && rm -f "$IMG.tmp"
}
[ -f "$IMG" ] && [ "$(stat -c %s "$IMG")" -eq $((MIB << 20)) ] || make_image
cat "$IMG" >/dev/null   # warm the page cache, as the peers' runs did

R=$W/run; rm -rf "$R"; mkdir -p "$R"; chmod 700 "$R"
trap 'gpgconf --homedir "$R/keys/gnupg" --kill all >/dev/null 2>&1 || true; rm -rf "$R"' EXIT
K=$R/keys   # the chain of trust: a root, a release signer, the signed policy
"$PWD/$BUILD/bin/ferry-keys" -q --homedir "$K" init --root-name "Bench Root" >/dev/null
FPR=$("$PWD/$BUILD/bin/ferry-keys" --homedir "$K" signer add "Bench" --role release --device-type 'gw-*')
"$PWD/$BUILD/bin/ferry-keys" -q --homedir "$K" policy sign -o "$R/policy" >/dev/null
H=$K/gnupg
gpg --homedir "$H" --batch --quiet --armor --export >"$R/keyring.asc"
cat >"$R/spec.json" <<JSON
{ "format": 1, "name": "bench-os", "version": "1.0.0", "security_version": 1,
  "created": "2026-11-24T10:00:00Z",
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "$IMG" } ] } ] }
JSON

# timed NAME CMD...: wall seconds into T_NAME, peak RSS (KiB) into M_NAME
timed() {
	local name=$1; shift
	/usr/bin/time -v -o "$R/$name.time" "$@" >/dev/null 2>"$R/$name.err" || { cat "$R/$name.err" >&2; return 1; }
	sync   # untimed: zstd's output, left dirty, is not written back during the next run
	local wall rss cpu
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' "$R/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$R/$name.time")
	cpu=$(awk -F': ' '/(User|System) time/ { s += $2 } END { print s }' "$R/$name.time")
	printf -v "T_$name" '%s' "$wall"
	printf -v "M_$name" '%s' "$rss"
	printf -v "C_$name" '%s' "$cpu"
}
keep_best() {   # keep_best NAME: after a run, keep it if it is the fastest so far
	local name=$1 t="T_$1" r="M_$1" u="C_$1" b="B_$1"
	if [ -z "${!b:-}" ] || awk "BEGIN { exit !(${!t} < ${!b}) }"; then
		printf -v "B_$name" '%s' "${!t}"; printf -v "BM_$name" '%s' "${!r}"; printf -v "BC_$name" '%s' "${!u}"
	fi
}
# Three rounds, references and ferry-pack interleaved so that they share the
# machine's load (it is shared); the fastest run of each is kept.
for round in 1 2 3; do
	timed zstd sh -c "zstd -T0 -3 -q -c '$IMG' >'$R/img.zst'"; keep_best zstd
	timed create "$PACK" -q --homedir "$H" create "$R/spec.json" -o "$R/b.ferry" --sign "$FPR"; keep_best create
	timed openssl openssl dgst -sha256 "$IMG"; keep_best openssl
	timed verify "$PACK" -q verify "$R/b.ferry" --keyring "$R/keyring.asc" --policy "$R/policy"; keep_best verify
	timed sha256sum sha256sum "$IMG"; keep_best sha256sum
done
for n in zstd create openssl verify sha256sum; do
	b="B_$n" m="BM_$n" c="BC_$n"
	printf -v "T_$n" '%s' "${!b}"; printf -v "M_$n" '%s' "${!m}"; printf -v "C_$n" '%s' "${!c}"
done

ZSZ=$(stat -c %s "$R/img.zst"); BSZ=$(stat -c %s "$R/b.ferry")
echo "bench/pack.sh: $MIB MiB image ($IMG), best of 3, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v mib="$MIB" -v tz="$T_zstd" -v to="$T_openssl" -v ts="$T_sha256sum" -v tc="$T_create" -v tv="$T_verify" \
	-v mc="$M_create" -v mv="$M_verify" -v mz="$M_zstd" -v zs="$ZSZ" -v bs="$BSZ" \
	-v cz="$C_zstd" -v co="$C_openssl" -v cs="$C_sha256sum" -v cc="$C_create" -v cv="$C_verify" 'BEGIN {
	printf "  %-44s %7s %11s %8s\n", "", "wall", "throughput", "CPU"
	printf "  %-44s %6.2fs %6.0f MiB/s %7.2fs\n", "zstd -T0 -3 (reference)", tz, mib / tz, cz
	printf "  %-44s %6.2fs %6.0f MiB/s %7.2fs\n", "openssl dgst -sha256 (reference)", to, mib / to, co
	printf "  %-44s %6.2fs %6.0f MiB/s %7.2fs\n", "sha256sum (reference)", ts, mib / ts, cs
	printf "  %-44s %6.2fs %6.0f MiB/s %7.2fs  %.2fx zstd -T0 -3 wall   peak RSS %.1f MiB (zstd %.1f)\n", \
		"ferry-pack create (zstd -3, signed, fsynced)", tc, mib / tc, cc, tc / tz, mc / 1024, mz / 1024
	printf "  %-44s %6.2fs %6.0f MiB/s %7.2fs  %.2fx openssl sha256, %.2fx sha256sum wall   peak RSS %.1f MiB\n", \
		"ferry-pack verify (frame hashes)", tv, mib / tv, cv, tv / to, tv / ts, mv / 1024
	printf "  bundle %.1f MiB vs zstd -3 %.1f MiB (%.3fx); ratio %.2f:1\n", bs / 1048576, zs / 1048576, bs / zs, mib * 1048576 / bs
	goal("create / zstd -T0 -3", tc / tz, 1.2)
	goal("verify / openssl dgst -sha256", tv / to, 0.5)
	printf "  %-32s %5.2f   (CPU seconds: the work done, which a loaded machine turns into wall time)\n", \
		"create / zstd -T0 -3 CPU", cc / cz
}
function goal(what, v, g) {
	printf "  %-32s %5.2f   goal <= %.1f   %s\n", what, v, g, v <= g ? "PASS" : "FAIL"
}'
