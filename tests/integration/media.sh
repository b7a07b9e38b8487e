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
# A stick is a loop device with a partition added by partx (the kernel may
# have no partition-table parsers, so losetup -P alone makes no p1).
probe=$(mktemp /tmp/fl.XXXXXX)
truncate -s 2M "$probe"
printf 'label: dos\nstart=2048, type=7\n' | sfdisk -q "$probe"
if ! dev=$(losetup -f --show "$probe" 2>/dev/null); then
	rm -f "$probe"; skip media "cannot attach a loop device (losetup: no free device or no permission)"; finish
fi
partx -a "$dev" 2>/dev/null; have_p1=no; [ -b "${dev}p1" ] && have_p1=yes
partx -d "$dev" 2>/dev/null; losetup -d "$dev"; rm -f "$probe"
if [ $have_p1 = no ]; then skip media "partx cannot add a partition of a loop device here"; finish; fi

# One run at a time on this machine: runs from several worktrees would share
# (and stop each other's) udevd.
exec 9>/run/lock/ferry-media-test.lock
if ! flock -w 600 9; then skip media "another media test held the lock for 10 minutes"; finish; fi

RUN=$(printf '%05d' $((RANDOM % 100000)))
LOOPS=()
WATCH_PID=
UDEVD_PID=
RULE=/run/udev/rules.d/99-ferry-test-$RUN.rules
kill_watch() {   # a watcher left by a failed case
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
	WATCH_PID=
}
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

# --- keys, a signed policy and a provisioned virtual device -------------------
K="ferry-keys --homedir $T/keys"
$K init --root-name Root >/dev/null &&
	REL=$($K signer add Release --role release --device-type 'gw-*') &&
	$K policy sign -o "$T/policy" >/dev/null &&
	$K provision "$T/dev0" --device-id gw-0001 --device-type gw-x --hw-revision 2 \
		--installed gateway-os=2.3.0 >/dev/null || { fail media_setup "ferry-keys could not provision a device"; finish; }
cat >"$T/notify.sh" <<EOF
#!/bin/sh
echo "\$FERRY_RESULT|\$FERRY_DEVICE|\$FERRY_SERIAL|\$FERRY_LABEL|\$FERRY_MAY_PULL|\$FERRY_MESSAGE" >>"$T/notified"
EOF
chmod +x "$T/notify.sh"
# new_device NAME [ALLOW_JSON]: a fresh copy of the provisioned device whose
# media section matches this run's sticks; sets DEV.
new_device() {
	DEV=$T/$1
	cp -a "$T/dev0" "$DEV"
	python3 - "$DEV/agent.json" "$DEV/mnt" "$T/notify.sh" "${2:-}" <<EOF
import json, sys
path, mnt, hook, allow = sys.argv[1:5]
c = json.load(open(path))
c["media"] = { "match": { $MATCH }, "mount_dir": mnt, "notify": hook }
if allow:
    c["media"]["allow"] = json.loads(allow)
json.dump(c, open(path, "w"), indent=2)
EOF
}
boot_order() {   # the virtual bootloader's BOOT_ORDER ("A B" until a switch)
	python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("BOOT_ORDER", "A B"))
except FileNotFoundError: print("A B")' "$DEV/state/bootenv.json"
}
agent_state() {
	ferry-agent -c "$DEV/agent.json" --json status 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'
}

