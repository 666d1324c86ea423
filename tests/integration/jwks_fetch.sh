#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Keys from the identity provider: jwks_url / discovery_url over HTTPS against
# a local server (tests/helpers/jwks_server.py, 127.0.0.1 only) with a test CA
# made here by the openssl CLI; the cache, outages, rotation, the refetch
# rate limit, TLS and size limits, timeouts, and that libcurl is never loaded
# by the module, not even when a login fetches (the fetch helper
# build/pam_jwt-fetch does it, named by fetch_helper; its isolation is
# tests/integration/fetch_env.sh's).  Logins go through pamtester (pam_run)
# where the module matters, pam_jwt-tool elsewhere (same code, src/verify.c).
#
# Ages are faked by rewriting the "fetched SECONDS" metadata line of a cache
# file (the time the server last confirmed the copy) and by back-dating the
# FILE.stamp next to it with touch (its mtime is the last login-driven fetch).
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	# The module trusts only cache files that belong to root.
	skip "keys from the identity provider" "needs root"
	finish
	exit 0
fi
# The tool runs as nobody below: from a copy it can read.
share_build || { notok "copy the build where nobody can read it"; finish; exit 1; }
. "$ROOT/tests/helpers/idp.sh"

# ---- certificates: a test CA, a second CA, and server certificates ----
ca ca && ca otherca && cert good ca "IP:127.0.0.1,DNS:localhost" &&
	cert badca otherca "IP:127.0.0.1,DNS:localhost" && cert badhost ca "DNS:wrong.example" &&
	chmod 644 "$T"/*.pem || { notok "make the test CA and certificates"; finish; exit 1; }

gen_key ES256 k1 && gen_key ES256 k2 && gen_key ES256 k3 && gen_key ES256 evil ||
	{ notok "keys"; finish; exit 1; }
start idp good
start idp2 badca
start idp3 badhost
$PY "$SRV" jwks k1="$T/k1.pub" >"$T/idp/jwks.json"
cp "$T/idp/jwks.json" "$T/idp2/jwks.json"
cp "$T/idp/jwks.json" "$T/idp3/jwks.json"
P=$port_idp
URL=https://127.0.0.1:$P/jwks
mkdir -m 755 "$T/cache"
CACHE=$(cfile "$URL")

# conf NAME [key=value...]: $T/NAME.conf with the common settings.
conf() {
	local n=$1
	shift
	{
		echo "fetch_helper = $FETCH"
		echo "ca_file = $T/ca.pem"
		echo "cache_dir = $T/cache"
		echo "algorithms = ES256"
		echo "issuer = https://idp.test"
		printf '%s\n' "$@"
	} >"$T/$n.conf"
}
conf idp "jwks_url = $URL"
service idp "auth required $MODULE conf=$T/idp.conf"
sign() { "$TOOL" sign --key "$T/$1.key" --alg ES256 --kid "$2" --iss https://idp.test --sub alice; }
verify() { "$TOOL" verify --config "$T/$1.conf" "$2" 2>"$T/verify.err" >/dev/null; }
# age FILE SECONDS: the cached copy was last confirmed SECONDS ago.
age() { sed -i "s/^fetched .*/fetched $(($(date +%s) - $2))/" "$1"; }
# unstamp FILE: no login fetched it for an hour (the refetch interval is over).
unstamp() { touch -d "@$(($(date +%s) - 3600))" "$1.stamp"; }
cc -shared -fPIC -O2 -o "$T/maps.so" "$ROOT/tests/helpers/maps_at_exit.c" ||
	{ notok "build the maps shim"; finish; exit 1; }
# login_maps USER TOKEN: pam_run that also leaves the process's maps in $T/maps.
login_maps() { PJ_MAPS_OUT=$T/maps LOGSHIM="$LOGSHIM $T/maps.so" pam_run idp "$@"; }

t1=$(sign k1 k1)

# ---- only the fetch helper has libcurl ----
check "the module neither links nor names libcurl" bash -c "! grep -qa libcurl '$MODULE'"
check "the tool neither links nor names libcurl" bash -c "! grep -qa libcurl '$TOOL'"
check "the fetch helper links libcurl" \
	bash -c "readelf -d '$B/pam_jwt-fetch' | grep -q 'NEEDED.*libcurl'"

# ---- a fetched key, then the cache ----
login_maps alice "$t1"
check "a login with a key fetched from jwks_url is accepted" test $? = 0
check "  ...and logged as accepted" log_has "outcome=accepted"
check "  ...after exactly one request to the server" test "$(hits idp /jwks)" = 1
check "  ...and that login never mapped libcurl (nor libssl) into the host process" \
	bash -c "grep -q libpam.so '$T/maps' && grep -q libcrypto '$T/maps' &&
		 ! grep -qE 'libcurl|libssl' '$T/maps'"
