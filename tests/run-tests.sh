#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs every test (unit binaries given as arguments, then the integration
# scripts) and prints one closing line: "N passed, N failed[, N skipped]".
# Each test prints TAP lines ("ok ...", "not ok ...", "ok ... # SKIP ...").
set -u
cd "$(dirname "$0")/.."
log=build/test-logs
mkdir -p "$log"
pass=0 fail=0 skip=0 failed_names=""
count() { # file name
	local p f s
	# cmocka writes a skip as "not ok N # SKIP", shell tests as "ok N - x # SKIP".
	p=$(grep -cE '^ok ' "$1")
	s=$(grep -cE '^(not )?ok .*# (SKIP|skip)' "$1")
	sp=$(grep -cE '^ok .*# (SKIP|skip)' "$1")
	f=$(grep -E '^not ok ' "$1" | grep -cvE '# (SKIP|skip)')
	pass=$((pass + p - sp)) skip=$((skip + s)) fail=$((fail + f))
	if [ "$f" != 0 ] || [ "$2" != 0 ]; then
		failed_names="$failed_names $3"
		grep -E '^not ok ' "$1" | grep -vE '# (SKIP|skip)' | sed 's/^/    /'
	fi
}
run() { # name command...
	local name=$1 out="$log/$(basename "$1").log"
	shift
	printf '%-44s ' "$name"
	"$@" >"$out" 2>&1
	local rc=$?
	if [ $rc != 0 ] && ! grep -E '^not ok ' "$out" | grep -qvE '# (SKIP|skip)'; then
		echo "not ok - $name exited with $rc" >>"$out"
	fi
	echo "$(grep -cE '^ok ' "$out") ok, $(grep -E '^not ok ' "$out" | grep -cvE '# (SKIP|skip)')" \
		"not ok, $(grep -cE '^(not )?ok .*# (SKIP|skip)' "$out") skipped"
	count "$out" $rc "$name"
}
for t in "$@"; do
	CMOCKA_MESSAGE_OUTPUT=TAP run "$t" "$t"
done
for t in tests/integration/*.sh; do
	[ -x "$t" ] && run "$t" "$t"
done
for t in tests/integration/*.py; do
	[ -f "$t" ] && run "$t" /usr/bin/python3 "$t"
done
[ -n "$failed_names" ] && echo "failed:$failed_names (logs in $log/)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
