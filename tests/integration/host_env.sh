#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# What the invoking user controls in a setuid host, through the real su (setuid
# root) in a private mount namespace (tests/helpers/sandbox.sh): the
# environment (OPENSSL_CONF, OPENSSL_MODULES, OPENSSL_ENGINES,
# OPENSSL_CONF_INCLUDE, the locale), resource limits and the umask.  None of
# it may steer the module: no file of the user's is loaded, numbers are
# exported the same in every locale, a file size limit refuses the login
# instead of killing su, and what the module writes has its own mode.  (Closed
# descriptors 0-2 glibc itself reopens in setuid programs; the fetch helper's
# environment is tested with fetching.)
. "$(dirname "$0")/../helpers/sandbox.sh"
sandbox_reexec "$@"
. "$(dirname "$0")/../lib.sh"

missing=""
for p in su setpriv localedef cc; do
	command -v $p >/dev/null || missing="$missing $p"
done
if [ -n "$missing" ]; then
	skip "the invoking user's environment under su" "missing:$missing (make deps)"
	finish
	exit 0
fi
sandbox_setup || { notok "set up the private mount namespace"; finish; exit 1; }
sandbox_user pjhost && sandbox_user pjcaller || { notok "test users"; finish; exit 1; }
gen_key ES256 es || { notok "generate keys"; finish; exit 1; }
USED=$T/used
(umask 022 && : >"$T/rev" && : >"$USED")
printf '%s\n' "issuer = https://idp.test" "audience = su" "key_file = $T/es.pub" \
	"revocation_file = $T/rev" "one_time = yes" "one_time_file = $USED" \
	"export_claims = sub level" "typ = JWT" >"$T/su.conf"
