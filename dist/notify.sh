#!/bin/sh
# Example ferry notify hook (agent.json: media.notify). ferry-agent watch runs
# it after every stick with the outcome in the environment:
#   FERRY_RESULT   success | failure | refused | nothing, or busy when it
#                  takes a stick (then FERRY_MAY_PULL=0: do not pull yet)
#   FERRY_MESSAGE  one line: what happened
#   FERRY_MAY_PULL 1 when the stick is unmounted and synced
#   FERRY_DEVICE, FERRY_LABEL, FERRY_SERIAL, FERRY_VENDOR, FERRY_PRODUCT
# It must finish within 30 s. Adapt the LED names to the board.
led=${FERRY_LED:-/sys/class/leds/status}
console=${FERRY_CONSOLE:-/dev/console}
case "$FERRY_RESULT" in
busy)    pattern=heartbeat; msg="WORKING - do not remove the stick" ;;
success) pattern=none;  msg="UPDATE OK" ;;
nothing) pattern=none;  msg="NOTHING TO DO" ;;
refused) pattern=timer; msg="STICK REFUSED" ;;
*)       pattern=timer; msg="UPDATE FAILED" ;;
esac
[ "$FERRY_MAY_PULL" = 1 ] && msg="$msg - remove the stick"
if [ -w "$led/trigger" ]; then
	echo "$pattern" >"$led/trigger" 2>/dev/null
	[ "$pattern" = none ] && echo 1 >"$led/brightness" 2>/dev/null
fi
[ -w "$console" ] && echo "ferry: $msg: $FERRY_MESSAGE" >"$console" 2>/dev/null
exit 0
