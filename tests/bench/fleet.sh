#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench, parts 9 and 10 (run by tests/bench/run.sh; alone: as root, after make):
#   9. revocation for a fleet: a pamtester login checking a cached Token Status
#      List of 1,000,000 entries beside one whose token carries no status
#      (callgrind, whole processes, same run), the list's size on the wire,
#      and a revocation feed of 100,000 entries: its size, publishing it,
#      fetching and applying it, and a login consulting it beside one without
#  10. the simulated fleet of tests/integration/fleet.sh with 10,000 hosts
#      (FLEET_HOSTS to change it), every host polled
set -eu

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$ROOT/build
PY=/usr/bin/python3
USER_NAME=benchuser
die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
for f in pam_jwt.so pam_jwt-tool pam_jwt-fetch; do [ -e "$B/$f" ] || die "$B/$f is missing: make"; done
T=$(mktemp -d /tmp/pam_jwt-bench.XXXXXX)
chmod 755 "$T"
SRV_PID=
trap '[ -n "$SRV_PID" ] && kill $SRV_PID 2>/dev/null; rm -rf --one-file-system "$T"' EXIT
cgt() { "$PY" "$ROOT/tests/bench/cgtree.py" "$@"; }
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
fmt() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (a - b) / 1000 }'; }
ms() { date +%s%3N; }
cg() {
	local out=$1
	shift
	valgrind -q --tool=callgrind --callgrind-out-file="$out" "$@" 2>"$out.log" ||
		die "under callgrind: $* failed: $(tail -n 5 "$out.log")"
}

# ---- a server, keys, hosts' configurations ----
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$T/srv.ext"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -keyout "$T/ca.key" \
	-out "$T/ca.pem" -subj "/CN=bench CA" -addext basicConstraints=critical,CA:TRUE 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/srv.key" \
		-out "$T/srv.csr" -subj "/CN=127.0.0.1" 2>/dev/null &&
	openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-days 1 -extfile "$T/srv.ext" -out "$T/srv.pem" 2>/dev/null || die "test CA failed"
chmod 644 "$T/ca.pem"
for k in idp feed; do
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$k.key" 2>/dev/null)
	openssl pkey -in "$T/$k.key" -pubout -out "$T/$k.pub" 2>/dev/null && chmod 644 "$T/$k.pub"
done
mkdir -p "$T/idp/lists" "$T/svc" && mkdir -m 755 "$T/cache"
"$PY" "$ROOT/tests/helpers/jwks_server.py" serve --cert "$T/srv.pem" --key "$T/srv.key" --dir "$T/idp" &
SRV_PID=$!
for _ in $(seq 100); do [ -s "$T/idp/port" ] && break; sleep 0.05; done
BASE=https://127.0.0.1:$(cat "$T/idp/port")
TOOL=$B/pam_jwt-tool
echo "auth required pam_deny.so" >"$T/svc/other"
conf() { # NAME [key=value...]
	local n=$1
	shift
	{
		printf 'key_file = %s\nalgorithms = ES256\nfetch_helper = %s\nca_file = %s\n' \
			"$T/idp.pub" "$B/pam_jwt-fetch" "$T/ca.pem"
		printf 'cache_dir = %s\nstatus_list_url = %s/lists/\n' "$T/cache" "$BASE"
		printf '%s\n' "$@"
	} >"$T/$n.conf"
	echo "auth required $B/pam_jwt.so conf=$T/$n.conf" >"$T/svc/$n"
}
login() { # OUT SERVICE TOKENFILE: one pamtester login under callgrind; must succeed
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 cg "$1" pamtester "$2" "$USER_NAME" authenticate \
		<"$3" >"$1.pamtester" 2>&1 || die "the $2 login failed: $(cat "$1.pamtester")"
}
sign() { "$TOOL" sign --key "$T/idp.key" --alg ES256 --sub "$USER_NAME" --ttl 3600 "$@"; }

echo "== 9. revocation for a fleet: status lists and the revocation feed"
# ---- a status list of 1,000,000 entries ----
"$TOOL" status-list create --out "$T/big.json" --size 1000000 >/dev/null
"$TOOL" status-list sign --list "$T/big.json" --key "$T/idp.key" --alg ES256 \
	--uri "$BASE/lists/big" --ttl 3600 >"$T/idp/lists/big"
