#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Token Status List (draft-ietf-oauth-status-list) through pamtester against a
# local HTTPS server with a test CA (tests/helpers/jwks_server.py serves
# $T/idp/lists/NAME at /lists/NAME): a token whose entry is set is refused
# once the host's copy is refreshed, accepted while it is 0; every rule of the
# verifier has its case (typ, sub, foreign key, expired list, index past the
# end, URI outside status_list_url, a zip bomb, the server down within and
# past status_list_max_stale, require); pam_jwt-tool status-list's output is
# decoded by Python's zlib and verified by PyJWT, and lists that PyJWT signs
# are read by the module.  On the code before status lists every refusal
# here was an acceptance (the claim was ignored).
#
# SIGNER: the pam_jwt-tool that makes lists (default the one under test);
# PJ_BUILD=... runs the logins against another build.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "status lists" "needs root (the module trusts root's cache only)"
	finish
	exit 0
fi
. "$ROOT/tests/helpers/idp.sh"
SIGNER=${SIGNER:-$TOOL}

ca ca && cert good ca "IP:127.0.0.1,DNS:localhost" && chmod 644 "$T"/*.pem ||
	{ notok "make the test CA and certificates"; finish; exit 1; }
gen_key ES256 k1 && gen_key ES256 evil || { notok "keys"; finish; exit 1; }
start idp good
mkdir -p "$T/idp/lists"
P=$port_idp
BASE=https://127.0.0.1:$P/lists
mkdir -m 755 "$T/cache"

# conf NAME [key=value...]
conf() {
	local n=$1
	shift
	{
		echo "fetch_helper = $FETCH"
		echo "ca_file = $T/ca.pem"
		echo "cache_dir = $T/cache"
		echo "key_file = $T/k1.pub"
		echo "algorithms = ES256"
		echo "issuer = https://idp.test"
		[ -n "${NOURL:-}" ] || echo "status_list_url = $BASE/"
		printf '%s\n' "$@"
	} >"$T/$n.conf"
	service "$n" "auth required $MODULE conf=$T/$n.conf"
}
conf sl
# tok IDX NAME [key]: a token for alice naming entry IDX of list NAME.
tok() {
	"$SIGNER" sign --key "$T/${3:-k1}.key" --alg ES256 --iss https://idp.test --sub alice \
		--status-uri "$BASE/$2" --status-idx "$1"
}
# publish NAME [sign options]: $T/NAME.json signed as the token served at /lists/NAME.
publish() {
	local n=$1
	shift
	"$SIGNER" status-list sign --list "$T/$n.json" --key "$T/k1.key" --alg ES256 \
		--uri "$BASE/$n" "$@" >"$T/idp/lists/$n.tmp" && mv "$T/idp/lists/$n.tmp" "$T/idp/lists/$n"
}
sl_cache() { # NAME: the cache file of list NAME, for issuer https://idp.test
	printf 'status_list\nhttps://idp.test\n%s' "$BASE/$1" | sha256sum | cut -d' ' -f1 |
		sed "s|^|$T/cache/|; s|\$|.sl|"
}
age() { sed -i "s/^fetched .*/fetched $(($(date +%s) - $2))/" "$1"; }
unstamp() { touch -d "@$(($(date +%s) - 3600))" "$1.stamp" 2>/dev/null || :; }
login() { pam_run "$1" alice "$2"; }

# ---- the list, the tool, and an independent decoder ----
"$SIGNER" status-list create --out "$T/a.json" --size 16 >/dev/null &&
	"$SIGNER" status-list set --list "$T/a.json" --idx 5 >/dev/null
check "status-list create/set write the draft's JSON form {bits, lst}" \
	$PY -c 'import base64, json, sys, zlib
d = json.load(open(sys.argv[1]))
raw = zlib.decompress(base64.urlsafe_b64decode(d["lst"] + "=" * (-len(d["lst"]) % 4)))
sys.exit(not (d["bits"] == 1 and raw == bytes([0x20, 0])))' "$T/a.json"
publish a
check "status-list sign makes a Status List Token PyJWT verifies (typ, sub, iat, exp, ttl)" \
	$PY -c 'import base64, json, sys, zlib, jwt
