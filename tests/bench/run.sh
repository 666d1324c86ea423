#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench: what pam_jwt costs beside baselines measured in the same run.
# Instruction counts come from callgrind (deterministic, user space only);
# nanoseconds from a native loop are printed beside them for part 1, because
# callgrind does not see the kernel's share (opening and reading key files).
# Ratios are printed against goals; nothing here passes or fails on time.
#   1. per algorithm: pj_verify (key file read + parsed per call, as a login
#      does) beside bare OpenSSL with a key parsed once
#   2. pam_sm_authenticate in a pamtester login beside bare_verify() (key
#      file read + ES256 verify), OpenSSL's floor (floor_verify(): first-use
#      set-up + a key built with EVP_PKEY_fromdata + EVP_DigestVerify) and a
#      libjwt check of the same token (libjwt_verify()), with a breakdown of
#      pam_jwt's instructions
#   3. whole processes: (login with pam_jwt - login with pam_permit) beside
#      (bare_es256 - an empty program)
#   4. revocation lists and one-time uses at 1M and 10M entries: one revoke,
#      100 at once, one-time logins, hand edits, the account phase, a batch
#      of a million, each beside a baseline of the same run
#   5. real identity-provider tokens: their sizes and the answers they take
#      (tests/bench/token_sizes.sh)
#   6. a 7 kB RS256 token in parts beside the same token in one answer
#   7. a login that fetches its keys (jwks_url, through the fetch helper, from
#      a local HTTPS server) beside one served from the cache: the host
#      process's instructions and the wall time
#   8. a login with three [provider] sections beside one with that provider
#      alone
#   9. revocation for a fleet: a cached 1,000,000-entry status list, a feed of
#      100,000 entries (tests/bench/fleet.sh)
#  10. the simulated fleet with 10,000 hosts (tests/bench/fleet.sh)
#  11. key sets of 5,000, 10,000 and 100,000 keys (jwks_file, and jwks_url
#      cached by the helper) beside a 1-key set; a JWKS over 1 MiB; a token
#      without kid against 5,000 keys
set -eu

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$ROOT/build
HERE=$ROOT/tests/bench
PY=/usr/bin/python3
USER_NAME=benchuser
ALGS="HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA"
ITERS=${BENCH_ITERS:-5} # verifications per side under callgrind, per alg

die() { echo "bench: $*" >&2; exit 1; }

command -v valgrind >/dev/null ||
	die "valgrind is missing: install it (apt-get install valgrind, or make deps)"
for t in pamtester openssl pkg-config "${CC:-cc}"; do
	command -v "$t" >/dev/null || die "$t is missing (make deps installs what the bench needs)"
done
pkg-config --exists libjwt ||
	die "libjwt-dev is missing (the peer of part 2; make bench installs it)"
[ -x "$PY" ] || die "$PY is missing (it reads callgrind's output)"
ldconfig -p | grep -q 'libpam_wrapper\.so ' ||
	die "libpam_wrapper.so is missing (apt-get install libpam-wrapper)"
for f in pam_jwt.so pam_jwt-tool libpj.a; do
	[ -e "$B/$f" ] || die "$B/$f is missing: run make first (make bench builds it)"
done
# The module trusts only root-owned key and config files.
[ "$(id -u)" = 0 ] || die "run as root: pam_jwt only trusts root-owned key and config files"

T=$(mktemp -d /tmp/pam_jwt-bench.XXXXXX)
chmod 755 "$T"
trap 'rm -rf --one-file-system "$T"' EXIT
START=$SECONDS

# ---- build the bench programs, with the project's flags ----
CFLAGS_B=(-std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra)
LDFLAGS_B=("-Wl,-z,relro,-z,now" "-Wl,--as-needed")
cd "$ROOT"
# shellcheck disable=SC2046
${CC:-cc} "${CFLAGS_B[@]}" -Isrc $(pkg-config --cflags openssl jansson) -o "$T/bench_algs" \
	"$HERE/bench_algs.c" "$B/libpj.a" "${LDFLAGS_B[@]}" $(pkg-config --libs openssl jansson)
# shellcheck disable=SC2046
${CC:-cc} "${CFLAGS_B[@]}" $(pkg-config --cflags openssl) -o "$T/bare_es256" "$HERE/bare_es256.c" \
	"${LDFLAGS_B[@]}" $(pkg-config --libs openssl)
${CC:-cc} "${CFLAGS_B[@]}" -o "$T/empty" "$HERE/empty.c" "${LDFLAGS_B[@]}"
# shellcheck disable=SC2046
${CC:-cc} "${CFLAGS_B[@]}" $(pkg-config --cflags openssl) -o "$T/floor_es256" \
	"$HERE/floor_es256.c" "${LDFLAGS_B[@]}" $(pkg-config --libs openssl)
# shellcheck disable=SC2046
${CC:-cc} "${CFLAGS_B[@]}" $(pkg-config --cflags libjwt) -o "$T/libjwt_es256" \
	"$HERE/libjwt_es256.c" "${LDFLAGS_B[@]}" $(pkg-config --libs libjwt)

# ---- keys and tokens, generated now ----
genkey() { # NAME OPENSSL-GENPKEY-ARGS...
	local n=$1
	shift
	(umask 077 && openssl genpkey "$@" -out "$T/$n.key" 2>/dev/null) ||
		die "openssl genpkey $* failed"
	openssl pkey -in "$T/$n.key" -pubout -out "$T/$n.pub" 2>/dev/null
	chmod 644 "$T/$n.pub"
}
genkey rsa -algorithm RSA -pkeyopt rsa_keygen_bits:2048
genkey p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
genkey p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
genkey p521 -algorithm EC -pkeyopt ec_paramgen_curve:P-521
genkey ed -algorithm ED25519
# One 64-byte HMAC secret serves HS256/384/512 (each needs >= its hash size):
# raw for the bare side, an oct JWK to sign with, an oct JWKS for pam_jwt.
(
	umask 077
	openssl rand 64 >"$T/hmac.bin"
	k=$(openssl base64 -A <"$T/hmac.bin" | tr '+/' '-_' | tr -d '=')
	printf '{"kty":"oct","k":"%s"}\n' "$k" >"$T/hmac.jwk"
	printf '{"keys":[{"kty":"oct","k":"%s"}]}\n' "$k" >"$T/hmac.jwks"
)
keyname() {
	case $1 in
	HS*) echo hmac ;; RS* | PS*) echo rsa ;; ES256) echo p256 ;; ES384) echo p384 ;;
	ES512) echo p521 ;; EdDSA) echo ed ;;
	esac
}
for a in $ALGS; do
	k=$(keyname "$a")
	key=$T/$k.key
	case $a in HS*) key=$T/hmac.jwk ;; esac
	"$B/pam_jwt-tool" sign --key "$key" --alg "$a" --sub "$USER_NAME" --ttl 3600 \
		>"$T/tok.$a" || die "pam_jwt-tool sign --alg $a failed"
done

# cg OUT ARGS...: callgrind into OUT; valgrind's own chatter goes to OUT.log.
cg() {
	local out=$1
	shift
	valgrind -q --tool=callgrind --callgrind-out-file="$out" "$@" 2>"$out.log" || {
		echo "bench: under callgrind: $* failed:" >&2
		tail -n 20 "$out.log" >&2
		return 1
	}
}
cgt() { "$PY" "$HERE/cgtree.py" "$@"; }
incl() { cgt "$1" incl "$2" | awk '{ print $2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
fmt() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; } # 1234567 -> 1,234,567

