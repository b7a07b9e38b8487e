#!/bin/bash
# units: the systemd units in dist/ pass `systemd-analyze verify` with no
# warning (unknown keys, bad values, ordering cycles), and the example notify
# hook runs. ExecStart= is pointed at the built binary (or /bin/true) since
# verify insists the command exists.
source "$(dirname "$0")/lib.sh"

if ! command -v systemd-analyze >/dev/null; then
	skip units_verify "systemd-analyze is not installed"
else
	agent=$FERRY_BIN/ferry-agent
	[ -x "$agent" ] || agent=/bin/true
	mkdir -p "$T/units"
	for u in "$FERRY_ROOT"/dist/*.service; do
		sed "s|/usr/bin/ferry-agent|$agent|" "$u" >"$T/units/$(basename "$u")"
	done
	for u in "$T"/units/*.service; do
		name=$(basename "$u" .service)
		out=$(cd "$T/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "./$(basename "$u")" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && [ -z "$out" ]; then pass "units_verify_$name"
		else fail "units_verify_$name" "$(printf '%s' "$out" | head -n 3 | tr '\n' ' ')"; fi
	done
fi

# The example hook: runs with the documented environment and succeeds.
: >"$T/console"
check units_notify_example_runs env FERRY_RESULT=failure FERRY_MESSAGE=test FERRY_MAY_PULL=1 \
	FERRY_CONSOLE="$T/console" FERRY_LED="$T/no-led" sh "$FERRY_ROOT/dist/notify.sh"
check units_notify_example_tells_technician grep -q "ferry: UPDATE FAILED - remove the stick: test" "$T/console"
finish
