#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Nothing the invoking user controls reaches the fetch: logins that fetch keys
# run the fetch helper (build/pam_jwt-fetch, started by src/spawn.c) with an
# environment, descriptors, signals, ids, limits and directory built from
# nothing, and the host process never loads libcurl.
#
# The real su (setuid root) in a private mount namespace
# (tests/helpers/sandbox.sh): pjother becomes pjtest with a token whose key
# must be fetched, from an environment full of bait: SSLKEYLOGFILE, the CA
# variables, OPENSSL_CONF/OPENSSL_MODULES, HOME with .netrc and .curlrc, the
# proxy variables, LD_PRELOAD and LD_LIBRARY_PATH, with umask 0, odd signals,
# limits, descriptors and working directory.  inotify watches every bait
# file, and a shared object (tests/helpers/tripwire.c) records any program
# that loads it: nothing may be created, opened or loaded because of the
# bait, and the login must still fetch as configured.  The same for
# pam_jwt-tool verify.  Then /proc views of a helper caught while a slow
# server keeps it waiting, and a PAM application (tests/helpers/pam_sigchld.c)
# that counts its SIGCHLDs while the helper fetches, times out, or is stopped
# and must be killed at fetch_timeout.
. "$(dirname "$0")/../helpers/sandbox.sh"
sandbox_reexec "$@"
. "$(dirname "$0")/../lib.sh"

missing=""
for p in su setpriv cc curl; do command -v $p >/dev/null || missing="$missing $p"; done
[ -x "$B/tests/pam_sigchld" ] || missing="$missing $B/tests/pam_sigchld"
if [ -n "$missing" ]; then
	skip "the fetch helper's isolation" "missing:$missing (make deps, make unit)"
	finish
	exit 0