# ---- 1. per algorithm ----
echo "== 1. one verification: pam_jwt's pj_verify vs bare OpenSSL (same token, same key)"
echo "pam_jwt: pj_verify() with key_file=PEM (jwks_file=oct JWKS for HS*), the file opened,"
echo "  checked, read and parsed on every call, then header/claims JSON, key checks, claims."
echo "bare:    the key parsed once beforehand; per call only EVP_DigestVerifyInit_ex +"
echo "  EVP_DigestVerify (ES*: raw R||S -> DER first), or HMAC() + CRYPTO_memcmp for HS*."
echo "Instructions: callgrind, mean of $ITERS warm calls per side; time: native, best of 3 rounds."
printf '%-6s %12s %12s %10s %7s %9s   %8s %8s %7s\n' alg "pam_jwt Ir" "key load" "bare Ir" \
	ratio "w/o load" "pj us" "bare us" ratio
for a in $ALGS; do
	k=$(keyname "$a")
	case $a in
	HS*) src=$T/hmac.jwks bare=$T/hmac.bin ;;
	*) src=$T/$k.pub bare=$T/$k.pub ;;
	esac
	set -- "$a" "$src" "$bare" "$T/tok.$a"
	read -r pj_ns bare_ns _ < <("$T/bench_algs" time "$@") || die "bench_algs time $a failed"
	out=$T/cg.alg.$a
	cg "$out" --toggle-collect=pj_side --toggle-collect=bare_side \
		"$T/bench_algs" count "$@" "$ITERS" >/dev/null
	pj=$(($(incl "$out" pj_side) / ITERS))
	bare=$(($(incl "$out" bare_side) / ITERS))
	# Key load: everything pj_keys_each does besides the verification itself.
	load=$((($(incl "$out" pj_keys_each) - $(incl "$out" try_key)) / ITERS))
	printf '%-6s %12s %12s %10s %6sx %8sx   %8.1f %8.1f %6sx\n' "$a" "$(fmt "$pj")" \
		"$(fmt "$load")" "$(fmt "$bare")" "$(ratio "$pj" "$bare")" \
		"$(ratio $((pj - load)) "$bare")" "$(awk -v n="$pj_ns" 'BEGIN{print n/1000}')" \
		"$(awk -v n="$bare_ns" 'BEGIN{print n/1000}')" "$(ratio "$pj_ns" "$bare_ns")"
done
echo "key load = open/check/read + parse of the key file (pam_jwt's DER reader and"
echo "  EVP_PKEY_fromdata, or JWKS JSON + JWK import for HS*) and the key's release;"
echo "  w/o load = (pam_jwt - key load) / bare."
echo "What differs: pam_jwt re-reads and parses the key file on every login by design (keys"
echo "  can be rotated without restarting sshd, and no parsed state is kept between PAM"
echo "  handles); the bare side uses a key parsed once.  The rest is pam_jwt's own work:"
echo "  header/payload base64url + JSON (jansson), alg/kid/curve/key-size checks, claims."
echo

# ---- 2. pam_sm_authenticate vs bare_verify ----
mkdir -p "$T/svc"
printf 'key_file = %s\n' "$T/p256.pub" >"$T/pam_jwt.conf"
echo "auth required pam_deny.so" >"$T/svc/other"
echo "auth required $B/pam_jwt.so conf=$T/pam_jwt.conf" >"$T/svc/jwt"
echo "auth required pam_permit.so" >"$T/svc/permit"
TOK=$T/tok.ES256
# login OUT SERVICE [callgrind options]: one pamtester login under callgrind,
# the token on stdin; it must succeed, or the count means nothing.
login() {
	local out=$1 svc=$2
	shift 2
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 cg "$out" "$@" pamtester "$svc" "$USER_NAME" \
		authenticate <"$TOK" >"$out.pamtester" 2>&1 ||
		die "the $svc login failed: $(cat "$out.pamtester")"
}
login "$T/cg.login" jwt --toggle-collect=pam_sm_authenticate
cg "$T/cg.bare" --toggle-collect=bare_verify "$T/bare_es256" "$T/p256.pub" <"$TOK" ||
	die "bare_es256 failed"
# The floor gets the public point (04 || X || Y) on its command line: its key
# is built directly, never read or decoded.
POINT=$(openssl pkey -pubin -in "$T/p256.pub" -outform DER | tail -c 65 | od -An -v -tx1 |
	tr -d ' \n')
cg "$T/cg.floor" --toggle-collect=floor_verify "$T/floor_es256" "$POINT" <"$TOK" ||
	die "floor_es256 failed"
cg "$T/cg.libjwt" --toggle-collect=libjwt_verify "$T/libjwt_es256" "$T/p256.pub" "$USER_NAME" \
	<"$TOK" || die "libjwt_es256 failed"
L=$(cgt "$T/cg.login" total)
BV=$(cgt "$T/cg.bare" total)
FL=$(cgt "$T/cg.floor" total)
LJ=$(cgt "$T/cg.libjwt" total)
echo "== 2. one ES256 login: pam_sm_authenticate (pamtester + pam_wrapper) vs OpenSSL's floor,"
echo "   a libjwt check and a bare PEM-reading program (key_file = PEM)"
echo "All include OpenSSL's first-use set-up (init, config, provider and method fetch)."
printf '  pam_sm_authenticate  %14s Ir  (config, token, key file, checks, signature, log)\n' \
	"$(fmt "$L")"
printf '  floor_verify         %14s Ir  (EVP_PKEY_fromdata + R||S->DER + EVP_DigestVerify)\n' \
	"$(fmt "$FL")"
printf '  libjwt_verify        %14s Ir  (read the PEM + jwt_decode + alg, exp, sub)\n' \
	"$(fmt "$LJ")"
printf '  bare_verify          %14s Ir  (fopen + PEM_read_PUBKEY + R||S->DER + EVP_DigestVerify)\n' \
	"$(fmt "$BV")"
printf '  ratio to the floor   %14sx    goal <= 1.5\n' "$(ratio "$L" "$FL")"
printf '  ratio to libjwt      %14sx    goal <= 1.0\n' "$(ratio "$L" "$LJ")"
printf '  ratio to bare        %14sx    goal <= 1.10\n' "$(ratio "$L" "$BV")"
printf '  extra over the floor %14s Ir\n' "$(fmt $((L - FL)))"
echo
echo "-- where pam_sm_authenticate's instructions go, by library called from pam_jwt.so:"
cgt "$T/cg.login" libs pam_sm_authenticate | while read -r o v; do
	[ "$o" = own ] && o="pam_jwt.so (own code)"
	printf '  %-28s %12s %6.2f%%\n' "$o" "$(fmt "$v")" "$(awk -v v="$v" -v t="$L" 'BEGIN{print 100*v/t}')"
done
echo "-- floor_verify, the same way:"
cgt "$T/cg.floor" libs floor_verify | while read -r o v; do
	[ "$o" = own ] && o="floor_verify (own code)"
	printf '  %-28s %12s %6.2f%%\n' "$o" "$(fmt "$v")" "$(awk -v v="$v" -v t="$FL" 'BEGIN{print 100*v/t}')"
