#!/bin/bash
# clang-analyze.sh: clang's static analyser (what scan-build runs, without the
# build) over the C files of the programs and libferry, JOBS (2) at a time.
# Zero findings is the rule, as for cppcheck.sh: prints "PASS: clang_analyze"
# or one FAIL line per finding. A false positive is silenced where it arises
# in the code, with the reason beside it (common/error.h teaches the analyser
# that ferry_error_set always returns false).
#   tests/lint/clang-analyze.sh [file.c...]      (default: every program file)
set -u
cd "$(dirname "$0")/../.."
if ! command -v clang >/dev/null; then
	echo "SKIP: clang_analyze: clang not installed (apt-get install clang)"; exit 0
fi
files=("$@")
[ ${#files[@]} -eq 0 ] && files=(common/*.c agent/*.c audit/*.c keys/*.c packager/*.c)
pkgs="gpgme libgcrypt libarchive libzstd liblzma jansson sqlite3 libudev mount blkid libusb-1.0 libubootenv libpq"
# shellcheck disable=SC2046
flags=(-std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. -DFERRY_VERSION='"0"'
	-DFERRY_MODULES_DIR='"/usr/lib/ferry/modules"' $(pkg-config --cflags $pkgs 2>/dev/null)
	--analyze -Xanalyzer -analyzer-output=text -o /dev/null)
out=$(printf '%s\n' "${files[@]}" | xargs -P "${JOBS:-2}" -I{} clang "${flags[@]}" {} 2>&1)
findings=$(grep -E '^[^ ]+\.[ch]:[0-9]+:[0-9]+: (warning|error): ' <<<"$out" | sort -u)
if [ -z "$findings" ] && ! grep -q 'error' <<<"$out"; then
	echo "PASS: clang_analyze ($(clang --version | head -n 1), ${#files[@]} files)"
	exit 0
fi
if [ -n "$findings" ]; then
	sed 's/^/FAIL: clang_analyze: /' <<<"$findings"
else
	echo "FAIL: clang_analyze: $(head -c 300 <<<"$out")"
fi
exit 1