check "the cache file is named by the URL's SHA-256, root's, mode 0644" \
	test "$(stat -c %U:%a "$CACHE" 2>/dev/null)" = root:644
check "  ...and records URL, fetch time, max-age and ETag before the body" \
	bash -c "head -5 '$CACHE' | grep -q '^url $URL\$' && grep -q '^etag \"' '$CACHE'"
login_maps alice "$t1"
check "a second login is accepted from the fresh cache" test $? = 0
check "  ...without a request" test "$(hits idp /jwks)" = 1
check "a login with fresh keys in the cache does not load libcurl either" \
	bash -c "grep -q libpam.so '$T/maps' && ! grep -q libcurl '$T/maps'"

# ---- outage ----
stop idp
pam_run idp alice "$t1"
check "server stopped, fresh cache: accepted" test $? = 0
age "$CACHE" 7200 && unstamp "$CACHE"
s=$(ms)
pam_run idp alice "$t1"
rc=$? el=$(($(ms) - s))
check "server stopped, stale cache (2 h, within jwks_max_stale): accepted (${el} ms)" test $rc = 0
check "  ...and the decision line says the keys came from a stale copy, and why" \
	bash -c "last_log() { tail -n 1 '$LOG'; }; last_log | grep -q 'outcome=accepted' &&
		 last_log | grep -qE 'keys=\"from a copy 72[0-9]{2} s old; fetch failed: '"
check "  ...the failure is kept beside the copy (root's, 0644)" \
	bash -c "[ \"\$(stat -c %U:%a '$CACHE.error')\" = root:644 ] && grep -q 'fetch failed' '$CACHE.error'"
pam_run idp alice "$t1"
check "  ...a login moments later (no fetch: jwks_refetch_interval) names that failure too" \
	log_has 'keys="from a copy 72'
check "    ...as the last fetch's" log_has "s ago: fetch failed: "
touch -d "@$(($(date +%s) - 5))" "$CACHE.stamp" && chown 65534:65534 "$CACHE.stamp"
m0=$(stat -c %Y "$CACHE.stamp")
pam_run idp alice "$t1"
check "  ...a recent stamp that is not root's holds no fetch off: the login tries, claiming it" \
	test "$(stat -c %Y "$CACHE.stamp")" -gt "$m0"
chown 0:0 "$CACHE.stamp"
"$TOOL" keys --config "$T/idp.conf" >"$T/keys.out" 2>&1
check "pam_jwt-tool keys shows the copy stale, with the last fetch's failure" \
	bash -c "grep -q 'stale, used while the server is unreachable' '$T/keys.out' &&
		 grep -q 'note: last fetch failed [0-9]* s ago: fetch failed' '$T/keys.out'"
"$TOOL" verify --config "$T/idp.conf" "$t1" >"$T/verify.out" 2>&1
check "pam_jwt-tool verify prints the same as \"keys\"" grep -q '"keys":"from a copy 72' "$T/verify.out"
age "$CACHE" $((8 * 86400)) && unstamp "$CACHE"
pam_run idp alice "$t1"
check "server stopped, cache 8 days old (over jwks_max_stale 7 d): refused" test $? != 0
check "  ...the reason names jwks_max_stale" log_has "over jwks_max_stale"
verify idp "$t1"
check "  ...and the tool gives the same reason" grep -q "over jwks_max_stale" "$T/verify.err"

# ---- the server is back; rotation ----
start idp good "$P"
rotated=$($PY "$SRV" jwks k2="$T/k2.pub")
printf '%s\n' "$rotated" >"$T/idp/jwks.json"
age "$CACHE" 0 && unstamp "$CACHE"
before=$(hits idp /jwks)
t2=$(sign k2 k2)
pam_run idp alice "$t2"
check "a rotated key (new kid k2, not in the fresh cache) is accepted" test $? = 0
check "  ...after one refetch" test "$(($(hits idp /jwks) - before))" = 1
check "  ...which clears the recorded failure; the line has no keys= note" \
	bash -c "[ ! -e '$CACHE.error' ] && ! tail -n 1 '$LOG' | grep -q 'keys='"
pam_run idp alice "$t2"
check "  ...and then from the cache without another" test "$(($(hits idp /jwks) - before))" = 1
pam_run idp alice "$t1"
check "the retired kid k1 is refused" test $? != 0
check "  ...without a request (refetched seconds ago): the reason says so" \
	bash -c "[ $(($(hits idp /jwks) - before)) = 1 ] && tail -n1 '$LOG' | grep -q jwks_refetch_interval"

