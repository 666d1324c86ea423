#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A token without jti is revoked by the SHA-256 of the whole token.  Anyone
# holding an ECDSA token can turn its s into n - s and get a second valid
# token with another hash: the module must refuse that twin too.
. "$(dirname "$0")/../lib.sh"

twin() { # token -> the same token with s replaced by n - s
	/usr/bin/python3 - "$1" <<'PY'
import base64, sys
h, p, s = sys.argv[1].split(".")
sig = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
r, s_ = sig[:32], int.from_bytes(sig[32:], "big")
t = base64.urlsafe_b64encode(r + (n - s_).to_bytes(32, "big")).rstrip(b"=").decode()
print(f"{h}.{p}.{t}")
PY
}

gen_key ES256 es || { notok "generate a key"; finish; exit 1; }
: >"$T/revocations"
cat >"$T/pam_jwt.conf" <<CONF
key_file = $T/es.pub
revocation_file = $T/revocations
CONF
v() { "$TOOL" --config "$T/pam_jwt.conf" verify --user alice "$1" >/dev/null 2>"$T/err"; }
tok=$("$TOOL" sign --key "$T/es.key" --alg ES256 --sub alice --claim jti=null)
tw=$(twin "$tok")
check "the twin differs from the token" test "$tok" != "$tw"
v "$tw"
check "the twin is a valid token on its own (the attack is real)" test $? = 0
"$TOOL" --config "$T/pam_jwt.conf" revoke --token - <<<"$tok"
check "revoke --token lists it by the hash of the whole token" \
	bash -c "'$TOOL' --config '$T/pam_jwt.conf' list |
		grep -q '^jti sha256:$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)'"
v "$tok"
check "the revoked token is refused" test $? = 1
v "$tw"
check "its ECDSA twin is refused too" bash -c "grep -q 'revoked' '$T/err'"
# The same through a hand-written text list with sha256sum, the way the
# README says.
rm -f "$T/revocations"
echo "jti sha256:$(printf '%s' "$tw" | sha256sum | cut -d' ' -f1)" >"$T/revocations"
v "$tok"
check "a hand-listed twin hash also refuses the original" bash -c "grep -q 'revoked' '$T/err'"
finish
