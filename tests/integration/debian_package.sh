#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The Debian packages: built with dpkg-buildpackage from a copy of this tree,
# lintian-clean, installed with dpkg -i, a login through the installed module
# named plainly as pam_jwt.so, the pam-auth-update profile tried in a private
# mount namespace, then removed and purged with nothing left behind.  The
# client side is a package of its own (pam-jwt-client), so servers need not
# install it: it is checked, installed and purged too.
#
# Needs root (it installs and purges a package): otherwise one SKIP line.  If
# libpam-jwt or any of its paths is already on the machine, the package is
# still built and checked but not installed, so nobody's configuration or
# revocation list is touched.  Whatever happens, a package this test installed
# is purged again (trap).  About 60 s on 2 cores: the build, lintian, 7 dpkg runs.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "Debian package: build, lintian, install, log in, purge" "needs root"
	finish
	exit 0
fi
for c in dpkg-buildpackage dh lintian scdoc pamtester; do
	command -v "$c" >/dev/null || { notok "$c is installed (make deps)"; finish; exit 1; }
done
export DEBIAN_FRONTEND=noninteractive
PKG=libpam-jwt
CPKG=pam-jwt-client
VERSION=$(sed -nE 's/^VERSION[[:space:]]*:?=[[:space:]]*([^[:space:]]+).*/\1/p' "$ROOT/Makefile")
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
PAMDIR=/lib/$MA/security
ours=0
cleanup() {
	[ "$ours" = 1 ] && dpkg_wait dpkg --purge "$PKG" "$CPKG" >/dev/null 2>&1
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
note() { sed 's/^/# /' "$@"; }

# --- build from a copy: the tree as it is (tracked files and new ones not
# ignored; in CI, a fresh clone, that is HEAD), so build/ here is untouched.
src=$T/src/pam-jwt-$VERSION
mkdir -p "$src"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$ROOT" && git ls-files -z -co --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$src"
else
	tar -C "$ROOT" --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
start=$(date +%s)
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_BUILD_OPTIONS="parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b succeeds ($(($(date +%s) - start)) s)" test $rc = 0
deb=$T/src/${PKG}_${VERSION}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
cdeb=$T/src/${CPKG}_${VERSION}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
if [ $rc != 0 ] || [ ! -f "$deb" ]; then
	tail -n 30 "$T/build.log" | note
	finish
	exit 1
fi
check "debian/changelog's version is the Makefile's ($VERSION)" \
	test "$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)" = "$VERSION"

# --- what the package holds
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' >"$T/contents"
want="$PAMDIR/pam_jwt.so /usr/sbin/pam_jwt-tool /usr/libexec/pam_jwt/pam_jwt-fetch
	/usr/share/man/man8/pam_jwt-fetch.8.gz /etc/security/pam_jwt.conf
	/usr/share/pam-configs/pam_jwt /var/lib/pam_jwt /var/cache/pam_jwt
	/usr/share/man/man8/pam_jwt.8.gz /usr/share/man/man5/pam_jwt.conf.5.gz
	/usr/share/man/man8/pam_jwt-tool.8.gz /usr/share/doc/$PKG/copyright
	/usr/share/doc/$PKG/README.Debian.gz /usr/share/doc/$PKG/changelog.gz"
for u in "$src"/conf/*.service "$src"/conf/*.timer; do
	[ -e "$u" ] && want="$want /lib/systemd/system/${u##*/}"
done
m=""
for f in $want; do grep -qx -- "$f" "$T/contents" || m="$m $f"; done
check "the package holds module ($PAMDIR), tool, fetch helper, conffile, profile, dirs, man pages, docs${m:+ \
(missing:$m)}" test -z "$m"
check "the server's package has nothing of the client (no pam_jwt-login, askpass, man1)" \
	bash -c "! grep -qE 'pam_jwt-login|pam_jwt-askpass|/man1/' '$T/contents'"
