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
	"export_claims = sub" >"$T/su.conf"
printf '%s\n' "issuer = https://idp.test" "audience = login" "key_file = $T/es.pub" >"$T/login.conf"
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
as pjtest env SUDO_ASKPASS="$B/pam_jwt-askpass" PAM_JWT_TOKEN_FILE="$T/home/pjtest/token" \
	sudo -A -k id -u >"$T/out" 2>"$T/err" </dev/null
check "sudo -A with SUDO_ASKPASS=pam_jwt-askpass runs as root" grep -qx 0 "$T/out"
chmod 644 "$T/home/pjtest/token"
as pjtest env SUDO_ASKPASS="$B/pam_jwt-askpass" PAM_JWT_TOKEN_FILE="$T/home/pjtest/token" \
	sudo -A -k id -u >"$T/out" 2>"$T/err" </dev/null
check "pam_jwt-askpass refuses a token file others can read" \
	bash -c "[ ! -s '$T/out' ] && grep -q 'accessible by group or others' '$T/err'"

# JWT or Unix password (conf/pam.d/sudo.jwt-or-unix): one prompt, both work.
cp /etc/pam.d/sudo-or-unix /etc/pam.d/sudo
sudo_with "unix-password-1" id -u
check "sudo JWT-or-password: pjtest's Unix password still works" grep -qx 0 "$T/out"
sudo_with "$good" id -u
check "sudo JWT-or-password: the token works" grep -qx 0 "$T/out"

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
finish
