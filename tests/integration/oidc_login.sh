#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Logins with a real OpenID provider (oidc-provider from npm, over HTTPS:
# tests/helpers/oidc) through pamtester and the built module, in a [provider]
# section found by discovery_url: RFC 9068 access tokens signed with every
# algorithm the provider offers (RS256, PS256, ES256, EdDSA and RFC 9864's
# Ed25519), a JWKS with an encryption key,
# key rotation, an outage served from the stale cache (and said so in the
# decision line and by pam_jwt-tool keys), an ID token refused where an access
# token is meant (typ at+jwt), a discovery document that names another issuer,
# and jose (npm, not ours) against pam_jwt for Ed25519 both ways.  Skipped,
# with the reason, only where the npm registry is unreachable.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/helpers/oidc/oidc.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	# The module trusts only root's configuration and cache files.
	skip "logins with the test OpenID provider" "needs root"
	finish
	exit 0
fi
if ! oidc_install; then
	if [ -n "$OIDC_SKIP" ]; then
		skip "logins with the test OpenID provider" "$OIDC_SKIP"
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
  "clients": [
    {"client_id": "pam-jwt-cli", "token_endpoint_auth_method": "none",
     "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]},
    {"client_id": "robot", "client_secret": "robot-secret-0123456789",
     "grant_types": ["client_credentials"], "extra_claims": {"groups": ["robots"]}}
  ],
  "resources": {
    "ssh://test": {"scope": "ssh:login", "alg": "ES256"},
    "ssh://rs256": {"scope": "ssh:login", "alg": "RS256"},
    "ssh://ps256": {"scope": "ssh:login", "alg": "PS256"},
    "ssh://eddsa": {"scope": "ssh:login", "alg": "EdDSA"},
    "ssh://ed25519": {"scope": "ssh:login", "alg": "Ed25519"}
  },
  "scopes": ["openid", "offline_access", "ssh:login"]
}
JSON
oidc_start "$T/op" "$T/op.json" || { notok "start the provider"; finish; exit 1; }
get() { curl -sS --cacert "$OIDC_CA" "$OIDC_ISSUER$1"; }
post() { local p=$1; shift; curl -sS --cacert "$OIDC_CA" "$@" "$OIDC_ISSUER$p"; }
json() { $PY -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1], ""); print(v if isinstance(v, str) else json.dumps(v))' "$1"; }
part() { $PY -c 'import base64, sys; s = sys.argv[2].split(".")[int(sys.argv[1])]; print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode())' "$1" "$2"; }
robot() { post /token -u robot:robot-secret-0123456789 -d grant_type=client_credentials -d scope=ssh:login "$@" | json access_token; }

mkdir -m 755 "$T/cache"
gen_key ES256 local || { notok "a local key"; finish; exit 1; }
# Two providers: the OpenID provider by discovery, and a local one whose key
# must not verify the provider's tokens (nor the other way round).
cat >"$T/pam_jwt.conf" <<CONF
cache_dir = $T/cache
fetch_helper = $FETCH
revocation_file = $T/rev
algorithms = RS256 PS256 ES256 EdDSA Ed25519

[provider op]
issuer = $OIDC_ISSUER
discovery_url = $OIDC_ISSUER/.well-known/openid-configuration
ca_file = $OIDC_CA
typ = at+jwt
audience = ssh://test ssh://rs256 ssh://ps256 ssh://eddsa ssh://ed25519
require_claim = scope=ssh:login
require = exp iat jti client_id

[provider local]
issuer = https://local.test
key_file = $T/local.pub
CONF
(umask 022 && : >"$T/rev")
service jwt "auth required $MODULE conf=$T/pam_jwt.conf" "account required $MODULE conf=$T/pam_jwt.conf"
JWKS_URL=$OIDC_ISSUER/jwks
CACHE=$T/cache/$(printf '%s' "$JWKS_URL" | sha256sum | cut -d' ' -f1)
age() { sed -i "s/^fetched .*/fetched $(($(date +%s) - $2))/" "$1"; }
unstamp() { touch -d "@$(($(date +%s) - 3600))" "$1.stamp"; }
last() { grep 'outcome=' "$LOG" | tail -n 1; }
last_has() { last | grep -qE -- "$1"; } # RE: the last decision line matches

