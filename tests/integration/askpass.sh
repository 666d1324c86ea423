#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# pam_jwt-askpass as ssh and sudo run it: what it prints, what it refuses.
# (sshd.sh and sudo_su.sh use it for real logins.)
. "$(dirname "$0")/../lib.sh"
A=$B/pam_jwt-askpass
tok=aaaa.bbbb.cccc
(umask 077 && printf '  %s\n\n' "$tok" >"$T/tok")
ask() { "$A" "$@" >"$T/out" 2>"$T/err"; }
printed() { [ "$(cat "$T/out")" = "$1" ] && [ "$(wc -l <"$T/out")" = 1 ]; }
silent_fail() { [ "$1" != 0 ] && [ ! -s "$T/out" ] && grep -q -- "$2" "$T/err"; }

PAM_JWT_TOKEN_FILE=$T/tok ask "JWT: "
check "the token from PAM_JWT_TOKEN_FILE, trimmed, one line" printed "$tok"
PAM_JWT_TOKEN_FILE=$T/tok PAM_JWT_TOKEN_COMMAND="echo x.y.z" ask "JWT: "
check "PAM_JWT_TOKEN_FILE comes before PAM_JWT_TOKEN_COMMAND" printed "$tok"
chmod 640 "$T/tok"
PAM_JWT_TOKEN_FILE=$T/tok ask "JWT: "
check "a token file the group can read is refused" silent_fail $? "accessible by group or others"
chmod 600 "$T/tok"
if [ "$(id -u)" = 0 ]; then
	chown 1 "$T/tok"
	PAM_JWT_TOKEN_FILE=$T/tok ask "JWT: "
	check "a token file owned by someone else is refused" silent_fail $? "not owned by the user"
	chown 0 "$T/tok"
fi
mkfifo -m 600 "$T/fifo"
PAM_JWT_TOKEN_FILE=$T/fifo timeout 5 "$A" "JWT: " >"$T/out" 2>"$T/err"
check "a FIFO is refused at once (no hang)" silent_fail $? "not a regular file"
PAM_JWT_TOKEN_FILE=$T/missing ask
check "a missing token file is an error" silent_fail $? "cannot open"
(umask 077 && printf 'hunter2\n' >"$T/pw" && printf '%s\n%s\n' "$tok" "$tok" >"$T/two")
PAM_JWT_TOKEN_FILE=$T/pw ask
check "a file holding something else than a JWT is never printed" silent_fail $? "not a JWT"
PAM_JWT_TOKEN_FILE=$T/two ask
check "two lines are not one token" silent_fail $? "not a JWT"
(umask 077 && printf '%s.x\n' "$tok" >"$T/four")
PAM_JWT_TOKEN_FILE=$T/four ask
check "four dot-separated parts are not one token (JWE or a stray suffix)" silent_fail $? "not a JWT"

PAM_JWT_TOKEN_COMMAND='printf "%s\n" "$1" >&2; echo " x.y.z "' ask "user@host's password: "
check "PAM_JWT_TOKEN_COMMAND: its output, trimmed" printed "x.y.z"
check "PAM_JWT_TOKEN_COMMAND gets the prompt as \$1" grep -qx "user@host's password: " "$T/err"
PAM_JWT_TOKEN_COMMAND='echo x.y.z; exit 3' ask
check "a failing command prints nothing" silent_fail $? "PAM_JWT_TOKEN_COMMAND failed"
PAM_JWT_LOGIN=$T/missing ask "JWT: "
check "neither variable nor pam_jwt-login: an error naming all three" \
	silent_fail $? "PAM_JWT_TOKEN_FILE or PAM_JWT_TOKEN_COMMAND, or install pam_jwt-login"
# Neither variable: pam_jwt-login (here a stand-in) gets the token for the
# prompt, and learns who asks from our parent's pid.
printf '#!/bin/sh\nprintf "%%s|" "$@" >&2\necho " x.y.z "\n' >"$T/login"
chmod 755 "$T/login"
PAM_JWT_LOGIN=$T/login ask "(alice@db1.prod) JWT: "
check "neither variable: the token pam_jwt-login prints, trimmed" printed "x.y.z"
check "  ...asked with token --prompt PROMPT --caller-pid OUR_PARENT" \
	grep -qx "token|--prompt|(alice@db1.prod) JWT: |--caller-pid|$$|" "$T/err"
printf '#!/bin/sh\necho x.y.z; exit 1\n' >"$T/login"
PAM_JWT_LOGIN=$T/login ask "JWT: "
check "  ...and nothing when it fails" silent_fail $? "pam_jwt-login failed"
check "pam_jwt-askpass finds the pam_jwt-login beside it" test -x "$(dirname "$A")/pam_jwt-login"

PAM_JWT_TOKEN_FILE=$T/tok ask "Are you sure you want to continue connecting (yes/no/[fingerprint])? "
check "ssh's host key question is never answered" silent_fail $? "yes/no"
PAM_JWT_TOKEN_FILE=$T/tok SSH_ASKPASS_PROMPT=confirm ask "Allow use of key?"
check "SSH_ASKPASS_PROMPT=confirm is declined" silent_fail $? "yes/no"
PAM_JWT_TOKEN_FILE=$T/tok SSH_ASKPASS_PROMPT=none ask "Confirm user presence"
check "SSH_ASKPASS_PROMPT=none (a notice): exit 0, nothing printed" test $? = 0 -a ! -s "$T/out"