dpkg-deb -c "$cdeb" 2>/dev/null | awk '{print $6}' | sed 's|^\./|/|; s|/$||' >"$T/ccontents"
m=""
for f in /usr/bin/pam_jwt-login /usr/bin/pam_jwt-askpass /usr/share/man/man1/pam_jwt-login.1.gz \
	/usr/share/man/man1/pam_jwt-askpass.1.gz /usr/share/doc/$CPKG/copyright \
	/usr/share/doc/$CPKG/examples/client.conf; do
	grep -qx -- "$f" "$T/ccontents" || m="$m $f"
done
check "$CPKG holds pam_jwt-login, pam_jwt-askpass, their man pages, an example${m:+ (missing:$m)}" \
	test -z "$m"
check "  ...and nothing of the server (module, tool, configuration)" \
	bash -c "! grep -qE 'security|sbin|/etc/' '$T/ccontents'"
cdep=$(dpkg-deb -f "$cdeb" Depends 2>/dev/null)
check "  ...it depends on libcurl4 (pam_jwt-login links it) and not on libpam-jwt ($cdep)" \
	bash -c "grep -qw libcurl4 <<<'$cdep' && ! grep -qw libpam-jwt <<<'$cdep'"
check "the revocation list is not a file of the package (an upgrade would empty it)" \
	bash -c "! grep -q '^/var/lib/pam_jwt/.' '$T/contents'"
dpkg-deb -e "$deb" "$T/control"
check "/etc/security/pam_jwt.conf is a conffile" grep -qx /etc/security/pam_jwt.conf \
	"$T/control/conffiles"
check "the shipped configuration is conf/pam_jwt.conf" bash -c \
	"dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./etc/security/pam_jwt.conf |
	 cmp -s - '$src/conf/pam_jwt.conf'"
dep=$(dpkg-deb -f "$deb" Depends)
check "Depends are computed: libpam0g, libssl3, libjansson4, libpam-runtime ($dep)" bash -c \
	"for p in libpam0g libssl3 libjansson4 libpam-runtime; do grep -qw \$p <<<'$dep' || exit 1; done"
check "only the fetch helper links libcurl, so the package depends on libcurl4 ($dep)" bash -c \
	"grep -qw libcurl4 <<<'$dep' && ! grep -qa libcurl '$src/build/pam_jwt.so' '$src/build/pam_jwt-tool'"
check "the module and the tool start the helper where the package puts it" \
	bash -c "grep -qa /usr/libexec/pam_jwt/pam_jwt-fetch '$src/build/pam_jwt.so' &&
		 grep -qa /usr/libexec/pam_jwt/pam_jwt-fetch '$src/build/pam_jwt-tool'"
check "the pam-auth-update profile is off by default" \
	grep -qx "Default: no" "$src/debian/pam-configs/pam_jwt"