# ---- 200 tokens with unknown kids ----
$PY - "$T/k2.key" >"$T/unknown.tokens" <<'PYEOF'
import sys, time, uuid, jwt
key = open(sys.argv[1]).read()
now = int(time.time())
for _ in range(200):
    print(jwt.encode({"sub": "alice", "iss": "https://idp.test", "iat": now, "exp": now + 300},
                     key, algorithm="ES256", headers={"kid": uuid.uuid4().hex}))
PYEOF
unstamp "$CACHE"
before=$(hits idp /jwks)
xargs -P 4 -I{} "$TOOL" verify --config "$T/idp.conf" {} <"$T/unknown.tokens" >/dev/null 2>&1
check "200 tokens with unknown kids (4 processes at a time) are refused" test $? != 0
n=$(($(hits idp /jwks) - before))
note "unknown kids, jwks_refetch_interval 60: $n fetch(es) for 200 tokens"
check "  ...and cause exactly one fetch within jwks_refetch_interval (60 s): $n" test "$n" = 1
conf idp1 "jwks_url = $URL" "jwks_refetch_interval = 1"
before=$(hits idp /jwks)
s=$(ms)
for i in 1 2; do
	xargs -P 4 -I{} "$TOOL" verify --config "$T/idp1.conf" {} <"$T/unknown.tokens" \
		>/dev/null 2>&1
done
el=$(($(ms) - s)) n=$(($(hits idp /jwks) - before))
note "unknown kids, jwks_refetch_interval 1: $n fetches for 400 tokens in $el ms"
check "  ...with an interval of 1 s: at most one per second ($n in $el ms)" \
	test "$n" -ge 1 -a "$n" -le $((el / 1000 + 1))

# ---- http:// and TLS ----
"$TOOL" verify --set jwks_url=http://127.0.0.1:$P/jwks "$t2" 2>"$T/verify.err" >/dev/null
check "jwks_url = http://... is a configuration error (exit 2)" test $? = 2
check "  ...saying only https:// is fetched" grep -q "only https://" "$T/verify.err"
service http "auth required $MODULE conf=$T/idp.conf jwks_url=http://127.0.0.1:$P/jwks"
pam_run http alice "$t2"
check "  ...and the module refuses every login" test $? != 0
# Real keys over plain http: k3, served only by a plain http server, at the
# http:// URL that /redirect-http and /disco-http point to.  Were either
# followed, a token signed with k3 would log in, and that server would see
# the request.
start_plain plain
$PY "$SRV" jwks k3="$T/k3.pub" >"$T/plain/jwks.json"
echo "http://127.0.0.1:$port_plain/jwks" >"$T/idp/http-url"
t3=$(sign k3 k3)
curl -sf "http://127.0.0.1:$port_plain/jwks" >"$T/plain.out"
check "the plain http server serves k3, and logs the request (the bait is live)" \
	bash -c "grep -q '\"kid\": \"k3\"' '$T/plain.out' && [ \$(grep -c '^/jwks 200' '$T/plain/requests.log') = 1 ]"
conf redir "jwks_url = https://127.0.0.1:$P/redirect-http"
service redir "auth required $MODULE conf=$T/redir.conf"
verify redir "$t3"
check "a redirect to http:// serving the token's key is not followed: refused (exit 1)" \
	test $? = 1
unstamp "$(cfile "https://127.0.0.1:$P/redirect-http")"
pam_run redir alice "$t3"
check "  ...and the login is refused" test $? != 0
check "  ...the redirect was served, the http:// server never asked" \
	test "$(hits idp /redirect-http)" = 2 -a "$(hits plain /jwks)" = 1
check "  ...the reason says the protocol is refused ($(tr -d '\n' <"$T/verify.err"))" \
	grep -qi "protocol" "$T/verify.err"
conf dischttp "discovery_url = https://127.0.0.1:$P/disco-http"
service dischttp "auth required $MODULE conf=$T/dischttp.conf"
verify dischttp "$t3"
check "a discovery document whose jwks_uri is http://, serving the token's key: refused" \
	test $? = 1
check "  ...saying so" grep -q "jwks_uri: only https://" "$T/verify.err"
unstamp "$(cfile "https://127.0.0.1:$P/disco-http")"
pam_run dischttp alice "$t3"
check "  ...and the login is refused" test $? != 0
check "  ...the document was fetched twice, the http:// jwks_uri never" \
	test "$(hits idp /disco-http)" = 2 -a "$(hits plain /jwks)" = 1
