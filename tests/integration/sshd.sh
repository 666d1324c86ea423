#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Real sshd logins with the built module: a copy of /usr/sbin/sshd named
# sshd-jwt-test (sshd takes its PAM service name from its binary's name), its
# own host key and config on 127.0.0.1 and a free port, the example files
# conf/pam.d/sshd.jwt-only, conf/pam_jwt-sshd.conf and
# conf/sshd_config.d/pam_jwt.conf, and test users - all inside a private mount
# namespace (tests/helpers/sandbox.sh), so nothing of the machine changes.
# Clients: paramiko (keyboard-interactive and password) and the OpenSSH
# client with SSH_ASKPASS=build/pam_jwt-askpass.
. "$(dirname "$0")/../helpers/sandbox.sh"
sandbox_reexec "$@"
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

missing=""
[ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
command -v ssh >/dev/null || missing="$missing openssh-client"
$PY -c 'import paramiko' 2>/dev/null || missing="$missing python3-paramiko"
if [ -n "$missing" ]; then
	skip "real sshd logins" "missing:$missing (make deps)"
	finish
	exit 0
fi
sandbox_setup || { notok "set up the private mount namespace"; finish; exit 1; }
sandbox_user pjtest && sandbox_user pjother || { notok "test users"; finish; exit 1; }
gen_key ES256 es && gen_key RS256 rs || { notok "generate keys"; finish; exit 1; }

# The example configuration, pointed at the test's key and revocation file.
sed -e "s#^issuer = .*#issuer = https://idp.test#" -e "s#^jwks_file = .*#key_file = $T/es.pub#" \
	"$ROOT/conf/pam_jwt-sshd.conf" >"$T/sshd.conf"
# debug: the account line logs its decision too.
printf '%s\n' "revocation_file = $T/revocations" "debug = yes" "key_file = $T/rs.pub" >>"$T/sshd.conf"
(umask 022 && : >"$T/revocations")
sandbox_pam sshd-jwt-test "$ROOT/conf/pam.d/sshd.jwt-only" "$T/sshd.conf"
check "the example PAM file names the module and the test's configuration" \
	grep -q "^auth *required *$MODULE conf=$T/sshd.conf" /etc/pam.d/sshd-jwt-test

cp /usr/sbin/sshd "$T/sshd-jwt-test"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
# Before the Include: the first value wins, and the test tries the password
# method too (the snippet turns it off).
cat >"$T/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
PasswordAuthentication yes
PubkeyAuthentication no
PermitRootLogin no
UseDNS no
PrintMotd no
PrintLastLog no
MaxAuthTries 20
LogLevel VERBOSE
Include $ROOT/conf/sshd_config.d/pam_jwt.conf
CONF
check "sshd accepts the configuration with the example snippet" \
	"$T/sshd-jwt-test" -t -f "$T/sshd_config"
LD_PRELOAD=$LOGSHIM PJ_LOG_FILE=$LOG "$T/sshd-jwt-test" -D -f "$T/sshd_config" \
	-E "$T/sshd.log" &
sshd_pid=$!
trap 'kill $sshd_pid 2>/dev/null; wait 2>/dev/null; rm -rf --one-file-system "$T"' EXIT
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.05
done
check "sshd-jwt-test listens on 127.0.0.1:$port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"

now=$(date +%s)
sign() { "$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test --aud ssh "$@"; }
good=$(sign --sub pjtest --claim 'scope=openid ssh:login' --claim email=pjtest@example.test \
	--claim 'groups=["wheel","dev"]')
SHOW='echo "sub=$JWT_SUB email=$JWT_EMAIL groups=$JWT_GROUPS"'
WANT="sub=pjtest email=pjtest@example.test groups=wheel,dev"

# paramiko METHOD USER TOKEN: one login; output in $T/out, status returned.
paramiko() {
	(umask 077 && printf '%s\n' "$3" >"$T/tok")
	$PY "$ROOT/tests/helpers/ssh_login.py" "$port" "$2" "$1" "$T/tok" "$SHOW" >"$T/out" 2>&1
}
# openssh METHOD USER TOKEN [ASKPASS]: the OpenSSH client, the token from
# pam_jwt-askpass (or ASKPASS, with $PJ_PARTS_FILE: tests/helpers/parts_askpass.sh).
openssh() {
	(umask 077 && printf '%s\n' "$3" >"$T/tok")
	SSH_ASKPASS=${4:-$B/pam_jwt-askpass} SSH_ASKPASS_REQUIRE=force PAM_JWT_TOKEN_FILE=$T/tok \
		setsid -w ssh -F /dev/null -o BatchMode=no -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 \
		-o PreferredAuthentications="$1" -o NumberOfPasswordPrompts=1 \
		-p "$port" "$2@127.0.0.1" "$SHOW" </dev/null >"$T/out" 2>&1
}
out_has() { grep -qF -- "$1" "$T/out"; }
# The module's last line (sshd's session modules log after it).
jwt_log_has() { grep 'pam_jwt(' "$LOG" | tail -n 1 | grep -qF -- "$1"; }
# Its last decision at authentication.
auth_said() { grep 'pam_jwt(sshd-jwt-test:auth): user=' "$LOG" | tail -n 1 | grep -qF -- "$1"; }
log_lines() { wc -l <"$LOG" 2>/dev/null || echo 0; }

paramiko keyboard-interactive pjtest "$good"
check "paramiko keyboard-interactive: an ES256 token logs pjtest in" test $? = 0
check "keyboard-interactive: the prompt is pam_jwt's" out_has "prompt: JWT: "
check "keyboard-interactive: export_claims reach the shell (authenticated in sshd's child)" \
	out_has "$WANT"
check "keyboard-interactive: the module logged the acceptance" \
	grep -q 'pam_jwt(sshd-jwt-test:auth): user=pjtest outcome=accepted' "$LOG"
check "keyboard-interactive: the account line checked the token again (the grant was there)" \
	jwt_log_has "user=pjtest phase=account outcome=accepted"

paramiko password pjtest "$good"
check "paramiko password method: the token logs pjtest in" test $? = 0
check "password method: export_claims reach the shell" out_has "$WANT"
check "password method: the account line checked the token again" \
	jwt_log_has "user=pjtest phase=account outcome=accepted"

big=$(sign --sub pjtest --claim 'scope=ssh:login' --claim "pad=$(printf '%0900d' 0)")
check "the big token is about 1.5 kB (${#big} bytes)" test ${#big} -gt 1400 -a ${#big} -lt 1700
paramiko keyboard-interactive pjtest "$big"
check "paramiko keyboard-interactive: a 1.5 kB token is accepted" test $? = 0
n=$(log_lines)
paramiko password pjtest "$big"
check "password method: a 1.5 kB token is refused" test $? = 1
check "password method: sshd refused it before PAM (the module saw nothing)" \
	test "$(log_lines)" = "$n"

openssh keyboard-interactive pjtest "$good"
check "OpenSSH client + pam_jwt-askpass, keyboard-interactive: logged in" test $? = 0
check "OpenSSH client: export_claims reach the shell" out_has "$WANT"
openssh password pjtest "$good"
check "OpenSSH client + pam_jwt-askpass, password method: logged in" test $? = 0
openssh keyboard-interactive pjtest "$good"
check "OpenSSH client: a short ES256 token still goes in one answer" \
	eval "auth_said outcome=accepted && ! auth_said parts="
openssh keyboard-interactive pjtest "$big"
check "OpenSSH client: a 1.5 kB token goes in 2 parts and logs in" test $? = 0
check "... parts=2 (pam_jwt-askpass knew the OpenSSH client: 1023 bytes)" auth_said "parts=2"
# The client's limit is real: one answer of a little over 1023 bytes
# (PAM_JWT_ANSWER_MAX forces it) loses part of its signature on the way.
pad=700
for _ in 1 2 3 4; do
	long=$(sign --sub pjtest --claim 'scope=ssh:login' --claim "pad=$(printf "%0${pad}d" 0)")
	pad=$((pad + (1060 - ${#long}) * 3 / 4))
done
PAM_JWT_ANSWER_MAX=16384 openssh keyboard-interactive pjtest "$long"
check "OpenSSH client: a ${#long}-byte token in one answer is refused" test $? != 0
check "OpenSSH client: it arrived cut to 1023 bytes, and the log says so" \
	auth_said "input is exactly 1023 bytes"

# Real identity-provider tokens: RS256 with Entra-like group lists, 3 and
# 7 kB, in parts of at most 1023 bytes from pam_jwt-askpass.
rsign() { "$TOOL" sign --key "$T/rs.key" --alg RS256 --iss https://idp.test --aud ssh "$@"; }
rs3=$(rsign --sub pjtest --claim 'scope=openid ssh:login' --claim email=pjtest@example.test \
	--claim "groups=$(guid_groups 48)")
rs7=$(rsign --sub pjtest --claim 'scope=openid ssh:login' --claim "groups=$(guid_groups 125)")
check "RS256 tokens of 3 kB (${#rs3} bytes) and 7 kB (${#rs7})" \
	test ${#rs3} -gt 2900 -a ${#rs3} -lt 3300 -a ${#rs7} -gt 6800 -a ${#rs7} -lt 7300
printf '%s\n' "$good" "$big" "$rs3" "$rs7" >"$T/secrets"
n3=$(parts_of "$rs3" 1023 | wc -l) n7=$(parts_of "$rs7" 1023 | wc -l)
openssh keyboard-interactive pjtest "$rs3"
check "OpenSSH client + pam_jwt-askpass: a 3 kB RS256 token logs in" test $? = 0
check "... in $n3 parts (keyboard-interactive, one round each)" auth_said "parts=$n3"
check "... and the session has the whole token's claims" \
	grep -q "^sub=pjtest email=pjtest@example.test groups=wheel,[0-9a-f-]*,.*[0-9a-f]$" "$T/out"
openssh keyboard-interactive pjtest "$rs7"
check "OpenSSH client + pam_jwt-askpass: a 7 kB RS256 token logs in" test $? = 0
check "... in $n7 parts" auth_said "parts=$n7"
check "... and the account line checked it again" \
	jwt_log_has "user=pjtest phase=account outcome=accepted"
openssh keyboard-interactive pjtest \
	"$(rsign --sub pjtest --claim 'scope=ssh:login' --claim "groups=$(guid_groups 48)" \
		--claim iat=$((now - 7200)) --claim exp=$((now - 3600)))"
check "OpenSSH client: an expired 3 kB token in parts is refused" test $? != 0
check "... the log says so" auth_said "token expired"
other3=$(rsign --sub pjother --claim 'scope=ssh:login' --claim "groups=$(guid_groups 48)")
openssh keyboard-interactive pjtest "$other3"
check "OpenSSH client: another user's 3 kB token in parts is refused" test $? != 0
check "... the log says so" auth_said "token is for another user"
printf '%s\n' "$other3" >>"$T/secrets"
# A client that sends what it should not (tests/helpers/parts_askpass.sh).
parts_of "$rs3" 1023 >"$T/p3"
parts_of "$other3" 1023 >"$T/o3"
scripted() { # FILE: the OpenSSH client answering from FILE
	cp "$1" "$T/answers" && cat "$1" >>"$T/secrets"
	PJ_PARTS_FILE=$T/answers openssh keyboard-interactive pjtest x \
		"$ROOT/tests/helpers/parts_askpass.sh"
}
{ head -n1 "$T/p3" && tail -n +2 "$T/o3"; } >"$T/spliced"
scripted "$T/spliced"
check "OpenSSH client: a token spliced from parts of two tokens is refused" test $? != 0
check "... the log names the part of the other token" \
	auth_said "the answer to part 2 of $n3 belongs to another token than part 1"
sed "1s#^pam_jwt:1/$n3:#pam_jwt:1/65:#" "$T/p3" >"$T/many"
scripted "$T/many"
check "OpenSSH client: 65 parts are refused" test $? != 0
check "... the log says so" auth_said "part 1 announces 65 parts, more than the 64 accepted"
{ head -n 2 "$T/p3" && echo STOP; } >"$T/stop"
scripted "$T/stop"
check "OpenSSH client: a client that stops after part 2 is refused" test $? != 0
check "... the log says where (the client sent an empty answer)" \
	auth_said "the answer to part 3 of $n3 is empty (did the client stop?)"
# paramiko: keyboard-interactive has no length limit of its own, so the 7 kB
# token goes in one answer as well as in parts; the password method answers
# every prompt with the password, so parts cannot go that way.
paramiko keyboard-interactive pjtest "$rs7"
check "paramiko keyboard-interactive: the 7 kB token in one answer logs in" test $? = 0
paramiko keyboard-interactive pjtest "$(parts_of "$rs7" 1023)"
check "paramiko keyboard-interactive: the 7 kB token in parts logs in" test $? = 0
check "... paramiko saw the prompts for every part" out_has "prompt: JWT part $n7 of $n7 ("
paramiko password pjtest "$(parts_of "$rs3" 1023)"
check "paramiko password method: a token in parts is refused" test $? = 1
check "... and the log says why (sshd answers every prompt with the password)" \
	auth_said "is part 1 again"
check "no token, no part reached sshd's log or the module's" \
	eval "no_leak '$LOG' '$T/secrets' && no_leak '$T/sshd.log' '$T/secrets'"

# Refusals, each for its own reason.
paramiko keyboard-interactive pjtest "$(sign --sub pjother --claim 'scope=ssh:login')"
check "another user's token is refused" test $? = 1
check "another user's token: the log says so" jwt_log_has "token is for another user"
paramiko keyboard-interactive pjtest \
	"$(sign --sub pjtest --claim 'scope=ssh:login' --claim iat=$((now - 7200)) \
		--claim exp=$((now - 3600)))"
check "an expired token is refused" test $? = 1
check "expired: the log says so" jwt_log_has "token expired"
paramiko keyboard-interactive pjtest "$(sign --sub pjtest --claim 'groups=["wheel"]')"
check "require_claim scope=ssh:login: a token without that scope is refused (sudo's token)" \
	test $? = 1
check "require_claim: the log says so" jwt_log_has "require_claim scope=ssh:login"
paramiko keyboard-interactive pjtest "$(sign --sub pjtest --claim 'scope=ssh:login-admin')"
check "require_claim: scope ssh:login-admin is not ssh:login" test $? = 1
revoked=$(sign --sub pjtest --claim 'scope=ssh:login')
paramiko keyboard-interactive pjtest "$revoked"
check "a token about to be revoked logs in" test $? = 0
printf '%s\n' "$revoked" >"$T/revoke-me"
"$TOOL" --config "$T/sshd.conf" revoke --token "$T/revoke-me" >/dev/null
paramiko keyboard-interactive pjtest "$revoked"
check "the same token, revoked, is refused" test $? = 1
check "revoked: the log says so" jwt_log_has "revoked"
check "the token never reaches sshd's log or the module's" \
	bash -c "! grep -qF -e '${good##*.}' '$T/sshd.log' '$LOG'"
finish
