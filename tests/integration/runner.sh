#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# tests/run-tests.sh on a tree of made-up test programs: a skip shows its
# reason on the program's line and in the summary; a program that ends before
# its plan, or without one, and one that leaves a file in /tmp fail; the
# closing line counts them all.
. "$(dirname "$0")/../lib.sh"

tree=$T/tree
mkdir -p "$tree/tests/integration"
cp "$ROOT/tests/run-tests.sh" "$tree/tests/"
prog() { # NAME BODY: an executable test program
	printf '#!/bin/bash\n%s\n' "$2" >"$tree/tests/integration/$1.sh"
	chmod 755 "$tree/tests/integration/$1.sh"
}
mark=pj-runner-$$
prog a_good 'echo "ok 1 - one"; echo "ok 2 - two"; echo "1..2"'
prog b_skips 'echo "ok 1 - real sshd logins # SKIP needs root"; echo "1..1"'
prog c_early 'echo "ok 1 - one"; exit 0'
prog d_short 'echo "1..3"; echo "ok 1 - one"; echo "ok 2 - two"'
prog e_litter "touch /tmp/$mark; echo 'ok 1 - one'; echo '1..1'"
(cd / && env -u PJ_RUN_NS -u PJ_TESTS "$tree/tests/run-tests.sh") >"$T/out" 2>&1
rc=$?
rm -f "/tmp/$mark" # not root: the machine's /tmp
sed 's/^/# /' "$T/out"
line() { grep -E "^tests/integration/$1\.sh " "$T/out"; }
check "a passing program: its counts" bash -c "grep -q ' 2 ok, 0 not ok, 0 skipped' <<<'$(line a_good)'"
check "a skip: its reason on the program's line" \
	bash -c "grep -q '1 skipped, .* - skipped: needs root$' <<<'$(line b_skips)'"
check "  ...and in the summary" grep -qxF \
	"    tests/integration/b_skips.sh: 1 skipped (real sshd logins): needs root" "$T/out"
check "a program without a plan fails: it ended early" grep -qF \
	"not ok - tests/integration/c_early.sh printed no plan (1..N): it ended early, after 1 tests" \
	"$T/out"
check "a program that runs fewer tests than planned fails" \
	grep -qF "not ok - tests/integration/d_short.sh planned 3 tests and ran 2" "$T/out"
check "a program that leaves a file in /tmp fails, naming it" \
	grep -qF "not ok - tests/integration/e_litter.sh left in /tmp: $mark" "$T/out"
check "  ...counted once (the run's own /tmp check names nothing else)" \
	grep -qE "^/tmp left as it was +1 ok$" "$T/out"
check "the closing line: 7 passed, 3 failed, 1 skipped; status 1" \
	bash -c "[ '$(tail -n 1 "$T/out")' = '7 passed, 3 failed, 1 skipped' ] && [ $rc = 1 ]"
finish
