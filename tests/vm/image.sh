# image.sh: sourced by tests/vm/run. Builds the test device's parts at test
# time, without mounting anything: the Debian kernel (apt-get download +
# dpkg -x into $VM_CACHE, never the host's /boot), slot images (ext2 holding a
# busybox initramfs), and the disk: a DOS label with
#   1 boot  ext2 16 MiB: GRUB's grub.cfg + grubenv, the kernel
#   2 slot A 32 MiB, 3 slot B 32 MiB: an ext2 image each (initrd.img)
#   4 data  ext4 32 MiB: agent.json, the trust store, state_dir
# GRUB for BIOS (grub-pc-bin): boot.img in the MBR, core.img in the gap
# before the first partition, as grub-install would put them.
KVER=
KROOT=

vm_kernel_package() {   # linux-image-amd64's kernel package
	apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9].*\)/\1/p' | head -n 1
}

# vm_kernel: the Debian kernel and its modules in $VM_CACHE/kernel (kept
# between runs); sets KVER and KROOT.
vm_kernel() {
	KROOT=$VM_CACHE/kernel
	if ! ls "$KROOT"/boot/vmlinuz-* >/dev/null 2>&1; then
		local dl=$VM_CACHE/deb pkg
		rm -rf "$dl" "$KROOT" && mkdir -p "$dl" "$KROOT" || return 1
		pkg=$(vm_kernel_package)
		[ -n "$pkg" ] || { apt-get update -qq >/dev/null 2>&1; pkg=$(vm_kernel_package); }
		[ -n "$pkg" ] || { echo "apt-cache knows no linux-image-amd64"; return 1; }
		(cd "$dl" && apt-get download "$pkg" >/dev/null 2>&1) || { echo "apt-get download $pkg failed"; return 1; }
		dpkg -x "$dl"/*.deb "$KROOT" || return 1
		rm -rf "$dl"
	fi
	KVER=$(basename "$(ls -d "$KROOT"/lib/modules/* | head -n 1)")
	[ -e "$KROOT/lib/modules/$KVER/modules.dep" ] || depmod -b "$KROOT" "$KVER"
}

# The initramfs's modules, loaded by tests/vm/init in this order: the host
# over virtio-9p, the disk, USB sticks and their filesystems (from the
# initramfs: loading them over 9p took 15 s under TCG).
vm_initrd_modules() {   # DIR
	local m f
	mkdir -p "$1/modules"
	: >"$1/modules.order"
	for m in virtio_pci virtio_rng 9pnet_virtio 9p virtio_blk xhci_pci usb_storage sd_mod crc32c_generic ext4 vfat exfat \
		nls_cp437 nls_ascii nls_utf8; do
		modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" | while read -r _ f; do
			f=$(basename "$f")
			grep -qx "$f" "$1/modules.order" && continue
			cp "$(find "$KROOT/lib/modules/$KVER" -name "$f")" "$1/modules/" && echo "$f" >>"$1/modules.order"
		done
	done
}

# The kernel skips its IO-APIC timer check (no_timer_check, as VM images
# do): under TCG on a loaded host it failed ("MP-BIOS bug: 8254 timer not
# connected") and the kernel probed the other timer routings.
# GRUB reads what it boots (the kernel, initrd.img) one filesystem block per
# BIOS call, and a BIOS call is slow under TCG: the boot partition and the
# slots have 4 KiB blocks (mke2fs gives a small filesystem 1 KiB ones, and
# loading the kernel and initrd then took GRUB minutes on a loaded machine).

# vm_slot_image OUT VERSION [BROKEN] [MIB]: an ext2 image holding initrd.img,
# whose /init (tests/vm/init) runs tests/vm/guest.sh and says it runs VERSION.
# MIB (default 4) above 4 fills the rest with a file of text (it compresses
# in the bundle yet is told apart from an empty slot, MiB by MiB).
vm_slot_image() {
	local out=$1 version=$2 broken=${3:-0} mib=${4:-4} d
	d=$(mktemp -d "$T/initrd.XXXXXX")
	mkdir -p "$d/bin" "$d/proc" "$d/sys" "$d/dev" "$d/fs"
	cp "$(command -v busybox)" "$d/bin/busybox"
	for a in sh mount insmod mkdir cat echo chroot poweroff sleep; do ln -s busybox "$d/bin/$a"; done
	cp "$FERRY_ROOT/tests/vm/init" "$d/init" && chmod 755 "$d/init"
	printf 'ROOT=%s\nVERSION=%s\nBROKEN=%s\n' "$FERRY_ROOT" "$version" "$broken" >"$d/slot"
	vm_initrd_modules "$d"
	(cd "$d" && find . ! -path ./fs ! -path './fs/*' | cpio -o -H newc --quiet | gzip -1) >"$d/fs/initrd.img" || return 1
	[ "$mib" -le 4 ] || yes "ferry slot $version" | head -c $(((mib - 5) * 1024 * 1024)) >"$d/fs/fill"
	rm -f "$out"
	mke2fs -q -t ext2 -b 4096 -L "slot-$version" -d "$d/fs" "$out" "${mib}M" || return 1
	rm -rf "$d"
}

# vm_grub_cfg: RAUC's counting (docs/agent.md §4) in GRUB's script language,
# which has no arithmetic: a counter goes 3 → 2 → 1 → 0 by comparison.
vm_grub_cfg() {
	cat <<'EOF'
set timeout=0
serial --unit=0 --speed=115200
terminal_output serial
set BOOT_ORDER="A B"
set BOOT_A_LEFT=3
set BOOT_B_LEFT=3
load_env BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT
set slot=
for s in $BOOT_ORDER; do
	if [ -z "$slot" -a "$s" = A -a "$BOOT_A_LEFT" -gt 0 ]; then
		set slot=a; set part=2
		if [ "$BOOT_A_LEFT" -gt 2 ]; then set BOOT_A_LEFT=2
		elif [ "$BOOT_A_LEFT" -gt 1 ]; then set BOOT_A_LEFT=1
		else set BOOT_A_LEFT=0; fi
	fi
	if [ -z "$slot" -a "$s" = B -a "$BOOT_B_LEFT" -gt 0 ]; then
		set slot=b; set part=3
		if [ "$BOOT_B_LEFT" -gt 2 ]; then set BOOT_B_LEFT=2
		elif [ "$BOOT_B_LEFT" -gt 1 ]; then set BOOT_B_LEFT=1
		else set BOOT_B_LEFT=0; fi
	fi
done
if [ -z "$slot" ]; then
	echo "no slot has tries left: both reset to 3, booting again"
	set BOOT_A_LEFT=3
	set BOOT_B_LEFT=3
	save_env BOOT_A_LEFT BOOT_B_LEFT BOOT_ORDER
	reboot
fi
save_env BOOT_A_LEFT BOOT_B_LEFT BOOT_ORDER
echo "GRUB: BOOT_ORDER=$BOOT_ORDER A_LEFT=$BOOT_A_LEFT B_LEFT=$BOOT_B_LEFT: slot $slot"
linux (hd0,msdos1)/vmlinuz console=ttyS0 panic=1 quiet loglevel=4 no_timer_check ferry.slot=$slot
initrd (hd0,msdos$part)/initrd.img
echo "GRUB: kernel and initrd loaded"
boot
EOF
}

# vm_slot_offset a|b: where the slot's partition starts on the disk, in MiB.
vm_slot_offset() { [ "$1" = a ] && echo 17 || echo 49; }

# vm_disk OUT SLOT_A_IMG DATA_DIR: the whole disk; slot B starts empty.
vm_disk() {
	local out=$1 slot_a=$2 data=$3 w
	w=$(mktemp -d "$T/disk.XXXXXX")
	mkdir -p "$w/boot/grub"
	cp "$(ls "$KROOT"/boot/vmlinuz-*)" "$w/boot/vmlinuz"
	vm_grub_cfg >"$w/boot/grub/grub.cfg"
	grub-editenv "$w/boot/grub/grubenv" create
	mke2fs -q -t ext2 -b 4096 -L boot -d "$w/boot" "$w/boot.img" 16M &&
		mke2fs -q -t ext4 -L data -d "$data" "$w/data.img" 32M || return 1
	grub-mkimage -O i386-pc -o "$w/core.img" -p '(hd0,msdos1)/grub' \
		biosdisk part_msdos ext2 normal configfile loadenv test linux echo reboot serial terminal || return 1
	rm -f "$out" && truncate -s 115M "$out"
	printf 'label: dos\nstart=2048, size=16M, type=83\nsize=32M, type=83\nsize=32M, type=83\nsize=32M, type=83\n' |
		sfdisk -q "$out" || return 1
	dd if="$w/boot.img" of="$out" bs=1M seek=1 conv=notrunc status=none &&
		dd if="$slot_a" of="$out" bs=1M seek=17 conv=notrunc status=none &&
		dd if="$w/data.img" of="$out" bs=1M seek=81 conv=notrunc status=none || return 1
	# The MBR's code (446 bytes, the partition table stays), then core.img
	# from sector 1: boot.img's and diskboot's default sectors point there.
	dd if=/usr/lib/grub/i386-pc/boot.img of="$out" bs=446 count=1 conv=notrunc status=none &&
		dd if="$w/core.img" of="$out" bs=512 seek=1 conv=notrunc status=none || return 1
	rm -rf "$w"
}
