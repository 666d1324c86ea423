#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs every test (unit binaries given as arguments, then the integration
# scripts), each printing TAP ("ok ...", "not ok ...", "ok ... # SKIP reason";
# cmocka writes a skip as "not ok N # SKIP name" after a "# SKIPPED: reason"
# comment).  One line per test program: its counts, its time, the reasons of
# its skips; then every skipped test with its reason, the failed programs, and
# one closing line: "N passed, N failed, N skipped".
#
# A program fails too when it exits non-zero, when it ran fewer tests than its
# plan ("1..N") says or printed no plan (it ended early: a test that silently
# did not run is the worst case), and when it leaves anything in /tmp.  As
# root the whole run happens in a private mount namespace where /tmp is
# build/tmp, empty at the start (world-writable, like /tmp): whatever a program
# leaves there is its own, whatever else runs on the machine meanwhile, and the
# machine's /tmp is not touched at all.  Not root (or a checkout in /tmp): the
# entries of /tmp that this user owns are compared before and after.
#
# PJ_TESTS="a b" runs only those integration programs; arguments may name
# integration scripts too (tests/integration/x.sh), run in the order given.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
# (A checkout inside /tmp would vanish under the new /tmp: compared instead.)
if [ -z "${PJ_RUN_NS:-}" ] && [ "$(id -u)" = 0 ] && [[ $ROOT/ != /tmp/* ]] &&
	unshare --mount true 2>/dev/null; then
	rm -rf build/tmp && mkdir -p build/tmp && chmod 1777 build/tmp || exit 1
	unshare --mount --propagation private env PJ_RUN_NS=1 bash -c \
		'mount --bind "$1/build/tmp" /tmp && shift && exec "$@"' - "$ROOT" "$0" "$@"
	rc=$?
	rmdir build/tmp 2>/dev/null
	exit $rc
fi
log=build/test-logs
mkdir -p "$log"
rm -f "$log"/*.log
tmp_list() {
	if [ -n "${PJ_RUN_NS:-}" ]; then
		ls -A /tmp
	else
		find /tmp -mindepth 1 -maxdepth 1 -user "$(id -u)" -printf '%f\n' 2>/dev/null
	fi | LC_ALL=C sort
}
# skips FILE: "reason<TAB>what" for each skipped test.
skips() {
	awk '/^# SKIPPED: / { why = substr($0, 12); next }
	/^(not )?ok .*# (SKIP|skip)/ {
		what = $0; sub(/ *# (SKIP|skip).*/, "", what); sub(/^(not )?ok [0-9]* *(- )?/, "", what)
		r = $0; sub(/.*# (SKIP|skip) */, "", r)
		if ($0 ~ /^not ok/ && why != "") { what = r; r = why }
		print (r == "" ? "no reason given" : r) "\t" what; why = ""
	}' "$1"
}
pass=0 fail=0 skip=0 failed_names="" skipped="" litter=""
# PJ_TESTS="faults sudo_su": only these integration programs (while working on them).
wanted() {
	local n=${1##*/}
	[ -z "${PJ_TESTS:-}" ] || [[ " $PJ_TESTS " = *" ${n%.*} "* ]]
}
run() { # name command...
	local name=$1 out="$log/$(basename "$1").log" before left rc start=$SECONDS
	local planned ran p s f why
	shift
	printf '%-40s ' "$name"
	before=$(tmp_list)
	"$@" >"$out" 2>&1 </dev/null
	rc=$?
	planned=$(awk -F'[. ]' '/^1\.\.[0-9]+/ { n += $3; seen = 1 } END { print seen ? n : "none" }' \
		"$out")
	ran=$(grep -cE '^(not )?ok ' "$out")
	if [ "$planned" = none ]; then
		echo "not ok - $name printed no plan (1..N): it ended early, after $ran tests" >>"$out"
	elif [ "$planned" != "$ran" ]; then
		echo "not ok - $name planned $planned tests and ran $ran" >>"$out"
	fi
	left=$(LC_ALL=C comm -13 <(echo "$before") <(tmp_list) | tr '\n' ' ')
	[ -n "$left" ] && echo "not ok - $name left in /tmp: ${left% }" >>"$out" &&
		litter="$litter$left"
	if [ $rc != 0 ] && ! grep -E '^not ok ' "$out" | grep -qvE '# (SKIP|skip)'; then
		echo "not ok - $name exited with $rc" >>"$out"
	fi
	s=$(grep -cE '^(not )?ok .*# (SKIP|skip)' "$out")
	p=$(($(grep -cE '^ok ' "$out") - $(grep -cE '^ok .*# (SKIP|skip)' "$out")))
	f=$(grep -E '^not ok ' "$out" | grep -cvE '# (SKIP|skip)')
	pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
	why=$(skips "$out" | cut -f1 | sort -u | paste -sd ';' | sed 's/;/; /g')
	printf '%4d ok, %d not ok, %d skipped, %3d s%s\n' "$p" "$f" "$s" $((SECONDS - start)) \
		"${why:+ - skipped: $why}"
	if [ "$f" != 0 ]; then
		failed_names="$failed_names $name"
		grep -E '^not ok ' "$out" | grep -vE '# (SKIP|skip)' | sed 's/^/    /'
	fi
	[ "$s" = 0 ] || skipped="$skipped$(skips "$out" | sed "s|^|$name\t|")"$'\n'
}
n=$#
for t in tests/integration/*.sh tests/integration/*.py; do [ -e "$t" ] && wanted "$t" && n=$((n + 1)); done
echo "check: $n test programs; their output in $log/${PJ_RUN_NS:+; /tmp is build/tmp for this run}"
start_list=$(tmp_list)
# PJ_FAIL_FAST=1: stop at the first program that fails (make mutate, which
# asks only whether any test fails and orders the likeliest killer first).
stop() { [ -n "${PJ_FAIL_FAST:-}" ] && [ -n "$failed_names" ]; }
# Arguments: unit binaries, or integration scripts (in the order given).
for t in "$@"; do
	stop && break
	case $t in
	*.py) run "$t" /usr/bin/python3 "$t" ;;
	*) CMOCKA_MESSAGE_OUTPUT=TAP run "$t" "$t" ;;
	esac
done
for t in tests/integration/*.sh; do
	stop && break
	[ -x "$t" ] && wanted "$t" && run "$t" "$t"
done
for t in tests/integration/*.py; do
	stop && break
	[ -f "$t" ] && wanted "$t" && run "$t" /usr/bin/python3 "$t"
done
# Anything not put down to one program (a process that outlived its test).
left=$(LC_ALL=C comm -13 <(echo "$start_list") <(tmp_list) |
	grep -vxF -f <(tr ' ' '\n' <<<"$litter" | grep .) | tr '\n' ' ')
if [ -z "$left" ]; then
	printf '%-40s %4d ok\n' "/tmp left as it was" 1
	pass=$((pass + 1))
else
	printf '%-40s %s\n' "/tmp left as it was" "not ok: ${left% }"
	fail=$((fail + 1)) failed_names="$failed_names /tmp"
fi
if [ -n "$skipped" ]; then
	echo "skipped:"
	# One line per program and reason: how many, which, why.
	printf '%s' "$skipped" | awk -F'\t' 'NF >= 2 {
		k = $1 "\t" $2; if (!(k in n)) order[++m] = k
		n[k]++; w[k] = w[k] (n[k] > 1 ? ", " : "") $3 }
	END { for (i = 1; i <= m; i++) { split(order[i], a, "\t")
		printf "    %s: %d skipped (%s): %s\n", a[1], n[order[i]], w[order[i]], a[2] } }'
fi
[ -n "$failed_names" ] && echo "failed:$failed_names (logs in $log/)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
