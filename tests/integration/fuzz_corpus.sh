#!/bin/bash
# fuzz_corpus.sh: every fuzz target's committed inputs (tests/fuzz/corpus/ and
# the regression inputs of past findings, tests/fuzz/regress/) replayed once
# through the replay build of the target (no libFuzzer needed; under make asan
# with the sanitizers). A crash, hang or sanitizer report fails the target.
source "$(dirname "$0")/lib.sh"

for src in "$FERRY_ROOT"/tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c); t=${t#fuzz_}
	bin=$BUILD/tests/fuzz/replay/$t
	dirs=()
	for d in corpus regress; do
		[ -d "$FERRY_ROOT/tests/fuzz/$d/$t" ] && dirs+=("$FERRY_ROOT/tests/fuzz/$d/$t")
	done
	if [ ! -x "$bin" ]; then fail "replay_$t" "$bin not built"; continue; fi
	if [ ${#dirs[@]} -eq 0 ]; then fail "replay_$t" "no tests/fuzz/corpus/$t"; continue; fi
	if out=$(cd "$T" && timeout 60 "$bin" "${dirs[@]}" 2>&1); then
		pass "replay_$t ($(sed -n 's/^replay: //p' <<<"$out"))"
	else
		fail "replay_$t" "$(tail -n 5 <<<"$out" | tr '\n' ' ')"
	fi
done
finish
