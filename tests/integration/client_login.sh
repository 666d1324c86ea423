#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# pam_jwt-login against a real OpenID provider (tests/helpers/oidc:
# oidc-provider from npm, HTTPS with a test CA on 127.0.0.1), a person's
# approval driven through the provider's own pages: the device flow on a
# terminal (code, URI and a QR code zbarimg reads back), the cache (no request
# while a token is valid), a silent refresh, a refresh token that stopped
# working, denial, an expired code, slow_down, client credentials for robots,
# a token per audience, and the cache, secret and configuration held to the
# rules for private keys.  (client_ssh.sh logs in with ssh and sudo.)
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/helpers/oidc/oidc.sh"
PY=/usr/bin/python3

if ! oidc_install; then
	if [ -n "$OIDC_SKIP" ]; then
		skip "pam_jwt-login against a real OpenID provider" "$OIDC_SKIP"
		finish
		exit 0
	fi
	notok "npm ci of tests/helpers/oidc ($(tail -n 3 "$OIDC_NPM_DIR/install.log" | tr '\n' ' '))"
	finish
	exit 1
fi
trap 'oidc_stop; rm -rf "$T"' EXIT
cat >"$T/op.json" <<'JSON'
{
  "users": {"alice": {"password": "alice-password", "claims": {"groups": ["wheel"]}}},
  "resources": {"ssh://db.prod": {"scope": "ssh:login", "ttl": 6},
                "sudo://laptop": {"ttl": 300}, "https://api.robots": {"ttl": 300}},
  "clients": [
    {"client_id": "pam-jwt-cli", "token_endpoint_auth_method": "none",
     "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]},
    {"client_id": "robot", "client_secret": "robot-secret-0123456789",
     "grant_types": ["client_credentials"]}
  ],
  "device": {"interval": 1}
}
JSON
# op_set PYTHON: changes the provider's configuration and reloads it.
op_set() {
	$PY -c "import json, sys; c = json.load(open(sys.argv[1])); $1; json.dump(c, open(sys.argv[1], 'w'))" \
		"$T/op.json" && oidc_reload >/dev/null
}
oidc_start "$T/op" "$T/op.json" || { notok "start the provider"; finish; exit 1; }

export HOME=$T/home
unset XDG_CONFIG_HOME XDG_CACHE_HOME PAM_JWT_TARGET
CONF=$HOME/.config/pam_jwt/client.conf
CACHE=$HOME/.cache/pam_jwt
mkdir -p "$HOME/.config/pam_jwt"
(umask 077 && printf 'robot-secret-0123456789\n' >"$HOME/robot.secret")
cat >"$CONF" <<CONF
# Tokens for the database hosts (ssh), for sudo here, and for a robot.
Host db*.prod
    Resource ssh://db.prod
    Scope openid offline_access ssh:login
    MinValidity 2
Service sudo
    Resource sudo://laptop
Host robot.ci
    ClientId robot
    Grant client_credentials
    ClientSecretFile ~/robot.secret
    Resource https://api.robots
Host otherca.ci
    CAFile $T/other-ca.pem
    ClientId robot
    Grant client_credentials
    ClientSecretFile ~/robot.secret
    Resource https://api.robots
Match all
    Issuer $OIDC_ISSUER
    CAFile $OIDC_CA
    ClientId pam-jwt-cli
CONF
L=$B/pam_jwt-login

# claim NAME TOKEN: a claim of the token's payload.
claim() {
	$PY -c 'import base64, json, sys; s = sys.argv[2].split(".")[1]; v = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))[sys.argv[1]]; print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}
# start NAME ARGS...: `pam_jwt-login token ARGS` on a terminal of its own,
# in the background; its terminal in $T/NAME.tty, stdout .out, stderr .err,
# status .rc.
start() {
	local n=$1
	shift
	rm -f "$T/$n".*
	$PY "$ROOT/tests/helpers/pty_run.py" "$T/$n.tty" sh -c \
		"'$L' token $* >'$T/$n.out' 2>'$T/$n.err'; echo \$? >'$T/$n.rc'" &
}
# code NAME: the user code it shows (waits up to 10 s).
code() {
	local c _
	for _ in $(seq 100); do
		c=$(grep -aoE 'enter the code +[A-Z]{4}-[A-Z]{4}' "$T/$1.tty" 2>/dev/null | grep -oE '[A-Z]{4}-[A-Z]{4}$')
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.1
	done
	return 1
}
# finished NAME: waits for it (up to 30 s) and returns its status.
finished() {
	local _
	for _ in $(seq 300); do [ -s "$T/$1.rc" ] && break; sleep 0.1; done
	return "$(cat "$T/$1.rc" 2>/dev/null || echo 99)"
}
# quiet ARGS...: `pam_jwt-login token ARGS` with no terminal at all.
quiet() {
	setsid -w "$L" token "$@" >"$T/q.out" 2>"$T/q.err" </dev/null
	Q=$?
	return $Q
}
DEV=' POST /device/auth '
TOK=' POST /token '

# ---- the first token: the device flow on the terminal ----
oidc_mark
start db1 --host db1.prod
c=$(code db1)
check "the device flow shows a user code on the terminal ($c)" test -n "$c"
check "  ...and the verification URI" bash -c "tr -d '\\r' <'$T/db1.tty' | grep -qx '    $OIDC_ISSUER/device'"
if command -v zbarimg >/dev/null; then
	$PY "$ROOT/tests/helpers/term_qr.py" "$T/db1.tty" "$T/db1.pbm"
	check "  ...and a QR code that zbarimg reads as verification_uri_complete" \
		test "$(zbarimg --nodbus -q --raw "$T/db1.pbm" 2>/dev/null)" = \
		"$OIDC_ISSUER/device?user_code=$c"
else
	skip "  ...and a QR code that zbarimg reads" "missing: zbar-tools (make deps)"
fi
oidc_approve "$c" >/dev/null
finished db1
check "approved at the provider's pages: pam_jwt-login exits 0" test $? = 0
tok1=$(cat "$T/db1.out")
check "  ...and prints the access token, one line" test "$(wc -l <"$T/db1.out")" = 1 -a -n "$tok1"
check "  ...for alice, aud ssh://db.prod, from the provider" bash -c "[ '$(claim sub "$tok1")' = alice ] &&
	[ '$(claim aud "$tok1")' = ssh://db.prod ] && [ '$(claim iss "$tok1")' = '$OIDC_ISSUER' ]"
check "  ...after one device authorization request" test "$(oidc_new "$DEV")" = 1
check "  ...whose polls asked for the resource (RFC 8707)" \
	test "$(oidc_new "$TOK.*device_code.*resource=ssh://db.prod")" -ge 1
check "the terminal says it was approved" grep -aq "Approved: a token for db1.prod" "$T/db1.tty"
check "the cache is a 0700 directory with 0600 files" bash -c \
	"[ \$(stat -c %a '$CACHE') = 700 ] && [ -z \"\$(find '$CACHE' -type f ! -perm 600)\" ] &&
	[ -n \"\$(find '$CACHE' -type f)\" ]"

# ---- within the token's life: the cache, no request ----
oidc_mark
quiet --host db2.prod
check "db2.prod (the same Host block) gets the cached token, without a terminal" \
	bash -c "[ $Q = 0 ] && [ \"\$(cat '$T/q.out')\" = '$tok1' ]"
check "  ...and without a single request to the provider" test "$(oidc_new .)" = 0

# ---- another audience: sudo's own token ----
quiet --service sudo
check "sudo's token is not db1.prod's: without a terminal it cannot be had" \
	bash -c "[ $Q = 1 ] && grep -q 'needs your approval in a browser, and there is no terminal' '$T/q.err'"
check "  ...and nothing was asked of the provider" test "$(oidc_new "$DEV")" = 0
start sudo --service sudo
oidc_approve "$(code sudo)" >/dev/null
finished sudo
tsudo=$(cat "$T/sudo.out")
check "on a terminal: approved, a token for aud sudo://laptop" \
	test "$(claim aud "$tsudo" 2>/dev/null)" = sudo://laptop

# ---- a long token in parts (pam_jwt(8), TOKENS IN PARTS): askpass asks for
# part K >= 2 with the ID of the token part 1 came from ----
sudofile=$(grep -l "^resource sudo://laptop" "$CACHE"/*)
sid=$(printf '%s' "$tsudo" | sha256sum | cut -c1-12)
sed -i "s/^expires_at .*/expires_at $(($(date +%s) + 30))/" "$sudofile" # under MinValidity 60
oidc_mark
PAM_JWT_TARGET=service:sudo quiet --prompt "JWT part 2 of 2 ($sid): "
check "part 2 of a token in parts: the same token, though under MinValidity, no request" \
	bash -c "[ $Q = 0 ] && [ \"\$(cat '$T/q.out')\" = '$tsudo' ] && [ $(oidc_new .) = 0 ]"
PAM_JWT_TARGET=service:sudo quiet --prompt "sudo: "
tsudo2=$(cat "$T/q.out")
check "  ...while a new prompt gets a refreshed one" \
	bash -c "[ $Q = 0 ] && [ -n '$tsudo2' ] && [ '$tsudo2' != '$tsudo' ]"
PAM_JWT_TARGET=service:sudo quiet --prompt "JWT part 2 of 2 ($sid): "
check "  ...and part 2 of the old one is refused: no other token will do" \
	bash -c "[ $Q = 1 ] && [ ! -s '$T/q.out' ] && grep -q 'no longer cached' '$T/q.err'"
tsudo=$tsudo2

# ---- after expiry: a silent refresh ----
exp=$(sed -n 's/^expires_at //p' "$CACHE"/* | sort -n | head -n 1)
while [ $(($(date +%s) + 2)) -le "$exp" ]; do sleep 0.5; done
oidc_mark
quiet --host db1.prod
tok2=$(cat "$T/q.out")
check "after expiry, without a terminal: a new token" \
	bash -c "[ -n '$tok2' ] && [ '$tok2' != '$tok1' ] && [ '$(claim aud "$tok2" 2>/dev/null)' = ssh://db.prod ]"
check "  ...by one refresh_token request, no device flow" \
	test "$(oidc_new "$TOK"200\ grant_type=refresh_token)" = 1 -a "$(oidc_new "$DEV")" = 0
check "  ...valid later than the old one" test "$(claim exp "$tok2")" -gt "$(claim exp "$tok1")"

# ---- a refresh token the provider no longer takes ----
for f in "$CACHE"/*[0-9a-f]; do
	grep -q "^resource ssh://db.prod" "$f" && dbfile=$f
done
rt=$(sed -n 's/^refresh_token //p' "$dbfile")
curl -sS --cacert "$OIDC_CA" -d client_id=pam-jwt-cli --data-urlencode "token=$rt" \
	"$OIDC_ISSUER/token/revocation" >/dev/null
sed -i "s/^expires_at .*/expires_at 1/" "$dbfile"
oidc_mark
quiet --host db1.prod
check "a revoked refresh token: invalid_grant, then the device flow, which needs a terminal" \
	bash -c "[ $Q = 1 ] && grep -q 'no terminal' '$T/q.err'"
check "  ...having asked once (refresh_token refused)" \
	test "$(oidc_new "$TOK"400\ grant_type=refresh_token.*invalid_grant)" = 1

# ---- denied, after a slow_down ----
op_set 'c["device"]["force_slow_down"] = 1'
oidc_mark
start deny --host db1.prod
oidc_deny "$(code deny)" >/dev/null
finished deny
check "denied at the provider: exit 1" test $? = 1
check "  ...saying so ($(cat "$T/deny.err"))" grep -q "denied at the provider (access_denied)" \
	"$T/deny.err"
check "  ...on the terminal too" grep -aq "Failed: the request was denied" "$T/deny.tty"
check "  ...and no token printed" test ! -s "$T/deny.out"
polls=$(tail -n +$((OIDC_MARK + 1)) "$OIDC_LOG" | grep "$TOK.*device_code" | cut -d' ' -f1)
gap=$(echo "$polls" | $PY -c 'import sys; t = [float(x) for x in sys.stdin.read().split()]; print(int(1000 * (t[1] - t[0])) if len(t) > 1 else 0)')
check "slow_down: the next poll came 5 s later than the interval (1 s + 5 s; $gap ms)" \
	test "$gap" -ge 5900
check "  ...and no poll was ever early (only the forced slow_down)" \
	test "$(oidc_new 'error=slow_down')" = 1

# ---- an expired code ----
op_set 'c["device"]["force_slow_down"] = 0; c["ttl"] = {"DeviceCode": 2}'
start expired --host db1.prod
code expired >/dev/null
finished expired
check "a code nobody approves: exit 1 when it expires" test $? = 1
check "  ...saying so ($(cat "$T/expired.err"))" \
	grep -q "expired before it was approved (expired_token)" "$T/expired.err"
op_set 'c["ttl"] = {}'

# ---- a robot: client credentials ----
oidc_mark
quiet --host robot.ci
trob=$(cat "$T/q.out")
check "a robot (client_credentials, secret from a 0600 file): a token, no terminal needed" \
	bash -c "[ '$(claim sub "$trob" 2>/dev/null)' = robot ] && [ '$(claim aud "$trob" 2>/dev/null)' = https://api.robots ]"
check "  ...authenticated with HTTP Basic at the token endpoint" \
	test "$(oidc_new "$TOK"200\ grant_type=client_credentials\ client_id=robot)" = 1
quiet --host robot.ci
check "  ...and cached" test "$(oidc_new .)" = 2 # discovery and the token
if command -v valgrind >/dev/null; then
	"$L" logout --host robot.ci
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
		"$L" token --host robot.ci >"$T/q.out" 2>"$T/vg.err" </dev/null
	vg=$?
	check "under valgrind (discovery, token, cache write): no error, no definite leak" \
		test "$vg" = 0 -a -s "$T/q.out"
fi
# The provider's certificate is verified: with a CAFile of another CA (or
# none: the system's CAs know nothing of the test CA) no request gets through.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$T/other-ca.key" -out "$T/other-ca.pem" -subj "/CN=another CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
"$L" logout --host otherca.ci # the robot's cached token is this entry too
oidc_mark
quiet --host otherca.ci
check "a CAFile of another CA: refused, nothing asked of the provider ($(cat "$T/q.err"))" \
	bash -c "[ $Q = 1 ] && [ ! -s '$T/q.out' ] && grep -qi certificate '$T/q.err' &&
		[ '$(oidc_new .)' = 0 ]"
chmod 640 "$HOME/robot.secret"
"$L" logout --host robot.ci
quiet --host robot.ci
check "a secret file the group can read is refused" \
	bash -c "[ $Q = 1 ] && grep -q 'robot.secret is accessible by group or others' '$T/q.err'"
chmod 600 "$HOME/robot.secret"

# ---- the rules for private files ----
chmod 750 "$CACHE"
quiet --service sudo
check "a cache directory the group can read is refused (like ssh's keys)" \
	bash -c "[ $Q = 1 ] && [ ! -s '$T/q.out' ] && grep -q 'is accessible by group or others (mode 750)' '$T/q.err'"
chmod 700 "$CACHE"
quiet --service sudo
check "  ...and used again once it is 0700" test "$(cat "$T/q.out")" = "$tsudo"
chmod 644 "$sudofile"
quiet --service sudo
check "a cache file others can read is refused, not used" \
	bash -c "[ $Q = 1 ] && [ ! -s '$T/q.out' ] && grep -q 'mode 644): not used' '$T/q.err'"
chmod 600 "$sudofile"
if [ "$(id -u)" = 0 ]; then
	chown 1 "$sudofile"
	quiet --service sudo
	check "a cache file owned by someone else is refused" grep -q "belongs to uid 1" "$T/q.err"
	chown 0 "$sudofile"
fi
chmod 664 "$CONF"
quiet --host db2.prod
check "a configuration the group may change is refused" \
	grep -q "client.conf: writable by group or others" "$T/q.err"
chmod 644 "$CONF"
quiet --host web.example
check "a host that only Match all matches takes its settings" \
	bash -c "! grep -q 'no Host block' '$T/q.err' && grep -q 'no terminal' '$T/q.err'"
printf 'Host db*.prod\n  Issuer https://idp.example\n  ClientId x\n' >"$T/only.conf"
"$L" --config "$T/only.conf" token --host web.example >/dev/null 2>"$T/q.err" </dev/null
check "  ...and with no matching block: an error saying so" \
	grep -q "no Host block in the configuration matches web.example" "$T/q.err"
$PY "$ROOT/tests/helpers/pty_run.py" "$T/tty2.tty" "$L" token --host db2.prod
check "never prints a token to a terminal" grep -aq "not printing a token to a terminal" "$T/tty2.tty"

"$L" status >"$T/status" 2>&1
check "status lists the cached tokens by provider and resource" \
	bash -c "grep -q 'resource sudo://laptop' '$T/status' && grep -q 'valid for' '$T/status'"
leaked=""
for t in "$tok1" "$tok2" "$tsudo" "$trob" "$rt"; do
	[ -n "$t" ] && grep -aqF "${t##*.}" "$T"/*.tty "$T"/*.err "$T/status" "$T/op/provider.log" 2>/dev/null &&
		leaked="$leaked ${t:0:12}"
done
check "no token ever reached a terminal, stderr or status${leaked:+ (leaked:$leaked)}" test -z "$leaked"
"$L" logout --all
check "logout --all empties the cache" test -z "$(find "$CACHE" -type f ! -name '*.lock')"
finish
