#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Nobody pastes tokens: the stock OpenSSH client and sudo -A, with
# SSH_ASKPASS / SUDO_ASKPASS = pam_jwt-askpass, which asks pam_jwt-login,
# which gets the token from a real OpenID provider (tests/helpers/oidc,
# HTTPS with a test CA on 127.0.0.1).  A second sshd as sshd.sh runs it, and
# sudo, verify the tokens with the built module, whose keys come from the
# same provider (discovery_url).  All inside a private mount namespace
# (tests/helpers/sandbox.sh); alice, the person, approves through the
# provider's pages (driven by the test).
#   - the first ssh shows a code on alice's terminal, is approved, logs in;
#   - the next one within the token's life asks the provider nothing;
#   - after expiry it refreshes, silently, with no terminal at all;
#   - a denied code and an expired one fail with their reason;
#   - sudo -A gets a token for its own audience (ssh's would not do).
. "$(dirname "$0")/../helpers/sandbox.sh"
sandbox_reexec "$@"
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/helpers/oidc/oidc.sh"
PY=/usr/bin/python3

missing=""
[ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
for p in ssh sudo setpriv; do command -v $p >/dev/null || missing="$missing $p"; done
if [ -n "$missing" ]; then
	skip "ssh and sudo with tokens from pam_jwt-login" "missing:$missing (make deps)"
	finish
	exit 0
fi
if ! oidc_install; then
	if [ -n "$OIDC_SKIP" ]; then
		skip "ssh and sudo with tokens from pam_jwt-login" "$OIDC_SKIP"
		finish
		exit 0
	fi
	notok "npm ci of tests/helpers/oidc"
	finish
	exit 1
fi
sandbox_setup || { notok "set up the private mount namespace"; finish; exit 1; }
sandbox_user alice || { notok "the test user"; finish; exit 1; }
cat >"$T/op.json" <<'JSON'
{
  "users": {"alice": {"password": "alice-password", "claims": {"groups": ["wheel"],
    "team": "database reliability engineering, on call for db*.prod; a claim long enough that the token takes two answers of the OpenSSH client, which sends at most 1023 bytes, so that it goes in parts: pam_jwt(8), TOKENS IN PARTS. Providers add claims like this one (descriptions, groups, tenant data) and a token grows past what sudo and ssh pass on; pam_jwt-askpass then answers the module's prompt for each part, and pam_jwt-login gives it the same cached token every time. Padding: 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789"}}},
  "resources": {"ssh://db.prod": {"scope": "ssh:login", "ttl": 6},
                "sudo://laptop": {"ttl": 300, "alg": "RS256"}},
  "device": {"interval": 1}
}
JSON
oidc_start "$T/op" "$T/op.json" || { notok "start the provider"; finish; exit 1; }
trap 'kill $sshd_pid 2>/dev/null; oidc_stop; wait 2>/dev/null; rm -rf "$T"' EXIT
op_set() {
	$PY -c "import json, sys; c = json.load(open(sys.argv[1])); $1; json.dump(c, open(sys.argv[1], 'w'))" \
		"$T/op.json" && oidc_reload >/dev/null
}

# ---- the hosts: sshd and sudo verify with keys from the provider ----
mkdir -m 755 "$T/jwks-cache"
sed -e "s#^issuer = .*#issuer = $OIDC_ISSUER#" -e "s#^audience = .*#audience = ssh://db.prod#" \
	-e "s#^jwks_file = .*#discovery_url = $OIDC_ISSUER/.well-known/openid-configuration#" \
	"$ROOT/conf/pam_jwt-sshd.conf" >"$T/sshd.conf"
sed -e "s#^issuer = .*#issuer = $OIDC_ISSUER#" -e "s#^audience = .*#audience = sudo://laptop#" \
	-e "s#^jwks_file = .*#discovery_url = $OIDC_ISSUER/.well-known/openid-configuration#" \
	"$ROOT/conf/pam_jwt-sudo.conf" >"$T/sudo.conf"
for f in sshd sudo; do
	printf '%s\n' "ca_file = $OIDC_CA" "cache_dir = $T/jwks-cache" "typ = at+jwt" \
		"revocation_file = $T/revocations" "fetch_helper = $FETCH" >>"$T/$f.conf"
done
(umask 022 && : >"$T/revocations")
sandbox_pam sshd-jwt-test "$ROOT/conf/pam.d/sshd.jwt-only" "$T/sshd.conf"
sandbox_pam sudo "$ROOT/conf/pam.d/sudo.jwt-only" "$T/sudo.conf"
(umask 0227 && printf '%s\n' 'Defaults env_reset, !lecture, passwd_tries=1, timestamp_timeout=0, !syslog' \
	'root ALL=(ALL:ALL) ALL' 'alice ALL=(ALL:ALL) ALL' >"$T/etc/sudoers")
mount --bind "$T/etc/sudoers" /etc/sudoers || { notok "the test's sudoers"; finish; exit 1; }

cp /usr/sbin/sshd "$T/sshd-jwt-test"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
PubkeyAuthentication no
PermitRootLogin no
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
Include $ROOT/conf/sshd_config.d/pam_jwt.conf
CONF
LD_PRELOAD=$LOGSHIM PJ_LOG_FILE=$LOG "$T/sshd-jwt-test" -D -f "$T/sshd_config" -E "$T/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.05
done

# ---- alice's side: her programs, her configuration, her cache ----
H=$T/home/alice
# Alice's copies: a clone in a 0700 directory is closed to her.
mkdir -p "$T/bin" && cp "$B/pam_jwt-askpass" "$B/pam_jwt-login" "$ROOT/tests/helpers/pty_run.py" \
	"$T/bin/" && chmod 755 "$T/bin"
install -d -o alice -g alice -m 700 "$H/.config" "$H/.config/pam_jwt"
cat >"$H/.config/pam_jwt/client.conf" <<CONF
Host db*.prod
    Resource ssh://db.prod
    Scope openid offline_access ssh:login
    MinValidity 2
Service sudo
    Resource sudo://laptop
Match all
    Issuer $OIDC_ISSUER
    CAFile $OIDC_CA
    ClientId pam-jwt-cli
CONF
# ssh shows its askpass the HostName, or HostKeyAlias when set: the alias
# names the host for pam_jwt-login as it does for known_hosts.
cat >"$H/.ssh_config" <<CONF
Host db1.prod
    HostName 127.0.0.1
    HostKeyAlias db1.prod
    Port $port
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    PreferredAuthentications keyboard-interactive
    NumberOfPasswordPrompts 1
    LogLevel ERROR
CONF
chown alice: "$H/.config/pam_jwt/client.conf" "$H/.ssh_config"
CACHE=$H/.cache/pam_jwt
# as_alice COMMAND...: alice's session: her ids and a clean environment
# with the askpass settings.
as_alice() {
	setpriv --reuid=alice --regid=alice --init-groups env -i PATH=/usr/bin:/bin HOME="$H" \
		TERM=xterm SSH_ASKPASS="$T/bin/pam_jwt-askpass" SSH_ASKPASS_REQUIRE=force \
		SUDO_ASKPASS="$T/bin/pam_jwt-askpass" "$@"
}
SSH="ssh -F $H/.ssh_config -n db1.prod"
# on_tty NAME COMMAND: alice runs COMMAND (sh) on a terminal of her own, in
# the background; its terminal in $T/NAME.tty, its status in $T/NAME.rc.
on_tty() {
	rm -f "$T/$1".*
	touch_for_alice "$T/$1.tty"
	touch_for_alice "$T/$1.rc"
	as_alice $PY "$T/bin/pty_run.py" "$T/$1.tty" sh -c "$2; echo \$? >$T/$1.rc" &
}
touch_for_alice() { : >"$1" && chown alice: "$1"; }
code() {
	local c _
	for _ in $(seq 150); do
		c=$(grep -aoE 'enter the code +[A-Z]{4}-[A-Z]{4}' "$T/$1.tty" 2>/dev/null | grep -oE '[A-Z]{4}-[A-Z]{4}$')
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.1
	done
	return 1
}
finished() {
	local _
	for _ in $(seq 300); do [ -s "$T/$1.rc" ] && break; sleep 0.1; done
	return "$(cat "$T/$1.rc" 2>/dev/null || echo 99)"
}
run_tty() { # NAME COMMAND: on_tty, the transcript files alice's to write
	on_tty "$1" "$2"
}
DEV=' POST /device/auth '

# ---- the first ssh: a code on the terminal, approved, logged in ----
oidc_mark
run_tty ssh1 "$SSH 'echo in as \$(id -un): \$JWT_SUB'"
c=$(code ssh1)
check "the first ssh db1.prod shows a device code on alice's terminal ($c)" test -n "$c"
oidc_approve "$c" >/dev/null
finished ssh1
check "  ...approved at the provider: ssh logs in" test $? = 0
check "  ...as alice, with the token's sub in the session" grep -aq "in as alice: alice" "$T/ssh1.tty"
check "  ...the module accepted the provider's token (keys through discovery_url)" \
	grep -q "user=alice outcome=accepted" "$LOG"
check "  ...one device authorization, and the module fetched the provider's keys" \
	test "$(oidc_new "$DEV")" = 1 -a "$(oidc_new ' GET /jwks 200')" -ge 1
check "alice's cache: 0700, hers" test "$(stat -c %U:%a "$CACHE")" = alice:700
dtok=$(sed -n 's/^access_token //p' "$CACHE"/*[0-9a-f])
check "  ...its token is ${#dtok} bytes, over the OpenSSH client's 1023: it went in parts" \
	test "${#dtok}" -gt 1023

# ---- within the token's life: the cache, no request at all ----
oidc_mark
as_alice setsid -w $SSH 'echo again' >"$T/out" 2>&1 </dev/null
check "the next ssh, with no terminal at all, logs in" grep -qx again "$T/out"
check "  ...without a request to the provider (client or module)" test "$(oidc_new .)" = 0

# ---- after expiry: a silent refresh ----
exp=$(sed -n 's/^expires_at //p' "$CACHE"/*[0-9a-f] | head -n 1)
while [ $(($(date +%s) + 2)) -le "$exp" ]; do sleep 0.5; done
oidc_mark
as_alice setsid -w $SSH 'echo refreshed' >"$T/out" 2>&1 </dev/null
check "after the token expired, ssh with no terminal still logs in" grep -qx refreshed "$T/out"
check "  ...by a refresh, no device flow" test "$(oidc_new 'grant_type=refresh_token')" = 1 -a \
	"$(oidc_new "$DEV")" = 0

# ---- sudo -A: a token of its own ----
oidc_mark
run_tty sudo1 "sudo -A -k id -u"
c=$(code sudo1)
check "sudo -A: pam_jwt-login wants a token for sudo (a code on the terminal)" test -n "$c"
oidc_approve "$c" >/dev/null
finished sudo1
check "  ...approved: sudo runs the command as root" \
	bash -c "tr -d '\\r' <'$T/sudo1.tty' | grep -qx 0"
check "  ...with a token for aud sudo://laptop" \
	test "$(oidc_new "POST /token 200 .*resource=sudo://laptop")" = 1
stok=$(sed -n 's/^access_token //p' "$(grep -l '^resource sudo://laptop' "$CACHE"/*[0-9a-f])")
check "  ...an RS256 token of ${#stok} bytes, over sudo's 511: askpass sent it in parts, asking pam_jwt-login at each prompt" \
	test "${#stok}" -gt 511
oidc_mark
as_alice setsid -w sudo -A -k id -u >"$T/out" 2>&1 </dev/null
check "the next sudo -A: from the cache, no terminal, no request" \
	bash -c "grep -qx 0 '$T/out' && [ $(oidc_new .) = 0 ]"
sshtok=$(sed -n 's/^access_token //p' "$(grep -l '^resource ssh://db.prod' "$CACHE"/*[0-9a-f])")
"$TOOL" verify --config "$T/sudo.conf" --user alice "$sshtok" >/dev/null 2>"$T/out"
check "ssh's token does not do for sudo: sudo's configuration refuses it ($(cat "$T/out"))" \
	grep -q "audience" "$T/out"

# ---- denied, expired ----
as_alice "$T/bin/pam_jwt-login" logout --host db1.prod
run_tty deny "$SSH true"
oidc_deny "$(code deny)" >/dev/null
finished deny
check "a denied code: ssh fails" test $? != 0
check "  ...and alice reads why" grep -aq "denied at the provider (access_denied)" "$T/deny.tty"
op_set 'c["ttl"] = {"DeviceCode": 2}'
run_tty expired "$SSH true"
code expired >/dev/null
finished expired
check "a code nobody approves: ssh fails when it expires" test $? != 0
check "  ...and alice reads why" grep -aq "expired before it was approved (expired_token)" \
	"$T/expired.tty"
check "no token reached sshd's log, the module's, or a terminal" bash -c "! grep -aqE \
	'eyJ[A-Za-z0-9_-]+\\.eyJ' '$T/sshd.log' '$LOG' $T/*.tty"
finish
