#!/bin/bash
# progress: the bars of `ferry-pack create` and `ferry-pack write` on a real
# terminal (a pty from python3) at 40 and 200 columns: no drawn line is wider
# than the terminal (so none wraps), and write counts the bundle's bytes once
# per phase (writing, reading back), not twice.
source "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null; then skip progress "python3 is missing (it provides the pty)"; finish; fi

# run_pty COLS OUT CMD...: CMD on a pty of COLS columns; everything it drew in OUT.
run_pty() {
	local cols=$1 out=$2; shift 2
	python3 - "$cols" "$out" "$@" <<'PY'
import fcntl, os, pty, struct, sys, termios
cols, out, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
open(out, "wb").write(data)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
# widest COLS FILE: fails when a drawn bar (split at \r and \n, escapes removed) is COLS or wider.
widest() {
	tr '\r' '\n' <"$2" | sed 's/\x1b\[K//g' | grep -F '%' |
		awk -v c="$1" 'length($0) >= c { bad = 1; print "too wide: " $0 } END { exit bad }'
}

export FERRY_KEYS_HOME=$T/keys
ferry-keys -q init --root-name "Test Root" >/dev/null
REL=$(ferry-keys signer add "Release CI" --role release --device-type '*')
mkdir -p "$T/in" "$T/stick"
openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 -in /dev/zero 2>/dev/null |
	head -c $((96 * 1024 * 1024)) >"$T/in/rootfs.img"
cat >"$T/in/spec.json" <<'JSON'
{ "format": 1, "name": "edge-os", "version": "2.4.1", "security_version": 1, "created": "2026-11-24T10:00:00Z",
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs-with-a-rather-long-payload-name", "handler": "rootfs-ab",
                    "file": "rootfs.img", "compression": "none" } ] } ] }
JSON
for cols in 40 200; do
	rm -f "$T/b.ferry"; rm -rf "$T/stick"; mkdir -p "$T/stick"
	if ! run_pty $cols "$T/create.$cols" ferry-pack --homedir "$T/keys/gnupg" create "$T/in/spec.json" -o "$T/b.ferry" --sign "$REL" >/dev/null; then
		fail "create_bar_fits_$cols" "create failed: $(tail -c 300 "$T/create.$cols")"; continue
	fi
	if ! grep -q '%' "$T/create.$cols"; then skip "create_bar_fits_$cols" "create finished before the first bar"
	elif why=$(widest $cols "$T/create.$cols"); then pass "create_bar_fits_$cols"
	else fail "create_bar_fits_$cols" "$why"; fi
	if ! run_pty $cols "$T/write.$cols" ferry-pack write "$T/stick" "$T/b.ferry" >/dev/null; then
		fail "write_bar_fits_$cols" "write failed: $(tail -c 300 "$T/write.$cols")"; continue
	fi
	if why=$(widest $cols "$T/write.$cols"); then pass "write_bar_fits_$cols"; else fail "write_bar_fits_$cols" "$why"; fi
done
# At 200 columns the sizes are shown: the total is the bundle, not twice it.
size_mib=$(stat -c %s "$T/b.ferry" | awk '{ printf "%.1f", $1 / 1048576 }')
totals=$(tr '\r' '\n' <"$T/write.200" | grep -o "/[0-9.]* MiB" | sort -u | tr '\n' ' ')
if [ -z "$totals" ]; then skip write_counts_the_bundle_once "the write finished before its first bar"
elif [ "$totals" = "/$size_mib MiB " ]; then pass write_counts_the_bundle_once
else fail write_counts_the_bundle_once "bundle $size_mib MiB, bars showed totals: $totals"; fi
# A bar appears only for work that lasts (the first draw is after 0.1 s): a
# phase that finished before it has no bar, which is no failure; a bar that
# was drawn must end at 100%.
for phase in writing "reading back"; do
	if ! tr '\r' '\n' <"$T/write.200" | grep -q "^$phase "; then
		skip "write_phase_${phase// /_}_ends_at_100" "the $phase phase finished before its first bar"
	elif tr '\r' '\n' <"$T/write.200" | grep -q "^$phase .*100%"; then pass "write_phase_${phase// /_}_ends_at_100"
	else fail "write_phase_${phase// /_}_ends_at_100" "the '$phase' bar did not end at 100%"; fi
done
finish
