#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The test OpenID provider (tests/helpers/oidc) does what its README says, so
# the tests that rely on it test pam_jwt and not the harness: discovery, the
# JWKS, RFC 9068 access tokens for a resource (checked by jose and by
# pam_jwt-tool through discovery_url), the device flow driven through the
# provider's pages (approve, deny, wrong password, expiry, slow_down), refresh
# token rotation, key rotation and the request log.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/helpers/oidc/oidc.sh"
PY=/usr/bin/python3

if ! oidc_install; then
	if [ -n "$OIDC_SKIP" ]; then
		skip "the test OpenID provider" "$OIDC_SKIP"
		finish
		exit 0
	fi
	notok "npm ci of tests/helpers/oidc ($(tail -n 3 "$OIDC_NPM_DIR/install.log" | tr '\n' ' '))"
	finish
	exit 1
fi
trap 'oidc_stop; rm -rf --one-file-system "$T"' EXIT
cat >"$T/op.json" <<'JSON'
{
  "users": {"alice": {"password": "alice-password", "claims": {"groups": ["wheel"]}}},
  "resources": {
    "ssh://test": {"scope": "ssh:login"},
    "https://rs.test/rs256": {"alg": "RS256"}, "https://rs.test/ps256": {"alg": "PS256"},
    "https://rs.test/eddsa": {"alg": "EdDSA"}, "https://rs.test/ed25519": {"alg": "Ed25519"}
  }
}
JSON
oidc_start "$T/op" "$T/op.json" || { notok "start the provider"; finish; exit 1; }

