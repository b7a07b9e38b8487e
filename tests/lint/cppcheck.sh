#!/bin/bash
# cppcheck.sh: the static analyser's run over the whole tree with the committed
# configuration (tests/lint/jansson.cfg, tests/lint/cppcheck-suppressions.txt).
# Zero findings is the rule: prints "PASS: cppcheck" or one FAIL line per finding.
set -u
cd "$(dirname "$0")/../.."
if ! command -v cppcheck >/dev/null; then
	echo "SKIP: cppcheck: not installed (apt-get install cppcheck)"; exit 0
fi
out=$(cppcheck -q -j"${JOBS:-2}" --std=c11 --enable=warning,portability --library=posix \
	--library=tests/lint/jansson.cfg --suppressions-list=tests/lint/cppcheck-suppressions.txt \
	--inline-suppr --error-exitcode=1 -I. -D_GNU_SOURCE -DFERRY_VERSION='"0"' \
	--template='{file}:{line}: {severity}: {message} [{id}]' \
	common agent audit keys packager tests bench 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	echo "PASS: cppcheck ($(cppcheck --version), $(ls common/*.c agent/*.c audit/*.c keys/*.c packager/*.c tests/*/*.c bench/*.c | wc -l) files)"
	exit 0
fi
grep -E '^[^ ].*: [a-z]+: ' <<<"$out" | sed 's/^/FAIL: cppcheck: /'
[ -n "$(grep -E '^[^ ].*: [a-z]+: ' <<<"$out")" ] || echo "FAIL: cppcheck: exit $rc: $(head -c 300 <<<"$out")"
exit 1
