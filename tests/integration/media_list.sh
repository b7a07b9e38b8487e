#!/bin/bash
# media_list: `ferry-pack media list` on this machine. Without a USB bus
# (libusb finds no device) it says so and exits 0; --json gives an empty list;
# a stray argument is a usage error. (The listing itself is unit-tested with
# libusb wrapped: tests/unit/test_usbinfo.c.)
source "$(dirname "$0")/lib.sh"

out=$(ferry-pack media list 2>&1); rc=$?
if [ $rc -ne 0 ]; then
	fail media_list_runs "exit $rc: $out"
elif ls /sys/bus/usb/devices/ 2>/dev/null | grep -q .; then
	pass "media_list_runs (a USB bus is present: $(printf '%s' "$out" | head -n 1))"
else
	[ "$out" = "no USB mass-storage devices attached" ] && pass media_list_says_none_attached ||
		fail media_list_says_none_attached "$out"
fi
out=$(ferry-pack media list --json 2>&1)
printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d["sticks"], list)' 2>/dev/null &&
	pass media_list_json || fail media_list_json "$out"
refuses media_list_usage 2 "usage: ferry-pack media list" ferry-pack media lst
finish