get() { curl -sS --cacert "$OIDC_CA" "$OIDC_ISSUER$1"; }
post() { local p=$1; shift; curl -sS --cacert "$OIDC_CA" "$@" "$OIDC_ISSUER$p"; }
# json FIELD: a member of the JSON document on stdin ("" when absent).
json() { $PY -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1], ""); print(v if isinstance(v, str) else json.dumps(v))' "$1"; }
# part N TOKEN: the decoded header (0) or payload (1) of a JWS.
part() { $PY -c 'import base64, sys; s = sys.argv[2].split(".")[int(sys.argv[1])]; print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode())' "$1" "$2"; }
robot() { post /token -u robot:robot-secret-0123456789 -d grant_type=client_credentials "$@"; }
DC=urn:ietf:params:oauth:grant-type:device_code
poll() { post /token -d client_id=pam-jwt-cli -d grant_type=$DC -d "device_code=$1" -d resource=ssh://test; }
device() { post /device/auth -d client_id=pam-jwt-cli -d 'scope=openid offline_access ssh:login' \
	-d resource=ssh://test; }

d=$(get /.well-known/openid-configuration)
check "discovery: the issuer is https://127.0.0.1:PORT" test "$(json issuer <<<"$d")" = "$OIDC_ISSUER"
check "discovery: a device_authorization_endpoint" \
	test "$(json device_authorization_endpoint <<<"$d")" = "$OIDC_ISSUER/device/auth"
jwks=$(get /jwks)
algs=$($PY -c 'import json, sys; print(" ".join(sorted(k["alg"] + ":" + k["use"] for k in json.loads(sys.argv[1])["keys"])))' "$jwks")
check "the JWKS has RS256, PS256, ES256, EdDSA, Ed25519 and an encryption key ($algs)" \
	test "$algs" = "ES256:sig Ed25519:sig EdDSA:sig PS256:sig RS256:sig RSA-OAEP-256:enc"
check "the JWKS holds no private key" bash -c "! grep -qE '\"(d|p|q)\"' <<<'$jwks'"

at=$(robot -d resource=ssh://test -d scope=ssh:login | json access_token)
h=$(part 0 "$at") p=$(part 1 "$at")
check "client_credentials with a resource: an at+jwt access token (RFC 9068), ES256" \
	bash -c "[ '$(json typ <<<"$h")' = at+jwt ] && [ '$(json alg <<<"$h")' = ES256 ]"
check "  ...aud is the resource, sub the client, scope the resource's" bash -c \
	"[ '$(json aud <<<"$p")' = ssh://test ] && [ '$(json sub <<<"$p")' = robot ] && [ '$(json scope <<<"$p")' = ssh:login ]"
check "  ...lives ttl.ClientCredentials (60 s)" \
	test "$(($(json exp <<<"$p") - $(json iat <<<"$p")))" = 60
# jose, not ours, checks every signature against the published JWKS.
josev() { # TOKEN ALG
	(cd "$OIDC_NPM_DIR" && node --input-type=module -e '
import * as jose from "jose";
const [iss, ca, tok, alg] = process.argv.slice(1);
const jwks = jose.createLocalJWKSet(JSON.parse(process.env.JWKS));
const { protectedHeader } = await jose.jwtVerify(tok, jwks, { issuer: iss, typ: "at+jwt", algorithms: [alg] });
console.log(protectedHeader.alg);' "$OIDC_ISSUER" "$OIDC_CA" "$1" "$2")
}
for alg in RS256 PS256 EdDSA Ed25519; do
	tok=$(robot -d "resource=https://rs.test/${alg,,}" | json access_token)
	check "a resource signed with $alg: jose verifies it against the JWKS" \
		test "$(JWKS=$jwks josev "$tok" "$alg" 2>&1)" = "$alg"
done
check "an unknown resource is invalid_target" \
	test "$(robot -d resource=https://nowhere.test | json error)" = invalid_target
if [ "$(id -u)" = 0 ]; then
	mkdir -m 755 "$T/cache"
	printf '%s\n' "discovery_url = $OIDC_ISSUER/.well-known/openid-configuration" \
		"ca_file = $OIDC_CA" "cache_dir = $T/cache" "issuer = $OIDC_ISSUER" "audience = ssh://test" \
		"typ = at+jwt" "algorithms = ES256" "fetch_helper = $FETCH" \
		"revocation_file = $T/revocations" >"$T/tool.conf"
	: >"$T/revocations"
	check "pam_jwt-tool verifies the robot's token through discovery_url" \
		bash -c "'$TOOL' verify --config '$T/tool.conf' '$at' >/dev/null"
else
	skip "pam_jwt-tool verifies the robot's token through discovery_url" "needs root"
fi

# ---- the device flow ----
r=$(device)
dc=$(json device_code <<<"$r") uc=$(json user_code <<<"$r")
check "device authorization: a user code and interval 1 (RFC 8628 3.2)" \
	bash -c "[ -n '$uc' ] && [ '$(json interval <<<"$r")' = 1 ]"
check "  ...and verification_uri_complete names the code" \
	test "$(json verification_uri_complete <<<"$r")" = "$OIDC_ISSUER/device?user_code=$uc"
sleep 1
check "a poll after the interval: authorization_pending" test "$(poll "$dc" | json error)" = authorization_pending
oidc_approve "$uc" >"$T/out" 2>&1
check "approved through the provider's pages (code, confirm, login, consent)" \
	grep -qx "Sign-in Success" "$T/out"
sleep 1
t=$(poll "$dc")
at=$(json access_token <<<"$t") rt=$(json refresh_token <<<"$t")
p=$(part 1 "$at")
check "then the token: for alice, aud ssh://test, her groups claim" bash -c \
	"[ '$(json sub <<<"$p")' = alice ] && [ '$(json aud <<<"$p")' = ssh://test ] && [ '$(json groups <<<"$p")' = '[\"wheel\"]' ]"
check "  ...with a refresh token (offline_access)" test -n "$rt"
t2=$(post /token -d client_id=pam-jwt-cli -d grant_type=refresh_token -d "refresh_token=$rt" \
	-d resource=ssh://test)
check "the refresh token gets a new access token" test -n "$(json access_token <<<"$t2")"
check "  ...and a new refresh token; the old one is then invalid_grant" \
	test "$(post /token -d client_id=pam-jwt-cli -d grant_type=refresh_token -d "refresh_token=$rt" \
		-d resource=ssh://test | json error)" = invalid_grant
r=$(device)
sleep 1
poll "$(json device_code <<<"$r")" >/dev/null
check "a poll right after another: slow_down (3.5)" \
	test "$(poll "$(json device_code <<<"$r")" | json error)" = slow_down
oidc_approve "$(json user_code <<<"$r")" alice wrong >"$T/out" 2>&1
check "the login page refuses a wrong password" grep -q "login was refused" "$T/out"
r=$(device)
sleep 1
oidc_deny "$(json user_code <<<"$r")" >/dev/null 2>&1
check "denied on the consent page: access_denied" \
	test "$(poll "$(json device_code <<<"$r")" | json error)" = access_denied

$PY -c 'import json, sys; c = json.load(open(sys.argv[1])); c["ttl"] = {"DeviceCode": 2}; c["device"] = {"force_slow_down": 1}; json.dump(c, open(sys.argv[1], "w"))' "$T/op.json"
oidc_reload >/dev/null
r=$(device)
sleep 1
check "force_slow_down 1: the first poll is slow_down" \
	test "$(poll "$(json device_code <<<"$r")" | json error)" = slow_down
sleep 2
check "a code past ttl.DeviceCode (2 s, after reload): expired_token" \
	test "$(poll "$(json device_code <<<"$r")" | json error)" = expired_token

# ---- keys and the log ----
new=$(oidc_rotate ES256 es256-2 | json kid)
check "oidc_rotate ES256: the new key is in the JWKS" grep -q '"kid":"es256-2"' <<<"$(get /jwks)"
check "  ...and signs new tokens" \
	test "$(part 0 "$(robot -d resource=ssh://test | json access_token)" | json kid)" = es256-2
oidc_retire es256-1 >/dev/null
check "oidc_retire: the old key leaves the JWKS" bash -c "! grep -q '\"kid\":\"es256-1\"' <<<'$(get /jwks)'"
check "the log has one line per request, with grant type and error" \
	test "$(oidc_hits "POST /token 400 grant_type=$DC client_id=pam-jwt-cli resource=ssh://test error=authorization_pending")" = 2
oidc_mark
get /jwks >/dev/null
check "oidc_mark / oidc_new count requests since the mark" \
	test "$(oidc_new ' GET /jwks 200')" = 1 -a "$(oidc_new /token)" = 0
check "control requests are not logged" test "$(oidc_hits _harness)" = 0
finish
