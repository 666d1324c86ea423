#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench, part 5: how long real identity-provider tokens are, and how many
# answers each takes through sudo (511 bytes), the OpenSSH client (1023) and a
# console (4095) when pam_jwt-askpass sends it in parts.
#   - oidc-provider (npm, tests/helpers/oidc) issuing access tokens over
#     client_credentials with RS256, PS256, ES256 and EdDSA, for a robot with
#     two groups and for one with fifty Entra-style group IDs;
#   - tokens built with PyJWT (not ours) from the claim sets Entra ID (v2.0
#     access token) and Keycloak (access token with a group mapper) issue,
#     with growing group lists, RS256 with 2048-bit keys as both sign, and a
#     4096-bit key for comparison.
# Every token is checked by pam_jwt-tool verify against its issuer's keys, so
# the figures are of tokens pam_jwt accepts.  Prints one table.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/helpers/oidc/oidc.sh"
PY=/usr/bin/python3
trap 'oidc_stop; rm -rf --one-file-system "$T"' EXIT
(umask 022 && : >"$T/empty.conf")

printf '  %-58s %-6s %6s %6s %6s %6s\n' token alg bytes sudo ssh console
printf '  %-58s %-6s %6s %6s %6s %6s\n' "" "" "" "(511)" "(1023)" "(4095)"
# row LABEL ALG TOKEN JWKS: verified, then its length and answers per path.
row() {
	local label=$1 alg=$2 tok=$3 jwks=$4 a b c
	if ! "$TOOL" --config "$T/empty.conf" verify --set "jwks_file=$jwks" --set algorithms="$alg" \
		"$tok" >/dev/null 2>&1; then
		echo "token_sizes: pam_jwt-tool does not accept the $label token" >&2
		return 1
	fi
	a=$(parts_of "$tok" 511 | wc -l) b=$(parts_of "$tok" 1023 | wc -l)
	c=$(parts_of "$tok" 4095 | wc -l)
	printf '  %-58s %-6s %6d %6d %6d %6d\n' "$label" "$alg" ${#tok} "$a" "$b" "$c"
}

# ---- oidc-provider ----
if ! oidc_install; then
	echo "  (oidc-provider: ${OIDC_SKIP:-npm ci failed, see build/npm/install.log})"
else
	g50=$(guid_groups 49)
	cat >"$T/op.json" <<JSON
{
  "clients": [
    {"client_id": "robot", "client_secret": "robot-secret-0123456789",
     "grant_types": ["client_credentials"], "extra_claims": {"groups": ["wheel", "dev"]}},
    {"client_id": "robot50", "client_secret": "robot-secret-0123456789",
     "grant_types": ["client_credentials"], "extra_claims": {"groups": $g50}}
  ],
  "resources": {
    "ssh://rs256": {"scope": "ssh:login", "alg": "RS256"},
    "ssh://ps256": {"scope": "ssh:login", "alg": "PS256"},
    "ssh://es256": {"scope": "ssh:login", "alg": "ES256"},
    "ssh://eddsa": {"scope": "ssh:login", "alg": "EdDSA"}
  }
}
JSON
	oidc_start "$T/op" "$T/op.json" || { echo "token_sizes: the provider did not start" >&2; exit 1; }
	(umask 022 && curl -sS --cacert "$OIDC_CA" "$OIDC_ISSUER/jwks" >"$T/op.jwks")
	for client in robot robot50; do
		for alg in RS256 PS256 ES256 EdDSA; do
			res=ssh://$(echo "$alg" | tr 'A-Z' 'a-z')
			tok=$(curl -sS --cacert "$OIDC_CA" -u "$client:robot-secret-0123456789" \
				-d grant_type=client_credentials -d "resource=$res" -d scope=ssh:login \
				"$OIDC_ISSUER/token" | $PY -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
			n=2
			[ $client = robot50 ] && n=50
			row "oidc-provider client_credentials, $n groups" "$alg" "$tok" "$T/op.jwks" || exit 1
		done
	done
	oidc_stop
fi

# ---- Entra ID and Keycloak claim sets, signed by PyJWT ----
gen_key RS256 rs2048 &&
	(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$T/rs4096.key" \
		2>/dev/null) && openssl pkey -in "$T/rs4096.key" -pubout -out "$T/rs4096.pub" 2>/dev/null || {
	echo "token_sizes: cannot make keys" >&2
	exit 1
}
# The kids the tokens name (Entra's, Keycloak's), each with the key.
KIDS="KQ2tAcrE7lBaVVGBmc5FobgdJo4 nnniBrxL0qhG79pkF3ccQj_l0jDmxKrYYy2YLlEe1sA"
jwks_of() { # PEM: a JWKS file with that public key under both kids
	$PY -c 'import json, sys
from jwcrypto import jwk
k = json.loads(jwk.JWK.from_pem(open(sys.argv[1], "rb").read()).export_public())
print(json.dumps({"keys": [dict(k, kid=kid) for kid in sys.argv[2].split()]}))' "$1" "$KIDS" \
		>"$1.jwks" && chmod 644 "$1.jwks"
}
jwks_of "$T/rs2048.pub" && jwks_of "$T/rs4096.pub" || exit 1
# build KIND GROUPS KEY: an access token with the claims that identity
# provider puts into one (Entra ID v2.0: its reference's example; Keycloak:
# the default client scopes plus a group membership mapper with full paths).
build() {
	$PY - "$@" <<'PY'
import sys, time, uuid
import jwt
kind, n, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
now = int(time.time())
guid = lambda i: str(uuid.UUID(int=(i * 0x9E3779B97F4A7C15F39CC0605CEDC835) % 2**128))
if kind == "entra":
    tid = guid(7001)
    claims = {
        "aud": guid(7002), "iss": "https://login.microsoftonline.com/%s/v2.0" % tid,
        "iat": now, "nbf": now, "exp": now + 3900,
        "aio": "AXQAi/8UAAAA" + "Zk3ChMif6KOnttRB7eBq4/DccQzjcJGxPYy/C3jDaNGxXd6wNIIVGRghNRnwJ1l"
               "OcAnNZcjvkoyrFxCttv33140RioOFJ4bCCGVuoCag1uOTT22222gHwLPYQ/uf79QX+0KIijdrmp69Rct=",
        "azp": guid(7003), "azpacr": "0",
        "groups": [guid(i) for i in range(1, n + 1)],
        "name": "Alice Example", "oid": guid(7004), "preferred_username": "alice@contoso.example",
        "rh": "1.AR8Av4j5cvGGr0GRqy180BHbRyu3dG5WvkNIn_TmajmbEuMfAFAfAA.",
        "scp": "access_as_user", "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
        "tid": tid, "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
        "wids": ["b79fbf4d-3ef9-4689-8143-76b194e85509"],
    }
    headers = {"typ": "JWT", "kid": "KQ2tAcrE7lBaVVGBmc5FobgdJo4"}
else:
    sid = guid(8002)
    claims = {
        "exp": now + 300, "iat": now, "auth_time": now - 20, "jti": guid(8001),
        "iss": "https://sso.example.com/realms/ops", "aud": "account", "sub": guid(8003),
        "typ": "Bearer", "azp": "ssh-login", "session_state": sid, "acr": "1",
        "allowed-origins": ["https://ops.example.com"],
        "realm_access": {"roles": ["offline_access", "default-roles-ops", "uma_authorization"]},
        "resource_access": {"account": {"roles": ["manage-account", "manage-account-links",
                                                  "view-profile"]}},
        "scope": "openid profile email", "sid": sid, "email_verified": True,
        "name": "Alice Example", "preferred_username": "alice", "given_name": "Alice",
        "family_name": "Example", "email": "alice@example.com",
        "groups": ["/ops/team-%02d/members" % i for i in range(1, n + 1)],
    }
    headers = {"typ": "JWT", "kid": "nnniBrxL0qhG79pkF3ccQj_l0jDmxKrYYy2YLlEe1sA"}
print(jwt.encode(claims, open(key).read(), algorithm="RS256", headers=headers))
PY
}
for n in 0 10 50 200; do
	row "Entra ID v2.0 access token (RS256 2048), $n groups" RS256 \
		"$(build entra $n "$T/rs2048.key")" "$T/rs2048.pub.jwks" || exit 1
done
for n in 0 10 50; do
	row "Keycloak access token (RS256 2048), $n groups" RS256 \
		"$(build keycloak $n "$T/rs2048.key")" "$T/rs2048.pub.jwks" || exit 1
done
row "Keycloak access token (RS256 4096), 10 groups" RS256 \
	"$(build keycloak 10 "$T/rs4096.key")" "$T/rs4096.pub.jwks" || exit 1
echo "  (Entra ID puts at most 200 groups into a JWT, then an overage claim instead;"
echo "   sudo, ssh, console: the answers pam_jwt-askpass sends, 1 = the token alone)"