# The document names its issuer https://127.0.0.1:PORT: it must be configured.
conf discoiss "discovery_url = https://127.0.0.1:$P/.well-known/openid-configuration"
before=$(hits idp /jwks)
verify discoiss "$t2"
check "a discovery document naming another issuer than the configured one is refused" test $? = 1
check "  ...saying so ($(tr -d '\n' <"$T/verify.err"))" \
	grep -q "the discovery document's issuer \"https://127.0.0.1:$P\" is not the configured issuer" \
	"$T/verify.err"
check "  ...before its jwks_uri is fetched" test "$(hits idp /jwks)" = "$before"
conf disco "discovery_url = https://127.0.0.1:$P/.well-known/openid-configuration" \
	"issuer = https://127.0.0.1:$P"
service disco "auth required $MODULE conf=$T/disco.conf"
pam_run disco alice "$t2"
check "discovery_url: a login with a key from its jwks_uri is accepted" test $? = 0
check "  ...the discovery document is cached too" \
	test -f "$(cfile "https://127.0.0.1:$P/.well-known/openid-configuration")"

conf badca "jwks_url = https://127.0.0.1:$port_idp2/jwks"
verify badca "$t1"
check "a server certificate from another CA is refused" test $? = 1
check "  ...as a certificate problem ($(tr -d '\n' <"$T/verify.err"))" \
	grep -qi "certificate" "$T/verify.err"
conf badhost "jwks_url = https://127.0.0.1:$port_idp3/jwks"
verify badhost "$t1"
check "a certificate for another host name is refused" test $? = 1
check "  ...as a name mismatch ($(tr -d '\n' <"$T/verify.err"))" grep -qi "name" "$T/verify.err"
printf 'jwks_url = %s\ncache_dir = %s\nfetch_helper = %s\n' "$URL" "$T/nocache" \
	"$FETCH" >"$T/noca.conf"
verify noca "$t2"
check "without ca_file the system's CAs are used, and do not know the test CA" \
	grep -qi "certificate" "$T/verify.err"
# ca_file alone is trusted, not the system's CAs beside it: in a mount
# namespace of its own the system's bundle is the other CA, which signed
# idp2's certificate.  Without ca_file the fetch then works (the bundle is
# libcurl's); with ca_file, idp2 is refused.
# The whole directory: libcurl reads the bundle and, where it is built with
# one, the hashed CA directory beside it (a CAINFO_BLOB overrides only the
# bundle).
mkdir -p "$T/syscerts" && cp "$T/otherca.pem" "$T/syscerts/ca-certificates.crt" &&
	cp "$T/otherca.pem" "$T/syscerts/$(openssl x509 -hash -noout -in "$T/otherca.pem").0"
sysca() {
	unshare --mount --propagation private bash -c \
		'mount --bind "$1" /etc/ssl/certs && shift && exec "$@"' - "$T/syscerts" "$@"
}
printf 'jwks_url = %s\ncache_dir = %s\nfetch_helper = %s\nalgorithms = ES256\n' \
	"https://127.0.0.1:$port_idp2/jwks?sys" "$T/cache" "$FETCH" >"$T/sysca-none.conf"
conf sysca "jwks_url = https://127.0.0.1:$port_idp2/jwks?sysca"
sysca "$TOOL" verify --config "$T/sysca-none.conf" "$t1" >/dev/null 2>"$T/verify.err"
rc=$?
check "the other CA as the system's bundle: without ca_file its server's keys are fetched ($(
	tr -d '\n' <"$T/verify.err"))" test $rc = 0
sysca "$TOOL" verify --config "$T/sysca.conf" "$t1" >/dev/null 2>"$T/verify.err"
check "  ...with ca_file, the system's CAs are not trusted beside it: refused" test $? = 1
check "  ...as a certificate problem ($(tr -d '\n' <"$T/verify.err"))" \
	grep -qi "certificate" "$T/verify.err"
check "nothing from those servers was cached" bash -c "! ls '$T/nocache' '$(cfile \
	"https://127.0.0.1:$port_idp2/jwks")' '$(cfile "https://127.0.0.1:$port_idp3/jwks")' \
	'$(cfile "https://127.0.0.1:$P/redirect-http")' 2>/dev/null"

