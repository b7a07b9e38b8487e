#!/bin/bash
# media: real sticks on loop devices. Each stick is an image with a DOS
# partition table and one filesystem (exFAT through exfat-fuse, ext4 in the
# kernel, FAT32 read-only through fusefat), written by `ferry-pack write`
# (FAT: written into a directory and copied into the image with mtools, since
# fusefat is only safe read-only). `ferry-agent watch` then has to find the
# stick when it is "inserted" (losetup + partx -a, the same add events as a
# real stick), mount, process, export, sync, unmount and say it may be pulled.
#
# Events: when systemd-udevd is available the test starts it (unless one runs)
# and installs a rule under /run/udev/rules.d that gives this run's loop sticks
# (label FT<run>) a USB identity (ID_BUS=usb, vendor 0781, product 5581,
# serial <label>-SN), so watch runs with the production rule ID_BUS=usb and the
# allow-list sees a serial. Without udevd, watch listens to kernel uevents and
# probes the filesystem with libblkid; the rule is then DEVNAME=/dev/loop*.
# FERRY_TEST_EVENTS=kernel forces that mode where udevd exists.
# Either way the rule also names this run's label: other loop devices on the
# machine are never touched.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then skip media "needs root for loop devices and mounts"; finish; fi
if [ ! -e /dev/loop-control ] || ! command -v losetup >/dev/null || ! command -v partx >/dev/null ||
	! command -v sfdisk >/dev/null; then
	skip media "the kernel has no loop devices or util-linux/fdisk tools are missing"; finish
fi
probe=$(mktemp /tmp/fl.XXXXXX)
truncate -s 1M "$probe"
if ! dev=$(losetup -f --show "$probe" 2>/dev/null); then
	rm -f "$probe"; skip media "cannot attach a loop device (losetup: no free device or no permission)"; finish
fi
losetup -d "$dev"; rm -f "$probe"

# One run at a time on this machine: runs from several worktrees would share
# (and stop each other's) udevd.
exec 9>/run/lock/ferry-media-test.lock
if ! flock -w 600 9; then skip media "another media test held the lock for 10 minutes"; finish; fi

RUN=$(printf '%05d' $((RANDOM % 100000)))
LOOPS=()
WATCH_PID=
UDEVD_PID=
RULE=/run/udev/rules.d/99-ferry-test-$RUN.rules
media_cleanup() {
	kill_watch
	# Mounts of this run first (lazy: a FUSE daemon may be dead), then devices.
	grep -o " $T/[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | while read -r m; do umount -l "$m"; done
	for l in "${LOOPS[@]}"; do
		partx -d "$l" >/dev/null 2>&1
		losetup -d "$l" >/dev/null 2>&1
	done
	rm -f "$RULE"
	[ -n "$UDEVD_PID" ] && kill "$UDEVD_PID" 2>/dev/null && wait "$UDEVD_PID" 2>/dev/null
}
FERRY_TEST_CLEANUP_HOOK=media_cleanup

# --- events: udevd when we can have it ----------------------------------------
SOURCE=kernel
udevd=$(command -v systemd-udevd || ls /lib/systemd/systemd-udevd 2>/dev/null)
if [ "${FERRY_TEST_EVENTS:-}" = kernel ]; then
	:   # forced: the fallback for devices without udevd
elif pgrep -x systemd-udevd >/dev/null; then
	SOURCE=udev
elif [ -n "$udevd" ]; then
	"$udevd" >"$T/udevd.log" 2>&1 9>&- &
	UDEVD_PID=$!
	for _ in $(seq 50); do udevadm control --ping >/dev/null 2>&1 && break; sleep 0.1; done
	udevadm control --ping >/dev/null 2>&1 && SOURCE=udev
fi
if [ "$SOURCE" = udev ]; then
	mkdir -p /run/udev/rules.d
	cat >"$RULE" <<EOF
SUBSYSTEM=="block", KERNEL=="loop*", ENV{ID_FS_LABEL}=="FT$RUN*", ENV{ID_BUS}="usb", ENV{ID_VENDOR_ID}="0781", ENV{ID_MODEL_ID}="5581", ENV{ID_VENDOR}="ferrytest", ENV{ID_MODEL}="loopstick", ENV{ID_SERIAL_SHORT}="\$env{ID_FS_LABEL}-SN"
EOF
	udevadm control --reload
	MATCH="\"ID_BUS\": \"usb\", \"ID_FS_LABEL\": \"FT$RUN*\""
	echo "events: udev monitor (systemd-udevd${UDEVD_PID:+ started by this test}), rule ID_BUS=usb"