# Longer than the asking program passes on: parts (src/parts.c).  The limit
# comes from PAM_JWT_ANSWER_MAX, else from the parent's name: "ssh" (the
# OpenSSH client) sends 1023 bytes, sudo and anything else get 511.
long=eyJ$(printf 'a%.0s' $(seq 600)).b.c
(umask 077 && printf '%s\n' "$long" >"$T/long")
PAM_JWT_TOKEN_FILE=$T/long ask "[sudo] password for alice: "
check "a 607-byte token, parent not ssh: part 1 of 2, within 511 bytes" \
	bash -c "grep -q '^pam_jwt:1/2:607:[0-9a-f]\{12\}:eyJaaa' '$T/out' &&
		[ \$(wc -c <'$T/out') -le 512 ] && [ ! -s '$T/err' ]"
id=$(cut -d: -f4 "$T/out")
PAM_JWT_TOKEN_FILE=$T/long ask "JWT part 2 of 2 ($id): "
check "at the module's prompt for part 2: part 2" grep -q "^pam_jwt:2/2:607:$id:a*\.b\.c\$" "$T/out"
PAM_JWT_TOKEN_FILE=$T/long ask "(alice@host) JWT part 2 of 2 ($id): "
check "... also with the OpenSSH client's (user@host) before it" grep -q "^pam_jwt:2/2:" "$T/out"
PAM_JWT_TOKEN_FILE=$T/long ask "JWT part 2 of 2 (0123456789ab): "
check "a prompt for another token's part: refused, nothing printed" \
	silent_fail $? "asks for part 2 of 2 of another token"
PAM_JWT_ANSWER_MAX=1023 PAM_JWT_TOKEN_FILE=$T/long ask "JWT: "
check "PAM_JWT_ANSWER_MAX=1023: the 607-byte token whole" printed "$long"
PAM_JWT_ANSWER_MAX=12 PAM_JWT_TOKEN_FILE=$T/long ask "JWT: "
check "PAM_JWT_ANSWER_MAX below 64: an error" silent_fail $? "PAM_JWT_ANSWER_MAX must be"
PAM_JWT_TOKEN_FILE=$T/tok ask "JWT: "
check "a short token is still one answer" printed "$tok"
# The parent's name: a shell copied as ssh, or as sudo, runs the helper.
cp /bin/sh "$T/ssh" && cp /bin/sh "$T/sudo"
PAM_JWT_TOKEN_FILE=$T/long "$T/ssh" -c '"$0" "JWT: " >"$1"; true' "$A" "$T/out"
check "started by ssh: 1023 bytes, the 607-byte token whole" printed "$long"
PAM_JWT_TOKEN_FILE=$T/long "$T/sudo" -c '"$0" "JWT: " >"$1"; true' "$A" "$T/out"
check "started by sudo: 511 bytes, part 1" grep -q "^pam_jwt:1/2:" "$T/out"
big=eyJ$(printf 'b%.0s' $(seq 2500)).c.d
(umask 077 && printf '%s\n' "$big" >"$T/big")
PAM_JWT_TOKEN_FILE=$T/big "$T/ssh" -c '"$0" "JWT: " >"$1"; true' "$A" "$T/out"
check "started by ssh, 2507 bytes: part 1 of 3, within 1023 bytes" \
	bash -c "grep -q '^pam_jwt:1/3:2507:' '$T/out' && [ \$(wc -c <'$T/out') -le 1024 ]"
# Stateless: every prompt answered afresh, the parts make up the token.
id=$(cut -d: -f4 "$T/out")
joined=$(cut -d: -f5 "$T/out")
for k in 2 3; do
	PAM_JWT_TOKEN_FILE=$T/big "$T/ssh" -c '"$0" "$2" >"$1"; true' "$A" "$T/out" \
		"JWT part $k of 3 ($id): "
	joined=$joined$(cut -d: -f5 "$T/out")
done
check "parts 1-3 asked one by one make up the token" test "$joined" = "$big"
# A token command that mints a new token each time: part 2 would splice.
PAM_JWT_TOKEN_COMMAND="echo $big" ask "JWT: "
id=$(cut -d: -f4 "$T/out")
PAM_JWT_TOKEN_COMMAND="echo ${big%.d}.e" ask "JWT part 2 of 3 ($id): "
check "a token changed between prompts: part 2 refused, nothing printed" \
	silent_fail $? "another token than this one (it changed since part 1 was sent?)"
# --parts: every part, for a person to paste.
PAM_JWT_TOKEN_FILE=$T/big ask --parts 1023
check "--parts 1023: three lines of at most 1023 bytes" \
	bash -c "[ \$(wc -l <'$T/out') = 3 ] && ! awk 'length(\$0) > 1023' '$T/out' | grep -q ."
check "... that make up the token" test "$(cut -d: -f5 "$T/out" | tr -d '\n')" = "$big"
printf '%s\n' "$big" | "$A" --parts >"$T/out" 2>"$T/err"
check "--parts reads standard input without the variables; 511 bytes by default" \
	bash -c "[ \$(wc -l <'$T/out') = 6 ] && ! awk 'length(\$0) > 511' '$T/out' | grep -q ."
printf '%s\n' "$tok" | "$A" --parts >"$T/out" 2>"$T/err"
check "--parts with a short token: the token itself" printed "$tok"
printf '%s\n' "$big" | "$A" --parts 10 >"$T/out" 2>"$T/err"
check "--parts with a MAX below 64: an error" silent_fail $? "MAX must be"
printf 'hunter2\n' | "$A" --parts >"$T/out" 2>"$T/err"
check "--parts with something other than a JWT: an error" silent_fail $? "not a JWT"
check "--help says how to use it with ssh and sudo" \
	bash -c "'$A' --help | grep -q SSH_ASKPASS && '$A' --help | grep -q SUDO_ASKPASS"
finish