# ---- every algorithm, through discovery ----
oidc_mark
for r in test rs256 ps256 eddsa ed25519; do
	tok=$(robot -d "resource=ssh://$r")
	alg=$(part 0 "$tok" | json alg)
	pam_run jwt robot "$tok" authenticate acct_mgmt
	check "an RFC 9068 access token signed with $alg (resource ssh://$r) logs the robot in" \
		test $? = 0
	check "  ...provider=op in the decision line" last_has ' provider=op\b'
done
check "the keys came through discovery_url, fetched once for all five logins" \
	test "$(oidc_new ' GET /.well-known/openid-configuration 200')" = 1 -a \
	"$(oidc_new ' GET /jwks 200')" = 1
check "the JWKS holds the provider's encryption key (RSA-OAEP-256, use enc) beside them" \
	bash -c "curl -sS --cacert '$OIDC_CA' '$JWKS_URL' | grep -q '\"use\":\"enc\"'"

# ---- an ID token where an access token is meant ----
dev=$(post /device/auth -d client_id=pam-jwt-cli -d 'scope=openid ssh:login' -d resource=ssh://test)
sleep 1
oidc_approve "$(json user_code <<<"$dev")" >"$T/approve.out" 2>&1
sleep 1
t=$(post /token -d client_id=pam-jwt-cli -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
	-d "device_code=$(json device_code <<<"$dev")" -d resource=ssh://test)
idt=$(json id_token <<<"$t") at=$(json access_token <<<"$t")
check "the device flow gives alice an access token and an ID token" test -n "$idt" -a -n "$at"
pam_run jwt alice "$at"
check "  ...her access token (typ at+jwt) logs her in" test $? = 0
pam_run jwt alice "$idt"
check "  ...her ID token is refused where an access token is meant" test $? != 0
# With the audience and required claims of an ID token allowed, typ alone
# keeps it out; without typ it would pass.
printf '%s\n' "cache_dir = $T/cache" "fetch_helper = $FETCH" "[provider op]" "issuer = $OIDC_ISSUER" \
	"discovery_url = $OIDC_ISSUER/.well-known/openid-configuration" "ca_file = $OIDC_CA" \
	"typ = at+jwt" "audience = pam-jwt-cli" >"$T/id.conf"
idset=(--config "$T/id.conf" --user alice)
"$TOOL" verify "${idset[@]}" "$idt" >"$T/v.out" 2>&1
check "    ...by typ alone, where audience and claims would let it through (header typ '$(part 0 "$idt" | json typ)')" \
	grep -qE "^rejected: token has no typ, typ at\+jwt is required|^rejected: typ does not match" "$T/v.out"
"$TOOL" verify "${idset[@]}" --set typ= "$idt" >"$T/v.out" 2>&1
check "    ...(without typ = at+jwt the ID token would be accepted)" \
	grep -q '"provider":"op"' "$T/v.out"

# ---- keys belong to their provider ----
forged=$("$TOOL" sign --key "$T/local.key" --alg ES256 --iss "$OIDC_ISSUER" --sub robot \
	--aud ssh://test --claim scope=ssh:login --claim client_id=robot --header typ=at+jwt)
pam_run jwt robot "$forged"
check "a token naming the provider's issuer, signed with the local provider's key: refused" \
	test $? != 0
tok=$(robot -d resource=ssh://test)
fake=$($PY -c 'import base64, json, sys
h, p, s = sys.argv[1].split(".")
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
c["iss"] = "https://local.test"
print(h + "." + base64.urlsafe_b64encode(json.dumps(c).encode()).rstrip(b"=").decode() + "." + s)' "$tok")
pam_run jwt robot "$fake"
check "the provider's token relabelled for the local provider: refused" test $? != 0
check "  ...the local provider judged it, and its key did not fit" \
	last_has 'no configured key.* provider=local'

# ---- rotation ----
new=$(oidc_rotate ES256 es256-2 | json kid)
tok=$(robot -d resource=ssh://test)
check "after rotation the provider signs with the new key" \
	test "$(part 0 "$tok" | json kid)" = es256-2
unstamp "$CACHE"
oidc_mark
pam_run jwt robot "$tok"
check "  ...a login with it is accepted after one refetch of the JWKS" \
	bash -c "[ $? = 0 ] && [ $(oidc_new ' GET /jwks 200') = 1 ]"

# ---- outage ----
oidc_stop
age "$CACHE" 7200
unstamp "$CACHE"
pam_run jwt robot "$tok"
check "provider down, cached keys 2 h old (within jwks_max_stale): accepted" test $? = 0
check "  ...the decision line says the keys came from a stale copy, and the fetch error" \
	last_has 'outcome=accepted.* keys="from a copy 72[0-9]{2} s old; fetch failed: '
"$TOOL" keys --config "$T/pam_jwt.conf" >"$T/keys.out" 2>&1
check "pam_jwt-tool keys: the copy is stale, with the last fetch's failure" \
	bash -c "grep -q '^\\[provider op\\]' '$T/keys.out' && grep -q 'stale, used while' '$T/keys.out' &&
		 grep -q 'note: last fetch failed' '$T/keys.out'"
check "  ...and the encryption key is passed over, not an error" \
	grep -q "passed over: JWK \"use\" is not \"sig\"" "$T/keys.out"
age "$CACHE" $((8 * 86400))
unstamp "$CACHE"
pam_run jwt robot "$tok"
check "provider down, cached keys 8 days old: refused" test $? != 0
check "  ...the reason as it reads: the copy's age over jwks_max_stale and the failure" \
	last_has '/jwks: copy 69[0-9]{4} s old, over jwks_max_stale \(604800 s\); fetch failed: '
oidc_start "$T/op" "$T/op.json" "$OIDC_PORT" >/dev/null || { notok "restart the provider"; finish; exit 1; }

# ---- discovery must name the configured issuer ----
printf '%s\n' "cache_dir = $T/cache2" "fetch_helper = $FETCH" "[provider op]" \
	"issuer = https://op.example" "ca_file = $OIDC_CA" \
	"discovery_url = $OIDC_ISSUER/.well-known/openid-configuration" >"$T/other.conf"
mkdir -m 755 "$T/cache2"
"$TOOL" fetch --config "$T/other.conf" >"$T/fetch.out" 2>&1
check "a discovery document naming another issuer: its keys are refused (pam_jwt-tool fetch)" \
	bash -c "grep -q 'FAILED: .*the discovery document.s issuer \"$OIDC_ISSUER\" is not the configured issuer' '$T/fetch.out'"

# ---- jose (not ours) and pam_jwt, Ed25519 both ways ----
(umask 077 && openssl genpkey -algorithm ED25519 -out "$T/ed.key" 2>/dev/null)
openssl pkey -in "$T/ed.key" -pubout -out "$T/ed.pub" 2>/dev/null && chmod 644 "$T/ed.pub"
printf '%s\n' "key_file = $T/ed.pub" "issuer = https://jose.test" >"$T/ed.conf"
jt=$(cd "$OIDC_NPM_DIR" && KEY=$T/ed.key node --input-type=module -e '
import * as jose from "jose"; import fs from "node:fs"; import { createPrivateKey } from "node:crypto";
const key = createPrivateKey(fs.readFileSync(process.env.KEY));
console.log(await new jose.SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "Ed25519", typ: "JWT" })
	.setIssuer("https://jose.test").setIssuedAt().setExpirationTime("5m").sign(key));' 2>"$T/node.err")
"$TOOL" verify --config "$T/ed.conf" --user alice "$jt" >/dev/null 2>"$T/v.err"
check "jose signs with alg Ed25519 (RFC 9864), pam_jwt verifies" test $? = 0
pt=$("$TOOL" sign --key "$T/ed.key" --alg Ed25519 --sub alice --iss https://jose.test)
r=$(cd "$OIDC_NPM_DIR" && TOK=$pt PUB=$T/ed.pub node --input-type=module -e '
import * as jose from "jose"; import fs from "node:fs"; import { createPublicKey } from "node:crypto";
const { protectedHeader, payload } = await jose.jwtVerify(process.env.TOK,
	createPublicKey(fs.readFileSync(process.env.PUB)), { algorithms: ["Ed25519"], issuer: "https://jose.test" });
console.log(protectedHeader.alg, payload.sub);' 2>>"$T/node.err")
check "pam_jwt-tool signs Ed25519, jose verifies it ($r)" test "$r" = "Ed25519 alice"
r=$(cd "$OIDC_NPM_DIR" && TOK=$pt PUB=$T/ed.pub node --input-type=module -e '
import * as jose from "jose"; import fs from "node:fs"; import { createPublicKey } from "node:crypto";
try { await jose.jwtVerify(process.env.TOK, createPublicKey(fs.readFileSync(process.env.PUB)), { algorithms: ["EdDSA"] });
  console.log("accepted"); } catch (e) { console.log(e.code); }' 2>>"$T/node.err")
check "  ...and jose, told EdDSA only, refuses it as the other name ($r)" \
	test "$r" = ERR_JOSE_ALG_NOT_ALLOWED
finish
