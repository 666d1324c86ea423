#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The short fuzzing pass of make check: every libFuzzer target (make
# fuzz-build) replays its committed seeds and regression inputs, then fuzzes
# for PJ_FUZZ_SECONDS (default 10) seconds.  make fuzz FUZZ_SECONDS=N runs
# longer; tests/fuzz/run.sh does the work.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${PJ_BUILD:-$ROOT/build}
targets=$(cd "$ROOT/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
if ! ls "$B"/fuzz/fuzz_* >/dev/null 2>&1; then
	echo "ok 1 - libFuzzer targets # SKIP not built (make fuzz-build; make check builds them)"
	echo "1..1"
	exit 0
fi
# A fixed seed: a CI run repeats (a prefix of) what ran clean before landing.
PJ_FUZZ_LEDGER= PJ_FUZZ_SEED=${PJ_FUZZ_SEED:-1} PJ_BUILD=$B exec "$ROOT/tests/fuzz/run.sh" "${PJ_FUZZ_SECONDS:-10}" $targets
