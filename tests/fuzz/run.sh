#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs libFuzzer targets: tests/fuzz/run.sh SECONDS TARGET...  (make fuzz).
# Each target starts from its committed seeds and regression inputs
# (tests/fuzz/corpus/TARGET, read only) plus a working corpus kept in
# $PJ_BUILD/fuzz/corpus/TARGET between runs, and runs for SECONDS.  Up to
# $PJ_FUZZ_JOBS (default: the number of CPUs) targets run at once.  Prints one
# TAP line per target with the number of executions; a crash, leak or timeout
# fails it and leaves the input in $PJ_BUILD/fuzz/crash-TARGET-*: copy it into
# tests/fuzz/corpus/TARGET/ once fixed, as a regression input.
#
# Every clean run is added to the ledger $PJ_BUILD/fuzz/ledger (target,
# executions, seconds, the commit and a hash of the sources the targets are
# built from), and each line says how many clean executions the target has
# run in all on these very sources: the figures README's fuzzing table
# quotes.  make check's short pass (tests/integration/fuzz.sh) keeps no
# ledger.
set -u
cd "$(dirname "$0")/../.."
secs=$1
shift
B=${PJ_BUILD:-build}
jobs=${PJ_FUZZ_JOBS:-$(nproc)}
# The targets' files go here (tmpfs when there is one); libFuzzer ends without
# running the targets' exit handlers, so the directory is removed here.
base=/tmp
[ -w /dev/shm ] && base=/dev/shm
export PJ_FUZZ_TMP
PJ_FUZZ_TMP=$(mktemp -d "$base/pj-fuzz-run.XXXXXX") || exit 1
trap 'rm -rf "$PJ_FUZZ_TMP"' EXIT
ledger=${PJ_FUZZ_LEDGER-$B/fuzz/ledger}
# The sources every target is built from: what a count counts for.
srchash=$(cat src/*.c src/*.h src/*/*.c src/*/*.h tests/fuzz/*.c tests/fuzz/*.h 2>/dev/null |
	sha256sum | cut -c1-12)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
n=0 failed=0
run_one() { # target
	local t=$1 bin=$B/fuzz/fuzz_$1 work=$B/fuzz/corpus/$1
	mkdir -p "$work"
	# -rss_limit_mb: OpenSSL and ASan together need more than the default.
	# PJ_FUZZ_SEED fixes the order of mutations: make check's short pass
	# then walks a prefix of the same sequence on every machine.
	"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -max_len=16384 \
		${PJ_FUZZ_SEED:+-seed="$PJ_FUZZ_SEED"} \
		-print_final_stats=1 -artifact_prefix="$B/fuzz/crash-$t-" \
		"$work" "tests/fuzz/corpus/$t" >"$B/fuzz/$t.log" 2>&1
}
pids=() names=()
for t in "$@"; do
	if [ ! -x "$B/fuzz/fuzz_$t" ]; then
		n=$((n + 1))
		echo "not ok $n - fuzz_$t: not built (make fuzz-build)"
		failed=1
		continue
	fi
	run_one "$t" &
	pids+=($!) names+=("$t")
	if [ ${#pids[@]} -ge "$jobs" ]; then
		wait "${pids[0]}"
		rcs+=($?)
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do
	wait "$p"
	rcs+=($?)
done
i=0
for t in "${names[@]}"; do
	n=$((n + 1))
	log=$B/fuzz/$t.log
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs_run=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	seeds=$(ls "tests/fuzz/corpus/$t" | wc -l)
	if [ "${rcs[$i]}" = 0 ] && [ -n "$runs" ]; then
		total=""
		if [ -n "$ledger" ]; then
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$runs" "${secs_run:-$secs}" \
				"$commit" "$srchash" "$(date -u +%FT%TZ)" >>"$ledger"
			total=$(awk -F'\t' -v t="$t" -v h="$srchash" '$1 == t && $5 == h { s += $2 }
				END { printf "%d", s }' "$ledger")
			total="; $total in all on these sources ($srchash)"
		fi
		echo "ok $n - fuzz_$t: ${runs} executions in ${secs_run:-$secs} s clean" \
			"($seeds committed inputs, $(ls "$B/fuzz/corpus/$t" | wc -l) in the" \
			"working corpus$total)"
	else
		echo "not ok $n - fuzz_$t: exit ${rcs[$i]} after ${runs:-?} executions, see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|Test unit written)' "$log" |
			head -n 8 | sed 's/^/#   /'
		failed=1
	fi
	i=$((i + 1))
done
echo "1..$n"
exit $failed
