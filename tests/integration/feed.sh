#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The signed revocation feed through pamtester, against a local HTTPS server
# with a test CA (tests/helpers/jwks_server.py serves $T/idp/lists/feed):
# publish on an "admin host" (its own revocation list), fetch and apply on a
# host, then a rollback, a forged feed, a wrongly typed one, an expired one,
# the server down within and past revocation_feed_max_stale, and the local
# list still consulted beside the feed.  PyJWT verifies what publish signs.
# Before the feed, every refusal here was an acceptance (or a configuration
# error: revocation_feed did not exist).
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "revocation feed" "needs root (the helper applies it as root)"
	finish
	exit 0
fi
. "$ROOT/tests/helpers/idp.sh"
SIGNER=${SIGNER:-$TOOL}

ca ca && cert good ca "IP:127.0.0.1,DNS:localhost" && chmod 644 "$T"/*.pem ||
	{ notok "make the test CA and certificates"; finish; exit 1; }
gen_key ES256 idp && gen_key ES256 feed && gen_key ES256 evil && gen_key EdDSA ed ||
	{ notok "keys"; finish; exit 1; }
start idp good
mkdir -p "$T/idp/lists" && mkdir -m 755 "$T/cache"
P=$port_idp
URL=https://127.0.0.1:$P/lists/feed
# The admin host: its own revocation list, which it publishes.
printf 'revocation_file = %s\n' "$T/admin.rev" >"$T/admin.conf"
admin() { "$SIGNER" --config "$T/admin.conf" "$@"; }
publish() { # [publish options]: the feed, signed, on the server
	admin publish --key "$T/feed.key" --out "$T/feed.jwt" "$@" >"$T/publish.out" &&
		cp "$T/feed.jwt" "$T/idp/lists/feed.tmp" && mv "$T/idp/lists/feed.tmp" "$T/idp/lists/feed"
}
: >"$T/host.rev"
conf() { # NAME [key=value...]: a host
	local n=$1
	shift
	{
		echo "fetch_helper = $FETCH"
		echo "ca_file = $T/ca.pem"
		echo "cache_dir = $T/cache"
		echo "key_file = $T/idp.pub"
		echo "algorithms = ES256"
		echo "issuer = https://idp.test"
		echo "revocation_file = $T/host.rev"
		echo "revocation_feed = $URL"
		echo "revocation_feed_key = $T/feed.pub"
		printf '%s\n' "$@"
	} >"$T/$n.conf"
	service "$n" "auth required $MODULE conf=$T/$n.conf"
}
conf host
tok() { "$SIGNER" sign --key "$T/idp.key" --alg ES256 --iss https://idp.test --sub "${2:-alice}" --claim "jti=$1"; }
meta() { printf 'feed\n%s' "$URL" | sha256sum | cut -d' ' -f1 | sed "s|^|$T/cache/|; s|\$|.feed.meta|"; }
age() { sed -i "s/^fetched .*/fetched $(($(date +%s) - $2))/" "$1"; }
unstamp() { touch -d "@$(($(date +%s) - 3600))" "${1%.meta}.stamp" 2>/dev/null || :; }
login() { pam_run "$1" "${3:-alice}" "$2"; }

# ---- publish ----
admin revoke --jti stolen-1 >/dev/null && admin revoke --user bob --before 2000000000 >/dev/null
publish
check "publish writes the list as a signed feed ($(cat "$T/publish.out"))" \
	grep -q "version [0-9]*, 2 entries" "$T/publish.out"
check "  ...PyJWT verifies it: typ, version, iat, the entries" \
	$PY -c 'import sys, time, jwt
tok = open(sys.argv[1]).read().strip()
h = jwt.get_unverified_header(tok)
c = jwt.decode(tok, open(sys.argv[2]).read(), algorithms=["ES256"])
sys.exit(not (h["typ"] == "pam_jwt-feed+jwt" and c["version"] >= int(time.time()) - 5
              and c["jti"] == {"stolen-1": None} and c["users"] == {"bob": 2000000000}))' \
	"$T/feed.jwt" "$T/feed.pub"
