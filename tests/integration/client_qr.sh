#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# pam_jwt-login's QR encoder (src/client/qr.c) read back by zbarimg (Debian's
# zbar-tools), a decoder that is not ours: every version at level M (the one
# the client draws), and levels L, Q and H at versions that change the block
# structure, each holding as many bytes as it can.  (The QR code drawn on a
# terminal is decoded in client_login.sh.)
. "$(dirname "$0")/../lib.sh"
if ! command -v zbarimg >/dev/null; then
	skip "QR codes read back by zbarimg" "missing: zbar-tools (make deps)"
	finish
	exit 0
fi
files=() want=()
add() { # LEVEL VERSION
	local f=$T/$1$2.pbm out
	out=$("$B/tests/qr_pbm" "$1" "$2" "$f") || { notok "encode $1 $2"; return; }
	[ "${out%% *}" = "$2" ] || notok "version $2 at $1 came out as ${out%% *}"
	files+=("$f")
	want+=("$1$2 ${out#* * }")
}
for v in $(seq 40); do add M "$v"; done
for l in L Q H; do for v in 1 2 6 7 10 14 21 27 36 40; do add "$l" "$v"; done; done
# One zbarimg for all (its start-up dominates); it prints the symbols in
# the order of the files.
zbarimg --nodbus -q --raw "${files[@]}" >"$T/got" 2>"$T/zbar.err"
bad=""
i=0
while IFS= read -r line; do
	w=${want[$i]}
	[ "$line" = "${w#* }" ] || bad="$bad ${w%% *}"
	i=$((i + 1))
done <"$T/got"
check "zbarimg read ${#files[@]} codes (every version at M; L, Q, H at 10 versions each)" \
	test "$i" = "${#files[@]}"
check "  ...and each says exactly what was encoded, up to version 40's 2331 bytes${bad:+ (wrong:$bad)}" \
	test -z "$bad"
"$B/tests/qr_pbm" M 1 "$T/url.pbm" "https://127.0.0.1:8443/device?user_code=WDJB-MJHT" >/dev/null
check "a device URL in the smallest version that holds it" \
	test "$(zbarimg --nodbus -q --raw "$T/url.pbm" 2>/dev/null)" = \
	"https://127.0.0.1:8443/device?user_code=WDJB-MJHT"
finish