sandbox_pam su "$ROOT/conf/pam.d/su.jwt-only" "$T/su.conf"
sign() { "$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test --aud su "$@"; }
H=$T/home/pjcaller
n=0
# su_as SHELL-PREFIX [ENV...]: pjcaller runs "PREFIX su pjhost -c ..." from
# a shell, with only ENV (and PATH, HOME) in its environment, and types a
# fresh one-time token for pjhost (level 1.5, typ APPLICATION/JWT) at su's
# prompt.  SIGXFSZ is set
# back to its default (Python, which runs the terminal, ignores it, and an
# ignored signal stays ignored across exec).
su_as() {
	local prefix=$1
	shift
	n=$((n + 1))
	(umask 077 && sign --sub pjhost --claim jti=host-$n --claim level=1.5 \
		--header typ=APPLICATION/JWT >"$T/su-input")
	/usr/bin/python3 "$ROOT/tests/helpers/pty_answer.py" "JWT: " "$T/su-input" \
		setpriv --reuid=pjcaller --regid=pjcaller --init-groups env -i PATH=/usr/bin:/bin \
		HOME="$H" "$@" sh -c "cd '$H' && $prefix exec env --default-signal=XFSZ su pjhost -c \
		'echo user=\$(id -un) level=\$JWT_LEVEL; /usr/bin/printf \"shell=%.1f\\n\" 1.5'" \
		>"$T/out.pty" 2>&1
	su_rc=$?
	tr -d '\r' <"$T/out.pty" >"$T/out"
}

su_as ""
check "baseline: su with pjhost's token makes pjcaller pjhost" grep -q "user=pjhost" "$T/out"
check "baseline: the real claim level=1.5 is exported as 1.5" grep -q "level=1\.5$" "$T/out"

# ---- OpenSSL's configuration and modules ----
# A configuration of the user's that loads a provider module of theirs, whose
# constructor leaves a mark (it would run as root inside su).
cat >"$T/evil.c" <<'C'
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void mark(void)
{
	int fd = open(MARK, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}
int OSSL_provider_init(void) { return 0; }
C
mkdir -p "$H/mods" "$H/engines" "$H/inc"
cc -shared -fPIC -DMARK="\"$H/marked\"" -o "$H/mods/evil.so" "$T/evil.c" ||
	{ notok "build the marking module"; finish; exit 1; }
for m in default legacy base fips; do cp "$H/mods/evil.so" "$H/mods/$m.so"; done
cp "$H/mods/evil.so" "$H/engines/pkcs11.so"
cat >"$H/openssl.cnf" <<CNF
openssl_conf = init
.include $H/inc
[init]
providers = provs
[provs]
evil = evil_sect
default = default_sect
[evil_sect]
module = $H/mods/evil.so
activate = 1
[default_sect]
activate = 1
CNF
cp "$H/openssl.cnf" "$H/inc/extra.cnf"
chown -R pjcaller: "$H"
ossl_env="OPENSSL_CONF=$H/openssl.cnf OPENSSL_MODULES=$H/mods OPENSSL_ENGINES=$H/engines
	OPENSSL_CONF_INCLUDE=$H/inc"
# shellcheck disable=SC2086
setpriv --reuid=pjcaller --regid=pjcaller --init-groups env -i PATH=/usr/bin:/bin $ossl_env \
	openssl version >/dev/null 2>&1
check "control: the user's OpenSSL configuration loads their module where it is honoured" \
	test -e "$H/marked"
rm -f "$H/marked"
# shellcheck disable=SC2086
su_as "" $ossl_env
check "OPENSSL_CONF, _MODULES, _ENGINES, _CONF_INCLUDE under su: the login works" \
	grep -q "user=pjhost" "$T/out"
check "... and no module of the user's was loaded (OpenSSL ignores them in setuid programs)" \
	test ! -e "$H/marked"

# ---- the locale: su calls setlocale() with the user's ----
mkdir -p "$T/locale" && cp -a /usr/lib/locale/. "$T/locale/" 2>/dev/null
printf '%s\n' LC_NUMERIC 'decimal_point ","' 'thousands_sep "."' 'grouping 3;3' \
	'END LC_NUMERIC' >"$T/comma.def"
# (-c: the definition has LC_NUMERIC only, the other categories stay C's)
localedef -c -f UTF-8 -i "$T/comma.def" "$T/locale/xx_XX.UTF-8" >/dev/null 2>&1
# Turkish in ISO-8859-9: there tolower('I') is the dotless i, so strcasecmp
# does not find "APPLICATION/" equal to "application/".
localedef -c -f ISO-8859-9 -i tr_TR "$T/locale/tr_TR.ISO-8859-9" >/dev/null 2>&1
if [ -s "$T/locale/xx_XX.UTF-8/LC_NUMERIC" ] && [ -s "$T/locale/tr_TR.ISO-8859-9/LC_CTYPE" ] &&
	mount --bind "$T/locale" /usr/lib/locale; then
	su_as "" LC_NUMERIC=xx_XX.UTF-8
	check "control: the user's locale (decimal comma) is in force in what su runs" \
		grep -q "shell=1,5" "$T/out"
	check "a decimal-comma locale: the real claim is still exported as 1.5, not 1,5" \
		grep -q "level=1\.5$" "$T/out"
	su_as "" LC_CTYPE=tr_TR.ISO-8859-9
	check "a Turkish locale: typ APPLICATION/JWT still matches typ = JWT (ASCII case rules)" \
		grep -q "user=pjhost" "$T/out"
else
	skip "the user's locale" "cannot make a locale here"
fi

# ---- resource limits and the umask ----
# A one-time record over 1 kB to rewrite under ulimit -f 1: a write past the
# limit would raise SIGXFSZ in su.
for i in $(seq 1 60); do echo "jti old-$i 2000000000"; done >>"$USED"
cp "$USED" "$T/used.before"
su_as "ulimit -f 1;"
check "ulimit -f 1: su is not killed by SIGXFSZ (exit $su_rc)" \
	bash -c "[ $su_rc != 231 ] && ! grep -q 'File size limit' '$T/out'"
check "ulimit -f 1: the login is refused" bash -c "! grep -q user=pjhost '$T/out' &&
	grep -q 'Authentication failure' '$T/out'"
check "ulimit -f 1: the one-time record is unchanged, no temporary file left" \
	bash -c "cmp -s '$USED' '$T/used.before' && ! ls '$USED'.tmp.* 2>/dev/null"
: >"$USED"
su_as "umask 0777;"
check "umask 0777: the login works" grep -q "user=pjhost" "$T/out"
check "umask 0777: the one-time record is still mode 0644 (others check it too)" \
	test "$(stat -c %a "$USED")" = 644
finish