else
	MATCH="\"DEVNAME\": \"/dev/loop*\", \"ID_FS_LABEL\": \"FT$RUN*\""
	echo "events: kernel uevents (no udevd), filesystem probed with libblkid, rule DEVNAME=/dev/loop*"
fi

# --- the device --------------------------------------------------------------
DEV=$T/dev
mkdir -p "$DEV/state" "$DEV/mnt"
cat >"$T/notify.sh" <<EOF
#!/bin/sh
echo "\$FERRY_RESULT|\$FERRY_DEVICE|\$FERRY_SERIAL|\$FERRY_LABEL|\$FERRY_MAY_PULL|\$FERRY_MESSAGE" >>"$T/notified"
EOF
chmod +x "$T/notify.sh"
write_config() {   # write_config [ALLOW_JSON]
	cat >"$DEV/agent.json" <<EOF
{ "format": 1, "device": { "id": "gw-0001", "type": "gw-x", "hw_revision": 2 },
  "trust": { "homedir": "gnupg", "policy": "policy" }, "state_dir": "state",
  "targets": {}, "bootloader": { "type": "file", "path": "state/bootenv.json" },
  "media": { "match": { $MATCH }, "mount_dir": "$DEV/mnt", "notify": "$T/notify.sh"${1:+, \"allow\": $1} } }
EOF
}

# --- sticks ------------------------------------------------------------------
attach() {   # attach IMAGE: "insert" the stick; prints the loop device
	local l
	l=$(losetup -f --show "$1") || return 1
	LOOPS+=("$l")
	partx -a "$l" || return 1
	echo "$l"
}
detach() {   # detach LOOP: "pull" the stick
	local i
	for i in $(seq 20); do partx -d "$1" >/dev/null 2>&1 && break; sleep 0.2; done
	losetup -d "$1"
}
# make_stick FS IMAGE LABEL [SIZE]: a 64 MiB image, DOS label, one partition with FS.
make_stick() {
	local fs=$1 img=$2 label=$3 l
	truncate -s "${4:-64M}" "$img"
	echo 'label: dos
start=2048, type=7' | sfdisk -q "$img" || return 1
	l=$(losetup -f --show "$img") || return 1
	partx -a "$l"
	case $fs in
	exfat) mkfs.exfat -L "$label" "${l}p1" >/dev/null ;;
	ext4)  mkfs.ext4 -q -L "$label" "${l}p1" ;;
	vfat)  mkfs.vfat -F 32 -n "$label" "${l}p1" >/dev/null ;;
	esac
	local rc=$?
	detach "$l"
	return $rc
}
# with_mounted IMAGE FS CMD...: runs CMD with $M the stick's mounted filesystem.
with_mounted() {
	local img=$1 fs=$2 l rc; shift 2
	l=$(attach "$img") || return 1
	M=$T/m.$RANDOM; mkdir -p "$M"
	case $fs in
	exfat) mount -t exfat-fuse "${l}p1" "$M" ;;
	ext4)  mount -t ext4 "${l}p1" "$M" ;;
	vfat)  mount -t fuse.fusefat -o ro "${l}p1" "$M" ;;
	esac || { detach "$l"; return 1; }
	"$@"; rc=$?
	umount "$M"; rmdir "$M"
	detach "$l"
	return $rc
}

# --- the stick's contents: a signed bundle, written with ferry-pack write ------
PACK=$T/pack
mkdir -p -m 700 "$PACK/home"
make_bundle() {   # make_bundle NAME VERSION SIZE OUT
	mkdir -p "$PACK/build"
	head -c "$3" /dev/urandom >"$PACK/build/$1.img"
	cat >"$PACK/$1.json" <<EOF
{ "format": 1, "name": "$1", "version": "$2", "security_version": 1,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "build/$1.img" } ] } ] }
EOF
	ferry-pack -q --homedir "$PACK/home" create "$PACK/$1.json" -o "$4" --sign "$FPR"
}
gpg --homedir "$PACK/home" --batch --passphrase '' --quick-gen-key 'Release <release@ferry.test>' \
	ed25519 sign never >/dev/null 2>&1