chmod 664 "$T/ca.pem"
conf cafile "jwks_url = https://127.0.0.1:$P/jwks?ca"
verify cafile "$t1"
check "a ca_file writable by group is refused" grep -q "ca_file: .*writable by group" "$T/verify.err"
chmod 644 "$T/ca.pem"
mkdir -m 0775 "$T/cadir" && cp "$T/ca.pem" "$T/cadir/ca.pem"
conf cadir "jwks_url = https://127.0.0.1:$P/jwks?cadir" "ca_file = $T/cadir/ca.pem"
verify cadir "$t1"
check "a ca_file under a group-writable directory is refused" \
	grep -q "ca_file: .*directory $T/cadir is writable by group" "$T/verify.err"

# ---- a server that never answers ----
mode idp hang
conf hang "jwks_url = $URL" "fetch_timeout = 2" "cache_dir = $T/hangcache"
s=$(ms)
verify hang "$t2"
rc=$? el=$(($(ms) - s))
note "a server that never answers, fetch_timeout 2 s: refused after $el ms"
check "a server that never answers: refused after fetch_timeout (2 s) + at most 1 s ($el ms)" \
	test $rc = 1 -a "$el" -ge 1900 -a "$el" -le 3000
check "  ...the reason says so" grep -q "no answer within" "$T/verify.err"
# Discovery answers after 1.5 s, the JWKS would after another 1.5 s: the
# JWKS fetch gets only what is left of the one fetch_timeout.
mode idp slow
echo 1500 >"$T/idp/delay"
conf slowd "discovery_url = https://127.0.0.1:$P/.well-known/openid-configuration" \
	"issuer = https://127.0.0.1:$P" "fetch_timeout = 2" "cache_dir = $T/hangcache"
s=$(ms)
verify slowd "$t2"
rc=$? el=$(($(ms) - s))
note "discovery (1.5 s) then JWKS (1.5 s more) with fetch_timeout 2 s: refused after $el ms"
check "discovery then JWKS share one fetch_timeout: refused after $el ms" \
	test $rc = 1 -a "$el" -le 3000
check "  ...the JWKS fetch got what was left ($(tr -d '\n' <"$T/verify.err"))" \
	grep -qE "no answer within [0-9]{1,3} ms" "$T/verify.err"
mode idp hang
conf idph "jwks_url = $URL" "fetch_timeout = 2"
service idph "auth required $MODULE conf=$T/idph.conf"
age "$CACHE" 7200 && unstamp "$CACHE"
s=$(ms)
pam_run idph alice "$t2"
rc=$? el=$(($(ms) - s))
note "login with a stale cache while the server hangs: $el ms"
check "a login with a stale cache while the server hangs is accepted within 3 s ($el ms)" \
	test $rc = 0 -a "$el" -le 3000
s=$(ms)
pam_run idph alice "$t2"
rc=$? el=$(($(ms) - s))
note "the next login, the failed attempt being recent: $el ms"
check "  ...and the next one at once: no new attempt within jwks_refetch_interval ($el ms)" \
	test $rc = 0 -a "$el" -lt 1000

# ---- size limit and memory ----
mode idp normal
# maxrss ARGS...: runs the tool, prints its exit status and peak RSS in KiB.
maxrss() {
	$PY -c 'import resource, subprocess, sys
err = open(sys.argv[1], "w")
rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$T/rss.err" "$@"
}
read -r rc base < <(maxrss "$TOOL" --config "$T/idp.conf" fetch)
check "tool fetch of the normal JWKS succeeds (peak RSS ${base} KiB)" test "$rc" = 0
mode idp big
read -r rc big < <(maxrss "$TOOL" --config "$T/idp.conf" fetch)
check "a 50 MB response with Content-Length is refused (peak RSS ${big} KiB)" test "$rc" = 1
mode idp bigstream
s=$(ms)
read -r rc stream < <(maxrss "$TOOL" --config "$T/idp.conf" fetch)
el=$(($(ms) - s))
note "peak RSS: normal fetch $base KiB, 50 MB with length $big KiB, 50 MB streamed $stream KiB"
check "a 50 MB response without Content-Length is refused (peak RSS ${stream} KiB, $el ms)" \
	test "$rc" = 1
check "  ...memory grows by less than jwks_max_size (8 MiB) and 4 MiB over a normal fetch ($((stream - base)) KiB)" \
	test $((stream - base)) -lt 12288 -a $((big - base)) -lt 12288
"$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out" 2>&1
check "  ...the reason gives the limit" grep -q "larger than 8388608 bytes" "$T/fetch.out"
conf idp1m "jwks_url = $URL" "jwks_max_size = 1M"
read -r rc small < <(maxrss "$TOOL" --config "$T/idp1m.conf" fetch)
check "with jwks_max_size = 1M, refused too (peak RSS ${small} KiB)" test "$rc" = 1
check "  ...memory grows by less than 4 MiB over a normal fetch ($((small - base)) KiB)" \
	test $((small - base)) -lt 4096
