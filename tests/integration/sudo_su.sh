#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Real sudo, su and login stacks with the built module, inside a private mount
# namespace (tests/helpers/sandbox.sh) with the test's own /etc/pam.d/sudo,
# su and login (the examples from conf/pam.d), /etc/sudoers and test users:
# nothing of the machine changes.  sudo and su run as unprivileged test users
# with the token on stdin; login's stack runs through the real libpam with
# pamtester.
. "$(dirname "$0")/../helpers/sandbox.sh"
sandbox_reexec "$@"
. "$(dirname "$0")/../lib.sh"

missing=""
for p in sudo su setpriv pamtester; do
	command -v $p >/dev/null || missing="$missing $p"
done
if [ -n "$missing" ]; then
	skip "real sudo and su" "missing:$missing (make deps)"
	finish
	exit 0
fi
sandbox_setup || { notok "set up the private mount namespace"; finish; exit 1; }
# sudo and su log through syslog(): setuid, they ignore LD_PRELOAD (the logshim).
sandbox_syslog "$LOG" || { notok "a syslog listener on the namespace's /dev/log"; finish; exit 1; }
trap 'kill $SYSLOG_PID 2>/dev/null; wait 2>/dev/null; rm -rf --one-file-system "$T"' EXIT
# sudo runs askpass as pjtest: from a copy pjtest can read.
share_build || { notok "copy the build where test users can read it"; finish; exit 1; }
sandbox_user pjtest "unix-password-1" && sandbox_user pjother ||
	{ notok "test users"; finish; exit 1; }
gen_key ES256 es && gen_key ES256 stranger && gen_key RS256 rs ||
	{ notok "generate keys"; finish; exit 1; }

# sudo's example configuration, pointed at the test's keys.
sed -e "s#^issuer = .*#issuer = https://idp.test#" \
	-e "s#^jwks_file = .*#key_file = $T/es.pub\nkey_file = $T/rs.pub#" \
	-e "s#^algorithms = .*#algorithms = ES256 RS256#" \
	"$ROOT/conf/pam_jwt-sudo.conf" >"$T/sudo.conf"
printf '%s\n' "issuer = https://idp.test" "audience = su" "key_file = $T/es.pub" \
	"key_file = $T/rs.pub" "export_claims = sub" >"$T/su.conf"
printf '%s\n' "issuer = https://idp.test" "audience = login" "key_file = $T/es.pub" \
	"key_file = $T/rs.pub" >"$T/login.conf"
sandbox_pam sudo "$ROOT/conf/pam.d/sudo.jwt-only" "$T/sudo.conf"
sandbox_pam sudo-or-unix "$ROOT/conf/pam.d/sudo.jwt-or-unix" "$T/sudo.conf"
sandbox_pam su "$ROOT/conf/pam.d/su.jwt-only" "$T/su.conf"
sandbox_pam login "$ROOT/conf/pam.d/login.jwt-or-unix" "$T/login.conf"
# The test's sudoers: pjtest may run anything as root after authenticating;
# no lecture file, no timestamp, one try.
(umask 0227 && cat >"$T/etc/sudoers") <<'SUDOERS'
Defaults env_reset, !lecture, passwd_tries=1, timestamp_timeout=0, !syslog
Defaults secure_path="/usr/sbin:/usr/bin:/sbin:/bin"
root   ALL=(ALL:ALL) ALL
pjtest ALL=(ALL:ALL) ALL
SUDOERS
mount --bind "$T/etc/sudoers" /etc/sudoers || { notok "mount the test's sudoers"; finish; exit 1; }

# sudo runs the askpass program as pjtest, who may not reach the tree (a
# clone in a 0700 directory): copies in $T (0755).
mkdir -m 0755 "$T/bin" && install -m 0755 "$B/pam_jwt-askpass" "$ROOT/tests/helpers/parts_askpass.sh" \
	"$T/bin/" || { notok "copy the askpass programs"; finish; exit 1; }
