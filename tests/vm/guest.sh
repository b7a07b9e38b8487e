#!/bin/bash
# guest.sh: what the test device runs at every boot, as root in the host's
# root (read-only over 9p, chrooted by tests/vm/init). It is the device's
# init: the boot and data partitions (drivers: tests/vm/init), udevd, then the same sequence
# as dist/ferry-agent-commit.service (`ferry-agent boot`, then `commit`) and
# dist/ferry-agent.service (`ferry-agent watch`). Lines starting "FERRYVM "
# on the console are what tests/vm/run waits for; /run/ctl (a 9p share of
# the test's directory) brings commands of "a person at the device".
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C
source /run/ctl/env   # FERRY_BIN TOOLS CFG, written by tests/vm/run
say() { echo "FERRYVM $* [up $(cut -d" " -f1 /proc/uptime)]" >/dev/console; }
A() { "$FERRY_BIN/ferry-agent" -c "$CFG" "$@"; }

say "init: start"
for _ in $(seq 100); do [ -b /dev/vda4 ] && break; sleep 0.1; done
mkdir -p /run/ferry/boot /run/ferry/data /run/ferry/media
mount -t ext2 /dev/vda1 /run/ferry/boot && mount -t ext4 /dev/vda4 /run/ferry/data ||
	{ say "init: cannot mount the boot or data partition"; sleep 2; poweroff -f; }
# udevd for sticks; only block devices are replayed (a stick present at boot),
# the whole coldplug took 10 s under TCG.
# udevadm ignores requests in a chroot ("Running in chroot, ignoring
# request"), and this is one: without SYSTEMD_IGNORE_CHROOT the replay did
# nothing, and a stick left in across a reboot was never seen again. udevd
# must listen before the replay (--ping).
export SYSTEMD_IGNORE_CHROOT=1
/lib/systemd/systemd-udevd --daemon >/dev/null 2>&1
udevadm control --ping --timeout=30 >/dev/null 2>&1
udevadm trigger --action=add --subsystem-match=block >/dev/null 2>&1
udevadm settle --timeout=30 >/dev/null 2>&1
say "init: udev up"
slot=$(sed -n 's/.*ferry\.slot=\([ab]\).*/\1/p' /proc/cmdline)
say "booted slot=$slot version=$(cat /run/ferry/slot-version)"
# dist/ferry-agent-commit.service: ExecStartPre=boot, ExecStart=commit.
A boot >/dev/console 2>&1; say "agent-boot rc=$?"
A commit >/dev/console 2>&1; say "commit rc=$?"
# The status as JSON for the test: written whole into /run/ctl/status.json
# (what the test reads: a kernel message on the console cannot cut into it)
# and echoed on the status line (what the test waits for, and the console
# log's record). stdout alone: anything the agent says on stderr goes to the
# console on lines of its own, before it.
A --json status --last 8 2>/dev/console >/run/ctl/status.tmp
mv /run/ctl/status.tmp /run/ctl/status.json
say "status $(tr -d '\n' </run/ctl/status.json)"
# What the slots' partitions received, as the kernel counts it (sectors
# written, /sys/class/block/vdaN/stat field 7): one line per whole MiB, which
# the power-cut scenario waits for to cut in the middle of a slot write. The
# fifo is a sleep without a process per tick.
slot_writes() {
	local a b last='' now
	mkfifo /run/ferry/tick && exec 9<>/run/ferry/tick || return
	while ! read -r -t 0.2 -u 9 _; do
		read -r _ _ _ _ _ _ a _ </sys/class/block/vda2/stat
		read -r _ _ _ _ _ _ b _ </sys/class/block/vda3/stat
		now="a=$((a / 2048)) b=$((b / 2048))"
		[ "$now" = "$last" ] || say "slot-writes MiB $now"
		last=$now
	done
}
slot_writes &
# dist/ferry-agent.service: watch, its output on the console.
A watch 2>&1 | sed -u 's/^/FERRYVM watch: /' >/dev/console &
say "ready"

# Commands from the test: /run/ctl/req.ID (a shell script) → out.ID, rc.ID.
# Taken (renamed) before it runs: a command that reboots runs only once.
while sleep 0.3; do
	for f in /run/ctl/req.*; do
		[ -e "$f" ] || continue
		id=${f##*/req.}
		mv "$f" "/run/ctl/run.$id" || continue
		bash "/run/ctl/run.$id" >"/run/ctl/out.$id" 2>&1
		echo $? >"/run/ctl/rc.$id.tmp" && mv "/run/ctl/rc.$id.tmp" "/run/ctl/rc.$id"
	done
done