done
echo
# The steps side by side.  pam_jwt's are counted as the calls to each
# function made anywhere below pj_keys_each (cgtree.py within), so that a
# static helper inlined on the way cannot hide them; 'inclusive' = with
# everything they call.  A pam_jwt step that counts 0 means a function was
# renamed: the bench says so and fails.
li() { incl "$T/cg.login" "$1"; }
bi() { incl "$T/cg.bare" "$1"; }
fi_() { incl "$T/cg.floor" "$1"; }
under() { cgt "$T/cg.login" within pj_keys_each "$@" | awk '{ s += $2 } END { print s + 0 }'; }
row() { printf '  %-56s %12s %12s %12s\n' "$1" "$(fmt "$2")" "$(fmt "$3")" "$(fmt "$4")"; }
must() { [ "$2" -gt 0 ] || die "part 2: the step \"$1\" counts 0 (a function renamed?)"; }
KEYREAD=$(under pj_read_trusted_file)
PEMPJ=$(under pj_spki_from_pem PEM_read_bio_PUBKEY OSSL_DECODER_from_data \
	OSSL_DECODER_CTX_new_for_pkey OSSL_DECODER_CTX_free)
KCHK=$(under pj_key_from_pkey)
SIGPJ=$(li pj_sig_verify)
EACH=$(li pj_keys_each)
CONF=$(($(li pj_config_init) + $(li pj_config_from_args) + $(li pj_config_free)))
for s in "key file:$KEYREAD" "key decode:$PEMPJ" "key checks:$KCHK" "signature:$SIGPJ" \
	"config:$CONF"; do
	must "${s%%:*}" "${s##*:}"
done
BKEY=$(($(bi fopen) + $(bi fopen64) + $(bi PEM_read_PUBKEY) + $(bi fclose)))
FKEY=$(($(fi_ EVP_PKEY_CTX_new_from_name) + $(fi_ EVP_PKEY_fromdata_init) + $(fi_ EVP_PKEY_fromdata)))
printf -- '-- step by step (inclusive Ir)%29s %12s %12s %12s\n' "" pam_jwt floor bare
row "whole call" "$L" "$FL" "$BV"
row "key file: open+check+read (pj_read_trusted_file)" "$KEYREAD" 0 \
	"$(($(bi fopen) + $(bi fopen64) + $(bi fclose)))"
row "key: PEM to key (pj_spki_from_pem; floor: fromdata)" "$PEMPJ" "$FKEY" "$(bi PEM_read_PUBKEY)"
row "  of which the first-use set-up (OPENSSL_init_crypto)" \
	"$(cgt "$T/cg.login" within pj_spki_from_pem OPENSSL_init_crypto | awk '{ print $2 }')" \
	"$(fi_ OPENSSL_init_crypto)" "$(cgt "$T/cg.bare" within PEM_read_PUBKEY OPENSSL_init_crypto |
		awk '{ print $2 }')"
row "  of which EVP_KEYMGMT_fetch (key manager)" \
	"$(cgt "$T/cg.login" within pj_spki_from_pem EVP_KEYMGMT_fetch | awk '{ print $2 }')" \
	"$(fi_ EVP_KEYMGMT_fetch)" "$(cgt "$T/cg.bare" within PEM_read_PUBKEY EVP_KEYMGMT_fetch |
		awk '{ print $2 }')"
row "key checks: degenerate keys (pj_key_from_pkey)" "$KCHK" 0 0
row "signature: key fits + ES256 verify (pj_sig_verify)" "$SIGPJ" \
	"$((FL - FKEY))" "$((BV - BKEY))"
row "  of which pj_key_fits" "$(li pj_key_fits)" 0 0
row "  of which EVP_DigestVerifyInit_ex" "$(li EVP_DigestVerifyInit_ex)" \
	"$(fi_ EVP_DigestVerifyInit_ex)" "$(bi EVP_DigestVerifyInit_ex)"
row "  of which EVP_DigestVerify" "$(li EVP_DigestVerify)" "$(fi_ EVP_DigestVerify)" \
	"$(bi EVP_DigestVerify)"
row "rest of pj_keys_each (sources, selection, key free)" \
	"$((EACH - KEYREAD - PEMPJ - KCHK - $(li try_key)))" 0 0
row "config: pj_config_init/from_args/free (conf file)" "$CONF" 0 0
# The module's other steps, each the calls to its functions anywhere in the
# login (a step counting 0 stops the bench: a function was renamed).
step() { # LABEL FUNCTION...
	local v
	v=$(cgt "$T/cg.login" within pam_sm_authenticate "${@:2}" | awk '{ s += $2 } END { print s + 0 }')
	must "$1" "$v"
	row "$1" "$v" 0 0
}
step "pam_get_user" pam_get_user
step "pam_get_authtok (prompt + conversation)" pam_get_authtok
step "token: pj_token_shaped + pj_token_parse (b64 + JSON)" pj_token_shaped pj_token_parse
step "  of which json_loadb (jansson)" json_loadb
step "claims: pj_claims_basic/username/rules/check" pj_claims_basic pj_claims_username \
	pj_claims_rules pj_claims_check
step "revocation lookup (pj_revocation_lookup)" pj_revocation_lookup
step "the log line: pj_log_decision + pam_syslog" pj_log_decision pam_syslog
step "pj_result_free (json_decref)" pj_result_free
echo "-- one-off first-use costs inside the call (already counted above):"
row "OPENSSL_init_crypto" "$(li OPENSSL_init_crypto)" "$(fi_ OPENSSL_init_crypto)" \
	"$(bi OPENSSL_init_crypto)"
row "OSSL_DECODER_CTX_new_for_pkey (decoder set-up)" "$(li OSSL_DECODER_CTX_new_for_pkey)" \
	"$(fi_ OSSL_DECODER_CTX_new_for_pkey)" "$(bi OSSL_DECODER_CTX_new_for_pkey)"
row "EVP_MD_fetch" "$(li EVP_MD_fetch)" "$(fi_ EVP_MD_fetch)" "$(bi EVP_MD_fetch)"
row "json_object_seed (jansson hash seed)" "$(li json_object_seed)" 0 0
echo "(pam_jwt builds the key of a PEM file of the common types with its own DER reader and"
echo "  EVP_PKEY_fromdata, as the floor does; OpenSSL's decoder only for the rest: certificates,"
echo "  other key types, odd encodings.)"
echo
echo "-- pam_sm_authenticate call tree (inclusive Ir, callees >= 0.3% of the call):"
cgt "$T/cg.login" tree pam_sm_authenticate 7 0.3 | sed 's/^/  /'
echo "-- floor_verify call tree (same threshold):"
cgt "$T/cg.floor" tree floor_verify 4 0.3 | sed 's/^/  /'
echo