# --- bundles ------------------------------------------------------------------
make_bundle() {   # make_bundle NAME VERSION SIZE OUT [unsigned]
	mkdir -p "$T/in"
	head -c "$3" /dev/urandom >"$T/in/$1.img"
	cat >"$T/in/$1.json" <<EOF
{ "format": 1, "name": "$1", "version": "$2", "security_version": 1,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"], "hw_revision": ">=2" },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "$1.img" } ] } ] }
EOF
	local sign=(--sign "$REL")
	[ -n "${5:-}" ] && sign=()
	ferry-pack -q --homedir "$T/keys/gnupg" create "$T/in/$1.json" -o "$4" "${sign[@]}"
}
BUNDLE=$T/gateway-os.ferry
make_bundle gateway-os 2.4.1 4000000 "$BUNDLE" || { fail media_setup "ferry-pack could not create the bundle"; finish; }
BUNDLE_SHA=$(sha256sum "$BUNDLE" | cut -d' ' -f1)

# --- sticks ------------------------------------------------------------------
attach() {   # attach IMAGE: "insert" the stick; prints the loop device
	local l
	l=$(losetup -f --show "$1") || return 1
	LOOPS+=("$l")
	# a loop device detached without partx -d keeps a stale partition, which
	# partx -a cannot add again: -u makes it this image's
	partx -a "$l" 2>/dev/null || partx -u "$l" || return 1
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

have_fs() {   # have_fs FS: the tools to make and mount it
	case $1 in
	exfat) command -v mkfs.exfat >/dev/null && command -v mount.exfat-fuse >/dev/null && [ -e /dev/fuse ] &&
		grep -qw fuse /proc/filesystems ;;
	ext4)  command -v mkfs.ext4 >/dev/null && grep -qw ext4 /proc/filesystems ;;
	vfat)  command -v mkfs.vfat >/dev/null && command -v fusefat >/dev/null && command -v mcopy >/dev/null &&
		[ -e /dev/fuse ] && grep -qw fuse /proc/filesystems ;;
	esac
}

# The layout on a mounted stick ($M), checked against the bundle's own hash.
write_mounted() {
	ferry-pack -q write "$M" "$BUNDLE" --policy "$T/policy" &&
		grep -q "\"sha256\": \"$BUNDLE_SHA\"" "$M/ferry/MEDIA.json" &&
		cmp -s "$BUNDLE" "$M/ferry/bundles/gateway-os-2.4.1.ferry" &&
		cmp -s "$T/policy/policy.json" "$M/ferry/policy/policy.json" &&
		cmp -s "$T/policy/policy.json.sig" "$M/ferry/policy/policy.json.sig"
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
# The audit export on the stick: signed JSON lines naming this stick.
check_export() {
	local f
	f=$(ls "$M"/ferry/audit/gw-0001/gw-0001.*.jsonl 2>/dev/null | tail -n 1)
	[ -n "$f" ] && [ -s "$f.sig" ] && [ -s "$M/ferry/audit/gw-0001/inventory.json" ] &&
		grep -q '"event":"install.finished"' "$f" && grep '"event":"install.finished"' "$f" |
		grep -q "\"label\":\"$EXPECT_LABEL\"" &&
		{ [ "$SOURCE" != udev ] || grep '"event":"install.finished"' "$f" |
			grep "\"usb_serial\":\"$EXPECT_LABEL-SN\"" | grep '"usb_product":"5581","usb_serial"' | grep -q '"usb_vendor":"0781"'; }
}

# --- ferry-pack write refuses before writing anything -------------------------
if have_fs ext4; then
	make_stick ext4 "$T/small.img" "FT${RUN}s" 12M
	make_bundle big-os 1.0.0 16000000 "$T/big.ferry"
	make_bundle unsigned-os 1.0.0 1000 "$T/unsigned.ferry" unsigned
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

# --- watch -------------------------------------------------------------------
start_watch() {   # start_watch MAX_STICKS
	kill_watch
	: >"$T/watch.out"
	ferry-agent -c "$DEV/agent.json" -v watch --source "$SOURCE" --max-sticks "$1" >>"$T/watch.out" 2>&1 9>&- &
	WATCH_PID=$!
	for _ in $(seq 50); do grep -q "watching for sticks" "$T/watch.out" && return 0; sleep 0.1; done
	return 1
}
REPORT='^ferry: .*: \(success\|failure\|refused\|nothing\): '
wait_lines() {   # wait_lines N: until N sticks were reported (or 60 s)
	for _ in $(seq 600); do
		[ "$(grep -c "$REPORT" "$T/watch.out")" -ge "$1" ] && return 0
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ "$(grep -c "$REPORT" "$T/watch.out")" -ge "$1" ]
}
stop_watch() {   # the watcher exits by itself after --max-sticks; 0 when clean
	local rc
	for _ in $(seq 100); do kill -0 "$WATCH_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$WATCH_PID" 2>/dev/null
	wait "$WATCH_PID"; rc=$?
	WATCH_PID=
	return $rc
}
not_mounted() { ! grep -q " $DEV/mnt/" /proc/self/mountinfo; }
last_report() { grep "$REPORT" "$T/watch.out" | tail -n 1; }
watch_failed() { fail "$1" "${2:-no report}: $(tail -n 4 "$T/watch.out" | tr '\n' ' ')"; kill_watch; }