ASKPASS=$T/bin/pam_jwt-askpass
now=$(date +%s)
sign() { "$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test "$@"; }
wheel='groups=["wheel","dev"]'
good=$(sign --sub pjtest --aud sudo --claim "$wheel")
# as USER COMMAND...: runs a command as a test user, with a clean environment.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups env -i PATH=/usr/bin:/bin \
		HOME="$T/home/$u" "$@"
}
# sudo_with TOKEN [ARGS...]: sudo -S -k as pjtest with TOKEN on stdin; the
# command's output in $T/out.
sudo_with() {
	local tok=$1
	shift
	printf '%s\n' "$tok" | as pjtest sudo -S -k "$@" >"$T/out" 2>"$T/err"
	sudo_rc=$?
}
# sudo_refused: the last sudo_with failed authentication and ran nothing.
sudo_refused() {
	[ "$sudo_rc" != 0 ] && [ ! -s "$T/out" ] && grep -q "incorrect password attempt" "$T/err"
}
su_refused() { ! grep -q user= "$T/out" && grep -q "Authentication failure" "$T/out"; }

sudo_with "$good" id -u
check "sudo -S -k with an ES256 token (${#good} bytes) runs as root" grep -qx 0 "$T/out"
sudo_with "$good" env
check "sudo: export_claims reach the command's environment" grep -qx "JWT_SUB=pjtest" "$T/out"
check "sudo: arrays are joined with commas" grep -qx "JWT_GROUPS=wheel,dev" "$T/out"
sudo_with "$("$TOOL" sign --key "$T/stranger.key" --alg ES256 --iss https://idp.test \
	--sub pjtest --aud sudo --claim "$wheel")" id -u
check "sudo: a token signed by an unknown key is refused" sudo_refused
sudo_with "$(sign --sub pjtest --aud sudo --claim "$wheel" --claim iat=$((now - 7200)) \
	--claim exp=$((now - 3600)))" id -u
check "sudo: an expired token is refused" sudo_refused
sudo_with "$(sign --sub pjother --aud sudo --claim "$wheel")" id -u
check "sudo: another user's token is refused" sudo_refused
sudo_with "not a token" id -u
check "sudo: a password is refused by the JWT-only stack" sudo_refused
sudo_with "$(sign --sub pjtest --aud sudo --claim 'scope=openid ssh:login')" id -u
check "require_claim groups=wheel: sshd's token (scope=ssh:login) does not sudo" \
	sudo_refused
sudo_with "$(sign --sub pjtest --aud ssh --claim "$wheel")" id -u
check "sudo: a token for another audience is refused" sudo_refused

# sudo hands PAM at most 511 bytes.
rs=$("$TOOL" sign --key "$T/rs.key" --alg RS256 --iss https://idp.test --sub pjtest --aud sudo \
	--claim "$wheel" --claim email=pjtest@example.test)