# ---- 3. whole processes ----
echo "== 3. whole process: what a login adds vs what a bare verifying process adds"
login "$T/cg.pj" jwt
login "$T/cg.permit" permit
cg "$T/cg.bareproc" "$T/bare_es256" "$T/p256.pub" <"$TOK" || die "bare_es256 failed"
cg "$T/cg.empty" "$T/empty" || die "the empty program failed"
PJ=$(cgt "$T/cg.pj" total) PERMIT=$(cgt "$T/cg.permit" total)
BP=$(cgt "$T/cg.bareproc" total) EMPTY=$(cgt "$T/cg.empty" total)
printf '  pamtester login, pam_jwt.so     %14s Ir\n' "$(fmt "$PJ")"
printf '  pamtester login, pam_permit.so  %14s Ir\n' "$(fmt "$PERMIT")"
printf '  bare_es256 process              %14s Ir\n' "$(fmt "$BP")"
printf '  empty process                   %14s Ir\n' "$(fmt "$EMPTY")"
printf '  login adds (pam_jwt - pam_permit)  %14s Ir\n' "$(fmt $((PJ - PERMIT)))"
printf '  bare adds  (bare_es256 - empty)    %14s Ir\n' "$(fmt $((BP - EMPTY)))"
printf '  ratio                              %14sx    goal <= 1.3\n' \
	"$(ratio $((PJ - PERMIT)) $((BP - EMPTY)))"
echo "-- self instructions per object, login (pam_jwt - pam_permit) vs bare (bare_es256 - empty):"
objs() { cgt "$1" objs; }
{
	objs "$T/cg.pj" | sed 's/^/pj /'
	objs "$T/cg.permit" | sed 's/^/permit /'
	objs "$T/cg.bareproc" | sed 's/^/bare /'
	objs "$T/cg.empty" | sed 's/^/empty /'
} | awk '{ v[$1 " " $2] = $3; o[$2] = 1 }
	END { for (k in o) { l = v["pj " k] - v["permit " k]; b = v["bare " k] - v["empty " k]
		if (l > 20000 || l < -20000 || b > 20000 || b < -20000) printf "%s %d %d\n", k, l, b } }' |
	sort -k2,2nr | while read -r o l b; do
	printf '  %-34s %14s %14s\n' "$o" "$(fmt "$l")" "$(fmt "$b")"
done
# The same differences by phase: loading shared objects, the verifying call
# (measured in part 2 with the toggle), exit handlers (OpenSSL's cleanup).
ph() { # LABEL FUNCTION: (pj - permit) and (bare - empty) of FUNCTION's inclusive Ir
	local l b
	l=$(($(incl "$T/cg.pj" "$2") - $(incl "$T/cg.permit" "$2")))
	b=$(($(incl "$T/cg.bareproc" "$2") - $(incl "$T/cg.empty" "$2")))
	printf '  %-34s %14s %14s\n' "$1" "$(fmt "$l")" "$(fmt "$b")"
}
echo "-- by phase (inclusive Ir, same differences):"
ph "relocation (_dl_relocate_object)" _dl_relocate_object
ph "  of which symbol lookups" _dl_lookup_symbol_x
ph "exit (atexit handlers, _dl_fini)" exit
printf '  %-34s %14s %14s\n' "the verifying call (part 2)" "$(fmt "$L")" "$(fmt "$BV")"
echo "  (relocation: libcrypto's ~4,200 symbol relocations are bound at load (BIND_NOW); in"
echo "  pamtester each lookup walks a longer scope (pam_wrapper, pamtester, libpam, ...)."
echo "  A host that already has libcrypto loaded, like sshd, pays none of it.)"
printf '  of which outside the toggled calls: login %s Ir (loading pam_jwt.so, libjansson,\n' \
	"$(fmt $((PJ - PERMIT - L)))"
printf '  libcrypto; exit), bare %s Ir (loading libcrypto; exit)\n' "$(fmt $((BP - EMPTY - BV)))"
echo

# ---- 4. revocation lists and one-time uses at scale ----
# Every row against a baseline measured here and now; instructions from
# callgrind (whole processes: the tool, or a pamtester login), wall times as
# medians of interleaved runs (they include fsync, which callgrind does not
# see).  BENCH_10M=0 skips the 10,000,000-entry rows (a minute of set-up).
echo "== 4. revocation lists and one-time uses at scale"
BIG=${BENCH_10M:-1}
mkids() { # COUNT PREFIX: "ID EXP" lines in random order
	awk -v n="$1" -v p="$2" 'BEGIN { srand(7); for (i = 0; i < n; i++)
		printf "%s-%07d-%08x 4102444800\n", p, i, int(rand() * 4294967296) }'
}
mkids 1000000 revoked >"$T/ids"
cfg() { # NAME LIST-PATH [extra line]: a configuration trusting the ES256 key
	printf 'key_file = %s\nrevocation_file = %s\n%s\n' "$T/p256.pub" "$2" "${3:-}" >"$T/$1.conf"
}
cfg empty "$T/rev.empty"
cfg big "$T/rev.big"
cfg used "$T/used.big"
t_tool() { "$B/pam_jwt-tool" --config "$T/$1.conf" "${@:2}"; }
# An empty store, and a store of 1,000,000 (then 10,000,000) ids.
: >"$T/rev.empty"
t_tool empty compact >/dev/null || die "compact of an empty list failed"
now_ms() { date +%s%N | cut -c1-13; }
s=$(now_ms)
t_tool big revoke --jti-file "$T/ids" || die "revoke --jti-file failed"
JF_MS=$(($(now_ms) - s))
cp "$T/rev.big" "$T/used.big" # the same million as one-time records
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# wall2 N CMD_A CMD_B: medians (ms) of N interleaved runs of two commands
# (evaluated strings, so each run may use a new id).
wall2() {
	local n=$1 i a b
	: >"$T/w.a" && : >"$T/w.b"
	for i in $(seq "$n"); do
		a=$(now_ms) && eval "$2" >/dev/null 2>&1 && echo $(($(now_ms) - a)) >>"$T/w.a"
		b=$(now_ms) && eval "$3" >/dev/null 2>&1 && echo $(($(now_ms) - b)) >>"$T/w.b"
	done
	echo "$(median <"$T/w.a") $(median <"$T/w.b")"
}
cgtool() { # OUT CONF ARGS...: the tool under callgrind
	local out=$1 conf=$2
	shift 2
	cg "$T/$out" "$B/pam_jwt-tool" --config "$T/$conf.conf" "$@" >/dev/null || die "tool $* failed"
}
printf '  %-58s %14s %14s %8s %s\n' row measured baseline ratio goal
r4() { # LABEL MEASURED BASELINE GOAL [unit]
	printf '  %-58s %14s %14s %7sx %s\n' "$1" "$(fmt "$2")${5:-}" "$(fmt "$3")${5:-}" \
		"$(ratio3 "$2" "$3")" "$4"
}
# One revoke: instructions and wall time, and the bytes it adds.
cgtool cg.rv.empty empty revoke --jti one-empty
cgtool cg.rv.big big revoke --jti one-big
RVE=$(cgt "$T/cg.rv.empty" total) RVB=$(cgt "$T/cg.rv.big" total)
r4 "one revoke --jti, 1M-entry store (Ir, the whole tool)" "$RVB" "$RVE" "<= 5 (empty store)"
sz0=$(stat -c %s "$T/rev.big")
read -r WRB WRE < <(wall2 9 't_tool big revoke --jti "w-$i-b"' 't_tool empty revoke --jti "w-$i-e"')
r4 "one revoke --jti, 1M-entry store (wall, median of 9)" "$WRB" "$WRE" "<= 5 (empty store)" " ms"
printf '    bytes one revoke writes to the 1M store: %s (the file is %s bytes)\n' \
	$((($(stat -c %s "$T/rev.big") - sz0) / 9)) "$(fmt "$(stat -c %s "$T/rev.big")")"