# --- idle: poll on the monitor socket, no CPU ----------------------------------
new_device d-idle
start_watch 1
sleep 0.5
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$WATCH_PID/stat"; }
before=$(cpu_ticks); sleep 3; after=$(cpu_ticks)
if [ -n "$before" ] && [ $((after - before)) -le 1 ]; then
	pass "media_watch_idle_uses_no_cpu ($((after - before)) clock ticks in 3 s)"
else
	fail media_watch_idle_uses_no_cpu "$((after - before)) clock ticks in 3 s idle"
fi
kill "$WATCH_PID"; wait "$WATCH_PID"; rc=$?; WATCH_PID=
[ $rc -eq 0 ] && grep -q "stopped after 0 stick(s)" "$T/watch.out" && pass media_watch_sigterm_stops_cleanly ||
	fail media_watch_sigterm_stops_cleanly "exit $rc: $(tail -n 2 "$T/watch.out" | tr '\n' ' ')"

# --- one stick per filesystem: written, inserted, installed, exported ---------
for fs in exfat ext4 vfat; do
	name=media_watch_$fs
	[ "$fs" = vfat ] && name=media_watch_fat32_readonly
	if ! have_fs "$fs"; then skip "$name" "no $fs support here (mkfs, FUSE helper, mtools or kernel driver missing)"; continue; fi
	img=$T/$fs.img
	case $fs in exfat) label=FT${RUN}X ;; ext4) label=FT${RUN}E ;; vfat) label=FT${RUN}F ;; esac
	if ! make_stick "$fs" "$img" "$label"; then fail "$name" "cannot make the $fs stick"; continue; fi
	if fill_stick "$fs" "$img"; then
		pass "media_write_$fs (ferry-pack write with the policy, MEDIA.json hash = bundle hash$([ "$fs" = vfat ] && echo ', copied into FAT32 with mtools'))"
	else
		fail "media_write_$fs" "ferry-pack write onto the $fs stick failed"; continue
	fi
	new_device "d-$fs"
	# the stick's mount options while the install reads it (issue 11 item 10)
	mkdir -p "$DEV/hooks.d/pre_install.d"
	printf '#!/bin/sh\nawk -v d=%s/mnt/ '"'"'index($5, d) == 1 { print $6 }'"'"' /proc/self/mountinfo >%s\n' \
		"$DEV" "$T/opts-$fs" >"$DEV/hooks.d/pre_install.d/10-opts"
	chmod +x "$DEV/hooks.d/pre_install.d/10-opts"
	start_watch 1 || { watch_failed "$name" "watch did not start"; continue; }
	l=$(attach "$img")
	if ! wait_lines 1 || ! stop_watch; then watch_failed "$name"; detach "$l"; continue; fi
	detach "$l"
	line=$(last_report)
	if ! printf '%s' "$line" | grep -q ": success: 1 installed.*you may pull the stick now"; then
		fail "$name" "unexpected report: $line"
	elif ! grep -q "installed into slot b" "$T/watch.out" || [ "$(agent_state)" != installed ]; then
		fail "$name" "not installed: state $(agent_state)"
	elif ! not_mounted; then
		fail "$name" "still mounted after the report"
	elif [ "$fs" = vfat ]; then
		printf '%s' "$line" | grep -q "audit log not exported: the stick is mounted read-only through fuse.fusefat" &&
			pass "$name (FAT32 read-only through fusefat, installed, export skipped and said so, $SOURCE events)" ||
			fail "$name" "a FAT stick through fusefat must be read-only and say so: $line"
	else
		pass "$name ($fs, installed, $SOURCE events)"
		if [ "$fs" = ext4 ]; then   # the kernel's driver: read-only until the export
			[[ ,$(cat "$T/opts-$fs" 2>/dev/null), == ,ro,* ]] &&
				pass "media_read_only_while_reading_$fs (remounted read-write only to export)" ||
				fail "media_read_only_while_reading_$fs" "options during the install: $(cat "$T/opts-$fs" 2>/dev/null)"
		fi
		EXPECT_LABEL=$label
		what="label"; [ "$SOURCE" = udev ] && what="label, USB serial, vendor and product"
		if with_mounted "$img" "$fs" check_export; then
			pass "media_export_read_back_$fs (signed audit log on the stick, records carry the stick's $what)"
		else
			fail "media_export_read_back_$fs" "no signed export with this stick's identity on the image"
		fi
	fi
