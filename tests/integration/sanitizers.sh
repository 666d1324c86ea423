#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The unit tests, tests/integration/pamtester.sh and parts.sh again, on the ASan+UBSan
# build (make san-build: $PJ_BUILD/san, gcc -fsanitize=address,undefined,
# UBSan fatal).  The module runs inside pamtester, which is not instrumented:
# libasan is preloaded first and pam_wrapper's RTLD_DEEPBIND (which ASan does
# not support) is turned off.  Every sanitizer report of every process (module,
# tool, unit test; leaks included) goes to a log directory that must stay
# empty, so a report fails the test even where the exit status would not.
. "$(dirname "$0")/../lib.sh"
SB=${PJ_BUILD:-$ROOT/build}/san
if [ ! -x "$SB/pam_jwt.so" ] || [ ! -x "$SB/pam_jwt-tool" ]; then
	skip "ASan+UBSan build" "not built (make san-build; make check builds it)"
	finish
	exit 0
fi
LIBASAN=$(gcc -print-file-name=libasan.so)
mkdir "$T/reports"
export ASAN_OPTIONS="log_path=$T/reports/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$T/reports/ubsan:print_stacktrace=1:halt_on_error=1"
reports() { ls "$T/reports" | wc -l; }
show_reports() {
	for f in "$T"/reports/*; do [ -f "$f" ] && head -n 25 "$f" | sed 's/^/#   /'; done
}

check "the module is instrumented (ASan and UBSan symbols)" \
	bash -c "nm -D '$SB/pam_jwt.so' | grep -q __asan_report && \
		nm -D '$SB/pam_jwt.so' | grep -q __ubsan_handle"
check "libasan initialises inside pamtester when preloaded" bash -c \
	"ASAN_OPTIONS=help=1 LD_PRELOAD='$LIBASAN' pamtester x y authenticate </dev/null 2>&1 |
		grep -q 'Available flags for AddressSanitizer'"

s=$(date +%s%N)
for t in "$SB"/tests/test_*; do
	name=$(basename "$t")
	before=$(reports)
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$T/$name.out" 2>&1
	rc=$?
	n=$(grep -c '^ok ' "$T/$name.out")
	bad=$(grep -E '^not ok ' "$T/$name.out" | grep -cvE '# (SKIP|skip)')
	new=$(($(reports) - before))
	check "ASan+UBSan: $name ($n passed, $bad failed, status $rc, $new reports)" \
		test $rc = 0 -a "$bad" = 0 -a "$(reports)" = "$before"
done
echo "# unit tests under ASan+UBSan: $((($(date +%s%N) - s) / 1000000)) ms"

for script in pamtester parts; do
	s=$(date +%s%N)
	PJ_BUILD=$SB PJ_PRELOAD=$LIBASAN PAM_WRAPPER_DISABLE_DEEPBIND=1 \
		"$ROOT/tests/integration/$script.sh" >"$T/$script.tap" 2>&1
	rc=$?
	echo "# $script.sh under ASan+UBSan: $((($(date +%s%N) - s) / 1000000)) ms"
	n=$(grep -c '^ok ' "$T/$script.tap")
	bad=$(grep -E '^not ok ' "$T/$script.tap" | grep -cvE '# (SKIP|skip)')
	grep -E '^not ok ' "$T/$script.tap" | sed 's/^/#   /'
	check "ASan+UBSan: tests/integration/$script.sh ($n passed, $bad failed, status $rc)" \
		test "$bad" = 0 -a "$n" -gt 0
done
check "ASan+UBSan: no sanitizer report from any process ($(reports) reports)" test "$(reports)" = 0
show_reports
finish