fi
. "$ROOT/tests/helpers/idp.sh"
# pjother runs the tool below: from a copy it can read.
share_build || { notok "copy the build where test users can read it"; finish; exit 1; }
HELPER=$FETCH
sandbox_setup || { notok "set up the private mount namespace"; finish; exit 1; }
sandbox_user pjtest && sandbox_user pjother || { notok "test users"; finish; exit 1; }
ca ca && ca otherca && cert good ca "IP:127.0.0.1,DNS:localhost" && chmod 644 "$T"/*.pem ||
	{ notok "make the test CA and certificates"; finish; exit 1; }
gen_key ES256 k1 || { notok "keys"; finish; exit 1; }
start idp good
P=$port_idp
URL=https://127.0.0.1:$P/jwks
$PY "$SRV" jwks k1="$T/k1.pub" >"$T/idp/jwks.json"
mkdir -m 755 "$T/cache"
CACHE=$(cfile "$URL")
# uncache: no copy and no recent attempt, so that the next login fetches.
uncache() { rm -f "$CACHE" "$CACHE.stamp"; }

# conf NAME [key=value...]: $T/NAME.conf fetching $URL into $T/cache.
conf() {
	local n=$1
	shift
	printf '%s\n' "fetch_helper = $HELPER" "cache_dir = $T/cache" "jwks_url = $URL" \
		"algorithms = ES256" "issuer = https://idp.test" "audience = su" "$@" >"$T/$n.conf"
}
conf su "ca_file = $T/ca.pem"
conf sysca # no ca_file: the system's CAs, which do not know the test CA
sandbox_pam su "$ROOT/conf/pam.d/su.jwt-only" "$T/su.conf"
sandbox_pam su-sysca "$ROOT/conf/pam.d/su.jwt-only" "$T/sysca.conf"
tok=$("$TOOL" sign --key "$T/k1.key" --alg ES256 --kid k1 --iss https://idp.test --sub pjtest \
	--aud su)

# ---- the bait ----
BAIT=$T/bait MARKS=$T/marks
mkdir -p "$BAIT/home" "$BAIT/certs-other" "$BAIT/certs-test" "$BAIT/modules" "$BAIT/lib" \
	"$MARKS"
chmod 1777 "$MARKS"
cc -shared -fPIC -O2 -DMARKS="\"$MARKS\"" -o "$BAIT/tripwire.so" \
	"$ROOT/tests/helpers/tripwire.c" || { notok "build the tripwire"; finish; exit 1; }
cp "$BAIT/tripwire.so" "$BAIT/modules/tripwire.so"
cp "$BAIT/tripwire.so" "$BAIT/lib/libcurl.so.4" # would be found first through LD_LIBRARY_PATH
cat >"$BAIT/openssl.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
tripwire = tripwire_sect
default = default_sect
[tripwire_sect]
module = tripwire.so
activate = 1
[default_sect]
activate = 1
CNF
# A proxy that is not there: honoured, it breaks every fetch.
DEAD=http://127.0.0.1:$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'machine 127.0.0.1 login bait password bait\n' >"$BAIT/home/.netrc"
printf 'proxy = "%s"\ninsecure\n' "$DEAD" >"$BAIT/home/.curlrc"
cp "$T/otherca.pem" "$BAIT/other.pem" && cp "$T/otherca.pem" "$BAIT/certs-other/"
cp "$T/ca.pem" "$BAIT/test-ca.pem" && cp "$T/ca.pem" "$BAIT/certs-test/"
openssl rehash "$BAIT/certs-other" "$BAIT/certs-test" 2>/dev/null
chown -R pjother: "$BAIT/home" && chmod -R a+rX "$BAIT"
# bait_env TRUST: the variables, the trust ones pointing at TRUST (other:
# another CA, which would break the fetch if it replaced ca_file; test: the
# test CA, which would make the system's CAs trust the server if honoured).
bait_env() {
	printf '%s\n' "PATH=/usr/bin:/bin" "SSLKEYLOGFILE=$BAIT/keylog" \
		"CURL_CA_BUNDLE=$BAIT/$1.pem" "SSL_CERT_FILE=$BAIT/$1.pem" \
		"SSL_CERT_DIR=$BAIT/certs-$1" "OPENSSL_CONF=$BAIT/openssl.cnf" \
		"OPENSSL_MODULES=$BAIT/modules" "HOME=$BAIT/home" "CURL_HOME=$BAIT/home" \
		"http_proxy=$DEAD" "https_proxy=$DEAD" "HTTPS_PROXY=$DEAD" "ALL_PROXY=$DEAD" \
		"all_proxy=$DEAD" "LD_PRELOAD=$BAIT/tripwire.so" "LD_LIBRARY_PATH=$BAIT/lib"
}
bait_env other >"$T/env.other"
bait_env test >"$T/env.test"
# invoke.py ENVFILE PROGRAM ARGS...: the invoking user's process, as hostile
# as it can be without privileges: umask 0, core dumps on, a small file size
# limit, SIGUSR1 and SIGHUP ignored, SIGUSR2 and SIGTERM blocked, descriptors
# 5 and 7 left open, the working directory in the bait; then execve with
# the bait as the whole environment (so that only the program gets it).
cat >"$T/invoke.py" <<'PYEOF'
import os, resource, signal, sys
env = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l)
os.umask(0)
resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2, signal.SIGTERM})
for fd in (5, 7):
    os.dup2(os.open(sys.argv[0], os.O_RDONLY), fd)  # this script: easy to spot
    os.set_inheritable(fd, True)
os.chdir(env["HOME"])
os.execve(sys.argv[2], sys.argv[2:], env)
PYEOF

# Each bait, honoured, trips: what follows proves something.
curl -s --cacert "$T/ca.pem" -o /dev/null "$URL" &&
	SSLKEYLOGFILE=$T/live-keylog curl -s --cacert "$T/ca.pem" -o /dev/null "$URL"
check "the bait is live: libcurl (the curl CLI) writes SSLKEYLOGFILE" test -s "$T/live-keylog"
https_proxy=$DEAD curl -s --cacert "$T/ca.pem" -o /dev/null "$URL"
check "  ...and honours https_proxy (the dead proxy breaks the fetch)" test $? != 0
OPENSSL_CONF=$BAIT/openssl.cnf OPENSSL_MODULES=$BAIT/modules openssl version >/dev/null
LD_PRELOAD=$BAIT/tripwire.so /bin/true
check "  ...OPENSSL_CONF + OPENSSL_MODULES and LD_PRELOAD load the tripwire" \
	bash -c "cat '$MARKS'/* | grep -qx /usr/bin/openssl && cat '$MARKS'/* | grep -qx /usr/bin/true"
rm -f "$MARKS"/* "$T/live-keylog"

WATCHED=("$BAIT" "$BAIT/home" "$BAIT/certs-other" "$BAIT/certs-test" "$BAIT/modules" "$BAIT/lib")
# watch: from now on, every open, read or creation under the bait is logged.
watch() {
	rm -f "$T/events" "$T/watch.ready"
	$PY "$ROOT/tests/helpers/watch_opens.py" "$T/events" "$T/watch.ready" "${WATCHED[@]}" &
	WATCHER=$!
	for _ in $(seq 100); do [ -e "$T/watch.ready" ] && break; sleep 0.05; done
}
unwatch() { sleep 0.2; kill "$WATCHER"; wait "$WATCHER" 2>/dev/null; }
# touched [IGNORED-REGEX]: the events, but those of IGNORED (shown in the test's log).
touched() { grep -vE "${1:-^$}" "$T/events" 2>/dev/null | sed 's/^/# /'; }
marks_by() { cat "$MARKS"/* 2>/dev/null | grep -c -- "$1"; } # PROGRAM: processes that tripped

# su_bait SERVICE ENVFILE: pjother runs su SERVICE... with the bait, typing
# the token at su's terminal; su's output in $T/out.
su_bait() {
	(umask 077 && printf '%s\n' "$tok" >"$T/su-input")
	/usr/bin/python3 "$ROOT/tests/helpers/pty_answer.py" "JWT: " "$T/su-input" \
		setpriv --reuid=pjother --regid=pjother --init-groups env -i PATH=/usr/bin:/bin \
		/usr/bin/python3 "$T/invoke.py" "$2" /usr/bin/su -s /bin/sh pjtest \
		-c 'echo user=$(id -un)' >"$T/out" 2>&1
}
# su reads /etc/pam.d/su (the namespace's): the file without ca_file is
# copied over it for one login.
cp /etc/pam.d/su "$T/su.jwt"

# ---- su, ca_file configured: the fetch works as configured, the bait is ignored ----
before=$(hits idp /jwks)
watch
su_bait su "$T/env.other"
unwatch
check "su from the bait environment: pjother becomes pjtest with a key fetched now" \
	bash -c "grep -q user=pjtest '$T/out' && [ $(($(hits idp /jwks) - before)) = 1 ]"
check "  ...cached root:root 0644 as configured" \
	test "$(stat -c %U:%G:%a "$CACHE" 2>/dev/null)" = root:root:644
check "  ...SSLKEYLOGFILE was not created" test ! -e "$BAIT/keylog"
check "  ...nothing under the bait was opened, read or created$(touched | tr '\n' ' ')" \
	test ! -s "$T/events"
check "  ...and no program loaded the tripwire ($(cat "$MARKS"/* 2>/dev/null | tr '\n' ' '))" \
	bash -c "! ls '$MARKS'/* >/dev/null 2>&1"
check "  ...no stray file anywhere in the test's tree is world-writable" \
	bash -c "! find '$T' -xdev -type f -perm -0002 -newer '$T/env.other' | grep -q ."

# ---- su, no ca_file: CA variables pointing at the test CA must not make it trusted ----
uncache
cp "/etc/pam.d/su-sysca" /etc/pam.d/su
watch
su_bait su "$T/env.test"
unwatch
cp "$T/su.jwt" /etc/pam.d/su
check "su, no ca_file, SSL_CERT_FILE/SSL_CERT_DIR/CURL_CA_BUNDLE naming the test CA: refused" \
	bash -c "! grep -q user=pjtest '$T/out' && grep -q 'Authentication failure' '$T/out'"
check "  ...nothing under the bait was opened, read or created$(touched | tr '\n' ' ')" \
	test ! -s "$T/events"
check "  ...SSLKEYLOGFILE was not created, no tripwire" \
	bash -c "[ ! -e '$BAIT/keylog' ] && ! ls '$MARKS'/* >/dev/null 2>&1"

# ---- pam_jwt-tool verify (as root) in the same environment ----
# The tool is an ordinary program: LD_PRELOAD and OPENSSL_CONF act on the tool
# itself (its caller's choice); none of it may reach the fetch.
tool_bait() { # CONF ENVFILE
	/usr/bin/python3 "$T/invoke.py" "$2" "$TOOL" verify --config "$T/$1.conf" "$tok" \
		>/dev/null 2>"$T/verify.err"
}
uncache
before=$(hits idp /jwks)
watch
tool_bait su "$T/env.other"
rc=$?
unwatch
own="$BAIT/(tripwire.so|openssl.cnf|modules/|modules/tripwire.so|lib/) "
check "pam_jwt-tool verify from the bait environment: accepted with a key fetched now" \
	test $rc = 0 -a "$(($(hits idp /jwks) - before))" = 1
check "  ...SSLKEYLOGFILE was not created" test ! -e "$BAIT/keylog"
check "  ...the helper opened nothing under the bait (the tool's own loads aside)$(touched "$own" | tr '\n' ' ')" \
	bash -c "! grep -vqE '$own' '$T/events' 2>/dev/null"
check "  ...and did not load the tripwire (loaded by: $(cat "$MARKS"/* 2>/dev/null | tr '\n' ' '))" \
	test "$(marks_by pam_jwt-fetch)" = 0 -a "$(marks_by pam_jwt-tool)" -ge 1
rm -f "$MARKS"/*
uncache
tool_bait sysca "$T/env.test"
check "pam_jwt-tool verify, no ca_file, CA variables naming the test CA: refused" test $? = 1
check "  ...as a certificate problem ($(grep -o 'fetch failed: [^)]*' "$T/verify.err" | head -c 90))" \
	grep -q "fetch failed: SSL certificate problem" "$T/verify.err"
check "  ...and the helper did not load the tripwire" test "$(marks_by pam_jwt-fetch)" = 0
rm -f "$MARKS"/*

# find_helper: $hp, the pid of a running fetch helper (waits up to 5 s).
find_helper() {
	hp=""
	for _ in $(seq 250); do
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/exe" 2>/dev/null)" = "$HELPER" ] && hp=${p#/proc/} && return
		done
		sleep 0.02
	done
}

# ---- what the helper itself has: /proc while a slow server keeps it waiting ----
mode idp slow
echo 2500 >"$T/idp/delay"
uncache
su_bait su "$T/env.other" &
supid=$!
find_helper
kp="" hpgid="" kpgid="" hostexe=""
for f in h.environ h.fds h.fdtargets h.status h.cwd h.limits k.fds k.status; do : >"$T/$f"; done
if [ -n "$hp" ]; then
	tr '\0' '\n' <"/proc/$hp/environ" >"$T/h.environ"
	for f in "/proc/$hp/fd"/*; do readlink "$f"; done >"$T/h.fds"
	readlink "/proc/$hp/fd/0" "/proc/$hp/fd/1" "/proc/$hp/fd/2" | cut -c1-6 | tr '\n' ' ' \
		>"$T/h.fdtargets"
	grep -E '^(Uid|Gid|Groups|SigBlk|SigIgn|Umask):' "/proc/$hp/status" >"$T/h.status"
	readlink "/proc/$hp/cwd" >"$T/h.cwd"
	grep -E '^Max (core file size|file size|open files)' "/proc/$hp/limits" |
		awk '{ print $(NF-2) }' | tr '\n' ' ' >"$T/h.limits"
	kp=$(awk '/^PPid:/ { print $2 }' "/proc/$hp/status")
	ls "/proc/$kp/fd" 2>/dev/null | wc -l >"$T/k.fds"
	grep -E '^(Uid|Gid|Groups|SigBlk|SigIgn):' "/proc/$kp/status" >"$T/k.status"
	hpgid=$(awk '{ print $5 }' "/proc/$hp/stat") kpgid=$(awk '{ print $5 }' "/proc/$kp/stat")
	kparent=$(awk '/^PPid:/ { print $2 }' "/proc/$kp/status")
	hostexe=$(readlink "/proc/$kparent/exe")
fi
wait $supid
mode idp normal
check "a helper was caught while the server was slow (pid ${hp:-none})" test -n "$hp"
check "  ...its environment is ours, nothing else ($(tr '\n' ' ' <"$T/h.environ"))" \
	test "$(cat "$T/h.environ")" = "$(printf 'PATH=/usr/bin:/bin\nLANG=C\nLC_ALL=C')"
check "  ...it inherited no descriptor but 0-2 (the invoker's 5 and 7 are not there)" \
	bash -c "[ -s '$T/h.fds' ] && ! grep -q invoke.py '$T/h.fds'"
check "  ...stdin and stderr /dev/null, stdout a pipe ($(cat "$T/h.fdtargets"))" \
	test "$(cat "$T/h.fdtargets")" = "/dev/n pipe:[ /dev/n "
# The keeper is what spawn.c built: it blocks SIGCHLD and SIGTERM to wait
# for them (the kernel shows them unblocked while it waits in sigwaitinfo).
# The helper then ignores SIGPIPE and SIGXFSZ itself (src/fetchhelper/main.c).
kst=$(tr '\n\t' '| ' <"$T/k.status")
check "  ...its keeper (pid $kp): root all through, no supplementary group, no signal ignored" \
	test "${kst/SigBlk: 0000000000014000/SigBlk: 0000000000000000}" = \
	"Uid: 0 0 0 0|Gid: 0 0 0 0|Groups:  |SigBlk: 0000000000000000|SigIgn: 0000000000000000|"
check "  ...the helper too, umask 022, ignoring only SIGPIPE and SIGXFSZ (its own choice)" \
	test "$(tr '\n\t' '| ' <"$T/h.status")" = \
	"Umask: 0022|Uid: 0 0 0 0|Gid: 0 0 0 0|Groups:  |SigBlk: 0000000000000000|SigIgn: 0000000001001000|"
check "  ...working directory / ($(cat "$T/h.cwd"))" test "$(cat "$T/h.cwd")" = /
# Root without CAP_SYS_RESOURCE (a container's bounding set) cannot lift the
# user's limit; the helper then fails a large write cleanly (SIGXFSZ ignored).
fsize=unlimited
[ $((0x$(awk '/^CapBnd:/ { print $2 }' /proc/self/status) >> 24 & 1)) = 1 ] || fsize=1048576
check "  ...no core dumps, file size limit $fsize, 1024 descriptors ($(cat "$T/h.limits"))" \
	test "$(cat "$T/h.limits")" = "$fsize 0 1024 "
check "  ...its keeper holds no descriptor and is su's child ($hostexe)" \
	test "$(cat "$T/k.fds")" = 0 -a "$hostexe" = /usr/bin/su
check "  ...both in a process group of their own (keeper's pid)" test "$hpgid" = "$kp" -a "$kpgid" = "$kp"
check "  ...and the login still succeeded" grep -q user=pjtest "$T/out"

# ---- the host's signal handling: a PAM application counting its SIGCHLDs ----
mkdir -p "$T/pamd"
printf '%s\n' "$tok" >"$T/tok"
hostconf() { # NAME [key=value...]: a service NAME with a cache of its own
	local n=$1
	shift
	mkdir -m 755 -p "$T/cache-$n"
	printf '%s\n' "fetch_helper = $HELPER" "cache_dir = $T/cache-$n" "jwks_url = $URL" \
		"ca_file = $T/ca.pem" "algorithms = ES256" "issuer = https://idp.test" \
		"fetch_timeout = 2" "$@" >"$T/$n.conf"
	echo "auth required $MODULE conf=$T/$n.conf" >"$T/pamd/$n"
}
host() { # SERVICE count|ignore: the application's report in $T/host.out
	LD_PRELOAD=$LOGSHIM PJ_LOG_FILE=$LOG "$B/tests/pam_sigchld" "$T/pamd" "$1" pjtest \
		"$T/tok" "$2" >"$T/host.out" 2>&1
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" "$T/host.out"; }
hostconf fetch1
before=$(hits idp /jwks)
host fetch1 count
check "a login that fetches, SIGCHLD counted: accepted, no SIGCHLD, no child left, libcurl never mapped ($(tr "\n" " " <"$T/host.out"))" \
	test "$(field rc)" = 0 -a "$(field sigchld)" = 0 -a "$(field children)" = none -a \
	"$(field curl)" = no -a "$(($(hits idp /jwks) - before))" = 1
hostconf fetch2
host fetch2 ignore
check "  ...the same with SIGCHLD ignored ($(cat "$T/host.out"))" \
	test "$(field rc)" = 0 -a "$(field children)" = none
mode idp hang
hostconf hang
host hang count
el=$(field elapsed_ms)
check "a server that never answers (fetch_timeout 2 s): refused in ${el} ms, no SIGCHLD, no child left" \
	test "$(field rc)" != 0 -a "${el:-0}" -ge 1900 -a "${el:-9999}" -le 2800 -a \
	"$(field sigchld)" = 0 -a "$(field children)" = none
check "  ...the reason says so" log_has "no answer within"
# A helper that stops answering altogether (SIGSTOP: its own timeout never
# fires) is killed at fetch_timeout plus the grace of 500 ms.
hostconf stopped
host stopped count &
hostpid=$!
find_helper
[ -n "$hp" ] && kill -STOP "$hp"
wait $hostpid
el=$(field elapsed_ms)
check "a stopped helper is killed at fetch_timeout + 0.5 s: refused in ${el} ms, no SIGCHLD, no child left" \
	test -n "$hp" -a "$(field rc)" != 0 -a "${el:-0}" -ge 2400 -a "${el:-9999}" -le 3300 -a \
	"$(field sigchld)" = 0 -a "$(field children)" = none
check "  ...the reason says it was killed" log_has "did not finish in time: killed"
hstate=$(awk '/^State:/ { print $2 }' "/proc/${hp:-0}/status" 2>/dev/null)
check "  ...and the helper is gone, reaped by its keeper (state: ${hstate:-gone})" \
	test "${hstate:-gone}" = gone
mode idp normal
finish