if [ "$BIG" = 1 ]; then
	cfg huge "$T/rev.huge"
	mkids 10000000 huge >"$T/ids10m"
	s=$(now_ms)
	t_tool huge revoke --jti-file "$T/ids10m" || die "revoke --jti-file of 10M failed"
	HUGE_MS=$(($(now_ms) - s))
	rm -f "$T/ids10m"
	cgtool cg.rv.huge huge revoke --jti one-huge
	r4 "one revoke --jti, 10M-entry store (Ir, the whole tool)" "$(cgt "$T/cg.rv.huge" total)" \
		"$RVE" "<= 5 (empty store)"
	read -r WRH WRE < <(wall2 9 't_tool huge revoke --jti "w-$i-h"' \
		't_tool empty revoke --jti "w-$i-f"')
	r4 "one revoke --jti, 10M-entry store (wall, median of 9)" "$WRH" "$WRE" \
		"<= 5 (empty store)" " ms"
	printf '    (set-up: revoke --jti-file of 10,000,000 ids took %s ms; %s bytes)\n' \
		"$(fmt "$HUGE_MS")" "$(fmt "$(stat -c %s "$T/rev.huge")")"
	rm -f "$T/rev.huge"
fi
# 100 at once, on the 1M store and on an empty one.
conc() { # CONF PREFIX: 100 concurrent revokes; prints ms and how many are listed
	local s i p pids="" fails=0
	s=$(now_ms)
	for i in $(seq 1 100); do
		t_tool "$1" revoke --jti "$2-$i" >/dev/null 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || fails=$((fails + 1)); done
	echo "$(($(now_ms) - s)) $(t_tool "$1" list | grep -cE "^jti $2-[0-9]+$") $fails"
}
read -r C100B NB FB < <(conc big c100)
read -r C100E NE FE < <(conc empty c100)
r4 "100 concurrent revoke --jti on the 1M store (wall)" "$C100B" "$C100E" \
	"< 5000 ms; listed $NB/100, failed $FB" " ms"
[ "$NB" = 100 ] && [ "$FB" = 0 ] || echo "  !! concurrent revokes lost entries"
# One-time logins beside a login without one_time, 1M used records.
echo "auth required $B/pam_jwt.so conf=$T/big.conf" >"$T/svc/plain"
echo "auth required $B/pam_jwt.so conf=$T/big.conf one_time=yes one_time_file=$T/used.big" \
	>"$T/svc/once"
newtok() { "$B/pam_jwt-tool" sign --key "$T/p256.key" --alg ES256 --sub "$USER_NAME" --ttl 3600; }
TOK_SAVED=$TOK
TOK=$T/tok.once && newtok >"$TOK"
login "$T/cg.once" once
TOK=$T/tok.plain && newtok >"$TOK"
login "$T/cg.plain" plain
TOK=$TOK_SAVED
OT=$(cgt "$T/cg.once" total) PL=$(cgt "$T/cg.plain" total)
r4 "one_time login, 1M used records (Ir, whole pamtester login)" "$OT" "$PL" \
	"<= 1.2 (no one_time)"
pt() { # SERVICE: one pamtester login with a new token
	newtok >"$T/tok.w" && LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" pamtester "$1" "$USER_NAME" authenticate <"$T/tok.w"
}
read -r WOT WPL < <(wall2 9 'pt once' 'pt plain')
r4 "one_time login, 1M used records (wall, median of 9)" "$WOT" "$WPL" \
	"(fsync of one record)" " ms"
# Ten at once: distinct tokens all accepted; one token ten times, once.
for i in $(seq 10); do newtok >"$T/tok.c$i"; done
for i in $(seq 10); do
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		pamtester once "$USER_NAME" authenticate <"$T/tok.c$i" >"$T/c.out.$i" 2>&1 &
done
wait
OK10=$(grep -l "successfully authenticated" "$T"/c.out.* | wc -l)
newtok >"$T/tok.same"
for i in $(seq 10); do
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		pamtester once "$USER_NAME" authenticate <"$T/tok.same" >"$T/s.out.$i" 2>&1 &
done
wait
SAME=$(grep -l "successfully authenticated" "$T"/s.out.* | wc -l)
printf '    10 concurrent one_time logins: 10 tokens, %s accepted (goal 10); one new token 10 times, %s accepted (goal 1)\n' \
	"$OK10" "$SAME"
# The login that finds the journal full compacts the million: how long,
# how often.
jb=$(t_tool used check | sed -n 's/.*journal \([0-9]*\) bytes.*/\1/p')
fill=$((131072 - jb - 16))
awk -v n="$fill" 'BEGIN { i = 0; while (n > 40) { s = sprintf("jti fill-%07d 4102444800\n", i++);
	printf "%s", s; n -= length(s) } }' >>"$T/used.big"
s=$(now_ms)
pt once >/dev/null 2>&1 || die "the compacting one-time login failed"
CMP_MS=$(($(now_ms) - s))
printf '    the one_time login that compacts 1M records: %s ms, once every ~%s one_time logins\n' \
	"$(fmt "$CMP_MS")" "$(fmt $((131072 / 45)))"
printf '    (+%s ms a login on average, against %s ms for a login)\n' \
	"$(awk -v c="$CMP_MS" 'BEGIN { printf "%.2f", c / (131072 / 45) }')" "$WPL"
# Hand edits: a line appended to the 1M store; a text list at the limit a
# login reads in full; a 1M text list.
login "$T/cg.idx" plain
cp "$T/rev.big" "$T/rev.hand"
cfg hand "$T/rev.hand"
echo "jti hand-added-entry" >>"$T/rev.hand"
echo "auth required $B/pam_jwt.so conf=$T/hand.conf" >"$T/svc/hand"
login "$T/cg.hand" hand
IDX=$(cgt "$T/cg.idx" total)
r4 "login after echo 'jti ID' >> the 1M store (Ir)" "$(cgt "$T/cg.hand" total)" "$IDX" \
	"<= 2 (indexed login)"
sed 's/^/jti /' "$T/ids" | head -c 262144 | sed '$d' >"$T/rev.text"
cfg text "$T/rev.text"
echo "auth required $B/pam_jwt.so conf=$T/text.conf" >"$T/svc/text"
login "$T/cg.text" text
r4 "login, text list at the read limit ($(wc -l <"$T/rev.text") lines, $(($(stat -c %s \
	"$T/rev.text") / 1024)) KiB) (Ir)" "$(cgt "$T/cg.text" total)" "$IDX" "<= 2 (indexed login)"
t_tool big export >"$T/rev.bigtext"
cfg bigtext "$T/rev.bigtext"
printf '    a 1M text list (%s bytes): ' "$(fmt "$(stat -c %s "$T/rev.bigtext")")"
"$B/pam_jwt-tool" --config "$T/bigtext.conf" verify "$(newtok)" 2>&1 >/dev/null || true
# The account phase: auth + acct_mgmt against auth alone.
printf 'auth required %s conf=%s\naccount required %s conf=%s\n' "$B/pam_jwt.so" "$T/big.conf" \
	"$B/pam_jwt.so" "$T/big.conf" >"$T/svc/acct"
TOK=$T/tok.acct && newtok >"$TOK"
LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
	PAM_WRAPPER_DISABLE_DEEPBIND=1 cg "$T/cg.acct" pamtester acct "$USER_NAME" authenticate \
	acct_mgmt <"$TOK" >"$T/cg.acct.pamtester" 2>&1 || die "the acct login failed"
