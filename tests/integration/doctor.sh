#!/bin/bash
# doctor: `ferry-agent doctor` on a device provisioned by ferry-keys (virtual:
# file slots, a JSON boot environment): every check passes, then each check
# fails once, alone, with its reason and exit 1; --json says the same; doctor
# changes nothing on the device.
source "$(dirname "$0")/lib.sh"

export FERRY_KEYS_HOME=$T/keys
ferry-keys -q init --root-name "Test Root" >/dev/null
ferry-keys -q policy sign -o "$T/policy" >/dev/null
D=$T/dev
ferry-keys provision "$D" --device-id gw-0001 --device-type gw-x >/dev/null ||
	{ fail provision "ferry-keys provision failed"; finish; }
mkdir -p -m 0755 "$T/media"
cp "$D/agent.json" "$T/orig.json"
# cfg PY: agent.json = the original changed by the python statement PY (on c).
cfg() {
	python3 - "$T/orig.json" "$D/agent.json" "$T/media" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.setdefault("media", {})["mount_dir"] = sys.argv[3]
exec(sys.argv[4])
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
}
doctor() { ferry-agent -c "$D/agent.json" doctor "$@"; }
# fails NAME CHECK SETUP UNDO: SETUP makes exactly CHECK fail; UNDO restores.
fails() {
	local name=$1 what=$2 setup=$3 undo=$4 out rc
	eval "$setup"
	out=$(doctor 2>&1); rc=$?
	if [ $rc -ne 1 ]; then fail "$name" "exit $rc: $out"
	elif [ "$(grep -c '^FAIL' <<<"$out")" -lt 1 ] || grep '^FAIL' <<<"$out" | grep -vq "^FAIL $what "; then
		fail "$name" "wanted only '$what' to fail: $(grep '^FAIL' <<<"$out" | tr '\n' ' ')"
	else pass "$name"; fi
	eval "$undo"
}

cfg ''
find "$D" -printf '%p %s %m\n' | sort >"$T/before"
out=$(doctor); rc=$?
[ $rc -eq 0 ] && [ "$(grep -c '^ok ' <<<"$out")" -eq 7 ] && pass doctor_all_ok || fail doctor_all_ok "exit $rc: $out"
find "$D" -printf '%p %s %m\n' | sort >"$T/after"
cmp -s "$T/before" "$T/after" && pass doctor_changes_nothing || fail doctor_changes_nothing "$(diff "$T/before" "$T/after" | head -5)"
doctor --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ok"] and len(d["checks"]) == 7, d' &&
	pass doctor_json_ok || fail doctor_json_ok "$(doctor --json)"

A=$D/slots/rootfs-a.img B=$D/slots/rootfs-b.img
fails slot_missing slots "mv '$B' '$T/b.img'" "mv '$T/b.img' '$B'"
fails slot_sizes_differ slots "truncate -s 1M '$B'" "truncate -s \$(stat -c %s '$A') '$B'"
fails slots_not_distinct slots "mv '$B' '$T/b.img' && ln -s '$A' '$B'" "rm '$B' && mv '$T/b.img' '$B'"
fails slot_is_a_directory slots "cfg 'c[\"slots\"][\"rootfs\"][\"b\"] = \"$T\"'" "cfg ''"
fails bootloader_env_unreadable bootloader "echo '{ not json' >'$D/state/bootenv.json'" "rm -f '$D/state/bootenv.json'"
fails trust_store_not_0700 trust "chmod 0755 '$D/gnupg'" "chmod 0700 '$D/gnupg'"
fails module_not_executable modules "printf '#!/bin/sh\n' >'$D/modules/x'" "rm -f '$D/modules/x'"
fails hook_not_executable hooks "mkdir -p '$D/hooks.d/health_check.d' && printf '#!/bin/sh\n' >'$D/hooks.d/health_check.d/10-x'" \
	"rm -rf '$D/hooks.d/health_check.d'"
fails media_dir_world_writable media "chmod 0777 '$T/media'" "chmod 0755 '$T/media'"
fails media_dir_is_a_symlink media "rmdir '$T/media' && ln -s /tmp '$T/media'" "rm '$T/media' && mkdir -m 0755 '$T/media'"
chmod 0755 "$D/gnupg"
out=$(doctor --json); rc=$?
[ $rc -eq 1 ] && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert not d["ok"]; assert [c["check"] for c in d["checks"] if not c["ok"]] == ["trust"], d' "$out" &&
	pass doctor_json_failure || fail doctor_json_failure "exit $rc: $out"
chmod 0700 "$D/gnupg"
# state_dir on tmpfs: refused on a real device (a GRUB environment), allowed on a virtual one.
if [ -d /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" = tmpfs ]; then
	S=$(mktemp -d /dev/shm/fdoc.XXXXXX)
	printf '# GRUB Environment Block\nBOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n' >"$T/grubenv"
	head -c $((1024 - $(stat -c %s "$T/grubenv"))) /dev/zero | tr '\0' '#' >>"$T/grubenv"
	fails state_dir_on_tmpfs state_dir "cfg 'c[\"state_dir\"] = \"$S\"; c[\"bootloader\"] = {\"type\": \"grub\", \"path\": \"$T/grubenv\"}'" "cfg ''"
	cfg "c['state_dir'] = '$S'"
	out=$(doctor 2>&1) && grep -q '^ok   state_dir .*tmpfs (virtual device)' <<<"$out" &&
		pass state_dir_tmpfs_allowed_when_virtual || fail state_dir_tmpfs_allowed_when_virtual "$out"
	cfg ''; rm -rf "$S"
else
	skip state_dir_on_tmpfs "/dev/shm is not a tmpfs here"
fi
# a mounted block device as a slot
if [ "$(id -u)" -eq 0 ] && command -v mkfs.ext4 >/dev/null && truncate -s 8M "$T/blk.img" &&
   mkfs.ext4 -q "$T/blk.img" && L=$(losetup -f --show "$T/blk.img" 2>/dev/null); then
	mkdir -p "$T/mnt"
	if mount "$L" "$T/mnt" 2>/dev/null; then
		fails slot_mounted slots "cfg 'c[\"slots\"][\"rootfs\"][\"a\"] = \"$L\"'" "cfg ''"
		umount "$T/mnt"
	else skip slot_mounted "cannot mount a loop device here"; fi
	losetup -d "$L"
else
	skip slot_mounted "needs root, mkfs.ext4 and a loop device"
fi
finish