check "an RS256 token with a few claims is over 511 bytes (${#rs})" test ${#rs} -gt 511
check "pam_jwt-tool accepts that RS256 token for pjtest" \
	bash -c "'$TOOL' verify --config '$T/sudo.conf' --user pjtest '$rs' >/dev/null"
sudo_with "$rs" id -u
check "sudo: the same token is refused (sudo hands PAM nothing over 511 bytes)" \
	bash -c "[ $sudo_rc != 0 ] && [ ! -s '$T/out' ] && grep -q 'PAM authentication error' '$T/err'"

# sudo -A with pam_jwt-askpass: the token from a file only pjtest can read.
printf '%s\n' "$good" >"$T/home/pjtest/token"
chown pjtest: "$T/home/pjtest/token" && chmod 600 "$T/home/pjtest/token"
as pjtest env SUDO_ASKPASS="$ASKPASS" PAM_JWT_TOKEN_FILE="$T/home/pjtest/token" \
	sudo -A -k id -u >"$T/out" 2>"$T/err" </dev/null
check "sudo -A with SUDO_ASKPASS=pam_jwt-askpass runs as root" grep -qx 0 "$T/out"
chmod 644 "$T/home/pjtest/token"
as pjtest env SUDO_ASKPASS="$ASKPASS" PAM_JWT_TOKEN_FILE="$T/home/pjtest/token" \
	sudo -A -k id -u >"$T/out" 2>"$T/err" </dev/null
check "pam_jwt-askpass refuses a token file others can read" \
	bash -c "[ ! -s '$T/out' ] && grep -q 'accessible by group or others' '$T/err'"

# Real identity-provider tokens are longer than sudo's 511 bytes: RS256 with
# Entra-like group lists, 3 and 7 kB.  pam_jwt-askpass sends them in parts.
rsign() { "$TOOL" sign --key "$T/rs.key" --alg RS256 --iss https://idp.test "$@"; }
rs3=$(rsign --sub pjtest --aud sudo --claim "groups=$(guid_groups 48)")
rs7=$(rsign --sub pjtest --aud sudo --claim "groups=$(guid_groups 125)")
check "RS256 tokens of 3 kB (${#rs3} bytes) and 7 kB (${#rs7})" \
	test ${#rs3} -gt 2900 -a ${#rs3} -lt 3300 -a ${#rs7} -gt 6800 -a ${#rs7} -lt 7300
printf '%s\n' "$rs3" "$rs7" >"$T/secrets"
# sudo_askpass TOKEN COMMAND...: sudo -A -k as pjtest, pam_jwt-askpass
# reading TOKEN from a file only pjtest can read.
sudo_askpass() {
	local tok=$1
	shift
	(umask 077 && printf '%s\n' "$tok" >"$T/home/pjtest/token")
	chown pjtest: "$T/home/pjtest/token" && chmod 600 "$T/home/pjtest/token"
	as pjtest env SUDO_ASKPASS="$ASKPASS" PAM_JWT_TOKEN_FILE="$T/home/pjtest/token" \
		sudo -A -k "$@" >"$T/out" 2>"$T/err" </dev/null
	sudo_rc=$?
}
# sudo_scripted FILE: sudo -A -k id -u with tests/helpers/parts_askpass.sh
# answering part K with line K of FILE (parts of two tokens, garbage, STOP).
sudo_scripted() {
	install -m 0644 "$1" "$T/answers"
	cat "$1" >>"$T/secrets"
	as pjtest env SUDO_ASKPASS="$T/bin/parts_askpass.sh" \
		PJ_PARTS_FILE="$T/answers" sudo -A -k id -u >"$T/out" 2>"$T/err" </dev/null
	sudo_rc=$?
}
# The module's last decision line for sudo.
said() {
	sandbox_syslog_sync && grep 'pam_jwt(sudo:auth): user=' "$LOG" | tail -n 1 | grep -qF -- "$1"
}
askpass_refused() { [ "$sudo_rc" != 0 ] && [ ! -s "$T/out" ]; }

sudo_askpass "$rs3" id -u
check "sudo -A + pam_jwt-askpass: a 3 kB RS256 token runs as root" grep -qx 0 "$T/out"
check "... in 7 parts of at most 511 bytes (askpass knew sudo)" said "outcome=accepted"
check "... parts=7 in the log" said "parts=7"
sudo_askpass "$rs7" id -u
check "sudo -A + pam_jwt-askpass: a 7 kB RS256 token runs as root" grep -qx 0 "$T/out"
check "... in 15 parts" said "parts=15"
sudo_askpass "$rs3" env
check "sudo: the session sees the whole token's claims (JWT_GROUPS)" \
	grep -q "^JWT_GROUPS=wheel,[0-9a-f-]*,.*,[0-9a-f-]*$" "$T/out"
sudo_askpass "$good" id -u
check "sudo -A: a short ES256 token still goes in one answer" \
	eval "grep -qx 0 '$T/out' && said outcome=accepted && ! said parts="
exp3=$(rsign --sub pjtest --aud sudo --claim "groups=$(guid_groups 48)" --claim iat=$((now - 7200)) \
	--claim exp=$((now - 3600)))
sudo_askpass "$exp3" id -u
check "sudo -A: an expired 3 kB token is refused" askpass_refused
check "... the log says so" said "token expired"
other3=$(rsign --sub pjother --aud sudo --claim "groups=$(guid_groups 48)")
sudo_askpass "$other3" id -u
check "sudo -A: another user's 3 kB token is refused" askpass_refused
check "... the log says so" said "token is for another user"
printf '%s\n' "$exp3" "$other3" >>"$T/secrets"
parts_of "$rs3" 511 >"$T/p3"
parts_of "$other3" 511 >"$T/o3"
{ head -n1 "$T/p3" && tail -n +2 "$T/o3"; } >"$T/spliced"
sudo_scripted "$T/spliced"
check "sudo -A: a token spliced from parts of two tokens is refused" askpass_refused
check "... the log names the part of the other token" \
	said "the answer to part 2 of 7 belongs to another token than part 1"
sed '1s#^pam_jwt:1/7:#pam_jwt:1/65:#' "$T/p3" >"$T/many"
sudo_scripted "$T/many"
check "sudo -A: 65 parts are refused" askpass_refused
check "... the log says so" said "part 1 announces 65 parts, more than the 64 accepted"
{ head -n 3 "$T/p3" && echo STOP; } >"$T/stop"
sudo_scripted "$T/stop"
check "sudo -A: a client that stops after part 3 is refused" askpass_refused
check "... the log says where it stopped" said "before part 4 of 7"
{ head -n1 "$T/p3" && echo "hunter2 is my password"; } >"$T/garbage"
sudo_scripted "$T/garbage"
check "sudo -A: garbage at part 2 is refused" askpass_refused
check "... the log says so, without the garbage" \
	eval "said 'is not a part of a token' && ! grep -q hunter2 '$LOG'"
# The token file refreshed between two prompts: pam_jwt-askpass notices and
# sends nothing of the new token.
cat >"$T/refresh.sh" <<SH
#!/bin/sh
# the first call gets the old token, every later one a new token
if [ -e "$T/home/pjtest/called" ]; then echo "$other3"; else : >"$T/home/pjtest/called"; echo "$rs3"; fi
SH
chmod 755 "$T/refresh.sh"
as pjtest env SUDO_ASKPASS="$ASKPASS" PAM_JWT_TOKEN_COMMAND="$T/refresh.sh" \
	sudo -A -k id -u >"$T/out" 2>"$T/err" </dev/null
sudo_rc=$?
check "sudo -A: a token refreshed between two prompts is refused" askpass_refused
check "... pam_jwt-askpass said why" grep -q "another token than this one" "$T/err"
check "... the module logged the conversation's end" said "before part 2 of 7"

# JWT or Unix password (conf/pam.d/sudo.jwt-or-unix): one prompt, both work.
cp /etc/pam.d/sudo-or-unix /etc/pam.d/sudo
sudo_with "unix-password-1" id -u
check "sudo JWT-or-password: pjtest's Unix password still works" grep -qx 0 "$T/out"
sudo_with "$good" id -u
check "sudo JWT-or-password: the token works" grep -qx 0 "$T/out"
sudo_askpass "$rs7" id -u
check "sudo JWT-or-password: a 7 kB token in parts works (askpass at 'Token or password: ')" \
	grep -qx 0 "$T/out"
check "... the password is never logged" eval "sandbox_syslog_sync && ! grep -q unix-password-1 '$LOG'"

# ---- a revocation between two sudo calls (sudo's timestamp) ----
# Within timestamp_timeout sudo does not authenticate again: it calls only
# pam_acct_mgmt, pam_setcred and the session on a new handle, where pam_jwt
# has no token to check.  conf/sudoers.d/pam_jwt (timestamp_timeout=0) makes
# every sudo authenticate.  Both sudo calls run from one shell (without a tty
# sudo keys its timestamp to the parent process); root revokes in between.
cp /etc/pam.d/sudo-or-unix /etc/pam.d/sudo.keep
sandbox_pam sudo "$ROOT/conf/pam.d/sudo.jwt-only" "$T/sudo.conf"
(umask 022 && : >"$T/sudo-rev")
echo "revocation_file = $T/sudo-rev" >>"$T/sudo.conf"
cp "$T/etc/sudoers" "$T/sudoers.test"
sync_dir=$T/home/pjtest
# twice [SECOND-INPUT]: sudo with a fresh token, a "user" revocation of
# pjtest, then a second sudo (-n without input, else -S with it).
twice() {
	rm -f "$sync_dir/ready" "$sync_dir/revoked"
	: >"$T/sudo-rev"
	local tok
	tok=$(sign --sub pjtest --aud sudo --claim "$wheel" --claim iat=$(($(date +%s) - 5)))
	(
		for i in $(seq 100); do [ -e "$sync_dir/ready" ] && break; sleep 0.05; done
		"$TOOL" --config "$T/sudo.conf" revoke --user pjtest >/dev/null &&
			touch "$sync_dir/revoked"
	) &
	local revoker=$!
	local second="sudo -n id -u"
	[ -n "${1:-}" ] && second="printf '%s\n' '$1' | sudo -S id -u"
	printf '%s\n' "$tok" | as pjtest sh -c "sudo -S id -u; echo first=\$?; touch $sync_dir/ready
		for i in \$(seq 100); do [ -e $sync_dir/revoked ] && break; sleep 0.05; done
		$second; echo second=\$?" >"$T/out" 2>"$T/err"
	wait $revoker
	first_ok=0 second_ok=0
	grep -qx first=0 "$T/out" && first_ok=1
	grep -qx second=0 "$T/out" && second_ok=1
}
# (written in place: /etc/sudoers is a bind mount of this very inode)
no_timeout() { sed 's/timestamp_timeout=0, //' "$T/sudoers.test" >"$T/etc/sudoers"; }
no_timeout
twice
check "sudo timestamps (sudo's default): the first sudo with a token runs" test $first_ok = 1
check "sudo timestamps: after a revocation, the second sudo still runs (PAM never asked)" \
	test $second_ok = 1
cat "$ROOT/conf/sudoers.d/pam_jwt" >>"$T/etc/sudoers"
check "conf/sudoers.d/pam_jwt passes visudo -c" visudo -c -f "$ROOT/conf/sudoers.d/pam_jwt" -q
revoked=$(sign --sub pjtest --aud sudo --claim "$wheel" --claim iat=$(($(date +%s) - 5)))
twice
check "with conf/sudoers.d/pam_jwt: the first sudo runs" test $first_ok = 1
check "with conf/sudoers.d/pam_jwt: after the revocation, sudo -n finds no timestamp" \
	bash -c "[ $second_ok = 0 ] && grep -q 'a password is required' '$T/err'"
twice "$revoked"
check "with conf/sudoers.d/pam_jwt: after the revocation, the token is asked for and refused" \
	bash -c "[ $second_ok = 0 ] && grep -q 'incorrect password attempt' '$T/err'"
# Hosts that keep timestamps: root ends the user's at once.
no_timeout
rm -f "$sync_dir/ready" "$sync_dir/revoked"
tok=$(sign --sub pjtest --aud sudo --claim "$wheel")
(
	for i in $(seq 100); do [ -e "$sync_dir/ready" ] && break; sleep 0.05; done
	sudo -u pjtest sudo -K && touch "$sync_dir/revoked"
) &
ender=$!
printf '%s\n' "$tok" | as pjtest sh -c "sudo -S id -u >/dev/null; touch $sync_dir/ready
	for i in \$(seq 100); do [ -e $sync_dir/revoked ] && break; sleep 0.05; done
	sudo -n id -u; echo second=\$?" >"$T/out" 2>"$T/err"
wait $ender
check "timestamps kept: 'sudo -u pjtest sudo -K' (root) ends pjtest's at once" \
	grep -qx second=1 "$T/out"
cp "$T/sudoers.test" "$T/etc/sudoers"
cp /etc/pam.d/sudo.keep /etc/pam.d/sudo

# su: pjother becomes pjtest with pjtest's token, typed at su's terminal.
# su discards what is typed before it asks: a pty answers at the prompt.
su_with() {
	(umask 077 && printf '%s\n' "$1" >"$T/su-input")
	/usr/bin/python3 "$ROOT/tests/helpers/pty_answer.py" "JWT: " "$T/su-input" \
		setpriv --reuid=pjother --regid=pjother --init-groups env -i PATH=/usr/bin:/bin \
		su pjtest -c 'echo user=$(id -un) sub=$JWT_SUB' >"$T/out" 2>&1
}
su_with "$(sign --sub pjtest --aud su)"
check "su with pjtest's token makes pjother pjtest" grep -q "user=pjtest" "$T/out"
check "su: export_claims reach the shell" grep -q "sub=pjtest" "$T/out"
su_with "$(sign --sub pjtest --aud su --claim iat=$((now - 7200)) --claim exp=$((now - 3600)))"
check "su: an expired token is refused" su_refused
su_with "$("$TOOL" sign --key "$T/stranger.key" --alg ES256 --iss https://idp.test --sub pjtest \
	--aud su)"
check "su: a token signed by an unknown key is refused" su_refused
su_with "$good"
check "su: sudo's token (audience sudo) is refused" su_refused
# A person at su's terminal pastes a 7 kB token in parts (su reads 4095
# bytes), as pam_jwt-askpass --parts 4095 prints them.
su7=$(rsign --sub pjtest --aud su --claim "groups=$(guid_groups 125)")
printf '%s\n' "$su7" >>"$T/secrets"
parts_of "$su7" 4095 >"$T/su-parts"
check "a 7 kB token for su: 2 parts of at most 4095 bytes" test "$(wc -l <"$T/su-parts")" = 2
su_with "$(cat "$T/su-parts")"
check "su with a 7 kB token pasted in 2 parts makes pjother pjtest" grep -q "user=pjtest" "$T/out"
check "... the module asked for part 2" grep -q "JWT part 2 of 2 (" "$T/out"
check "... the log says parts=2" \
	eval "sandbox_syslog_sync && grep 'pam_jwt(su:auth)' '$LOG' | tail -n1 | grep -q parts=2"

# su with one_time: the module writes the record inside setuid su, where
# the invoking user sets the umask and a file size limit.  A limit too small
# for the record refuses the login with a reason; it does not kill su with
# SIGXFSZ, and the record's files keep their modes.
printf '%s\n' "one_time = yes" "one_time_file = $T/used" >>"$T/su.conf"
su_limited() { # TOKEN: su_with under umask 0 and ulimit -f 0
	(umask 077 && printf '%s\n' "$1" >"$T/su-input")
	/usr/bin/python3 "$ROOT/tests/helpers/pty_answer.py" "JWT: " "$T/su-input" \
		setpriv --reuid=pjother --regid=pjother --init-groups env -i PATH=/usr/bin:/bin \
		bash -c 'umask 0; ulimit -f 0; exec su pjtest -c "echo user=\$(id -un)"' >"$T/out" 2>&1
}
once=$(sign --sub pjtest --aud su)
su_limited "$once"
check "su one_time under ulimit -f 0: refused, su not killed by SIGXFSZ" su_refused
su_with "$once"
check "su one_time: the token then logs in once" grep -q "user=pjtest" "$T/out"
check "... its record is mode 0644, its lock 0600, whatever the umask was" \
	test "$(stat -c %a "$T/used") $(stat -c %a "$T/used.lock")" = "644 600"
su_limited "$once"
check "su one_time: used, refused again (under the limit too)" su_refused
su_with "$once"
check "su one_time: used, refused again" su_refused

# login's stack (conf/pam.d/login.jwt-or-unix) through the real libpam.
printf '%s\n' "$(sign --sub pjtest --aud login)" |
	pamtester login pjtest authenticate acct_mgmt >"$T/out" 2>&1
check "login stack: a token authenticates pjtest, account management passes" test $? = 0
printf '%s\n' "unix-password-1" | pamtester login pjtest authenticate acct_mgmt >"$T/out" 2>&1
check "login stack: the Unix password still works (try_first_pass)" test $? = 0
login7=$(rsign --sub pjtest --aud login --claim "groups=$(guid_groups 125)")
printf '%s\n' "$login7" >>"$T/secrets"
parts_of "$login7" 4095 >"$T/login-parts"
pamtester login pjtest authenticate acct_mgmt <"$T/login-parts" >"$T/out" 2>&1
check "login stack: a 7 kB token in 2 parts authenticates pjtest, account passes" test $? = 0
# pam_unix first, then pam_jwt use_first_pass: part 1 answers pam_unix's
# prompt, pam_jwt asks for the rest.
printf '%s\n' "auth [success=done default=ignore] pam_unix.so" \
	"auth required $MODULE conf=$T/login.conf use_first_pass" "account required pam_permit.so" \
	>/etc/pam.d/unix-first
pamtester unix-first pjtest authenticate <"$T/login-parts" >"$T/out" 2>&1
check "pam_unix, then pam_jwt use_first_pass: part 1 at pam_unix's prompt, then the rest" \
	bash -c "grep -q 'successfully' '$T/out' && grep -q '^Password: JWT part 2 of 2' '$T/out'"
printf '%s\n' "unix-password-1" | pamtester unix-first pjtest authenticate >"$T/out" 2>&1
check "... and the Unix password still works there" grep -q successfully "$T/out"
check "no token, no part, no password reached the log" \
	eval "sandbox_syslog_sync && no_leak '$LOG' '$T/secrets' && ! grep -q unix-password-1 '$LOG'"
finish
