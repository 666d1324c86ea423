#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# What the module sends to syslog never holds a secret.  In a private mount
# namespace a tmpfs goes over /dev (the host's /dev is untouched; null, zero,
# urandom and friends are bind-mounted back) and our own listener binds
# /dev/log; pamtester then runs with pam_wrapper but without the logshim, so
# the module logs through glibc's syslog() exactly as under sshd.  Logins: a
# valid token (with debug on), a bad signature, a wrong user, a Unix password,
# and a password that happens to look like a token.  None of them, none of
# their segments and no decoded segment may appear in what arrived, while the
# decision line of every login must (the listener was live).  A 3 kB token in
# parts, and a conversation splicing parts of two tokens, get the same checks
# for every part.  Then a free() interposer checks that no buffer the module
# frees still holds the token, its signature, the ECDSA twin of the token, a
# part or the joined parts.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

if ! unshare --mount true 2>/dev/null; then
	skip "syslog capture through /dev/log" "unshare --mount is not available"
	finish
	exit 0
fi
gen_key ES256 es || { notok "generate keys"; finish; exit 1; }
cat >"$T/pam_jwt.conf" <<CONF
key_file = $T/es.pub
algorithms = ES256
issuer = https://idp.test
CONF
service jwt "auth required $MODULE conf=$T/pam_jwt.conf"
service jwtdebug "auth required $MODULE conf=$T/pam_jwt.conf debug"
sign() { "$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test "$@"; }
good=$(sign --sub alice)
sig=${good##*.}
c=${sig:5:1} && { [ "$c" = A ] && c=B || c=A; }
badsig=${good%.*}.${sig:0:5}$c${sig:6}
bob=$(sign --sub bob)
password='Tr0ub4dor&3 correct horse'
# Starts like a JWT header and has two dots: decoded, its header reads
# {"pin" "4711secret"}, which a JSON parser quotes when it complains.
tokenlike='eyJwaW4iICI0NzExc2VjcmV0In0.hunter2hunter2.pw'
# A 3 kB ES256 token in 6 parts of at most 511 bytes, and a conversation that
# starts with it and goes on with the parts of another.
long=$(sign --sub alice --claim "groups=$(guid_groups 48)")
long2=$(sign --sub alice --claim "groups=$(guid_groups 48)")
parts=$(parts_of "$long" 511)
spliced=$(printf '%s\n' "$parts" | head -n1 && parts_of "$long2" 511 | tail -n +2)
printf '%s\n' "$good" "$badsig" "$bob" "$long" "$long2" "$parts" "$spliced" >"$T/secrets"
# Each part's chunk alone too: a piece of a token is no segment of it.
printf '%s\n' "$parts" "$spliced" | cut -d: -f5 >>"$T/secrets"
printf '%s\n' "$password" "$tokenlike" >"$T/passwords"

cat >"$T/listen.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "ab", buffering=0)
open(sys.argv[1] + ".ready", "w").close()
while True:
    out.write(s.recv(65536) + b"\n")
PY

unshare --mount bash -s >"$T/ns.out" 2>&1 <<SH
set -u
T=$T
mkdir "\$T/hostdev" && mount --bind /dev "\$T/hostdev" &&
	mount -t tmpfs -o mode=755,size=1m pj-dev /dev || { echo "SKIP mount"; exit 0; }
for n in null zero full random urandom tty; do
	[ -e "\$T/hostdev/\$n" ] && touch "/dev/\$n" && mount --bind "\$T/hostdev/\$n" "/dev/\$n"
done
for d in shm pts; do
	[ -d "\$T/hostdev/\$d" ] && mkdir "/dev/\$d" && mount --bind "\$T/hostdev/\$d" "/dev/\$d"
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin && ln -s /proc/self/fd/1 /dev/stdout &&
	ln -s /proc/self/fd/2 /dev/stderr
$PY "\$T/listen.py" "\$T/devlog" &
lp=\$!
for i in \$(seq 100); do [ -e "\$T/devlog.ready" ] && break; sleep 0.05; done
login() { # SERVICE USER INPUT
	printf '%s\n' "\$3" | LD_PRELOAD="${PJ_PRELOAD:+$PJ_PRELOAD }libpam_wrapper.so" \
		PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="\$T/svc" \
		pamtester "\$1" "\$2" authenticate >/dev/null 2>&1
	echo "rc \$1 \$?"
}
login jwtdebug alice '$good'
login jwt alice '$badsig'
login jwt alice '$bob'
login jwt alice '$password'
login jwt alice '$tokenlike'
login jwt alice '$parts'
login jwt alice '$spliced'
sleep 0.3
kill \$lp
SH
if grep -q "SKIP mount" "$T/ns.out"; then
	skip "syslog capture" "cannot mount over /dev"
	finish
	exit 0
fi
sed 's/^/# /' "$T/ns.out"
check "the host has no /dev/log of ours afterwards" test ! -S /dev/log -o -e /dev/log.keep
check "the listener received the module's lines" test -s "$T/devlog"
check "valid token: accepted, logged" \
	grep -q "pam_jwt(jwtdebug:auth): user=alice outcome=accepted" "$T/devlog"
check "debug on: the debug line arrived" grep -q "debug: configuration" "$T/devlog"
check "bad signature: refused, logged" grep -q 'outcome=refused reason="signature does not' \
	"$T/devlog"
check "wrong user: refused, logged" grep -q 'outcome=refused reason="token is for another user' \
	"$T/devlog"
check "Unix password: declined, logged" grep -q 'outcome=declined reason="input is not a JWT' \
	"$T/devlog"
check "token-like password: refused, logged" grep -q 'outcome=refused reason="header' "$T/devlog"
check "token in parts: accepted, logged" grep -q 'outcome=accepted reason="ok".*parts=6' "$T/devlog"
check "parts of two tokens: refused, logged" \
	grep -q 'outcome=refused reason="the answer to part 2 of 6 belongs to another' "$T/devlog"
check "every login came out as expected" bash -c "grep '^rc' '$T/ns.out' | tr '\n' ' ' |
	grep -qx 'rc jwtdebug 0 rc jwt 1 rc jwt 1 rc jwt 1 rc jwt 1 rc jwt 0 rc jwt 1 '"

# leaks.py LOG SECRETS [words]: what of each secret (whole, each segment of 6+
# characters, each decoded segment of 6+ bytes; with "words" also every run of
# 6+ letters and digits in the decoded segments) is found in LOG.  Words are
# not checked in tokens: their jti is logged on purpose.
cat >"$T/leaks.py" <<'PY'
import base64, re, sys
log = open(sys.argv[1], "rb").read()
found = []
for n, s in enumerate(open(sys.argv[2]).read().splitlines(), 1):
    parts = [("whole", s.encode())]
    for i, seg in enumerate(s.split(".")):
        if len(seg) >= 6:
            parts.append(("segment %d" % i, seg.encode()))
            try:
                raw = base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
            except Exception:
                continue
            if len(raw) >= 6:
                parts.append(("decoded segment %d" % i, raw))
                # what a JSON error would quote: from the first quote on
                if len(sys.argv) > 3:
                    for w in re.findall(rb"[A-Za-z0-9]{6,}", raw):
                        parts.append(("a word of decoded segment %d" % i, w))
    for what, p in parts:
        if p in log:
            found.append("secret %d: %s" % (n, what))
if found:
    print("\n".join(found))
sys.exit(1 if found else 0)
PY
$PY "$T/leaks.py" "$T/devlog" "$T/secrets" >"$T/leaks.out"
check "no token, no segment, no decoded segment of one reached syslog" test $? = 0
sed 's/^/# leaked: /' "$T/leaks.out"
$PY "$T/leaks.py" "$T/devlog" "$T/passwords" words >"$T/leaks.out"
check "no password, nor any part of one decoded as base64url, reached syslog" test $? = 0
sed 's/^/# leaked: /' "$T/leaks.out"

# ---- freed memory ----
# A token without jti is named by its hash, and for ECDSA also by the hash of
# its twin (r, n - s): the module builds that twin token in memory.  Neither
# it, nor the token, nor either s may be left in a block the module frees.
notoken=$($PY -c 'import jwt,sys,time; print(jwt.encode({"sub": "alice",
	"iss": "https://idp.test", "iat": int(time.time()), "exp": int(time.time()) + 300},
	open(sys.argv[1]).read(), algorithm="ES256"))' "$T/es.key")
