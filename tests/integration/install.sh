#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make install honours DESTDIR and PREFIX and puts the module in the
# system's PAM module directory; the installed tool runs.
. "$(dirname "$0")/../lib.sh"

pamdir=$(pkg-config --variable=libdir pam)/security
make -s -C "$ROOT" install DESTDIR="$T/root" PREFIX=/usr >"$T/install.log" 2>&1
check "make install DESTDIR=... PREFIX=/usr succeeds" test $? = 0
check "the module lands in the PAM module directory ($pamdir)" test -f "$T/root$pamdir/pam_jwt.so"
check "the tool lands in PREFIX/sbin" test -x "$T/root/usr/sbin/pam_jwt-tool"
check "the fetch helper lands in PREFIX/libexec/pam_jwt, mode 755" \
	test "$(stat -c %a "$T/root/usr/libexec/pam_jwt/pam_jwt-fetch" 2>/dev/null)" = 755
check "  ...and the installed module and tool start it there (PREFIX is compiled in)" \
	bash -c "grep -qa /usr/libexec/pam_jwt/pam_jwt-fetch '$T/root$pamdir/pam_jwt.so' &&
		 grep -qa /usr/libexec/pam_jwt/pam_jwt-fetch '$T/root/usr/sbin/pam_jwt-tool'"
check "the example configuration lands in /etc/security" \
	cmp -s "$ROOT/conf/pam_jwt.conf" "$T/root/etc/security/pam_jwt.conf"
check "nothing is installed outside DESTDIR" \
	bash -c "! grep -E 'install .* /(usr|lib|etc)/' '$T/install.log' | grep -v '$T/root' | grep -q ."
v=$("$T/root/usr/sbin/pam_jwt-tool" --version)
check "the installed tool reports its version ($v)" \
	bash -c "grep -Eq '^pam_jwt-tool [0-9]+\.[0-9]+\.[0-9]+$' <<<'$v'"
if command -v scdoc >/dev/null; then
	m=""
	for p in man8/pam_jwt.8 man5/pam_jwt.conf.5 man8/pam_jwt-tool.8 man8/pam_jwt-fetch.8; do
		[ -s "$T/root/usr/share/man/$p" ] || m="$m $p"
	done
	check "the manual pages land in PREFIX/share/man${m:+ (missing:$m)}" test -z "$m"
else
	skip "the manual pages land in PREFIX/share/man" "scdoc is not installed"
fi
if [ -x "$B/pam_jwt-askpass" ]; then
	check "pam_jwt-askpass and its manual page land in PREFIX/bin and man1" bash -c \
		"[ -x '$T/root/usr/bin/pam_jwt-askpass' ] &&
		 { ! command -v scdoc >/dev/null || [ -s '$T/root/usr/share/man/man1/pam_jwt-askpass.1' ]; }"
fi
check "pam_jwt-login and its manual page land in PREFIX/bin and man1" bash -c \
	"[ -x '$T/root/usr/bin/pam_jwt-login' ] &&
	 { ! command -v scdoc >/dev/null || [ -s '$T/root/usr/share/man/man1/pam_jwt-login.1' ]; }"
echo "# edited" >>"$T/root/etc/security/pam_jwt.conf"
make -s -C "$ROOT" install DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
check "a second install keeps an existing configuration" \
	grep -q "^# edited" "$T/root/etc/security/pam_jwt.conf"
make -s -C "$ROOT" uninstall DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
check "make uninstall removes the fetch helper and its directory" \
	test ! -e "$T/root/usr/libexec/pam_jwt"
finish