v1=$(sed -n 's/.*version \([0-9]*\),.*/\1/p' "$T/publish.out")
publish
v2=$(sed -n 's/.*version \([0-9]*\),.*/\1/p' "$T/publish.out")
check "publishing again raises the version ($v1 -> $v2)" test "$v2" -gt "$v1"

# ---- fetch, apply, consult ----
login host "$(tok ok-1)"
check "a host with revocation_feed: a token it does not list is accepted (feed fetched)" \
	bash -c "[ $? = 0 ] && [ $(hits idp /lists/feed) = 1 ]"
check "  ...applied in cache_dir as a store, root's, 0644, and its metadata" \
	bash -c "[ \"\$(stat -c %U:%a '$(meta)')\" = root:644 ] && grep -q '^version $v2\$' '$(meta)' &&
		 [ \"\$(stat -c %U:%a '$(meta | sed 's/\.meta$//')')\" = root:644 ]"
login host "$(tok stolen-1)"
check "the jti the feed lists is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'stolen-1 is revoked (revocation feed version $v2)'"
check "  ...from the applied copy: no second request" test "$(hits idp /lists/feed)" = 1
login host "$(tok ok-2 bob)" bob
check "the user cut-off the feed lists is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'tokens of bob issued before'"
"$TOOL" --config "$T/host.conf" revoke --jti local-1 >/dev/null
login host "$(tok local-1)"
check "the host's own list is still consulted beside the feed" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'local-1 is revoked'"

# ---- a new revocation reaches the host at its next fetch ----
admin revoke --jti stolen-2 >/dev/null && publish
v3=$(sed -n 's/.*version \([0-9]*\),.*/\1/p' "$T/publish.out")
login host "$(tok stolen-2)"
check "a revocation published: accepted while the host's copy is fresh" test $? = 0
"$TOOL" --config "$T/host.conf" fetch >"$T/fetch.out" 2>&1
check "pam_jwt-tool fetch applies the new version ($(grep revocation_feed "$T/fetch.out" | cut -c1-90))" \
	grep -q "revocation_feed $URL: fetched (HTTP 200), version $v3, 3 entries, applied" "$T/fetch.out"
login host "$(tok stolen-2)"
check "  ...then that token is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'stolen-2 is revoked'"
"$TOOL" --config "$T/host.conf" fetch >"$T/fetch.out" 2>&1
check "fetching again, nothing changed: HTTP 304, the copy confirmed" \
	grep -q "not modified (HTTP 304), version $v3" "$T/fetch.out"

# ---- what is never applied ----
cp "$T/idp/lists/feed" "$T/feed.v3"
cp "$T/feed.v3" "$T/feed.good"
bad() { # DESCRIPTION EXPECTED FILE: serve FILE; fetch must fail and keep version v3
	cp "$3" "$T/idp/lists/feed"
	"$TOOL" --config "$T/host.conf" fetch >"$T/fetch.out" 2>&1
	local rc=$?
	check "$1: not applied ($(grep -o 'not applied: .*' "$T/fetch.out" | cut -c1-80))" \
		bash -c "[ $rc = 1 ] && grep -qF -- '$2' '$T/fetch.out' && grep -q '^version $v3\$' '$(meta)'"
}
# An older feed, validly signed: the version went back.
$PY - "$T/feed.key" "$T/feed.rollback" "$v3" <<'PYEOF'
import sys, time, jwt
key, out, v = sys.argv[1], sys.argv[2], int(sys.argv[3])
open(out, "w").write(jwt.encode({"version": v - 1, "iat": int(time.time()), "jti": {}},
    open(key).read(), algorithm="ES256", headers={"typ": "pam_jwt-feed+jwt"}) + "\n")
PYEOF
bad "a validly signed feed of a lower version (rollback)" "rollback refused: version $((v3 - 1)) is lower than the applied $v3" "$T/feed.rollback"
$PY - "$T/evil.key" "$T/feed.forged" "$v3" <<'PYEOF'
import sys, time, jwt
key, out, v = sys.argv[1], sys.argv[2], int(sys.argv[3])
open(out, "w").write(jwt.encode({"version": v + 100, "iat": int(time.time()), "jti": {}},
    open(key).read(), algorithm="ES256", headers={"typ": "pam_jwt-feed+jwt"}) + "\n")
PYEOF
bad "a feed signed with another key (forged), a higher version" "signature does not verify with revocation_feed_key" "$T/feed.forged"
$PY - "$T/feed.key" "$T/feed.typ" "$v3" <<'PYEOF'
import sys, time, jwt
key, out, v = sys.argv[1], sys.argv[2], int(sys.argv[3])
open(out, "w").write(jwt.encode({"version": v + 1, "iat": int(time.time()), "jti": {}},
    open(key).read(), algorithm="ES256", headers={"typ": "JWT"}) + "\n")
PYEOF
bad "a feed with typ JWT (a login token signed by that key, say)" "typ is not pam_jwt-feed+jwt" "$T/feed.typ"
$PY - "$T/feed.key" "$T/feed.expired" "$v3" <<'PYEOF'
import sys, time, jwt
key, out, v = sys.argv[1], sys.argv[2], int(sys.argv[3])
now = int(time.time())
open(out, "w").write(jwt.encode({"version": v + 1, "iat": now - 7200, "exp": now - 3600, "jti": {}},
    open(key).read(), algorithm="ES256", headers={"typ": "pam_jwt-feed+jwt"}) + "\n")
PYEOF
bad "an expired feed (exp an hour ago)" "it expired" "$T/feed.expired"
head -c 100 "$T/feed.good" >"$T/feed.cut"
bad "a feed cut short" "not a feed" "$T/feed.cut"
login host "$(tok stolen-2)"
check "  ...the good copy (version $v3) still refuses what it lists" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'stolen-2 is revoked (revocation feed version $v3)'"
login host "$(tok ok-3)"
check "  ...and accepts the rest" test $? = 0
cp "$T/feed.good" "$T/idp/lists/feed"

# ---- publish: the version only grows, --valid, never a secret key ----
fut=$(($(date +%s) + 1000))
$PY - "$T/feed.key" "$T/feed.jwt" "$fut" <<'PYEOF'
import sys, time, jwt
key, out, v = sys.argv[1], sys.argv[2], int(sys.argv[3])
open(out, "w").write(jwt.encode({"version": v, "iat": int(time.time()), "jti": {}},
    open(key).read(), algorithm="ES256", headers={"typ": "pam_jwt-feed+jwt"}) + "\n")
PYEOF
publish
check "publish over a feed of a later version in --out (another clock): one more ($(cut -d, -f1 "$T/publish.out"))" \
	grep -q "version $((fut + 1)), " "$T/publish.out"
vs=
for i in 1 2 3; do
	admin publish --key "$T/feed.key" --out "$T/feed.seq" >"$T/seq.out" &&
		vs="$vs $(sed -n 's/.*version \([0-9]*\),.*/\1/p' "$T/seq.out")"
done
check "three publishes in a row (the same second, mostly): each version above the last ($vs)" \
	bash -c 'test $# = 3 && test "$2" -gt "$1" && test "$3" -gt "$2"' - $vs
admin publish --key "$T/feed.key" --out "$T/feed.v0" --valid 0 >"$T/v0.out" 2>&1
check "publish --valid 0 is refused (exit 2, nothing written)" \
	bash -c "[ $? = 2 ] && grep -q 'needs seconds' '$T/v0.out' && [ ! -e '$T/feed.v0' ]"
(umask 077 && printf '{"kty":"oct","k":"%s"}\n' \
	"$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" >"$T/hs.jwk")
admin publish --key "$T/hs.jwk" --alg HS256 --out "$T/feed.hs" >"$T/hs.out" 2>&1
check "publish with an HMAC secret is refused: hosts hold only the public half of a feed key" \
	bash -c "[ $? != 0 ] && grep -q 'signed with a private key' '$T/hs.out' && [ ! -e '$T/feed.hs' ]"
conf octkey "revocation_feed_key = $T/hs.jwk"
"$TOOL" --config "$T/octkey.conf" fetch >"$T/fetch.out" 2>&1
check "a secret (oct) key as revocation_feed_key: the feed is not applied, saying why" \
	bash -c "[ $? = 1 ] && grep -q 'secret (oct) key' '$T/fetch.out'"
publish --valid 3600
check "publish --valid 3600: the feed's exp is its iat + 3600" \
	$PY -c 'import sys, jwt
c = jwt.decode(open(sys.argv[1]).read().strip(), open(sys.argv[2]).read(), algorithms=["ES256"])
sys.exit(c.get("exp") != c["iat"] + 3600)' "$T/feed.jwt" "$T/feed.pub"
"$TOOL" --config "$T/host.conf" fetch >"$T/fetch.out" 2>&1
check "  ...applied by a host, whose copy records that exp" \
	bash -c "[ $? = 0 ] && grep -q '^exp [0-9][0-9]*\$' '$(meta)'"
sed -i "s/^exp .*/exp $(($(date +%s) - 120))/" "$(meta)"
login host "$(tok ok-9)"
check "  ...once the copy's exp has passed (a server frozen on that feed), every login is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'expired at'"
publish && "$TOOL" --config "$T/host.conf" fetch >/dev/null 2>&1
n=$(hits idp /lists/feed)
age "$(meta)" 240 && unstamp "$(meta)"
login host "$(tok ok-10)"
check "the server sends no max-age: a copy 240 s old is fresh (300 s), no request" \
	bash -c "[ $? = 0 ] && [ $(hits idp /lists/feed) = $n ]"
age "$(meta)" 310 && unstamp "$(meta)"
login host "$(tok ok-11)"
check "  ...one 310 s old is fetched again by the login" \
	bash -c "[ $? = 0 ] && [ $(hits idp /lists/feed) = $((n + 1)) ]"

# ---- entries: the all cut-off, a name the store cannot hold ----
now=$(date +%s)
admin revoke --all --before $((now - 60)) >/dev/null && publish &&
	"$TOOL" --config "$T/host.conf" fetch >/dev/null 2>&1
login host "$("$SIGNER" sign --key "$T/idp.key" --alg ES256 --iss https://idp.test --sub alice \
	--claim jti=old-1 --claim iat=$((now - 3600)))"
check "the all cut-off the feed lists refuses a token issued before it" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'issued before'"
login host "$(tok ok-12)"
check "  ...and accepts one issued after it" test $? = 0
cp "$T/feed.jwt" "$T/feed.good"
vg=$(grep '^version ' "$(meta)" | cut -d' ' -f2)
$PY - "$T/feed.key" "$T/feed.badname" "$vg" <<'PYEOF'
import sys, time, jwt
key, out, v = sys.argv[1], sys.argv[2], int(sys.argv[3])
open(out, "w").write(jwt.encode({"version": v + 1, "iat": int(time.time()),
    "users": {"bad name": 1}, "jti": {}},
    open(key).read(), algorithm="ES256", headers={"typ": "pam_jwt-feed+jwt"}) + "\n")
PYEOF
v3=$vg bad "a feed whose users hold a name the store cannot write" "users hold a bad entry" "$T/feed.badname"
cp "$T/feed.good" "$T/idp/lists/feed"

# ---- the server down ----
stop idp
age "$(meta)" 7200 && unstamp "$(meta)"
login host "$(tok ok-4)"
check "server down, copy 2 h old (within revocation_feed_max_stale, 1 day): accepted" test $? = 0
age "$(meta)" $((86400 + 60)) && unstamp "$(meta)"
login host "$(tok ok-5)"
check "server down, copy over a day old: every login is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'over revocation_feed_max_stale'"
conf long "revocation_feed_max_stale = 172800"
unstamp "$(meta)"
login long "$(tok ok-6)"
check "  ...accepted with revocation_feed_max_stale = 2 days" test $? = 0
conf nokey "revocation_feed_key = "
"$TOOL" --config "$T/nokey.conf" verify "$(tok ok-7)" >/dev/null 2>&1
check "revocation_feed_key = (empty) is a configuration error" test $? = 2
rm -f "$T/cache/"*
login host "$(tok ok-8)"
check "server down and no applied copy: refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'no applied copy'"
finish