$PY - "$notoken" "$password" >"$T/freecheck" <<'PY'
import base64, sys
tok, pw = sys.argv[1], sys.argv[2]
n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
head, sig = tok.rsplit(".", 1)
raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
twin_s = (n - int.from_bytes(raw[32:], "big")).to_bytes(32, "big")
for s in (tok.encode(), head.encode() + b".", raw[32:], twin_s, b64(raw[:32] + twin_s),
          pw.encode()):
    print(s.hex())
# 7: no secret, the control: the name the login's grant keeps (the token's
# hash), which the module frees at pam_end.  Found, it proves the interposer
# ran, read this list and sees the module's own frees.
print(b"sha256:".hex() + __import__("hashlib").sha256(tok.encode()).hexdigest().encode().hex())
PY
service jwtfree "auth required $MODULE conf=$T/pam_jwt.conf revocation_file=$T/rev"
(umask 022 && : >"$T/rev")
FREECHECK=$B/tests/freecheck.so
for input in "$notoken" "$password"; do
	printf '%s\n' "$input" | PJ_FREECHECK="$T/freecheck" PJ_FREECHECK_LOG="$T/freed" \
		LD_PRELOAD="${PJ_PRELOAD:+$PJ_PRELOAD }libpam_wrapper.so $LOGSHIM $FREECHECK" \
		PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		PJ_LOG_FILE="$LOG" pamtester jwtfree alice authenticate >/dev/null 2>&1
	echo "rc $?" >>"$T/freed.rc"
