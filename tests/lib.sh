# SPDX-License-Identifier: BSD-3-Clause
# Shared shell helpers for the integration tests: a private temp dir, keys,
# PAM service files run through pam_wrapper + pamtester, a captured syslog,
# and TAP output ("ok N - ...", "not ok N - ...").
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# PJ_BUILD runs the same tests against another build (tests/integration/
# sanitizers.sh: build/san); PJ_PRELOAD goes first in LD_PRELOAD (its libasan).
B=${PJ_BUILD:-$ROOT/build}
TOOL=$B/pam_jwt-tool
MODULE=$B/pam_jwt.so
LOGSHIM=$B/tests/logshim.so
ASKPASS=$B/pam_jwt-askpass
FETCH=$B/pam_jwt-fetch
# The test's own directory, world-readable: other users (nobody, test users)
# read files in it.  TMPDIR points inside it, so whatever the programs a test
# runs put in a temporary file (lintian, dpkg-buildpackage, python) goes when
# the test ends.  (tests/run-tests.sh checks that nothing is left in /tmp.)
T=$(mktemp -d /tmp/pam_jwt-test.XXXXXX)
chmod 755 "$T"
trap 'rm -rf --one-file-system "$T"' EXIT
mkdir -p "$T/svc" && mkdir -m 1777 "$T/tmp"
export TMPDIR=$T/tmp
echo "auth required pam_deny.so" >"$T/svc/other"
LOG=$T/syslog
_n=0 _failed=0

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
notok() { _n=$((_n + 1)) _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
finish() { echo "1..$_n"; [ "$_failed" = 0 ]; }

# gen_key ALG NAME: $T/NAME.key (private, 0600) and $T/NAME.pub (public PEM).
gen_key() {
	local alg=$1 name=$2 opts
	case $alg in
	ES256) opts="-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ;;
	ES384) opts="-algorithm EC -pkeyopt ec_paramgen_curve:P-384" ;;
	ES512) opts="-algorithm EC -pkeyopt ec_paramgen_curve:P-521" ;;
	RS* | PS*) opts="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ;;
	EdDSA) opts="-algorithm ED25519" ;;
	*) echo "gen_key: no $alg" >&2; return 1 ;;
	esac
	(umask 077 && openssl genpkey $opts -out "$T/$name.key" 2>/dev/null) &&
		openssl pkey -in "$T/$name.key" -pubout -out "$T/$name.pub" 2>/dev/null &&
		chmod 644 "$T/$name.pub"
}

# service NAME LINE...: a PAM service file for pam_wrapper.
service() { local n=$1; shift; printf '%s\n' "$@" >"$T/svc/$n"; }