FPR=$(gpg --homedir "$PACK/home" --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
BUNDLE=$T/gateway-os.ferry
if [ -z "$FPR" ] || ! make_bundle gateway-os 2.4.1 300000 "$BUNDLE"; then
	fail media_bundle "cannot create the test bundle"; finish
fi
BUNDLE_SHA=$(sha256sum "$BUNDLE" | cut -d' ' -f1)

# The layout on a mounted stick ($M), checked against the bundle's own hash.
write_mounted() {
	ferry-pack -q write "$M" "$BUNDLE" && grep -q "\"sha256\": \"$BUNDLE_SHA\"" "$M/ferry/MEDIA.json" &&
		cmp -s "$BUNDLE" "$M/ferry/bundles/gateway-os-2.4.1.ferry"
}
# fill_stick FS IMAGE: ferry-pack write onto the mounted stick; FAT: into a
# directory, then into the image with mtools (fusefat writes corrupt FAT).
fill_stick() {
	local fs=$1 img=$2
	if [ "$fs" = vfat ]; then
		rm -rf "$T/fat"; mkdir -p "$T/fat"
		M=$T/fat write_mounted && mcopy -i "$img@@1M" -s -Q "$T/fat/ferry" ::
	else
		with_mounted "$img" "$fs" write_mounted
	fi
}

# --- watch -------------------------------------------------------------------
start_watch() {   # start_watch MAX_STICKS
	kill_watch
	: >"$T/watch.out"
	ferry-agent -c "$DEV/agent.json" -v watch --source "$SOURCE" --max-sticks "$1" >>"$T/watch.out" 2>&1 9>&- &
	WATCH_PID=$!
	for _ in $(seq 50); do grep -q "watching for sticks" "$T/watch.out" && return 0; sleep 0.1; done
	return 1
}
wait_lines() {   # wait_lines N: until N sticks were reported (or 60 s)
	for _ in $(seq 600); do
		[ "$(grep -c '^ferry: .*: \(success\|failure\|refused\|nothing\): ' "$T/watch.out")" -ge "$1" ] && return 0
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ "$(grep -c '^ferry: .*: \(success\|failure\|refused\|nothing\): ' "$T/watch.out")" -ge "$1" ]
}
stop_watch() {   # the watcher exits by itself after --max-sticks; 0 when clean
	local rc
	for _ in $(seq 100); do kill -0 "$WATCH_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$WATCH_PID" 2>/dev/null
	wait "$WATCH_PID"; rc=$?
	WATCH_PID=
	return $rc
}
kill_watch() {   # a watcher left by a failed case
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
	WATCH_PID=
}
not_mounted() { ! grep -q " $DEV/mnt/" /proc/self/mountinfo; }

have_fs() {   # have_fs FS: the tools to make and mount it
	case $1 in
	exfat) command -v mkfs.exfat >/dev/null && command -v mount.exfat-fuse >/dev/null && [ -e /dev/fuse ] ;;
	ext4)  command -v mkfs.ext4 >/dev/null && grep -qw ext4 /proc/filesystems ;;
	vfat)  command -v mkfs.vfat >/dev/null && command -v fusefat >/dev/null && command -v mcopy >/dev/null &&
		[ -e /dev/fuse ] ;;
	esac
}

# --- ferry-pack write refuses before writing anything -------------------------
if have_fs ext4; then
	make_stick ext4 "$T/small.img" "FT${RUN}s" 12M
	make_bundle big-os 1.0.0 16000000 "$T/big.ferry"
	ferry-pack --homedir "$PACK/home" create "$PACK/big-os.json" -o "$T/unsigned.ferry" >/dev/null 2>&1
	refusal_checks() {
		refuses media_write_refuses_too_little_space 1 "not enough space on the stick: 16 MiB needed.*nothing was written" \
			ferry-pack write "$M" "$T/big.ferry"
		refuses media_write_refuses_unsigned_bundle 1 "unsigned\.ferry: manifest\.sig: unsigned" \
			ferry-pack write "$M" "$BUNDLE" "$T/unsigned.ferry"
		check media_write_refusals_left_nothing test ! -e "$M/ferry"
	}
	with_mounted "$T/small.img" ext4 refusal_checks
else
	skip media_write_refuses_too_little_space "no ext4"
fi