login "$T/cg.auth1" plain
TOK=$TOK_SAVED
r4 "auth + account phase vs auth alone, 1M store (Ir)" "$(cgt "$T/cg.acct" total)" \
	"$(cgt "$T/cg.auth1" total)" "<= 1.05"
# A million ids at once: wall time against sort(1) of the same ids, the
# same run; and instructions.
read -r JFW SRT < <(wall2 3 'rm -f "$T/rev.jf"* && cfg jf "$T/rev.jf" && t_tool jf revoke --jti-file "$T/ids"' \
	'LC_ALL=C sort "$T/ids" >"$T/ids.sorted" && sync "$T/ids.sorted"')
r4 "revoke --jti-file, 1,000,000 random ids (wall, median of 3)" "$JFW" "$SRT" \
	"< 1000 ms (sort(1) of the ids)" " ms"
rm -f "$T/rev.jf"* && cfg jf "$T/rev.jf" && head -n 100000 "$T/ids" >"$T/ids.100k"
cgtool cg.jf jf revoke --jti-file "$T/ids.100k"
printf '    instructions: %s Ir for 100,000 ids (%s an id); the first 1M batch of this run: %s ms\n' \
	"$(fmt "$(cgt "$T/cg.jf" total)")" "$(($(cgt "$T/cg.jf" total) / 100000))" "$JF_MS"
# The earlier row: a login with a million revoked ids beside an empty list.
echo "auth required $B/pam_jwt.so conf=$T/empty.conf" >"$T/svc/rev-empty"
login "$T/cg.rev-empty" rev-empty
r4 "a whole login, 1M revoked jti vs an empty list (Ir)" "$IDX" "$(cgt "$T/cg.rev-empty" total)" \
	"<= 1.05"
best() { # CONF: the fastest of 30 `pam_jwt-tool verify` runs, in microseconds
	local b=999999999 i s e
	for i in $(seq 30); do
		s=$(date +%s%N)
		"$B/pam_jwt-tool" --config "$1" verify "$(cat "$TOK")" >/dev/null || die "verify failed"
		e=$(date +%s%N)
		[ $(((e - s) / 1000)) -lt "$b" ] && b=$(((e - s) / 1000))
	done
	echo "$b"
}
WB=$(best "$T/big.conf") WE=$(best "$T/empty.conf")
r4 "pam_jwt-tool verify, 1M list vs empty (wall, best of 30)" "$WB" "$WE" "" " us"
rm -f "$T/ids" "$T/ids.sorted" "$T/rev.big" "$T/used.big" "$T/rev.hand" "$T/rev.bigtext" \
	"$T/rev.jf"*
echo

# ---- 5. token sizes ----
echo "== 5. real identity-provider tokens: bytes, and answers of at most 511/1023/4095 bytes"
"$HERE/token_sizes.sh" || die "token_sizes.sh failed"
echo