"$TOOL" --config "$T/idp1m.conf" fetch >"$T/fetch.out" 2>&1
check "  ...the reason gives the limit" grep -q "larger than 1048576 bytes" "$T/fetch.out"

# ---- a large key set: over 1 MiB, read through the helper's key index ----
mode idp normal
cp "$T/idp/jwks.json" "$T/jwks.small"
$PY "$SRV" bigjwks 12000 k2="$T/k2.pub" "$T/k1.pub" "$T/evil.pub" >"$T/idp/jwks.json"
size=$(stat -c %s "$T/idp/jwks.json")
"$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out" 2>&1
check "a JWKS of 12,000 keys ($size bytes, over 1 MiB) is fetched and stored" test $? = 0
check "  ...with a key index beside the cache file, root's, mode 0644" \
	test "$(stat -c %U:%a "$CACHE.index" 2>/dev/null)" = root:644
check "  ...which fetch reports as current" grep -q "key index current: 12000 keys" "$T/fetch.out"
before=$(hits idp /jwks)
pam_run idp alice "$t2"
check "a login with a kid in the middle of the set is accepted, without a request" \
	test $? = 0 -a "$(hits idp /jwks)" = "$before"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$TOOL" verify --config "$T/idp.conf" "$t2" >/dev/null 2>&1
