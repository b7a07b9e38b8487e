# qemu.sh: sourced by tests/vm/run. One test device under QEMU (TCG): power
# on, power cut, the console, sticks hot-plugged over QMP, and commands run by
# "a person at the device" through the 9p control share (tests/vm/guest.sh).
# Needs DISK, CONSOLE, CTL, QMP set by the caller.
VM_PID=
VM_OFF=0   # console offset: waits look only at what came after it

# vm_on: power on (a new QEMU process on the same disk). The disk has no host
# cache (cache=none where O_DIRECT works, else writethrough), so what the
# guest flushed is on the image when QEMU is killed. The BIOS boots only the
# disk (bootindex, strict): a stick left in is never a boot candidate. The
# guest's entropy comes from the host (virtio-rng): without RDRAND under TCG
# the kernel's pool filled only after gpg had waited for it.
vm_on() {
	local cache=none
	[ -n "$VM_PID" ] && vm_cut
	[ "${VM_DIRECT:-yes}" = yes ] || cache=writethrough
	VM_OFF=$(stat -c %s "$CONSOLE" 2>/dev/null || echo 0)
	SPAN= BOOT_LOG= STATUS=
	rm -f "$QMP" "$CTL/status.json"
	qemu-system-x86_64 -machine pc,accel=tcg -m 512 -smp 1 -nodefaults -no-user-config \
		-display none -monitor none -chardev file,id=con,path="$CONSOLE",append=on -serial chardev:con \
		-drive file="$DISK",if=none,id=disk0,format=raw,cache=$cache \
		-device virtio-blk-pci,drive=disk0,id=disk,bootindex=1 -boot strict=on \
		-object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0 \
		-device qemu-xhci,id=xhci \
		-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on \
		-virtfs local,path="$CTL",mount_tag=ctl,security_model=none \
		-qmp unix:"$QMP",server=on,wait=off >>"$T/qemu.log" 2>&1 &
	VM_PID=$!
}

# vm_cut: the power cut (SIGKILL to QEMU).
vm_cut() {
	[ -n "$VM_PID" ] || return 0
	kill -KILL "$VM_PID" 2>/dev/null
	wait "$VM_PID" 2>/dev/null
	VM_PID=
}

vm_console() { tail -c +$((VM_OFF + 1)) "$CONSOLE" 2>/dev/null | tr -d '\r'; }

# vm_wait PATTERN SECONDS: waits for a console line (grep -E) after the
# offset, sets LINE to it and moves the offset past it (so the next wait looks
# at what came later; SPAN holds the text it passed over). Fails (saying why
# on stderr) when the time runs out or QEMU ended. Not in $(…): it sets globals.
# The times are for an idle machine; FERRY_VM_SLOW (default 3) multiplies
# them: under TCG on a machine shared by many a boot took 5 minutes. They
# catch a hang, they do not measure speed.
vm_wait() {
	local pattern=$1 until=$((SECONDS + $2 * ${FERRY_VM_SLOW:-3})) hit off line
	while [ $SECONDS -lt $until ]; do
		if hit=$(tail -c +$((VM_OFF + 1)) "$CONSOLE" 2>/dev/null | grep -a -b -m 1 -E -- "$pattern"); then
			off=${hit%%:*} line=${hit#*:}
			SPAN=$(tail -c +$((VM_OFF + 1)) "$CONSOLE" | head -c $((off + ${#line})) | tr -d '\r')
			VM_OFF=$((VM_OFF + off + ${#line} + 1))
			LINE=${line%$'\r'}
			return 0
		fi
		[ -n "$VM_PID" ] && ! kill -0 "$VM_PID" 2>/dev/null && { VM_PID=; break; }
		sleep 0.5
	done
	echo "no '$pattern' on the console within $(($2 * ${FERRY_VM_SLOW:-3})) s; last lines: $(vm_console | tail -n 4 | tr '\n' '|')" >&2
	return 1
}

# vm_boot SECONDS: waits for the next boot to be up (guest.sh said "ready").
# Sets BOOTED (its "booted slot=… version=…" line), BOOT_LOG (the console up
# to "ready": GRUB's choices, a panicking slot, the commit step) and STATUS
# (its status --json, from $CTL/status.json).
vm_boot() {
	BOOTED= STATUS=
	vm_wait 'FERRYVM booted' "$1" || return 1
	BOOTED=$LINE BOOT_LOG=$SPAN
	vm_wait 'FERRYVM status ' 120 || return 1
	# the file the guest wrote whole before the line (vm_on removed the last
	# boot's); the console line only if the share failed
	if [ -s "$CTL/status.json" ]; then
		STATUS=$(tr -d '\n' <"$CTL/status.json")
	else
		STATUS=$(printf '%s' "$LINE" | sed 's/^FERRYVM status //; s/ \[up [0-9.]*\]$//')
	fi
	BOOT_LOG=$BOOT_LOG$'\n'$BOOTED$'\n'$SPAN
	vm_wait 'FERRYVM ready' 120
}

# status_get KEY...: a value from the last boot's status --json.
status_get() {
	printf '%s' "$STATUS" | python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]: v = v[int(k)] if isinstance(v, list) else v[k]
print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$@" 2>/dev/null
}
# The events of the last boot's status (its last 8 records), oldest first.
last_events() {
	printf '%s' "$STATUS" | python3 -c 'import json, sys
print(" ".join(r["event"] for r in json.load(sys.stdin)["last_records"]))' 2>/dev/null
}

qmp() { python3 "$FERRY_ROOT/tests/vm/qmp.py" "$QMP" "$@" >/dev/null; }

# plug IMAGE ID SERIAL: a usb-storage stick on the xHCI bus (QEMU's identity:
# vendor 46f4, product 0001; the serial given).
plug() {
	qmp blockdev-add "{\"driver\":\"raw\",\"node-name\":\"d$2\",\"file\":{\"driver\":\"file\",\"filename\":\"$1\"}}" &&
		qmp device_add "{\"driver\":\"usb-storage\",\"bus\":\"xhci.0\",\"drive\":\"d$2\",\"id\":\"u$2\",\"serial\":\"$3\",\"removable\":true}"
}

# pull ID: the stick is pulled (then its image is the host's again).
pull() {
	qmp device_del "{\"id\":\"u$1\"}" || return 1
	for _ in $(seq 20); do qmp blockdev-del "{\"node-name\":\"d$1\"}" 2>/dev/null && return 0; sleep 0.5; done
	return 1
}

# at_device SECONDS SCRIPT: runs SCRIPT (bash) on the device; prints its
# output, returns its exit code (124 when it did not answer in time).
at_device() {
	local id until=$((SECONDS + $1 * ${FERRY_VM_SLOW:-3}))
	id=$(date +%s%N)   # unique without a counter: callers run this in $(…)
	printf '%s\n' "$2" >"$CTL/.req.$id" && mv "$CTL/.req.$id" "$CTL/req.$id"
	while [ ! -e "$CTL/rc.$id" ]; do
		[ $SECONDS -lt $until ] || { echo "the device did not answer within $1 s"; return 124; }
		sleep 0.3
	done
	cat "$CTL/out.$id"
	return "$(cat "$CTL/rc.$id")"
}
