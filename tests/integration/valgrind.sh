#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# pamtester logins through the module under valgrind (memcheck): accepted,
# refused (bad signature, wrong user, revoked), malformed, not a token, huge
# (a 20 KB token handed over in PAM_AUTHTOK, past pamtester's 4 KB line), a
# 3 kB token in parts and a conversation splicing parts of two tokens,
# plus the tool's verify and revoke.  Each run must show no memory error and
# no definitely lost block (--errors-for-leak-kinds=definite); pamtester's own
# and libpam's allocations count too.  tests/helpers/valgrind.supp names the
# one valgrind false positive suppressed.
. "$(dirname "$0")/../lib.sh"

if ! command -v valgrind >/dev/null; then
	skip "valgrind" "valgrind is not installed"
	finish
	exit 0
fi
es256_setup
service first "auth required /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so" \
	"auth required $MODULE conf=$T/pam_jwt.conf use_first_pass"
good=$(sign --sub alice)
sig=${good##*.}
c=${sig:5:1} && { [ "$c" = A ] && c=B || c=A; }
tool revoke --jti revoked-1 >/dev/null
huge=$(sign --sub alice --claim pad="$(head -c 15000 /dev/zero | tr '\0' x)")
parts=$(parts_of "$(sign --sub alice --claim "groups=$(guid_groups 48)")" 511)
spliced=$(printf '%s\n' "$parts" | head -n1 &&
	parts_of "$(sign --sub alice --claim "groups=$(guid_groups 48)")" 511 | tail -n +2)
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
	--show-leak-kinds=definite --track-origins=yes
	--suppressions="$ROOT/tests/helpers/valgrind.supp")

# vg NAME EXPECTED-STATUS SERVICE INPUT [AUTHTOK]: one login under valgrind.
vg() {
	local name=$1 want=$2 svc=$3 input=$4 tok=${5-}
	(
		# The preload reaches pamtester only (env, followed by valgrind): a
		# process that loads pam_wrapper and then execs (valgrind's launcher)
		# leaves its /tmp/pam.X directory behind, and so does a pamtester
		# that fails under valgrind (pwrap_cleanup).
		printf '%s\n' "$input" | PAM_AUTHTOK=$tok \
			PAM_WRAPPER=1 PAM_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_USE_SYSLOG=1 \
			PAM_WRAPPER_SERVICE_DIR="$T/svc" PJ_LOG_FILE="$T/log.$name" \
			"${VG[@]}" --trace-children=yes --log-file="$T/vg.$name" \
			env LD_PRELOAD="libpam_wrapper.so $LOGSHIM" pamtester "$svc" alice authenticate \
			>/dev/null 2>&1 &
		pid=$!
		wait $pid
		echo $? >"$T/rc.$name"
		pwrap_cleanup $pid
	) &
}
s=$(date +%s%N)
vg accepted 0 jwt "$good"
vg badsig 1 jwt "${good%.*}.${sig:0:5}$c${sig:6}"
vg wronguser 1 jwt "$(sign --sub bob)"
vg revoked 1 jwt "$(sign --sub alice --claim jti=revoked-1)"
wait
vg malformed 1 jwt "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSI.AAAA"
vg password 1 jwt "correct horse battery staple"
vg huge 1 first "" "$huge"
vg cut4095 1 jwt "${huge:0:4095}"
wait
vg parts 0 jwt "$parts"
vg spliced 1 jwt "$spliced"
wait
echo "# 10 valgrind logins: $((($(date +%s%N) - s) / 1000000)) ms (4 at a time)"
for name in accepted badsig wronguser revoked malformed password huge cut4095 parts spliced; do
	case $name in accepted | parts) want=0 ;; *) want=1 ;; esac
	rc=$(cat "$T/rc.$name")
	check "valgrind: $name login ends as expected (status $rc, want $want)" test "$rc" = $want
	check "valgrind: $name login: no memory error, no definite leak" \
		test -z "$(cat "$T/vg.$name")"
	[ -s "$T/vg.$name" ] && head -n 20 "$T/vg.$name" | sed 's/^/#   /'
done
check "the huge token was refused for its size" grep -q "over the 16384-byte limit" "$T/log.huge"

vt() { # NAME COMMAND...: the tool under valgrind
	local name=$1
	shift
	"${VG[@]}" --log-file="$T/vg.$name" "$@" >/dev/null 2>&1
	check "valgrind: pam_jwt-tool $name: no memory error, no definite leak (status $?)" \
		test -z "$(cat "$T/vg.$name")"
	[ -s "$T/vg.$name" ] && head -n 30 "$T/vg.$name" | sed 's/^/#   /'
}
vt verify "$TOOL" --config "$T/pam_jwt.conf" verify --user alice "$good"
vt revoke "$TOOL" --config "$T/pam_jwt.conf" revoke --jti revoked-2
finish