# pam_run SERVICE USER INPUT [OPERATION...]: pamtester with INPUT on stdin;
# the module's syslog lines are appended to $LOG.  Returns pamtester's status.
pam_run() {
	local svc=$1 user=$2 input=$3
	shift 3
	[ $# -gt 0 ] || set -- authenticate
	printf '%s\n' "$input" |
		LD_PRELOAD="${PJ_PRELOAD:+$PJ_PRELOAD }libpam_wrapper.so $LOGSHIM" PAM_WRAPPER=1 \
		PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" PJ_LOG_FILE="$LOG" \
		pamtester "$svc" "$user" "$@" >"$T/pamtester.out" 2>&1
}

# last_log: the module's last log line.
last_log() { tail -n 1 "$LOG" 2>/dev/null; }
log_has() { last_log | grep -qF -- "$1"; }

# es256_setup: the common fixture of the integration tests: an ES256 key
# ($T/es.key, .pub), $T/pam_jwt.conf trusting it for issuer
# https://idp.test with an empty revocation list $REV, a "jwt" service, and
# tool / sign helpers.  Exits the test when the key cannot be made.
es256_setup() {
	gen_key ES256 es || { notok "generate keys"; finish; exit 1; }
	REV=$T/rev
	cat >"$T/pam_jwt.conf" <<CONF
key_file = $T/es.pub
algorithms = ES256
issuer = https://idp.test
revocation_file = $REV
CONF
	(umask 022 && : >"$REV")
	service jwt "auth required $MODULE conf=$T/pam_jwt.conf"
}
tool() { "$TOOL" --config "$T/pam_jwt.conf" "$@"; }
sign() { "$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test "$@"; }

# guid_groups N: a JSON array of "wheel" and N made-up group object IDs
# (GUIDs, as Entra ID lists groups), to make tokens as long as real ones.
guid_groups() {
	/usr/bin/python3 -c 'import json, sys, uuid
n = int(sys.argv[1])
print(json.dumps(["wheel"] + [str(uuid.UUID(int=(i * 0x9E3779B97F4A7C15F39CC0605CEDC835)
	% 2**128)) for i in range(1, n + 1)], separators=(",", ":")))' "$1"
}

# parts_of TOKEN MAX: the token's parts for answers of at most MAX bytes, one
# a line, as pam_jwt-askpass --parts prints them for a person to paste.
parts_of() { printf '%s\n' "$1" | "$B/pam_jwt-askpass" --parts "$2"; }

# no_leak LOG FILE: succeeds when no line of FILE (tokens, parts) reaches LOG,
# whole or as any 16-character piece of what follows its last ':' (a part's
# chunk, or a whole token); prints what leaked.
no_leak() {
	/usr/bin/python3 -c 'import sys
log = open(sys.argv[1], "rb").read()
bad = 0
for n, s in enumerate(open(sys.argv[2], "rb").read().split(b"\n"), 1):
    chunk = s.rsplit(b":", 1)[-1]
    for i in range(0, max(len(chunk) - 15, 0), 8):
        if chunk[i:i + 16] in log:
            print("# line %d of %s reached the log (at byte %d)" % (n, sys.argv[2], i))
            bad = 1
            break
sys.exit(bad)' "$1" "$2"
}

# share_build: for tests that run the module, the tool or askpass as another
# user (nobody, a test user): that user may not enter the checkout (root's
# home is 0700 on Debian, and a clone often sits there), so the files they
# load or run are copied into $T/build (world-readable) and MODULE, TOOL,
# ASKPASS, FETCH and LOGSHIM name the copies.  Call it before writing service files.
share_build() {
	local f
	mkdir -m 0755 "$T/build" || return 1
	for f in "$MODULE" "$TOOL" "$ASKPASS" "$FETCH" "$LOGSHIM"; do
		[ -e "$f" ] || continue
		cp "$f" "$T/build/" && chmod 0755 "$T/build/${f##*/}" || return 1
	done
	MODULE=$T/build/${MODULE##*/} TOOL=$T/build/${TOOL##*/}
	ASKPASS=$T/build/${ASKPASS##*/} FETCH=$T/build/${FETCH##*/} LOGSHIM=$T/build/${LOGSHIM##*/}
}

# dpkg_wait COMMAND...: a dpkg or apt-get command that waits while another
# process (an unattended upgrade, another test run) holds dpkg's lock, up to
# 10 minutes, instead of failing.  Output as the command's.
dpkg_wait() {
	local out=$T/dpkg_wait.out rc start=$SECONDS
	while :; do
		"$@" >"$out" 2>&1
		rc=$?
		cat "$out"
		[ $rc != 0 ] && grep -qE "locked by another process|Could not get lock" "$out" &&
			[ $((SECONDS - start)) -lt 600 ] || return $rc
		echo "# $1: dpkg's lock is held by another process; waiting" >&2
		sleep 3
	done
}

# pwrap_cleanup PID: removes the /tmp/pam.X directories pam_wrapper made for
# process PID, which has ended.  pam_wrapper removes its directory at exit,
# but not in a process that execs after loading it, nor in one valgrind runs
# that exits with a failure.  (libpam-wrapper 1.1.4 always uses /tmp/pam.X;
# PAM_WRAPPER_RUNTIME_DIR is what it sets for its modules, not read.)
pwrap_cleanup() {
	local d
	for d in /tmp/pam.?; do
		[ -f "$d/pid" ] && [ "$(cat "$d/pid" 2>/dev/null)" = "$1" ] && rm -rf "$d"
	done
	return 0
}
