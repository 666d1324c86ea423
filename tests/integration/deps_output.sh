#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# tests/deps.sh says what it installs, against stand-ins for dpkg-query,
# apt-get and id on PATH (nothing is installed): the plan from apt's
# simulation (named, pulled in, upgraded with both versions), the download
# size, progress, apt's output in build/deps.log, waiting while another process
# holds a lock, and what a user who is not root is told.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/tree/tests" "$T/bin"
cp "$ROOT/tests/deps.sh" "$T/tree/tests/"
# dpkg-query: only make is installed.
cat >"$T/bin/dpkg-query" <<'EOF'
#!/bin/sh
for a; do :; done
[ "$a" = make ] && { printf 'install ok installed'; exit 0; }
exit 1
EOF
cat >"$T/bin/id" <<'EOF'
#!/bin/sh
echo "${FAKE_UID:-0}"
EOF
# apt-get: a plan with one upgrade, a first install that meets a lock, then
# a normal install.
cat >"$T/bin/apt-get" <<'EOF'
#!/bin/sh
case " $* " in
*" update "*) echo "Get:1 http://deb.example bookworm InRelease [151 kB]" ;;
*" -s "*)
	echo "Inst libpam0g [1.5.2-6+deb12u2] (1.5.2-6+deb12u3 Debian-Security:12/stable-security [amd64])"
	echo "Inst libfoo1 (1.0-1 Debian:12/stable [amd64])"
	echo "Inst pamtester (0.1.2-4 Debian:12/stable [amd64])" ;;
*" --print-uris "*)
	echo "'http://deb.example/a.deb' a.deb 3000000 SHA256:00"
	echo "'http://deb.example/b.deb' b.deb 2500000 SHA256:00" ;;
*" install "*)
	n=$(cat "$STATE" 2>/dev/null || echo 0)
	echo $((n + 1)) >"$STATE"
	if [ "$n" = 0 ]; then
		echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)"
		exit 100
	fi
	for p in libpam0g libfoo1 pamtester; do
		echo "Get:1 http://deb.example/debian bookworm/main amd64 $p amd64 1.0 [10 kB]"
	done
	for p in libpam0g libfoo1 pamtester; do echo "Unpacking $p (1.0) ..."; done
	for p in libpam0g libfoo1 pamtester; do echo "Setting up $p (1.0) ..."; done ;;
esac
EOF
chmod 755 "$T/bin"/*
deps() {
	PATH="$T/bin:$PATH" STATE=$T/state PJ_DEPS_RETRY=0 "$T/tree/tests/deps.sh" "$@" \
		>"$T/out" 2>&1
}
has() { grep -qxF -- "$1" "$T/out"; }

deps make
check "nothing missing: silent, status 0" bash -c "[ $? = 0 ] && [ ! -s '$T/out' ]"
deps make pamtester
rc=$?
sed 's/^/# /' "$T/out"
check "the missing packages are named" has "deps: missing Debian packages: pamtester"
check "the plan: installed, pulled in, upgraded, download size" has \
	"deps: apt-get installs 2 packages (1 of them pulled in by the ones named), upgrades 1, downloads 5 MB; log: build/deps.log"
check "an upgrade is named with both versions" \
	has "deps: upgrading libpam0g 1.5.2-6+deb12u2 -> 1.5.2-6+deb12u3"
check "a held lock is waited for, naming who holds it" bash -c \
	"grep -q \"^deps: waiting for dpkg's lock: .*held by process 4242 (apt-get)\" '$T/out' &&
	 grep -qxF 'deps: trying again in 0 s' '$T/out'"
check "progress: downloading, unpacking, setting up each package" bash -c \
	"grep -qxF 'deps: downloading [3/3] pamtester' '$T/out' &&
	 grep -qxF 'deps: unpacking   [1/3] libpam0g' '$T/out' &&
	 grep -qxF 'deps: setting up  [3/3] pamtester' '$T/out'"
check "it succeeds once the lock is free (status $rc)" test $rc = 0
check "apt's output is in build/deps.log" grep -q "^Setting up pamtester" "$T/tree/build/deps.log"
FAKE_UID=1000 deps make pamtester
rc=$?
check "not root: status 1, the packages and the command named" bash -c \
	"[ $rc = 1 ] && grep -qxF 'deps: run as root, or: sudo apt-get install pamtester' '$T/out'"
finish
