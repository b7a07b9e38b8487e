# lib.sh: sourced by every integration test. Prints the lines tests/run
# counts ("PASS: name", "FAIL: name: why", "SKIP: name: why"), gives each test
# a throw-away directory and cleans up GnuPG daemons and the directory on exit.
set -u
FERRY_ROOT=${FERRY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$FERRY_ROOT/$BUILD ;; esac
FERRY_BIN=$BUILD/bin
PATH=$FERRY_BIN:$PATH
export FERRY_ROOT BUILD FERRY_BIN PATH

# A short path: gpg-agent sockets fail beyond ~100 characters.
T=$(mktemp -d /tmp/fi.XXXXXX)
_failures=0
_cleanup() {
	local d
	for d in $(find "$T" -name 'pubring.kbx' -printf '%h\n' 2>/dev/null) $(find "$T" -name 'S.gpg-agent*' -printf '%h\n' 2>/dev/null | sort -u); do
		gpgconf --homedir "$d" --kill all >/dev/null 2>&1 || true
	done
	${FERRY_TEST_CLEANUP_HOOK:-true}
	rm -rf "$T"
}
trap _cleanup EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: ${2:-}"; _failures=$((_failures + 1)); }
skip() { echo "SKIP: $1: ${2:-}"; }
# check NAME CMD...: PASS when CMD succeeds, else FAIL with its output tail.
check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"; fi
}
# refuses NAME EXPECTED_EXIT PATTERN CMD...: the command must exit with
# EXPECTED_EXIT and print PATTERN (grep -E) on stdout or stderr.
refuses() {
	local name=$1 want=$2 pattern=$3; shift 3
	local out rc
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" -ne "$want" ]; then fail "$name" "exit $rc, wanted $want: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"
	elif ! printf '%s' "$out" | grep -Eq -- "$pattern"; then fail "$name" "no '$pattern' in: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"
	else pass "$name"; fi
}
# Call at the end: the script's exit code says whether anything failed.
finish() { exit $(( _failures > 0 ? 1 : 0 )); }
