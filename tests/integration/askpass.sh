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

long=$(printf 'a%.0s' $(seq 600)).b.c
(umask 077 && printf '%s\n' "$long" >"$T/long")
PAM_JWT_TOKEN_FILE=$T/long ask "[sudo] password for alice: "
check "a token over sudo's 511 bytes at sudo's prompt: printed, with a note" \
	bash -c "[ \"\$(cat '$T/out')\" = '$long' ] && grep -q 'sudo passes at most 511' '$T/err'"
PAM_JWT_TOKEN_FILE=$T/long ask "JWT: "
check "the same token at ssh's prompt: no note (it fits 1023)" test ! -s "$T/err"
check "--help says how to use it with ssh and sudo" \
	bash -c "'$A' --help | grep -q SSH_ASKPASS && '$A' --help | grep -q SUDO_ASKPASS"
finish
