#!/bin/bash
# micro.sh: the component benches (run by `make bench`), each against the
# machine's own tools on the same bytes in the same run: the audit journal's
# append rate vs write+fdatasync, the OpenPGP layer vs plain gpg, the
# rootfs-ab and files handlers vs dd conv=fsync + openssl and tar + sync.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}/bench
T=$(mktemp -d /tmp/fb.XXXXXX)
trap 'rm -rf "$T"' EXIT
echo "-- audit journal (500 records)"; "$B/bench_journal" 500 "$T"
echo "-- OpenPGP layer (20 runs, 64 KiB)"; "$B/bench_pgp" 20 64
echo "-- rootfs-ab handler (256 MiB)"; "$B/bench_handlers" rootfs 256 "$T"
echo "-- files handler (a tar of /usr/share/doc)"
tar -C /usr/share -cf "$T/doc.tar" doc 2>/dev/null
"$B/bench_handlers" files "$T/doc.tar" "$T"
