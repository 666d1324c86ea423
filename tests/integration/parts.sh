#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Tokens in parts through PAM: pamtester + pam_wrapper against build/pam_jwt.so,
# one answer a line on stdin, as a person pastes them.  RS256 tokens of 3 and
# 7 kB (Entra-like group lists), split by pam_jwt-askpass --parts for sudo's,
# the OpenSSH client's and the console's answer sizes, are accepted; every way
# a conversation goes wrong is refused with its own reason; PAM_AUTHTOK holds
# the joined token for the modules stacked below; a password still reaches
# them untouched; and nothing of a part reaches the log.  (sudo_su.sh and
# sshd.sh do the same through the real programs.)
. "$(dirname "$0")/../lib.sh"

gen_key ES256 es && gen_key RS256 rs || { notok "generate keys"; finish; exit 1; }
(umask 022 && : >"$T/rev")
cat >"$T/pam_jwt.conf" <<CONF
key_file = $T/es.pub
key_file = $T/rs.pub
algorithms = ES256 RS256
issuer = https://idp.test
revocation_file = $T/rev
CONF
service jwt "auth required $MODULE conf=$T/pam_jwt.conf"
service jwt-acct "auth required $MODULE conf=$T/pam_jwt.conf" \
	"account required $MODULE conf=$T/pam_jwt.conf debug"