# ---- 6. a token in parts ----
echo "== 6. a 7 kB RS256 login: in 15 parts of at most 511 bytes (sudo's) vs one answer"
echo "one answer: PAM_AUTHTOK set by pam_wrapper's pam_set_items, pam_jwt use_first_pass"
echo "  (pamtester's own prompt stops at 4095 bytes); parts: pamtester answers the"
echo "  module's 15 prompts from stdin, as pam_jwt-askpass answers sudo's."
GRP7=$("$PY" -c 'import json, uuid
print(json.dumps(["wheel"] + [str(uuid.UUID(int=(i * 0x9E3779B97F4A7C15F39CC0605CEDC835) % 2**128))
	for i in range(1, 126)], separators=(",", ":")))')
"$B/pam_jwt-tool" sign --key "$T/rsa.key" --alg RS256 --sub "$USER_NAME" --ttl 3600 \
	--claim "groups=$GRP7" >"$T/tok.7k" || die "cannot sign the 7 kB token"
"$B/pam_jwt-askpass" --parts 511 <"$T/tok.7k" >"$T/parts.7k" || die "pam_jwt-askpass --parts failed"
printf 'key_file = %s\n' "$T/rsa.pub" >"$T/rs.conf"
echo "auth required $B/pam_jwt.so conf=$T/rs.conf" >"$T/svc/parts"
printf '%s\n' "auth required /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so" \
	"auth required $B/pam_jwt.so conf=$T/rs.conf use_first_pass" >"$T/svc/whole"
login7() { # OUT SERVICE STDIN [AUTHTOK]
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 PAM_AUTHTOK=${4:-} cg "$1" \
		--toggle-collect=pam_sm_authenticate pamtester "$2" "$USER_NAME" authenticate \
		<"$3" >"$1.pamtester" 2>&1 || die "the $2 login failed: $(cat "$1.pamtester")"
}
login7 "$T/cg.7k.whole" whole /dev/null "$(cat "$T/tok.7k")"
login7 "$T/cg.7k.parts" parts "$T/parts.7k"
WH=$(cgt "$T/cg.7k.whole" total) PA=$(cgt "$T/cg.7k.parts" total)
login7p() { # OUT SERVICE STDIN [AUTHTOK]: the whole process
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 PAM_AUTHTOK=${4:-} cg "$1" \
		pamtester "$2" "$USER_NAME" authenticate \
		<"$3" >"$1.pamtester" 2>&1 || die "the $2 login failed: $(cat "$1.pamtester")"
}
login7p "$T/cg.7k.wholep" whole /dev/null "$(cat "$T/tok.7k")"
login7p "$T/cg.7k.partsp" parts "$T/parts.7k"
WHP=$(cgt "$T/cg.7k.wholep" total) PAP=$(cgt "$T/cg.7k.partsp" total)
printf '  token %s bytes, %s parts\n' "$(wc -c <"$T/tok.7k")" "$(wc -l <"$T/parts.7k")"
printf '  whole pamtester login, one answer     %14s Ir\n' "$(fmt "$WHP")"
printf '  whole pamtester login, 15 parts       %14s Ir\n' "$(fmt "$PAP")"
printf '  ratio                                 %14sx    goal <= 1.2\n' "$(ratio3 "$PAP" "$WHP")"
printf '  pam_sm_authenticate, one answer       %14s Ir\n' "$(fmt "$WH")"
printf '  pam_sm_authenticate, 15 parts         %14s Ir\n' "$(fmt "$PA")"
printf '  ratio                                 %14sx\n' "$(ratio3 "$PA" "$WH")"
printf '  of which the 14 prompts (pam_prompt)  %14s Ir\n' "$(fmt "$(incl "$T/cg.7k.parts" pam_prompt)")"
printf '  of which joining (pj_parts_begin/add) %14s Ir\n' \
	"$(fmt $(($(incl "$T/cg.7k.parts" pj_parts_begin) + $(incl "$T/cg.7k.parts" pj_parts_add))))"
printf '  of which the SHA-256 (pj_parts_finish) %13s Ir\n' \
	"$(fmt "$(incl "$T/cg.7k.parts" pj_parts_finish)")"
echo "  (the SHA-256 is libcrypto's first use in the login: its one-off set-up, paid there,"
echo "  is not paid again by the verification, so the whole call grows by much less)"
# ---- 7. a login that fetches ----
echo "== 7. an ES256 login whose key must be fetched (jwks_url, fetch helper) vs one from the cache"
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$T/srv.ext"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -keyout "$T/ca.key" \
	-out "$T/ca.pem" -subj "/CN=bench CA" -addext basicConstraints=critical,CA:TRUE 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/srv.key" \
		-out "$T/srv.csr" -subj "/CN=127.0.0.1" 2>/dev/null &&
	openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-days 1 -extfile "$T/srv.ext" -out "$T/srv.pem" 2>/dev/null || die "test CA failed"
chmod 644 "$T/ca.pem"
mkdir -p "$T/idp" && mkdir -m 755 "$T/jcache"
"$PY" "$ROOT/tests/helpers/jwks_server.py" jwks bench="$T/p256.pub" >"$T/idp/jwks.json" ||
	die "jwks_server.py jwks failed (needs $PY with jwcrypto)"
"$PY" "$ROOT/tests/helpers/jwks_server.py" serve --cert "$T/srv.pem" --key "$T/srv.key" \
	--dir "$T/idp" &
SRV_PID=$!
trap 'kill $SRV_PID 2>/dev/null || :; rm -rf --one-file-system "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/idp/port" ] && break; sleep 0.05; done
JURL=https://127.0.0.1:$(cat "$T/idp/port")/jwks
printf 'jwks_url = %s\nca_file = %s\ncache_dir = %s\nfetch_helper = %s\nalgorithms = ES256\n' \
	"$JURL" "$T/ca.pem" "$T/jcache" "$B/pam_jwt-fetch" >"$T/fetch.conf"
echo "auth required $B/pam_jwt.so conf=$T/fetch.conf" >"$T/svc/fetch"
"$B/pam_jwt-tool" sign --key "$T/p256.key" --alg ES256 --kid bench --sub "$USER_NAME" --ttl 3600 \
	>"$T/tok.kid" || die "sign failed"
uncache() { rm -f "$T/jcache"/*; }
klogin() { # OUT [callgrind options]: a pamtester login with the kid token
	local out=$1
	shift
	TOK=$T/tok.kid login "$out" fetch "$@"
}
uncache
klogin "$T/cg.fetch"
[ "$(ls "$T/jcache" | wc -l)" -ge 1 ] || die "the fetching login did not fill the cache"
klogin "$T/cg.cached"
FI=$(cgt "$T/cg.fetch" total) CI=$(cgt "$T/cg.cached" total)
SP=$(incl "$T/cg.fetch" pj_spawn_run)
# Wall time, native: best of 10 each (the fetching ones start with an empty cache).
wall() { # fetch|cached: the fastest of 10 pamtester logins, in microseconds
	local b=999999999 i s e
	for i in $(seq 10); do
		[ "$1" = fetch ] && uncache
		s=$(date +%s%N)
		LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
			pamtester fetch "$USER_NAME" authenticate <"$T/tok.kid" >/dev/null 2>&1 ||
			die "the $1 login failed"
		e=$(date +%s%N)
		[ $(((e - s) / 1000)) -lt "$b" ] && b=$(((e - s) / 1000))
	done
	echo "$b"
}
WF=$(wall fetch) WC=$(wall cached)
printf '  whole pamtester login, key fetched   %14s Ir (host process only)\n' "$(fmt "$FI")"
printf '  whole pamtester login, key cached    %14s Ir\n' "$(fmt "$CI")"
printf '  the fetch costs the host             %14s Ir (%s in pj_spawn_run: start, wait, read)\n' \
	"$(fmt $((FI - CI)))" "$(fmt "$SP")"
printf '  wall time, key fetched               %8.1f ms (best of 10: helper start, libcurl, TLS to 127.0.0.1)\n' \
	"$(awk -v n="$WF" 'BEGIN { print n / 1000 }')"
printf '  wall time, key cached                %8.1f ms (best of 10)\n' "$(awk -v n="$WC" 'BEGIN { print n / 1000 }')"
printf '  a fetching login takes               %8.1f ms more\n' "$(awk -v a="$WF" -v b="$WC" 'BEGIN { print (a - b) / 1000 }')"
echo

# ---- 8. several providers ----
echo "== 8. an ES256 login with three [provider] sections configured vs the same provider alone"
echo "The token's provider is the last of the three (its iss compared with every issuer"
echo "before it); each section with its own keys, audience, username and claim rules."
sect() { # NAME ISSUER KEY
	printf '[provider %s]\nissuer = %s\nkey_file = %s\naudience = ssh\n' "$1" "$2" "$3"
	printf 'username_claim = preferred_username\nusername_domain = corp.example\n'
	printf 'username_case = lower\nrequire_claim = groups=ssh\n'
}
{
	printf 'require = exp iat\nmax_lifetime = 86400\n'
	sect entra https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0 \
		"$T/rsa.pub"
	sect keycloak https://sso.corp.example/realms/ops "$T/rsa.pub"
	sect google https://accounts.google.com "$T/p256.pub"
} >"$T/three.conf"
{
	printf 'require = exp iat\nmax_lifetime = 86400\n'
	sect google https://accounts.google.com "$T/p256.pub"
} >"$T/one.conf"
"$B/pam_jwt-tool" sign --key "$T/p256.key" --alg ES256 --iss https://accounts.google.com \
	--aud ssh --claim preferred_username="$USER_NAME@corp.example" --claim 'groups=["ssh"]' \
	--ttl 3600 >"$T/tok.prov" || die "sign failed"
echo "auth required $B/pam_jwt.so conf=$T/three.conf" >"$T/svc/three"
echo "auth required $B/pam_jwt.so conf=$T/one.conf" >"$T/svc/one"
TOK=$T/tok.prov login "$T/cg.three" three
TOK=$T/tok.prov login "$T/cg.one" one
TOK=$T/tok.prov login "$T/cg.three.a" three --toggle-collect=pam_sm_authenticate
TOK=$T/tok.prov login "$T/cg.one.a" one --toggle-collect=pam_sm_authenticate
P3=$(cgt "$T/cg.three" total) P1=$(cgt "$T/cg.one" total)
A3=$(cgt "$T/cg.three.a" total) A1=$(cgt "$T/cg.one.a" total)
printf '  whole pamtester login, one provider     %14s Ir\n' "$(fmt "$P1")"
printf '  whole pamtester login, three providers  %14s Ir\n' "$(fmt "$P3")"
printf '  ratio                                   %14sx    goal <= 1.05\n' "$(ratio3 "$P3" "$P1")"
printf '  pam_sm_authenticate, one provider       %14s Ir\n' "$(fmt "$A1")"
printf '  pam_sm_authenticate, three providers    %14s Ir\n' "$(fmt "$A3")"
printf '  ratio                                   %14sx\n' "$(ratio3 "$A3" "$A1")"
printf '  of which the configuration (load, copies, free) %6s Ir vs %s Ir\n' \
	"$(fmt $(($(incl "$T/cg.three.a" pj_config_from_args) + $(incl "$T/cg.three.a" pj_config_free))))" \
	"$(fmt $(($(incl "$T/cg.one.a" pj_config_from_args) + $(incl "$T/cg.one.a" pj_config_free))))"
printf '  of which choosing the provider (pj_provider_select) %s Ir\n' \
	"$(fmt "$(incl "$T/cg.three.a" pj_provider_select)")"
echo

"$HERE/fleet.sh" || die "tests/bench/fleet.sh failed"
echo

# ---- 11. key sets at scale ----
echo "== 11. key sets: a token with kid against 5,000, 10,000 and 100,000 keys vs a 1-key set"
echo "pam_sm_authenticate of a pamtester login (Ir); the set's own key sits in the middle, the"
echo "others are three other P-256 keys in turn.  A large set is read through its key index"
echo "(pam_jwt-tool index writes a jwks_file's, the fetch helper a cached one's)."
SRVPY=$ROOT/tests/helpers/jwks_server.py
for i in 1 2 3; do genkey "fill$i" -algorithm EC -pkeyopt ec_paramgen_curve:P-256; done
mkset() { # N FILE
	"$PY" "$SRVPY" bigjwks "$1" bench="$T/p256.pub" "$T/fill1.pub" "$T/fill2.pub" \
		"$T/fill3.pub" >"$2" || die "bigjwks $1 failed"
	chmod 644 "$2"
}
printf '  %-66s %14s %14s %8s %s\n' row measured baseline ratio goal
r8() { printf '  %-66s %14s %14s %7sx %s\n' "$1" "$(fmt "$2")" "$(fmt "$3")" "$(ratio3 "$2" "$3")" \
	"$4"; }
TOK_SAVED=$TOK
TOK=$T/tok.kid
declare -A SET_IR
for n in 1 5000 10000 100000; do
	mkset "$n" "$T/set$n.jwks"
	printf 'jwks_file = %s\njwks_max_size = 64M\nalgorithms = ES256\n' "$T/set$n.jwks" \
		>"$T/set$n.conf"
	echo "auth required $B/pam_jwt.so conf=$T/set$n.conf" >"$T/svc/set$n"
	s=$(now_ms)
	"$B/pam_jwt-tool" --config "$T/set$n.conf" index >"$T/index.$n.out" ||
		die "pam_jwt-tool index of $n keys failed: $(cat "$T/index.$n.out")"
	ms=$(($(now_ms) - s))
	login "$T/cg.set$n" "set$n" --toggle-collect=pam_sm_authenticate
	SET_IR[$n]=$(cgt "$T/cg.set$n" total)
	if [ "$n" != 1 ]; then
		r8 "jwks_file of $(fmt "$n") keys ($(($(stat -c %s "$T/set$n.jwks") / 1024)) KiB), indexed, token with kid" \
			"${SET_IR[$n]}" "${SET_IR[1]}" "<= 1.1 (1 key)"
		printf '    (pam_jwt-tool index: %s ms: %s)\n' "$(fmt "$ms")" \
			"$(sed 's/^[^:]*: //' "$T/index.$n.out")"
	fi
done
# The same 5,000 without their index: what a login pays when it is missing
# or stale (the set is read whole, correct and slower).
mv "$T/set5000.jwks.index" "$T/set5000.index.saved"
login "$T/cg.set5000.whole" set5000 --toggle-collect=pam_sm_authenticate
mv "$T/set5000.index.saved" "$T/set5000.jwks.index"
r8 "  the 5,000 without their index (read whole)" "$(cgt "$T/cg.set5000.whole" total)" \
	"${SET_IR[1]}" "(the fallback)"
# A token without kid: at most 16 keys are tried; 5,000 fitting ones are
# passed over at once, without importing any.
TOK=$T/tok.ES256
refused() { # OUT SERVICE: a login that must be refused, under callgrind
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		PAM_WRAPPER_DISABLE_DEEPBIND=1 valgrind -q --tool=callgrind --callgrind-out-file="$1" \
		--toggle-collect=pam_sm_authenticate pamtester "$2" "$USER_NAME" authenticate \
		<"$TOK" >"$1.pamtester" 2>&1 && die "the $2 login without kid was accepted"
	return 0
}
refused "$T/cg.nokid" set5000
r8 "token without kid vs 5,000 fitting keys (refused), vs 1-key login with kid" \
	"$(cgt "$T/cg.nokid" total)" "${SET_IR[1]}" "bounded: <= 1.1"
printf '    reason: %s\n' "$("$B/pam_jwt-tool" --config "$T/set5000.conf" verify "$(cat "$TOK")" \
	2>&1 >/dev/null | sed 's/^rejected: //')"
TOK=$T/tok.kid
# Over jwks_url: the helper fetches, stores and indexes; logins then read
# the cached copy through the index.  1 key, 10,000 (1.5 MiB, over the old
# 1 MiB limit, under the default jwks_max_size of 8 MiB) and 100,000 keys
# (15 MiB: jwks_max_size = 64M).
urlset() { # N [extra config line]: a cache of its own, fetched by a first login
	cp "$T/set$1.jwks" "$T/idp/jwks.json"
	rm -rf "$T/ucache$1" && mkdir -m 755 "$T/ucache$1"
	printf 'jwks_url = %s\nca_file = %s\ncache_dir = %s\nfetch_helper = %s\nalgorithms = ES256\n%s\n' \
		"$JURL" "$T/ca.pem" "$T/ucache$1" "$B/pam_jwt-fetch" "${2:-}" >"$T/url$1.conf"
	echo "auth required $B/pam_jwt.so conf=$T/url$1.conf" >"$T/svc/url$1"
}
urlset 1
login "$T/cg.url1.fetch" url1
login "$T/cg.url1" url1 --toggle-collect=pam_sm_authenticate
U1=$(cgt "$T/cg.url1" total)
urlset 10000
s=$(now_ms)
LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
	pamtester url10000 "$USER_NAME" authenticate <"$TOK" >"$T/url10000.out" 2>&1 ||
	die "the login fetching 10,000 keys failed: $(cat "$T/url10000.out")"
FMS=$(($(now_ms) - s))
ls "$T/ucache10000"/*.index >/dev/null 2>&1 || die "the fetch helper wrote no key index"
login "$T/cg.url10000" url10000 --toggle-collect=pam_sm_authenticate
r8 "jwks_url of 10,000 keys ($(($(stat -c %s "$T/set10000.jwks") / 1024)) KiB, over 1 MiB), cached + indexed" \
	"$(cgt "$T/cg.url10000" total)" "$U1" "<= 1.1 (1 key)"
printf '    accepted under the default jwks_max_size (8 MiB); the login that fetched it: %s ms\n' \
	"$(fmt "$FMS")"
printf '    (the helper GETs, stores and indexes it; the login then reads the index)\n'
urlset 100000 "jwks_max_size = 64M"
login "$T/cg.url100000.fetch" url100000
login "$T/cg.url100000" url100000 --toggle-collect=pam_sm_authenticate
r8 "jwks_url of 100,000 keys ($(($(stat -c %s "$T/set100000.jwks") / 1024)) KiB), cached + indexed" \
	"$(cgt "$T/cg.url100000" total)" "$U1" "<= 1.1 (1 key)"
sed -i '/^jwks_max_size/d' "$T/url100000.conf"
printf '    under the default bound instead, refused: ...%s\n' "$("$B/pam_jwt-tool" --config \
	"$T/url100000.conf" verify "$(cat "$TOK")" 2>&1 >/dev/null | grep -o 'is larger than.*' |
	cut -c1-90)"
TOK=$TOK_SAVED
rm -f "$T"/set*.jwks* "$T/idp/jwks.json"
rm -rf "$T"/ucache*
kill $SRV_PID 2>/dev/null
echo

echo "bench: done in $((SECONDS - START)) s"
