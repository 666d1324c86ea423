#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# 8 threads, each doing 1000 pam_start / pam_authenticate / pam_end cycles
# through the module in one process (tests/helpers/pam_threads.c, libpam's
# pam_start_confdir, no pam_wrapper), the module and the client built with
# -fsanitize=thread (make tsan-build: $PJ_BUILD/tsan).  The cases mix an
# accepted token, another user's token, a revoked token and a password, so the
# threads run every path at once; every login must end as its case says and
# ThreadSanitizer must report nothing.  PJ_THREAD_CYCLES overrides 1000.
. "$(dirname "$0")/../lib.sh"
TB=${PJ_BUILD:-$ROOT/build}/tsan
if [ ! -x "$TB/tests/pam_threads" ] || [ ! -f "$TB/pam_jwt.so" ]; then
	skip "8 threads x 1000 logins under TSan" \
		"not built (make tsan-build; make check builds it)"
	finish
	exit 0
fi
es256_setup
sign --sub alice >"$T/alice"
sign --sub bob >"$T/bob"
sign --sub alice --claim jti=revoked-1 >"$T/revoked"
echo "correct horse battery staple" >"$T/password"
"$TOOL" --config "$T/pam_jwt.conf" revoke --jti revoked-1 >/dev/null
mkdir "$T/pam.d"
echo "auth required $TB/pam_jwt.so conf=$T/pam_jwt.conf" >"$T/pam.d/jwt"
cycles=${PJ_THREAD_CYCLES:-1000}
TSAN_OPTIONS="suppressions=$ROOT/tests/helpers/tsan.supp halt_on_error=0 exitcode=66" \
	"$TB/tests/pam_threads" "$T/pam.d" jwt "$TB/pam_jwt.so" 8 "$cycles" \
	"alice:accept:$T/alice" "alice:refuse:$T/bob" "bob:accept:$T/bob" \
	"alice:refuse:$T/revoked" "alice:refuse:$T/password" >"$T/out" 2>&1
rc=$?
summary=$(grep '^threads=' "$T/out")
echo "# $summary"
check "8 threads x $cycles logins: every login ended as expected (status $rc)" \
	bash -c "grep -q ' wrong=0 errors=0 ' '$T/out' && [ $rc = 0 ]"
check "8 threads x $cycles logins: $((8 * cycles)) logins done" \
	grep -q " logins=$((8 * cycles)) " "$T/out"
check "ThreadSanitizer reports nothing" bash -c "! grep -q 'WARNING: ThreadSanitizer' '$T/out'"
grep -A 12 'WARNING: ThreadSanitizer' "$T/out" | head -n 40 | sed 's/^/#   /'
finish