done

# --- a stick present before watch starts, and a second one at the same time ---
if have_fs ext4 && [ -e "$T/ext4.img" ]; then
	cp "$T/ext4.img" "$T/a.img"
	make_stick ext4 "$T/b.img" "FT${RUN}b" && fill_stick ext4 "$T/b.img"
	new_device d-two
	la=$(attach "$T/a.img")
	start_watch 2
	lb=$(attach "$T/b.img")
	if wait_lines 2 && stop_watch; then
		n=$(grep -c "you may pull the stick now" "$T/watch.out")
		# one after the other: the second mount only after the first report
		order=$(grep -e "mounted $DEV/mnt/" -e "$REPORT" "$T/watch.out" | sed -e 's/^ferry-agent: .*/mount/' -e 's/^ferry: .*/report/' | tr '\n' ' ')
		if [ "$n" -eq 2 ] && [ "$order" = "mount report mount report " ] && not_mounted; then
			pass media_watch_present_at_start_and_two_sticks_in_turn
		else
			fail media_watch_present_at_start_and_two_sticks_in_turn "reports $n, order: $order"
		fi
	else
		watch_failed media_watch_present_at_start_and_two_sticks_in_turn
	fi
	detach "$la"; detach "$lb"
else
	skip media_watch_present_at_start_and_two_sticks_in_turn "no ext4"
fi

# --- the allow-list refuses a stick: not mounted, audited ---------------------
if have_fs ext4 && [ -e "$T/ext4.img" ]; then
	new_device d-refuse '[ { "vendor": "090c", "product": "*", "serial": "*" } ]'
	start_watch 1
	l=$(attach "$T/ext4.img")
	if wait_lines 1 && stop_watch; then
		line=$(last_report)
		if printf '%s' "$line" | grep -q ": refused: stick not on the allow-list" && not_mounted &&
			! grep -q "mounted $DEV/mnt" "$T/watch.out" && [ "$(agent_state)" = idle ] &&
			ferry-agent -c "$DEV/agent.json" --json status | grep -q '"media.refused"'; then
			pass media_allow_list_refuses_and_audits
		else
			fail media_allow_list_refuses_and_audits "$line; state $(agent_state)"
		fi
	else
		watch_failed media_allow_list_refuses_and_audits
	fi
	detach "$l"
fi

# --- a stick whose ferry/ is a link into the device: refused, nothing exported -
# (issue 11 items 4 and 3: the export after the refusal goes through the same
# checks; the folder the link names stands for the device and must not change)
if have_fs ext4; then
	img=$T/link.img
	if make_stick ext4 "$img" "FT${RUN}L" 16M; then
		mkdir -p "$T/linked/etc" && echo "root:x:0:0" >"$T/linked/etc/passwd"
		before=$(cd "$T/linked" && find . -printf '%p %s\n' | sort)
		link_ferry() { ln -s "$T/linked" "$M/ferry"; }
		with_mounted "$img" ext4 link_ferry
		new_device d-link
		start_watch 1
		l=$(attach "$img")
		if wait_lines 1 && stop_watch; then
			line=$(last_report)
			if [ "$(cd "$T/linked" && find . -printf '%p %s\n' | sort)" != "$before" ]; then
				fail media_watch_ferry_link_exports_nothing "the linked folder changed: $(ls -R "$T/linked" | tr '\n' ' ')"
			elif ! printf '%s' "$line" | grep -q "symbolic link" || ! not_mounted; then
				fail media_watch_ferry_link_exports_nothing "unexpected report: $line"
			else
				pass media_watch_ferry_link_exports_nothing
			fi
		else
			watch_failed media_watch_ferry_link_exports_nothing
		fi
		detach "$l"
	else
		fail media_watch_ferry_link_exports_nothing "cannot make the ext4 stick"
	fi
else
	skip media_watch_ferry_link_exports_nothing "no ext4"
fi