tok = open(sys.argv[1]).read().strip()
h = jwt.get_unverified_header(tok)
c = jwt.decode(tok, open(sys.argv[2]).read(), algorithms=["ES256"],
               options={"require": ["iat", "exp", "sub"]})
lst = c["status_list"]["lst"]
raw = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
sys.exit(not (h["typ"] == "statuslist+jwt" and c["sub"] == sys.argv[3] and c["ttl"] == 300
              and c["exp"] - c["iat"] == 86400 and raw[0] >> 5 & 1 == 1))' \
	"$T/idp/lists/a" "$T/k1.pub" "$BASE/a"
check "status-list get reads a token's entry as Python does (5 is 1, 4 is 0)" \
	bash -c "[ \"\$('$SIGNER' status-list get --token \"\$(cat '$T/idp/lists/a')\" --idx 5)\" = 1 ] &&
		 [ \"\$('$SIGNER' status-list get --token - --idx 4 <'$T/idp/lists/a')\" = 0 ]"

# ---- valid, then set and refreshed ----
t3=$(tok 3 a)
login sl "$t3"
check "a token whose entry is 0 is accepted (the list fetched: one request)" \
	bash -c "[ $? = 0 ] && [ $(hits idp /lists/a) = 1 ]"
check "  ...the validated list is cached, root's, 0644" \
	test "$(stat -c %U:%a "$(sl_cache a)" 2>/dev/null)" = root:644
login sl "$t3"
check "  ...a second login reads the cache: accepted, no request" \
	bash -c "[ $? = 0 ] && [ $(hits idp /lists/a) = 1 ]"
t5=$(tok 5 a)
login sl "$t5"
check "a token whose entry is 1 is refused, naming the status" test $? != 0
check "  ...the log says so ($(last_log | grep -o 'reason="[^"]*"'))" \
	log_has "status is 1 (invalid) in status list $BASE/a, index 5"
"$SIGNER" status-list set --list "$T/a.json" --idx 3 >/dev/null && publish a
login sl "$t3"
check "entry 3 set on the server: still accepted while the host's copy is fresh" test $? = 0
"$TOOL" --config "$T/sl.conf" fetch >"$T/fetch.out" 2>&1
check "pam_jwt-tool fetch refreshes the list a login used ($(grep -c 'status list' "$T/fetch.out") line)" \
	grep -q "status list $BASE/a: fetched (HTTP 200), 16 entries" "$T/fetch.out"
login sl "$t3"
check "  ...then the token is refused" bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'status is 1'"
"$SIGNER" status-list set --list "$T/a.json" --idx 3 --status 0 >/dev/null && publish a
age "$(sl_cache a)" 7200 && unstamp "$(sl_cache a)"
login sl "$t3"
check "reset to 0 and the host's copy stale: the login fetches it and is accepted" test $? = 0
age "$(sl_cache a)" 7200 && unstamp "$(sl_cache a)"
before=$(grep -c "^/lists/a 304" "$T/idp/requests.log")
login sl "$t3"
check "  ...stale again, unchanged on the server: revalidated with If-None-Match (304)" \
	bash -c "[ $? = 0 ] && [ $(grep -c '^/lists/a 304' "$T/idp/requests.log") = $((before + 1)) ]"

# Account management checks the list again: entry 4 set in the host's copy
# between authentication and acct_mgmt on one handle.
service slacct "auth required $MODULE conf=$T/sl.conf" "account required $MODULE conf=$T/sl.conf"
tok 4 a >"$T/t4.tok"
r=$(LD_PRELOAD=$LOGSHIM PJ_LOG_FILE=$LOG "$B/tests/pam_handle" "$T/svc" slacct alice \
	"auth:$T/t4.tok" acct \
	"run:$PY -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, \"rb\").read()); i = b.index(b\"\\n\\n\") + 2; b[i] |= 1 << 4; open(p, \"wb\").write(b)' $(sl_cache a)" \
	acct | tr '\n' ' ')
check "entry 4 set in the host's copy after authentication: account management refuses ($r)" \
	test "$r" = "auth rc=0 acct rc=0 run rc=0 acct rc=6 "

# ---- 2 bits: suspended, other values ----
"$SIGNER" status-list create --out "$T/b.json" --size 8 --bits 2 >/dev/null &&
	"$SIGNER" status-list set --list "$T/b.json" --idx 1 --status 2 >/dev/null &&
	"$SIGNER" status-list set --list "$T/b.json" --idx 2 --status 3 >/dev/null && publish b
login sl "$(tok 1 b)"
check "2 bits, entry 2: refused as suspended" bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'status is 2 (suspended)'"
login sl "$(tok 2 b)"
check "2 bits, entry 3 (application specific): refused, by number" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'status is 3 (not valid)'"
login sl "$(tok 0 b)"
check "2 bits, entry 0: accepted" test $? = 0
login sl "$(tok 8 b)"
check "an index past the end is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'index 8 is past the end of status list $BASE/b (8 entries)'"

# ---- the tool: bad input changes nothing; set replaces an entry whole ----
get() { "$SIGNER" status-list get --list "$T/$1.json" --idx "$2"; }
cp "$T/b.json" "$T/b.before"
"$SIGNER" status-list set --list "$T/b.json" --idx 0 --status 4 >"$T/e.out" 2>&1
check "set --status 4 on a 2-bit list is refused, the list unchanged" \
	bash -c "[ $? = 1 ] && grep -q 'does not fit in 2 bits' '$T/e.out' && cmp -s '$T/b.json' '$T/b.before'"
"$SIGNER" status-list set --list "$T/b.json" --idx 8 >"$T/e.out" 2>&1
check "set --idx 8 on a list of 8 entries is refused (past the end), the list unchanged" \
	bash -c "[ $? = 1 ] && grep -q 'past the end' '$T/e.out' && cmp -s '$T/b.json' '$T/b.before'"
"$SIGNER" status-list create --out "$T/b.json" --size 8 >"$T/e.out" 2>&1
check "create over an existing list is refused (it would void its entries), the list unchanged" \
	bash -c "[ $? = 1 ] && grep -q 'exists' '$T/e.out' && cmp -s '$T/b.json' '$T/b.before'"
"$SIGNER" status-list create --out "$T/huge.json" --size 16777217 --bits 8 >"$T/e.out" 2>&1
check "create of a list over 16 MiB (16777217 entries of 8 bits) is refused: hosts would refuse it" \
	bash -c "[ $? = 1 ] && grep -q 'over the 16777216 bytes' '$T/e.out' && [ ! -e '$T/huge.json' ]"
"$SIGNER" status-list set --list "$T/b.json" --idx 1 --status 1 >/dev/null
check "set replaces an entry of 2 bits whole (2, then 1: $(get b 1)), its neighbours kept" \
	bash -c "[ '$(get b 1)' = 1 ] && [ '$(get b 2)' = 3 ] && [ '$(get b 0)' = 0 ]"
"$SIGNER" status-list create --out "$T/c.json" --size 64 >/dev/null
pids=()
for i in $(seq 0 19); do
	"$SIGNER" status-list set --list "$T/c.json" --idx $((i * 3)) >/dev/null &
	pids+=($!)
done
wait "${pids[@]}" # (not the server's)
n=0
for i in $(seq 0 63); do [ "$(get c "$i")" = 1 ] && n=$((n + 1)); done
check "20 sets of one list at once all land, under its lock ($n entries set)" test "$n" = 20

# ---- the rules of the Status List Token ----
# bad NAME DESCRIPTION EXPECTED PYTHON-CLAIMS-EXPR [HEADER-EXPR [KEY]]: a list signed by PyJWT.
bad() {
	local n=$1 d=$2 want=$3
	$PY - "$T/${6:-k1}.key" "$BASE/$n" "$4" "${5:-{\}}" >"$T/idp/lists/$n" <<'PYEOF' ||
import base64, json, sys, time, zlib, jwt
key, uri, claims_expr, header_expr = sys.argv[1:5]
now = int(time.time())
lst = base64.urlsafe_b64encode(zlib.compress(bytes(2), 9)).rstrip(b"=").decode()
c = {"sub": uri, "iat": now, "exp": now + 3600, "ttl": 300,
     "status_list": {"bits": 1, "lst": lst}}
c.update(eval(claims_expr, {"now": now, "uri": uri, "zlib": zlib, "b64": base64}))
h = {"typ": "statuslist+jwt"}
h.update(eval(header_expr))
print(jwt.encode({k: v for k, v in c.items() if v is not None}, open(key).read(),
                 algorithm="ES256", headers=h))
PYEOF
		{ notok "$d: PyJWT could not sign it"; return; }
	login sl "$(tok 0 "$n")"
	local rc=$?
	if [ -z "$want" ]; then
		check "$d: accepted" test $rc = 0
		return
	fi
	check "$d: refused ($(last_log | grep -o 'reason="[^"]*"' | cut -c1-110))" \
		bash -c "[ $rc != 0 ] && tail -n1 '$LOG' | grep -qF -- '$want'"
}
bad good "a list PyJWT signed with the provider's key (another signer's, read by the module)" "" "{}"
bad typ "typ JWT instead of statuslist+jwt" "typ is not statuslist+jwt" "{}" '{"typ": "JWT"}'
bad typ2 "no typ" "typ is not statuslist+jwt" "{}" '{"typ": None}'
bad sub "sub naming another list" "sub is not its URI" '{"sub": uri + "x"}'
bad nosub "no sub" "it has no sub" '{"sub": None}'
bad noiat "no iat" "it has no iat" '{"iat": None}'
bad exp "an expired list (exp an hour ago)" "it expired" '{"exp": now - 3600}'
bad ttl "ttl 0" "ttl is not a positive number" '{"ttl": 0}'
bad bits "bits 3" "bits is not 1, 2, 4 or 8" '{"status_list": {"bits": 3, "lst": "eNrbuRgAAhcBXQ"}}'
bad foreign "signed by a key that is not the provider's" "signature does not verify" "{}" "{}" evil
bad notzlib "lst that is not ZLIB" "not a ZLIB stream" \
	'{"status_list": {"bits": 1, "lst": b64.urlsafe_b64encode(b"plain bytes").rstrip(b"=").decode()}}'
bad bomb "a zip bomb (17 MiB of zeros in a 17 kB lst)" "inflates to more than 16777216 bytes" \
	'{"status_list": {"bits": 1, "lst": b64.urlsafe_b64encode(zlib.compress(bytes(17 << 20), 9)).rstrip(b"=").decode()}}'
check "  ...nothing of any of them was cached" \
	bash -c "for n in typ typ2 sub nosub noiat exp ttl bits foreign notzlib bomb; do
		[ ! -e \"\$(printf 'status_list\nhttps://idp.test\n%s' '$BASE/'\$n | sha256sum |
			cut -d' ' -f1 | sed 's|^|$T/cache/|; s|\$|.sl|')\" ] || exit 1; done"

# ---- URIs ----
before=$(wc -l <"$T/idp/requests.log")
"$SIGNER" sign --key "$T/k1.key" --alg ES256 --iss https://idp.test --sub alice \
	--status-uri "https://127.0.0.1:$P/other/a" --status-idx 0 >"$T/t.out"
login sl "$(cat "$T/t.out")"
check "a URI outside status_list_url is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'outside every status_list_url'"
login sl "$("$SIGNER" sign --key "$T/k1.key" --alg ES256 --iss https://idp.test --sub alice \
	--status-uri "$BASE/../other/a" --status-idx 0)"
check "a URI climbing out of the prefix (..) is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'path segment'"
login sl "$("$SIGNER" sign --key "$T/k1.key" --alg ES256 --iss https://idp.test --sub alice \
	--status-uri "http://127.0.0.1:$P/lists/a" --status-idx 0)"
check "an http:// URI is refused" bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'only https://'"
check "  ...and none of them was fetched" test "$(wc -l <"$T/idp/requests.log")" = "$before"
login sl "$("$SIGNER" sign --key "$T/k1.key" --alg ES256 --iss https://idp.test --sub alice \
	--claim 'status={"status_list":{"idx":-1,"uri":"'"$BASE/a"'"}}')"
check "a negative idx is refused" bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'must hold an idx'"
login sl "$("$SIGNER" sign --key "$T/k1.key" --alg ES256 --iss https://idp.test --sub alice \
	--claim 'status={"other_mechanism":{}}')"
check "a status claim without status_list is refused (it cannot be checked)" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'names no status_list'"
NOURL=1 conf nourl
login nourl "$t3"
check "without status_list_url, a token with a status is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'no status_list_url is configured'"

# ---- [provider] sections: each provider's lists, with its own keys ----
{
	echo "fetch_helper = $FETCH"
	echo "ca_file = $T/ca.pem"
	echo "cache_dir = $T/cache"
	echo "algorithms = ES256"
	echo "[provider one]"
	echo "issuer = https://idp.test"
	echo "key_file = $T/k1.pub"
	echo "status_list_url = $BASE/"
	echo "[provider two]"
	echo "issuer = https://two.test"
	echo "key_file = $T/evil.pub"
	echo "status_list_url = https://127.0.0.1:$P/two/"
} >"$T/two.conf"
service two "auth required $MODULE conf=$T/two.conf"
login two "$t3"
check "with sections, provider one's token and its list: accepted" test $? = 0
two() { "$SIGNER" sign --key "$T/evil.key" --alg ES256 --iss https://two.test --sub alice "$@"; }
login two "$(two --status-uri "$BASE/a" --status-idx 3)"
check "  ...provider two's token naming one's list (outside two's status_list_url): refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'outside every status_list_url'"
conf2() { sed "s|^status_list_url = https://127.0.0.1:$P/two/|status_list_url = $BASE/|" "$T/two.conf"; }
conf2 >"$T/two2.conf"
service two2 "auth required $MODULE conf=$T/two2.conf"
login two2 "$(two --status-uri "$BASE/a" --status-idx 4)"
check "  ...and with that prefix allowed, one's list (cached for one) is not two's, and one's key does not verify it for two" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'no usable copy (not cached yet); bad status list: its signature does not verify with the provider'"

# ---- modes ----
plain=$("$SIGNER" sign --key "$T/k1.key" --alg ES256 --iss https://idp.test --sub alice)
login sl "$plain"
check "status_list = check (the default): a token without a status is accepted" test $? = 0
conf req "status_list = require"
login req "$plain"
check "status_list = require: a token without a status is refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'status_list = require'"
login req "$t3"
check "  ...one with a valid entry is accepted" test $? = 0
conf off "status_list = off"
login off "$t5"
check "status_list = off: the status is not looked at" test $? = 0

# ---- the server down ----
login sl "$t3" && stop idp
age "$(sl_cache a)" 7200 && unstamp "$(sl_cache a)"
login sl "$t3"
check "server down, copy 2 h old (within status_list_max_stale, 1 day): accepted" test $? = 0
age "$(sl_cache a)" $((86400 + 60)) && unstamp "$(sl_cache a)"
login sl "$t3"
check "server down, copy over 1 day old: refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'over status_list_max_stale'"
conf stale "status_list_max_stale = 172800"
unstamp "$(sl_cache a)"
login stale "$t3"
check "  ...accepted with status_list_max_stale = 2 days" test $? = 0
rm -f "$T/cache/"*
login sl "$(tok 0 b)"
check "server down and nothing cached: refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q 'no usable copy'"
finish