done
check "freed memory: the token without jti is accepted, the password refused" \
	test "$(tr '\n' ' ' <"$T/freed.rc")" = "rc 0 rc 1 "
names=(token "header.payload." "s" "n - s" "twin signature" password)
while read -r i obj; do
	[ "$i" = 7 ] || echo "# left in freed memory: ${names[$((i - 1))]} (freed by $obj)"
done < <(sort "$T/freed" 2>/dev/null | uniq)
check "the interposer ran: it found the grant's name in a block the module freed" \
	grep -qx "7 .*$(basename "$MODULE")" "$T/freed"
check "no block the module frees holds the token, its twin, either s or the password" \
	bash -c "! grep -v '^7 ' '$T/freed' | grep -q '$(basename "$MODULE")\$'"
# The parts: every answer as it came, every chunk, the joined token; after an
# accepted login and after one refused midway (parts of two tokens).
{
	printf '%s' "$long" | od -An -tx1 | tr -d ' \n' && echo
	printf '%s\n' "$parts" | while read -r l; do
		printf '%s' "$l" | od -An -tx1 | tr -d ' \n' && echo
		printf '%s' "${l##*:}" | od -An -tx1 | tr -d ' \n' && echo
	done
	# The control, last: the joined token's jti, which its grant keeps.
	$PY -c 'import jwt, sys; print(jwt.decode(sys.argv[1],
		options={"verify_signature": False})["jti"].encode().hex())' "$long"
} >"$T/freecheck.parts"
control=$(wc -l <"$T/freecheck.parts")
for input in "$parts" "$spliced"; do
	printf '%s\n' "$input" | PJ_FREECHECK="$T/freecheck.parts" PJ_FREECHECK_LOG="$T/freed.parts" \
		LD_PRELOAD="${PJ_PRELOAD:+$PJ_PRELOAD }libpam_wrapper.so $LOGSHIM $FREECHECK" \
		PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		PJ_LOG_FILE="$LOG" pamtester jwtfree alice authenticate >/dev/null 2>&1
	echo "rc $?" >>"$T/freed.parts.rc"
done
check "freed memory: the token in parts is accepted, the spliced one refused" \
	test "$(tr '\n' ' ' <"$T/freed.parts.rc")" = "rc 0 rc 1 "
while read -r i obj; do
	[ "$i" = "$control" ] ||
		echo "# left in freed memory: secret $i of freecheck.parts (freed by $obj)"
done < <(sort "$T/freed.parts" 2>/dev/null | uniq)
check "the interposer ran: it found the joined token's jti in a block the module freed" \
	grep -qx "$control .*$(basename "$MODULE")" "$T/freed.parts"
check "no block the module frees holds a part, a chunk or the joined token" \
	bash -c "! grep -v '^$control ' '$T/freed.parts' | grep -q '$(basename "$MODULE")\$'"
finish
