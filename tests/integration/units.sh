#!/bin/bash
# units: what dist/ holds works: the systemd units pass `systemd-analyze
# verify` with no warning (unknown keys, bad values, ordering cycles), the
# example notify hook runs, the bash completion offers subcommands.
# ExecStart= is pointed at the built binary (or /bin/true) since verify
# insists the command exists.
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

# Shell completion: subcommands and the arguments of media commands.
complete_words() {   # complete_words WORD... : what bash would offer for the last word
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ferry "$1"; echo "${COMPREPLY[*]}"' \
		_ "$FERRY_ROOT/dist/ferry.bash-completion" "$@"
}
check units_completion_subcommands test "$(complete_words ferry-pack wr)" = write
check units_completion_after_global_options test "$(complete_words ferry-agent -c x.json wa)" = watch
check units_completion_media_list test "$(complete_words ferry-pack media '')" = "list --json"
finish