# --- lintian: no error, no warning (overrides carry their reasons)
lintian -I --show-overrides "$T/src"/*.changes >"$T/lintian.log" 2>&1
grep -v 'running with root privileges' "$T/lintian.log" | note
check "lintian reports no error and no warning" bash -c "! grep -qE '^[EW]: ' '$T/lintian.log'"

# --- install, unless something of ours is already here
pre=""
st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null)
case $st in "" | un*) ;; *) pre="$pre package:$st" ;; esac
st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$CPKG" 2>/dev/null)
case $st in "" | un*) ;; *) pre="$pre $CPKG:$st" ;; esac
for p in "$PAMDIR/pam_jwt.so" /usr/sbin/pam_jwt-tool /usr/bin/pam_jwt-askpass /usr/libexec/pam_jwt \
	/usr/bin/pam_jwt-login \
	/etc/security/pam_jwt.conf /var/lib/pam_jwt /var/cache/pam_jwt /usr/share/pam-configs/pam_jwt; do
	[ -e "$p" ] && pre="$pre $p"
done
if [ -n "$pre" ]; then
	skip "install, log in, remove, purge" "already on this machine, not touched:$pre"
	finish
	exit
fi

# Every path with pam_jwt/pam-jwt in its name, and PAM's generated files.
snapshot() {
	find /etc /usr /var -xdev \( -path /var/tmp -o -path /var/log -o -path /var/cache/apt \
		-o -path /var/lib/apt \) -prune -o -print 2>/dev/null | grep -E 'pam[_-]jwt' | sort
	pam_sums
}
pam_sums() { md5sum /etc/pam.d/common-* /var/lib/pam/* 2>/dev/null; }
snapshot >"$T/before"
pam_sums >"$T/pam.before"
gen_key ES256 es || { notok "generate a key"; finish; exit 1; }
cat >"$T/pam_jwt.conf" <<CONF
key_file = $T/es.pub
issuer = https://idp.test
CONF
service plain "auth required pam_jwt.so conf=$T/pam_jwt.conf"
pam_run plain alice x
check "before installing, PAM cannot load a plain pam_jwt.so" \
	grep -q "Module is unknown" "$T/pamtester.out"

ours=1
dpkg_wait dpkg -i "$deb" >"$T/dpkg.log" 2>&1 ||
	dpkg_wait apt-get install -f -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends \
		>>"$T/dpkg.log" 2>&1
st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null)
check "dpkg -i installs the package" test "$st" = "ii "
[ "$st" = "ii " ] || tail -n 15 "$T/dpkg.log" | note
dpkg_wait dpkg -i "$cdeb" >>"$T/dpkg.log" 2>&1
check "dpkg -i installs $CPKG" \
	test "$(dpkg-query -W -f='${db:Status-Abbrev}' "$CPKG" 2>/dev/null)" = "ii "
v=$(/usr/bin/pam_jwt-login --version 2>&1)
check "the installed pam_jwt-login --version says $VERSION ($v)" test "$v" = "pam_jwt-login $VERSION"
check "the installed pam_jwt-askpass runs the pam_jwt-login beside it" bash -c \
	"env -u XDG_CONFIG_HOME -u PAM_JWT_TOKEN_FILE -u PAM_JWT_TOKEN_COMMAND -u PAM_JWT_LOGIN \
	 HOME='$T' /usr/bin/pam_jwt-askpass '(a@db1.prod) JWT: ' 2>&1 </dev/null |
	 grep -q 'pam_jwt-login: no configuration'"
v=$(/usr/sbin/pam_jwt-tool --version 2>&1)
check "the installed pam_jwt-tool --version says $VERSION ($v)" test "$v" = "pam_jwt-tool $VERSION"
check "/etc/security/pam_jwt.conf is installed, root's, mode 644" \
	test "$(stat -c '%a %U %G' /etc/security/pam_jwt.conf)" = "644 root root"
check "/var/lib/pam_jwt/revocations is created empty, root's, mode 644" \
	test "$(stat -c '%a %U %G %s' /var/lib/pam_jwt/revocations 2>&1)" = "644 root root 0"
check "/var/cache/pam_jwt is installed" test -d /var/cache/pam_jwt
check "the fetch helper is installed root's, mode 755, and answers (bad arguments: exit 2)" bash -c \
	"[ \"\$(stat -c '%a %U %G' /usr/libexec/pam_jwt/pam_jwt-fetch)\" = '755 root root' ] &&
	 { /usr/libexec/pam_jwt/pam_jwt-fetch >/dev/null 2>&1; [ \$? = 2 ]; }"
if grep -q /lib/systemd/system/pam_jwt-fetch.timer "$T/contents"; then
	check "the key refresh timer is enabled" \
		test -L /etc/systemd/system/timers.target.wants/pam_jwt-fetch.timer
fi
pam_sums >"$T/pam.after"
check "installing enables nothing: /etc/pam.d/common-* and /var/lib/pam are unchanged" \
	cmp -s "$T/pam.before" "$T/pam.after"

tok=$(/usr/sbin/pam_jwt-tool sign --key "$T/es.key" --alg ES256 --iss https://idp.test --sub alice)
pam_run plain alice "$tok"
check "a token logs in through the installed module, named plainly pam_jwt.so" test $? = 0
pam_run plain bob "$tok"
check "alice's token is refused for bob through the installed module" test $? != 0
printf '%s\n' "$tok" | /usr/sbin/pam_jwt-tool revoke --token - >"$T/revoke.out" 2>&1
check "the installed tool revokes into /var/lib/pam_jwt/revocations" \
	bash -c "/usr/sbin/pam_jwt-tool list | grep -q '^jti '"
pam_run plain alice "$tok"
check "the revoked token is refused" bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q revoked"
cp /var/lib/pam_jwt/revocations "$T/revocations"
dpkg_wait dpkg -i "$deb" >>"$T/dpkg.log" 2>&1
check "reinstalling (an upgrade) keeps the revocation list" \
	cmp -s "$T/revocations" /var/lib/pam_jwt/revocations
# A list of an earlier version (a sorted text file) too long for logins to
# read whole is made a store by the upgrade, every entry kept.
/usr/sbin/pam_jwt-tool export >"$T/old.txt"
seq -f "jti old-%07g 2000000000" 1 10000 >>"$T/old.txt"
(umask 022 && cp "$T/old.txt" /var/lib/pam_jwt/revocations)
dpkg -i "$deb" >>"$T/dpkg.log" 2>&1
check "an upgrade makes a long text list of an earlier version a store" \
	bash -c "head -c 16 /var/lib/pam_jwt/revocations | grep -qa pam_jwt-store"
check "... keeping every entry" \
	test "$(/usr/sbin/pam_jwt-tool list | wc -l)" = "$(grep -c '^jti ' "$T/old.txt")"
pam_run plain alice "$tok"
check "... and the revoked token is still refused" \
	bash -c "[ $? != 0 ] && tail -n1 '$LOG' | grep -q revoked"
cp "$T/revocations" /var/lib/pam_jwt/revocations

# --- the pam-auth-update profile, on copies of /etc/pam.d, /var/lib/pam,
# debconf's database, passwd and shadow, in a private mount namespace.
if unshare -m true 2>/dev/null; then
	hash=$(openssl passwd -6 -salt pjsalt 'Unix-pw-1')
	ns_run() { # SCRIPT: runs in a namespace with the copies bound over the real files
		unshare -m bash -c '
			set -e
			for d in /etc/pam.d /var/lib/pam /var/cache/debconf; do
				mkdir -p "$T/ns$d" && cp -a "$d/." "$T/ns$d/" && mount --bind "$T/ns$d" "$d"
			done
			cp -a /etc/passwd "$T/ns.passwd" && cp -a /etc/shadow "$T/ns.shadow"
			echo "pjuser:x:4242:4242::/nonexistent:/usr/sbin/nologin" >>"$T/ns.passwd"
			echo "pjuser:$HASH:19000:0:99999:7:::" >>"$T/ns.shadow"
			mount --bind "$T/ns.passwd" /etc/passwd && mount --bind "$T/ns.shadow" /etc/shadow
			printf "@include common-auth\n@include common-account\n" >/etc/pam.d/pj-profile
			try() { printf "%s\n" "$2" | LD_PRELOAD="$LOGSHIM" PJ_LOG_FILE="$LOG" \
				pamtester pj-profile "$1" authenticate acct_mgmt >/dev/null 2>&1; }
			'"$1"
	}
	export T LOGSHIM LOG HASH="$hash"
	ptok=$(/usr/sbin/pam_jwt-tool sign --key "$T/es.key" --alg ES256 --iss https://idp.test \
		--sub pjuser)
	export PTOK=$ptok
	ns_run '
		mount --bind "$T/pam_jwt.conf" /etc/security/pam_jwt.conf
		pam-auth-update --force --enable pam_jwt >/dev/null 2>&1
		grep -q "pam_jwt.so" /etc/pam.d/common-auth || exit 10
		grep -q "pam_jwt.so" /etc/pam.d/common-account || exit 10
		grep -q "pam_jwt.so" /etc/pam.d/common-session || exit 10
		try pjuser "$PTOK" || exit 11
		try pjuser "Unix-pw-1" || exit 12
		try pjuser "wrong" && exit 13
		/var/lib/dpkg/info/libpam-jwt.prerm remove >/dev/null 2>&1
		grep -q "pam_jwt.so" /etc/pam.d/common-auth && exit 16
		pam-auth-update --force --enable pam_jwt >/dev/null 2>&1
		pam-auth-update --force --disable unix >/dev/null 2>&1
		umount /etc/security/pam_jwt.conf
		try pjuser "Unix-pw-1" && exit 14
		try pjuser "$PTOK" && exit 15
		exit 0' >"$T/ns.out" 2>&1
	rc=$?
	note "$T/ns.out"
	check "pam-auth-update --enable pam_jwt puts it in common-auth, -account, -session" \
		test $rc != 10
	check "with the profile enabled, a token logs in (common-auth and common-account)" \
		test $rc != 11
	check "with the profile and Unix enabled, a Unix password still logs in" test $rc != 12
	check "with the profile enabled, a wrong password is refused" test $rc != 13
	check "removing the package (prerm) takes the enabled profile out of common-auth" \
		test $rc != 16
	check "with only the profile and no keys (the shipped file), a password is refused" \
		test $rc != 14
	check "with only the profile and no keys, a token is refused too: locked out" test $rc != 15
	check "the profile checks ran to the end (exit $rc)" test $rc = 0
else
	skip "the pam-auth-update profile in a private mount namespace" "unshare -m not permitted"
fi

# --- remove keeps configuration and state; purge leaves nothing
dpkg_wait dpkg -r "$CPKG" >>"$T/dpkg.log" 2>&1
check "dpkg -r $CPKG leaves the server's module alone" test -e "$PAMDIR/pam_jwt.so"
dpkg_wait dpkg --purge "$CPKG" >>"$T/dpkg.log" 2>&1
check "  ...and removes the client" bash -c "[ ! -e /usr/bin/pam_jwt-login ] &&
	[ ! -e /usr/bin/pam_jwt-askpass ] && [ ! -e /usr/share/doc/$CPKG ]"
dpkg_wait dpkg -r "$PKG" >>"$T/dpkg.log" 2>&1
check "dpkg -r removes the module and the tool" \
	bash -c "[ ! -e '$PAMDIR/pam_jwt.so' ] && [ ! -e /usr/sbin/pam_jwt-tool ]"
check "dpkg -r keeps the configuration and the revocation list" bash -c \
	"[ -f /etc/security/pam_jwt.conf ] && cmp -s '$T/revocations' /var/lib/pam_jwt/revocations"
dpkg_wait dpkg --purge "$PKG" >>"$T/dpkg.log" 2>&1
rc=$?
ours=0
st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null)
check "dpkg --purge succeeds (status now: ${st:-unknown})" \
	bash -c "[ $rc = 0 ] && [[ '$st' = '' || '$st' = un* ]]"
left=""
for p in /etc/security/pam_jwt.conf /var/lib/pam_jwt /var/cache/pam_jwt "$PAMDIR/pam_jwt.so" \
	/usr/sbin/pam_jwt-tool /usr/share/pam-configs/pam_jwt /usr/share/doc/$PKG \
	/usr/share/man/man8/pam_jwt.8.gz /usr/share/man/man5/pam_jwt.conf.5.gz \
	/usr/share/man/man8/pam_jwt-tool.8.gz; do
	[ -e "$p" ] && left="$left $p"
done
check "purge removes configuration, state, cache, module, tool, profile, docs, man pages${left:+ \
(left:$left)}" test -z "$left"
snapshot >"$T/after"
check "after purge no path named pam_jwt is left and PAM's files are as before" \
	diff "$T/before" "$T/after"
diff "$T/before" "$T/after" | note
finish