now=$(date +%s)
rsign() { "$TOOL" sign --key "$T/rs.key" --alg RS256 --iss https://idp.test "$@"; }
tok3=$(rsign --sub alice --claim "groups=$(guid_groups 48)")
tok7=$(rsign --sub alice --claim "groups=$(guid_groups 125)")
check "a 3 kB RS256 token (${#tok3} bytes)" test ${#tok3} -gt 2900 -a ${#tok3} -lt 3300
check "a 7 kB RS256 token (${#tok7} bytes)" test ${#tok7} -gt 6800 -a ${#tok7} -lt 7300
: >"$T/secrets"
# split NAME TOKEN MAX: $T/NAME holds the parts, one a line.
split() {
	parts_of "$2" "$3" >"$T/$1" && printf '%s\n' "$2" >>"$T/secrets" && cat "$T/$1" >>"$T/secrets"
}
# answers SERVICE USER FILE [OPERATION...]: a login answering from FILE.
answers() {
	local svc=$1 user=$2 file=$3
	shift 3
	pam_run "$svc" "$user" "$(cat "$file")" "$@"
}
prompts() { grep -o 'JWT part [0-9]* of [0-9]* ([0-9a-f]*): ' "$T/pamtester.out" | wc -l; }

split p3 "$tok3" 511
check "for sudo's 511 bytes the 3 kB token takes 7 parts" test "$(wc -l <"$T/p3")" = 7
check "every part fits 511 bytes" bash -c "! awk 'length(\$0) > 511' '$T/p3' | grep -q ."
answers jwt alice "$T/p3"
check "3 kB in 7 parts of at most 511 bytes: accepted" test $? = 0
check "... the log says so, with the number of parts" log_has "outcome=accepted"
check "... parts=7 in the decision line" log_has "parts=7"
check "... the module asked for parts 2 to 7 by name" test "$(prompts)" = 6
check "... the prompts name the token's ID" \
	grep -qF "JWT part 2 of 7 ($(head -n1 "$T/p3" | cut -d: -f4)): " "$T/pamtester.out"
for max in 511 1023 4095; do
	split p7.$max "$tok7" $max
	answers jwt alice "$T/p7.$max"
	rc=$?
	check "7 kB in $(wc -l <"$T/p7.$max") parts of at most $max bytes: accepted" test $rc = 0
done
check "the OpenSSH client's 1023 bytes: 8 parts" test "$(wc -l <"$T/p7.1023")" = 8
check "a console's 4095 bytes: 2 parts" test "$(wc -l <"$T/p7.4095")" = 2
answers jwt-acct alice "$T/p3" authenticate acct_mgmt
check "account management checks the token that came in parts" test $? = 0
check "... from the grant the parts left" log_has "user=alice phase=account outcome=accepted"
es=$("$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test --sub alice)
check "a short ES256 token stays one answer" test "$(parts_of "$es" 511)" = "$es"
pam_run jwt alice "$es"
check "... and is accepted as one, without parts=" \
	bash -c "[ $? = 0 ] && tail -n1 '$LOG' | grep -q outcome=accepted &&
		! tail -n1 '$LOG' | grep -q parts="

# Refusals, each for its own reason.  refused FILE WHY: the login fails and
# the module's last line says why.
refused() {
	answers jwt alice "$1"
	[ $? != 0 ] && log_has "outcome=refused" && log_has "$2"
}
split expired "$(rsign --sub alice --claim "groups=$(guid_groups 48)" \
	--claim iat=$((now - 7200)) --claim exp=$((now - 3600)))" 511
check "an expired token in parts is refused as expired" refused "$T/expired" "token expired"
split bob "$(rsign --sub bob --claim "groups=$(guid_groups 48)")" 511
check "another user's token in parts is refused as such" refused "$T/bob" \
	"token is for another user"
# A token refreshed between two prompts: part 1 of one, the rest of another.
other=$(rsign --sub alice --claim "groups=$(guid_groups 48)")
split other "$other" 511
{ head -n1 "$T/p3" && tail -n +2 "$T/other"; } >"$T/spliced"
check "parts of two tokens: refused, the part of the other token named" \
	refused "$T/spliced" "the answer to part 2 of 7 belongs to another token than part 1"
# The same with the first token's header on the other token's chunk.
check "the two tokens have the same length (${#tok3} and ${#other})" test ${#tok3} = ${#other}
# (The last part: it holds the signature, which always differs.)
{
	head -n 6 "$T/p3"
	printf '%s:%s\n' "$(sed -n 7p "$T/p3" | cut -d: -f1-4)" "$(sed -n 7p "$T/other" | cut -d: -f5)"
} >"$T/forged"
check "parts of two tokens under one header: refused by the hash of the whole" \
	refused "$T/forged" "the 7 parts do not make up the token part 1 announced"
sed '1s#^pam_jwt:1/7:#pam_jwt:1/65:#' "$T/p3" >"$T/many"
check "65 parts: refused" refused "$T/many" "part 1 announces 65 parts, more than the 64 accepted"
sed '1s#^pam_jwt:1/7:[0-9]*:#pam_jwt:1/7:20000:#' "$T/p3" >"$T/huge"
check "a part announcing over 16 KiB: refused" refused "$T/huge" "over the 16384-byte limit"
head -n 3 "$T/p3" >"$T/stopped"
check "a conversation cut off after part 3: refused" refused "$T/stopped" \
	"the conversation ended before part 4 of 7"
check "... and the module asked no further" test "$(prompts)" = 3
{ head -n1 "$T/p3" && echo "hunter2 is my password"; } >"$T/garbage"
check "garbage at part 2: refused" refused "$T/garbage" \
	"the answer to part 2 of 7 is not a part of a token"
check "... and the garbage is not logged" bash -c "! grep -q hunter2 '$LOG'"
{ head -n1 "$T/p3" && echo && tail -n +3 "$T/p3"; } >"$T/empty"
check "an empty answer at part 2: refused" refused "$T/empty" \
	"the answer to part 2 of 7 is empty"
{ head -n1 "$T/p3" && head -n1 "$T/p3"; } >"$T/again"
check "part 1 at part 2's prompt (sshd's password method): refused, named" \
	refused "$T/again" "is part 1 again"
{ head -n1 "$T/p3" && sed -n 3p "$T/p3"; } >"$T/order"
check "part 3 at part 2's prompt: refused as out of order" refused "$T/order" \
	"the answer to part 2 of 7 is part 3 (out of order)"
{ head -n1 "$T/p3" && sed -n 2p "$T/p3" | cut -c1-400 && tail -n +3 "$T/p3"; } >"$T/cut"
check "a part cut by the application: refused as cut" refused "$T/cut" \
	"part 2 of 7 is 370 bytes, 435 expected"
check "... 'cut short by the application?'" log_has "cut short by the application?"

# What PAM_AUTHTOK holds afterwards: the whole token, for the modules below.
printf '%s\n' "$tok3" >"$T/tok3"
service authtok "auth optional $MODULE conf=$T/pam_jwt.conf" \
	"auth required $B/tests/pam_authtok_is.so @$T/tok3"
answers authtok alice "$T/p3"
check "after the parts, PAM_AUTHTOK holds the whole token (pam_authtok_is)" test $? = 0
head -n1 "$T/p3" >"$T/part1"
service authtok1 "auth optional $MODULE conf=$T/pam_jwt.conf" \
	"auth required $B/tests/pam_authtok_is.so @$T/part1"
answers authtok1 alice "$T/p3"
check "... and no longer part 1" test $? != 0
# A second pam_jwt line (another configuration) with use_first_pass judges
# the joined token without asking again.
service twice "auth [success=done default=ignore] $MODULE conf=$T/pam_jwt.conf audience=other" \
	"auth required $MODULE conf=$T/pam_jwt.conf use_first_pass"
answers twice alice "$T/p3"
check "a use_first_pass line after a refusing one accepts the joined token" test $? = 0
check "... with one round of prompts only" test "$(prompts)" = 6
check "... as one answer (no parts= on its line)" \
	bash -c "tail -n1 '$LOG' | grep -q outcome=accepted && ! tail -n1 '$LOG' | grep -q parts="
# Part 1 from an earlier module's prompt (pam_set_items stands in for it):
# use_first_pass asks for the rest.
service first "auth required /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so" \
	"auth required $MODULE conf=$T/pam_jwt.conf use_first_pass"
tail -n +2 "$T/p3" >"$T/rest"
PAM_AUTHTOK=$(head -n1 "$T/p3") answers first alice "$T/rest"
check "use_first_pass with part 1 from an earlier module: the rest is asked for" test $? = 0
check "... without asking for the first answer" bash -c "! grep -q '^JWT: ' '$T/pamtester.out'"
# try_first_pass: what is not a part reaches the next module untouched.
service or-unix "auth sufficient $MODULE conf=$T/pam_jwt.conf" \
	"auth required $B/tests/pam_authtok_is.so hunter2"
pam_run or-unix alice "hunter2"
check "a password at the first prompt still reaches the next module" test $? = 0
check "... declined, one prompt only" \
	bash -c "tail -n1 '$LOG' | grep -q outcome=declined && [ $(prompts) = 0 ]"
service or-unix2 "auth sufficient $MODULE conf=$T/pam_jwt.conf" \
	"auth required $B/tests/pam_authtok_is.so pam_jwt:hunter2"
pam_run or-unix2 alice "pam_jwt:hunter2"
check "a password that starts like a part reaches the next module untouched" test $? = 0
check "... refused as a malformed part, not logged" \
	bash -c "tail -n1 '$LOG' | grep -q 'malformed' && ! grep -q hunter2 '$LOG'"

check "no token, no part, nothing of one reached the log" no_leak "$LOG" "$T/secrets"
finish