EMPTY_BYTES=$(wc -c <"$T/idp/lists/big")
# 1% of the entries set, at random: a list that has seen use.
"$PY" - "$T/big.json" <<'PYEOF'
import base64, json, random, sys, zlib
random.seed(13)
b = bytearray(125000)
for i in random.sample(range(1000000), 10000):
    b[i // 8] |= 1 << (i % 8)
lst = base64.urlsafe_b64encode(zlib.compress(bytes(b), 9)).rstrip(b"=").decode()
json.dump({"bits": 1, "lst": lst}, open(sys.argv[1] + ".used", "w"))
PYEOF
cp "$T/big.json.used" "$T/used.json" && chmod 644 "$T/used.json"
"$TOOL" status-list sign --list "$T/used.json" --key "$T/idp.key" --alg ES256 \
	--uri "$BASE/lists/used" --ttl 3600 >"$T/idp/lists/used"
USED_BYTES=$(wc -c <"$T/idp/lists/used")
conf sl
sign --status-uri "$BASE/lists/big" --status-idx 999999 >"$T/tok.status"
sign >"$T/tok.plain"
"$TOOL" --config "$T/sl.conf" verify "$(cat "$T/tok.status")" >/dev/null ||
	die "the first login with the list (fetching it) failed"
login "$T/cg.sl" sl "$T/tok.status"
login "$T/cg.plain" sl "$T/tok.plain"
SL=$(cgt "$T/cg.sl" total) PL=$(cgt "$T/cg.plain" total)
CHK=$(cgt "$T/cg.sl" incl pj_status_check | awk '{ print $2 }')
printf '  whole pamtester login, no status claim              %14s Ir\n' "$(fmt "$PL")"
printf '  whole pamtester login, entry 999,999 of a cached\n'
printf '    1,000,000-entry status list                       %14s Ir\n' "$(fmt "$SL")"
printf '  ratio                                               %14sx    goal <= 1.05\n' \
	"$(ratio3 "$SL" "$PL")"
printf '    of which pj_status_check (open, 2 preads, checks) %14s Ir\n' "$(fmt "$CHK")"
printf '  the list on the wire (Status List Token, ES256): %s bytes all valid, %s bytes\n' \
	"$(fmt "$EMPTY_BYTES")" "$(fmt "$USED_BYTES")"
printf '    with 1%% (10,000 random entries) set; inflated 125,000 bytes, cached as such\n'

# ---- a feed of 100,000 entries ----
printf 'revocation_file = %s\n' "$T/admin.rev" >"$T/admin.conf"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "feed-%07d-%08x 4102444800\n", i, i * 2654435761 % 4294967296 }' \
	>"$T/ids"
"$TOOL" --config "$T/admin.conf" revoke --jti-file "$T/ids" >/dev/null || die "revoke --jti-file failed"
s=$(ms)
"$TOOL" --config "$T/admin.conf" publish --key "$T/feed.key" --out "$T/feed.jwt" >/dev/null ||
	die "publish failed"
PUB=$(secs "$(ms)" "$s")
cp "$T/feed.jwt" "$T/idp/lists/feed"
FEED_BYTES=$(wc -c <"$T/feed.jwt")
FEED_GZ=$(gzip -9 <"$T/feed.jwt" | wc -c)
conf feed "revocation_feed = $BASE/lists/feed" "revocation_feed_key = $T/feed.pub"
s=$(ms)
"$TOOL" --config "$T/feed.conf" fetch >"$T/fetch.out" 2>&1 || die "fetch of the feed failed: $(cat "$T/fetch.out")"
APPLY=$(secs "$(ms)" "$s")
cg "$T/cg.apply" "$B/pam_jwt-fetch" --kind feed --url "$BASE/lists/feed" --timeout-ms 60000 \
	--ca-file "$T/ca.pem" --cache-dir "$T/cache" --feed-key "$T/feed.pub" >/dev/null
APPLY_IR=$(cgt "$T/cg.apply" total)
login "$T/cg.feed" feed "$T/tok.plain"
FE=$(cgt "$T/cg.feed" total)
printf '  a feed of 100,000 jti entries: %s bytes (%s gzipped, as a server with gzip sends it)\n' \
	"$(fmt "$FEED_BYTES")" "$(fmt "$FEED_GZ")"
printf '  pam_jwt-tool publish (load the list, sign):          %8s s\n' "$PUB"
printf '  pam_jwt-tool fetch (fetch, verify, apply as a store): %7s s wall; the helper alone %s Ir\n' \
	"$APPLY" "$(fmt "$APPLY_IR")"
printf '  whole pamtester login consulting the applied feed   %14s Ir\n' "$(fmt "$FE")"
printf '  ratio to the login without status or feed           %14sx\n' "$(ratio3 "$FE" "$PL")"
echo

echo "== 10. a simulated fleet of ${FLEET_HOSTS:-10000} hosts polling one nginx (tests/integration/fleet.sh)"
s=$(ms)
FLEET_HOSTS=${FLEET_HOSTS:-10000} FLEET_POLL=${FLEET_HOSTS:-10000} FLEET_REPORT=$T/fleet.report \
	"$ROOT/tests/integration/fleet.sh" >"$T/fleet.out" 2>&1 || {
	grep -E '^not ok' "$T/fleet.out" >&2
	die "the fleet simulation failed"
}
grep -E '^(ok|#)' "$T/fleet.out" | sed 's/^/  /'
echo "  ($(secs "$(ms)" "$s") s in all, on this machine's cores)"