# --- one stick per filesystem, inserted while watch runs ---------------------
write_config
for fs in exfat ext4 vfat; do
	name=media_watch_$fs
	[ "$fs" = vfat ] && name=media_watch_fat32_readonly
	if ! have_fs "$fs"; then skip "$name" "no $fs support here (mkfs, FUSE helper, mtools or kernel driver missing)"; continue; fi
	img=$T/$fs.img
	case $fs in exfat) label=FT${RUN}X ;; ext4) label=FT${RUN}E ;; vfat) label=FT${RUN}F ;; esac
	if ! make_stick "$fs" "$img" "$label"; then fail "$name" "cannot make the $fs stick"; continue; fi
	if fill_stick "$fs" "$img"; then
		pass "media_write_$fs (ferry-pack write, MEDIA.json hash = bundle hash$([ "$fs" = vfat ] && echo ', copied into FAT32 with mtools'))"
	else
		fail "media_write_$fs" "ferry-pack write onto the $fs stick failed"; continue
	fi
	start_watch 1 || { fail "$name" "watch did not start: $(tail -n 3 "$T/watch.out")"; continue; }
	l=$(attach "$img")
	if wait_lines 1 && stop_watch; then
		line=$(grep '^ferry: ' "$T/watch.out" | tail -n 1)
		if ! printf '%s' "$line" | grep -q "1 bundle(s) on the stick: gateway-os-2.4.1.ferry.*you may pull the stick now"; then
			fail "$name" "unexpected report: $line"
		elif ! not_mounted; then
			fail "$name" "still mounted after the report"
		elif [ "$fs" = vfat ] && ! printf '%s' "$line" | grep -q "read-only"; then
			fail "$name" "a FAT stick through fusefat must be read-only: $line"
		else
			pass "$name ($fs$([ "$fs" = vfat ] && echo ', read-only through fusefat'), $SOURCE events)"
		fi
	else
		fail "$name" "no report: $(tail -n 3 "$T/watch.out" | tr '\n' ' ')"
		kill_watch
	fi
	[ -n "$l" ] && detach "$l"
done

# --- a stick present before watch starts, and a second one at the same time ---
if have_fs ext4; then
	make_stick ext4 "$T/a.img" "FT${RUN}a" && fill_stick ext4 "$T/a.img"
	make_stick ext4 "$T/b.img" "FT${RUN}b" && fill_stick ext4 "$T/b.img"
	la=$(attach "$T/a.img")
	start_watch 2
	lb=$(attach "$T/b.img")
	if wait_lines 2 && stop_watch; then
		n=$(grep -c "you may pull the stick now" "$T/watch.out")
		# one after the other: the second mount only after the first report
		order=$(grep -E "mounted $DEV/mnt/|^ferry: " "$T/watch.out" | sed -e 's/^ferry-agent: .*/mount/' -e 's/^ferry: .*/report/' | tr '\n' ' ')
		if [ "$n" -eq 2 ] && [ "$order" = "mount report mount report " ] && not_mounted; then
			pass media_watch_present_at_start_and_two_sticks_in_turn
		else
			fail media_watch_present_at_start_and_two_sticks_in_turn "reports $n, order: $order"
		fi
	else
		fail media_watch_present_at_start_and_two_sticks_in_turn "$(tail -n 3 "$T/watch.out" | tr '\n' ' ')"
		kill_watch
	fi
	detach "$la"; detach "$lb"
else
	skip media_watch_present_at_start_and_two_sticks_in_turn "no ext4"
fi

# --- the allow-list refuses a stick: not mounted, audited ---------------------
if have_fs ext4; then
	write_config '[ { "vendor": "090c", "product": "*", "serial": "*" } ]'
	start_watch 1
	l=$(attach "$T/a.img")
	if wait_lines 1 && stop_watch; then
		line=$(grep '^ferry: ' "$T/watch.out" | tail -n 1)
		if printf '%s' "$line" | grep -q ": refused: stick not on the allow-list" && not_mounted &&
			! grep -q "mounted $DEV/mnt" "$T/watch.out" &&
			sqlite3 "$DEV/state/agent.db" .dump 2>/dev/null | grep -q 'media.refused'; then
			pass media_allow_list_refuses_and_audits
		else
			fail media_allow_list_refuses_and_audits "$line"
		fi
	else
		fail media_allow_list_refuses_and_audits "$(tail -n 3 "$T/watch.out" | tr '\n' ' ')"
		kill_watch
	fi
	detach "$l"
	write_config
fi

# --- the notify hook saw every result ----------------------------------------
if [ -s "$T/notified" ] && grep -q '^refused|/dev/loop.*|1|stick not on the allow-list' "$T/notified"; then
	if [ "$SOURCE" = udev ] && ! grep -q "^refused|.*|FT${RUN}a-SN|FT${RUN}a|" "$T/notified"; then
		fail media_notify_hook "no USB serial from udev in: $(tail -n 1 "$T/notified")"
	else
		pass media_notify_hook
	fi
else
	fail media_notify_hook "hook output: $(cat "$T/notified" 2>/dev/null | tr '\n' ' ')"
fi
finish