check "  ...and by an application that is not root (the index is world-readable)" test $? = 0
nokid=$("$TOOL" sign --key "$T/k2.key" --alg ES256 --iss https://idp.test --sub alice)
verify idp "$nokid"
check "a token without kid is refused at once" test $? = 1
check "  ...naming the limit of keys tried" \
	grep -q "12000 keys fit ES256 and the token has no kid; a token without kid is tried against 16 keys at most" \
	"$T/verify.err"
age "$CACHE" 100
"$TOOL" --config "$T/idp.conf" index --check >"$T/index.out" 2>&1
check "a cache file changed by hand: index --check says its index is not current (exit 1)" \
	bash -c "[ $? = 1 ] && grep -q 'NO CURRENT KEY INDEX' '$T/index.out'"
pam_run idp alice "$t2"
check "  ...and a login reads the copy whole: accepted" test $? = 0
"$TOOL" --config "$T/idp.conf" index >"$T/index.out" 2>&1
check "  ...until index writes it again" \
	bash -c "[ $? = 0 ] && grep -q 'key index written: 12000 keys' '$T/index.out'"
rm -f "$CACHE" "$CACHE.index" && unstamp "$CACHE"
pam_run idp alice "$t2"
check "a root login that fetches the large set is accepted" test $? = 0
check "  ...and the helper wrote the key index beside what it stored" test -s "$CACHE.index"
"$TOOL" --config "$T/idp1m.conf" fetch >"$T/fetch.out" 2>&1
check "under jwks_max_size = 1M the same set is refused, naming the option's bound" \
	bash -c "[ $? = 1 ] && grep -q 'larger than 1048576 bytes' '$T/fetch.out'"
# The same set as a jwks_file, indexed by the tool.
cp "$T/idp/jwks.json" "$T/big.jwks" && chmod 644 "$T/big.jwks"
conf bigfile "jwks_file = $T/big.jwks"
"$TOOL" --config "$T/bigfile.conf" index --check >"$T/index.out"
check "jwks_file of 12,000 keys: index --check says it has no index (exit 1)" \
	bash -c "[ $? = 1 ] && grep -q 'NO CURRENT KEY INDEX' '$T/index.out'"
"$TOOL" --config "$T/bigfile.conf" index >"$T/index.out"
check "  ...index writes it" bash -c "[ $? = 0 ] && test -s '$T/big.jwks.index'"
"$TOOL" --config "$T/bigfile.conf" index --check >/dev/null
check "  ...and then reports it current (exit 0)" test $? = 0
verify bigfile "$t2"
check "  ...and a token with kid verifies through it" test $? = 0
chmod 666 "$T/big.jwks"
"$TOOL" --config "$T/bigfile.conf" index >"$T/index.out" 2>&1
check "  ...a jwks_file writable by others is not indexed: index says FAILED, exit 1" \
	bash -c "[ $? = 1 ] && grep -q 'key index FAILED' '$T/index.out'"
chmod 644 "$T/big.jwks"
cp "$T/jwks.small" "$T/idp/jwks.json"
"$TOOL" --config "$T/idp.conf" fetch >/dev/null 2>&1
check "  ...a small set fetched again: its old index is gone" test ! -e "$CACHE.index"

# ---- malformed JSON keeps the previous cache ----
mode idp normal
"$TOOL" --config "$T/idp.conf" fetch >/dev/null
cp "$CACHE" "$T/cache.before"
mode idp malformed
"$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out" 2>&1
check "malformed JSON from the server: tool fetch fails (exit 1)" test $? = 1
check "  ...saying the document is bad" grep -q "bad document" "$T/fetch.out"
check "  ...and the cache file is unchanged" cmp -s "$CACHE" "$T/cache.before"
age "$CACHE" 7200 && unstamp "$CACHE"
pam_run idp alice "$t2"
check "  ...and a login still uses the previous keys" test $? = 0
mode idp normal

# ---- freshness, revalidation, reports ----
rm -f "$T/idp/max-age"
"$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out"
check "tool fetch revalidates with If-None-Match: HTTP 304" \
	bash -c "grep -q 'not modified (HTTP 304)' '$T/fetch.out' && tail -n1 '$T/idp/requests.log' | grep -q '^/jwks 304'"
check "  ...no max-age: fresh for 3600 s" grep -q "fresh for 3600 s" "$T/fetch.out"
check "  ...and reports kid, type and alg" grep -qE "kid k2 +EC/prime256v1 +ES256" "$T/fetch.out"
echo 10 >"$T/idp/max-age"
"$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out"
check "max-age=10 is clamped up to jwks_ttl_min (300 s)" grep -q "fresh for 300 s" "$T/fetch.out"
echo 5000x >"$T/idp/max-age"
"$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out"
check "max-age=5000x is no max-age: the copy keeps its 300 s, not 5000 ($(grep -o "fresh for [0-9]* s" "$T/fetch.out"))" \
	grep -q "fresh for 300 s" "$T/fetch.out"
echo 999999 >"$T/idp/max-age"
"$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out"
check "max-age=999999 is clamped down to jwks_ttl_max (86400 s)" \
	grep -q "fresh for 86400 s" "$T/fetch.out"
age "$CACHE" 100
"$TOOL" --config "$T/idp.conf" keys >"$T/keys.out"
check "tool keys lists the cached key with its source" \
	grep -qE "^k2 +EC/prime256v1 +ES256 +https://127.0.0.1:$P/jwks#0" "$T/keys.out"
check "  ...and the cache's age and freshness" grep -q "age 100 s, fresh for 86300 s" "$T/keys.out"
printf 'not a key\n' >"$T/junk.pem" && chmod 644 "$T/junk.pem"
printf 'key_file = %s\nkey_file = %s\n' "$T/k1.pub" "$T/junk.pem" >"$T/junk.conf"
"$TOOL" --config "$T/junk.conf" keys >"$T/keys.out" 2>&1
check "tool keys: a key file that cannot be loaded is named, exit 1" \
	bash -c "[ $? = 1 ] && grep -q junk.pem '$T/keys.out'"
before=$(hits idp /jwks)
"$TOOL" --config "$T/idp.conf" fetch --ahead 3600 >"$T/fetch.out"
rc=$?
check "fetch --ahead skips a source that stays fresh long enough" \
	test "$(hits idp /jwks)" = "$before" -a $rc = 0
age "$CACHE" 86000
"$TOOL" --config "$T/idp.conf" fetch --ahead 3600 >"$T/fetch.out"
rc=$?
check "  ...and fetches one fresh for less than that (fresh 86400 s, 86000 s old)" \
	test "$(hits idp /jwks)" = "$((before + 1))" -a $rc = 0

# ---- trust: the cache directory and its files ----
chmod 664 "$CACHE" && unstamp "$CACHE"
before=$(hits idp /jwks)
verify idp "$t2"
check "a group-writable cache file is not used: a fetch replaces it" \
	test $? = 0 -a "$(($(hits idp /jwks) - before))" = 1 -a "$(stat -c %a "$CACHE")" = 644
chmod 777 "$T/cache"
pam_run idp alice "$t2"
check "a cache_dir writable by others refuses the login" test $? != 0
check "  ...saying why" log_has "writable by group or others"
chmod 755 "$T/cache"

# ---- a PAM application that is not root ----
age "$CACHE" 100000 && unstamp "$CACHE" # stale even for max-age 999999 (86400 s)
cp "$CACHE" "$T/cache.before"
before=$(hits idp /jwks)
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$TOOL" verify --config "$T/idp.conf" "$t2" >/dev/null 2>"$T/verify.err"
check "not root, stale cache: the keys are fetched into memory and the login accepted" \
	test $? = 0 -a "$(($(hits idp /jwks) - before))" = 1
check "  ...and the cache is left as it was" cmp -s "$CACHE" "$T/cache.before"
age "$CACHE" 0
before=$(hits idp /jwks)
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$TOOL" verify --config "$T/idp.conf" "$t2" >/dev/null 2>&1
check "not root, fresh cache: accepted from the cache, no request" \
	test $? = 0 -a "$(hits idp /jwks)" = "$before"

# ---- the token's jku and x5u are never followed ----
# The server (trusted CA, the configured host) serves the token's own key at
# the URL the token names: following it would log the token in.  Only the
# request log tells "never fetched" from "fetched and failed".
$PY "$SRV" jwks evil="$T/evil.pub" >"$T/idp/evil.json"
curl -sf --cacert "$T/ca.pem" "https://127.0.0.1:$P/evil" >"$T/evil.out"
check "the server serves the evil key at /evil (the bait is live)" \
	bash -c "grep -q '\"kid\": \"evil\"' '$T/evil.out' && grep -q '^/evil 200' '$T/idp/requests.log'"
before=$(grep -c '^/evil\|^/x5u' "$T/idp/requests.log")
for h in "jku=https://127.0.0.1:$P/evil" "x5u=https://127.0.0.1:$P/x5u"; do
	evil=$("$TOOL" sign --key "$T/evil.key" --alg ES256 --kid evil --iss https://idp.test \
		--sub alice --header "$h")
	unstamp "$CACHE"
	pam_run idp alice "$evil"
	check "a token naming its own ${h%%=*} is refused" test $? != 0
	check "  ...because no configured key has its kid" log_has "no configured key has kid 'evil'"
	check "  ...and its ${h%%=*} is never fetched" \
		test "$(grep -c '^/evil\|^/x5u' "$T/idp/requests.log")" = "$before"
done

# ---- the cache is written atomically: synced before the rename ----
# tests/helpers/syncorder.c records the helper's writes, syncs and renames.
mkdir -m 755 "$T/synccache"
rm -f "$T/sync.log"
LD_PRELOAD=$B/tests/syncorder.so PJ_SYNC_LOG=$T/sync.log PJ_SYNC_DIR=$T/synccache \
	"$FETCH" --kind jwks --url "$URL" --timeout-ms 3000 --ca-file "$T/ca.pem" \
	--cache-dir "$T/synccache" >/dev/null
SC=$T/synccache/$(printf '%s' "$URL" | sha256sum | cut -d' ' -f1)
$PY - "$T/sync.log" "$SC" >"$T/sync.out" <<'PY'
import sys
lines = [l.split() for l in open(sys.argv[1])]
final = sys.argv[2]
ren = [i for i, l in enumerate(lines) if l[0] == "rename" and l[2] == final]
ok = any(l[0] == "loaded" for l in lines) and len(ren) == 1
if ok:
    r = ren[0]
    tmp = lines[r][1]
    w = [i for i, l in enumerate(lines) if l[0] == "write" and l[2] == tmp and i < r]
    s = [i for i, l in enumerate(lines) if l[0] == "fsync" and l[2] == tmp and i < r]
    d = [i for i, l in enumerate(lines) if l[0] == "fsync" and l[2] == final.rsplit("/", 1)[0]
         and i > r]
    ok = bool(w and s and s[-1] > w[-1] and d)
for l in lines:
    print("# " + " ".join(l))
sys.exit(0 if ok else 1)
PY
rc=$?
check "the helper writes the cache beside it, fsyncs, renames, fsyncs the directory" test $rc = 0
[ $rc = 0 ] || cat "$T/sync.out"

# ---- root without capabilities: pam_jwt-fetch.service's CapabilityBoundingSet= ----
before=$(hits idp /jwks)
setpriv --bounding-set=-all "$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out" 2>&1
check "root without capabilities (the timer's sandbox) fetches through the helper" \
	test $? = 0 -a "$(($(hits idp /jwks) - before))" = 1
setpriv --bounding-set=-all --groups 4242 "$TOOL" --config "$T/idp.conf" fetch >"$T/fetch.out" 2>&1
check "  ...but root that cannot drop its supplementary groups does not start it: refused" \
	bash -c "[ $? = 1 ] && grep -q 'could not be set up' '$T/fetch.out'"

# ---- the systemd units ----
check "pam_jwt-fetch.service runs pam_jwt-tool fetch" \
	grep -qE "^ExecStart=.*pam_jwt-tool fetch" "$ROOT/conf/pam_jwt-fetch.service"
check "pam_jwt-fetch.timer starts it" grep -q "^Unit=pam_jwt-fetch.service" \
	"$ROOT/conf/pam_jwt-fetch.timer"
finish