# --- a stick pulled in the middle of an install --------------------------------
# A device-local pre_install hook marks the moment the install has the bundle
# open; the test then kills the stick's FUSE daemon (the kernel answers
# ENOTCONN from then on, as for a pulled stick), and the install must stop
# without switching the slot; the daemon then takes the next stick.
if have_fs exfat && [ -e "$T/exfat.img" ]; then
	new_device d-pull
	mkdir -p "$DEV/hooks.d/pre_install.d"
	printf '#!/bin/sh\n[ -e %s ] && exit 0\ntouch %s\nsleep 3\n' "$T/pulled" "$T/pull-marker" \
		>"$DEV/hooks.d/pre_install.d/10-slow"
	chmod +x "$DEV/hooks.d/pre_install.d/10-slow"
	cp "$T/exfat.img" "$T/pull.img"
	start_watch 2
	l=$(attach "$T/pull.img")
	for _ in $(seq 300); do [ -e "$T/pull-marker" ] && break; sleep 0.1; done
	opts=$(awk -v d="$DEV/mnt/$(basename "$l")p1" '$5 == d { print $6 }' /proc/self/mountinfo)
	missing=
	for o in nosuid nodev noexec; do [[ ,$opts, == *,$o,* ]] || missing="$missing $o"; done
	[ -n "$opts" ] && [ -z "$missing" ] && pass "media_mount_is_nosuid_nodev_noexec (exFAT through FUSE: $opts)" ||
		fail media_mount_is_nosuid_nodev_noexec "mount options '$opts' lack:$missing"
	fuse_pid=$(pgrep -f "mount.exfat-fuse ${l}p1 $DEV/mnt/" | head -n 1)
	if [ -z "$fuse_pid" ]; then
		watch_failed media_pulled_stick_abandoned_safely "the install never reached pre_install on a FUSE mount"
	else
		kill -9 "$fuse_pid"; touch "$T/pulled"
		if wait_lines 1; then
			line=$(last_report)
			if printf '%s' "$line" | grep -q ": failure: .*the stick was pulled or stopped answering" &&
				[ "$(agent_state)" != installed ] && [ "$(boot_order)" = "A B" ] &&
				! grep -q " $DEV/mnt/" /proc/self/mountinfo; then
				pass "media_pulled_stick_abandoned_safely (FUSE daemon killed mid-install: state $(agent_state), bootloader untouched, lazily detached)"
			else
				fail media_pulled_stick_abandoned_safely "$line; state $(agent_state)"
			fi
			# the record names the cause, as the console line does (issue 11 item 12)
			failed=$(ferry-agent -c "$DEV/agent.json" --json status 2>/dev/null | python3 -c '
import json,sys
r=[x for x in json.load(sys.stdin).get("last_records", []) if x["event"] == "install.failed"]
print(r[-1].get("code", "") + " " + r[-1]["detail"]["error"] if r else "no install.failed record")')
			[[ $failed == medium-gone*"stick went away"* ]] && pass media_pulled_stick_record_names_cause ||
				fail media_pulled_stick_record_names_cause "$failed"
			detach "$l"
			l=$(attach "$T/exfat.img")
			if wait_lines 2 && stop_watch && last_report | grep -q ": success: 1 installed"; then
				pass media_daemon_goes_on_after_a_pulled_stick
			else
				watch_failed media_daemon_goes_on_after_a_pulled_stick
			fi
		else
			watch_failed media_pulled_stick_abandoned_safely
		fi
	fi
	detach "$l"
else
	skip media_pulled_stick_abandoned_safely "no exFAT through FUSE"
fi

# --- the notify hook saw every result ----------------------------------------
if grep -q '^busy|/dev/loop.*|0|working with the stick' "$T/notified" 2>/dev/null &&
	grep -q '^success|/dev/loop.*|1|' "$T/notified" &&
	grep -q '^refused|/dev/loop.*|1|stick not on the allow-list' "$T/notified"; then
	if [ "$SOURCE" = udev ] && ! grep -q "^refused|.*|FT${RUN}E-SN|FT${RUN}E|" "$T/notified"; then
		fail media_notify_hook "no USB serial from udev in: $(grep '^refused' "$T/notified")"
	else
		pass media_notify_hook
	fi
else
	fail media_notify_hook "hook output: $(tr '\n' ' ' <"$T/notified" 2>/dev/null)"
fi
finish
