# bench/peers/rauc.sh (sourced): RAUC's install of a plain (CMS-signed
# squashfs) bundle holding a raw image into a raw slot, through `rauc
# service` on a private D-Bus system bus and a custom bootloader backend
# that keeps its state in files. Everything lives under one work directory.
#   rauc_available                    true when rauc, dbus-daemon, mksquashfs are here (as root)
#   rauc_setup DIR IMAGE SLOT_A SLOT_B    bundle, system.conf, bus and service
#   rauc_install DIR                  rauc install, then sync the slot
#   rauc_service_rss DIR              the service's peak RSS in KiB (it does the work)
#   rauc_stop DIR                     stops the service and the bus
rauc_available() {
	command -v rauc >/dev/null && command -v dbus-daemon >/dev/null && command -v mksquashfs >/dev/null &&
		command -v openssl >/dev/null && [ "$(id -u)" -eq 0 ]
}

rauc_setup() {
	local d=$1 img=$2 a=$3 b=$4
	mkdir -p "$d/content" "$d/mnt" "$d/boot"
	openssl req -x509 -newkey rsa:3072 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 30 \
		-subj "/O=ferry-bench/CN=rauc signer" 2>/dev/null || return 1
	cat >"$d/bootloader.sh" <<'EOS'
#!/bin/sh
S=$RAUC_BENCH_STATE
case "$1" in
  get-primary) cat "$S/primary" 2>/dev/null || echo A ;;
  set-primary) echo "$2" >"$S/primary" ;;
  get-state) cat "$S/state.$2" 2>/dev/null || echo good ;;
  set-state) echo "$3" >"$S/state.$2" ;;
  get-current) echo A ;;
  *) exit 1 ;;
esac
EOS
	chmod 755 "$d/bootloader.sh"
	cat >"$d/system.conf" <<EOC
[system]
compatible=ferry-bench
bootloader=custom
mountprefix=$d/mnt
statusfile=$d/status.raucs
[handlers]
bootloader-custom-backend=$d/bootloader.sh
[keyring]
path=$d/cert.pem
[slot.rootfs.0]
device=$a
type=raw
bootname=A
[slot.rootfs.1]
device=$b
type=raw
bootname=B
EOC
	cat >"$d/dbus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$d/bus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>
EOC
	ln -f "$img" "$d/content/rootfs.img" 2>/dev/null || cp "$img" "$d/content/rootfs.img"
	printf '[update]\ncompatible=ferry-bench\nversion=1.0\n\n[bundle]\nformat=plain\n\n[image.rootfs]\nfilename=rootfs.img\n' \
		>"$d/content/manifest.raucm"
	rm -f "$d/bench.raucb"
	rauc bundle --cert="$d/cert.pem" --key="$d/key.pem" "$d/content" "$d/bench.raucb" >"$d/bundle.log" 2>&1 ||
		{ cat "$d/bundle.log" >&2; return 1; }
	rm -f "$d/bus.sock"
	dbus-daemon --config-file="$d/dbus.conf" --fork --print-pid >"$d/dbus.pid" || return 1
	DBUS_SYSTEM_BUS_ADDRESS=unix:path=$d/bus.sock RAUC_BENCH_STATE=$d/boot \
		rauc service --conf="$d/system.conf" --override-boot-slot=A >"$d/service.log" 2>&1 &
	echo $! >"$d/service.pid"
	echo "$b" >"$d/slot"
	sleep 1
}

rauc_install() {
	local d=$1
	DBUS_SYSTEM_BUS_ADDRESS=unix:path=$d/bus.sock rauc install --conf="$d/system.conf" "$d/bench.raucb" &&
		sync "$(cat "$d/slot")"
}

rauc_service_rss() {
	awk '/VmHWM/ { print $2 }' "/proc/$(cat "$1/service.pid")/status" 2>/dev/null || echo 0
}

rauc_stop() {
	local d=$1 p
	for p in service dbus; do
		[ -f "$d/$p.pid" ] && kill "$(cat "$d/$p.pid")" 2>/dev/null
		rm -f "$d/$p.pid"
	done
	return 0
}
