#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make demo: a throwaway key, tokens signed by pam_jwt-tool, and logins
# through pamtester and the real module (pam_wrapper keeps /etc/pam.d out of
# it).  One accepted, six refused, each shown with the decision line the
# module logged; a password is declined (not a JWT), and the password itself
# is never logged: the demo looks for it in the log.  `make demo` builds what
# it runs first.
. "$(dirname "$0")/lib.sh"
for f in "$MODULE" "$TOOL" "$LOGSHIM"; do
	[ -e "$f" ] || { echo "demo: $f is missing: run make demo" >&2; exit 1; }
done

gen_key ES256 demo || { echo "demo: cannot generate a key" >&2; exit 1; }
cat >"$T/pam_jwt.conf" <<CONF
key_file = $T/demo.pub
issuer = https://idp.example
audience = ssh
CONF
service demo "auth required $MODULE conf=$T/pam_jwt.conf"
now=$(date +%s)
sign() { "$TOOL" sign --key "$T/demo.key" --alg ES256 --iss https://idp.example --aud ssh "$@"; }

echo "pam_jwt demo: tokens signed with an ES256 key made for this run, each tried"
echo "as the password of a login through pamtester and the built module (pam_wrapper"
echo "reads the PAM service from a temporary directory: /etc is not touched)"
echo "  module:  $MODULE"
echo "  service: auth required pam_jwt.so conf=$T/pam_jwt.conf"
echo "  config:  key_file = the demo key, issuer = https://idp.example, audience = ssh"
echo "Each try: the outcome, what was typed, then the module's decision line (log:)."
echo
fails=0
try() { # expected label user token
	local want=$1 label=$2 user=$3 tok=$4 got
	pam_run demo "$user" "$tok" && got=accepted || got=refused
	printf '%-9s %-44s (%d bytes, user %s)\n' "$got" "$label" "${#tok}" "$user"
	printf '          log: %s\n' "$(last_log | sed 's/^<[0-9]*> //')"
	[ "$got" = "$want" ] || { echo "          UNEXPECTED: wanted $want"; fails=$((fails + 1)); }
}
good=$(sign --sub alice)
try accepted "a valid token for alice" alice "$good"
try refused "the same token, for bob" bob "$good"
try refused "an expired token" alice \
	"$(sign --sub alice --claim iat=$((now - 7200)) --claim exp=$((now - 3600)))"
p=${good#*.}
p=${p%%.*}
forged=$(printf '%s' '{"sub":"root","iss":"https://idp.example","aud":"ssh","exp":4102444800}' |
	base64 -w0 | tr '+/' '-_' | tr -d '=')
try refused "a tampered token (payload swapped for root)" root "${good%%.*}.$forged.${good##*.}"
try refused "a token signed by another key" alice \
	"$(gen_key ES256 other && "$TOOL" sign --key "$T/other.key" --alg ES256 \
		--iss https://idp.example --aud ssh --sub alice)"
try refused "a token for another audience" alice \
	"$("$TOOL" sign --key "$T/demo.key" --alg ES256 --iss https://idp.example --aud web --sub alice)"
password="correct horse battery"
try refused "a Unix password: declined (not a JWT)" alice "$password"
if grep -qF "$password" "$LOG"; then
	echo "          UNEXPECTED: the password is in the log"
	fails=$((fails + 1))
else
	echo "          the decision line is logged; the password itself is not (checked)"
fi
echo
if [ $fails = 0 ]; then
	echo "demo: all outcomes as expected: 1 token accepted, 5 tokens and a password refused"
else
	echo "demo: $fails unexpected outcomes" >&2
	exit 1
fi
