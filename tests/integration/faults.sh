#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Faults through the real module (pamtester + pam_wrapper): files that cannot
# be read, files with the wrong owner or mode, a revocation list replaced,
# appended to, compacted and its writers killed while logins run, a full
# filesystem under the revocation list and the one-time record, and 1,000
# concurrent revocations on a list of a million.  Every case must fail closed
# and lose no revocation.  Not repeated here (tests/integration/revocation.sh
# has them): kill -9 of a lone writer at random points and between write and
# rename, ENOSPC before the rename and in the middle of a record, a
# group-writable revocation file; tests/integration/pamtester.sh: a
# group-writable configuration, a missing key file.
. "$(dirname "$0")/../lib.sh"
# Logins as nobody below: the module and the log shim from a copy it can read.
share_build || { notok "copy the build where nobody can read it"; finish; exit 1; }

es256_setup
good=$(sign --sub alice --claim jti=good-1)
bad=$(sign --sub alice --claim jti=revoked-1)
tool revoke --jti revoked-1 >/dev/null
pam_run jwt alice "$good"
check "baseline: the good token is accepted" test $? = 0
pam_run jwt alice "$bad"
check "baseline: the revoked token is refused" test $? != 0

# svc NAME ARGS: a service for the module with these arguments.
svc() { local n=$1; shift; service "$n" "auth required $MODULE $*"; }
# refused DESCRIPTION SERVICE LOGTEXT: the good token is refused, and why.
refused() {
	pam_run "$2" alice "$good"
	local rc=$?
	check "$1: refused" test $rc != 0
	check "$1: the log says \"$3\"" log_has "$3"
}

# ---- a file that cannot be read ----
# root reads any file whatever its mode, so "unreadable" needs other means:
# /proc/self/mem is a root-owned 0600 regular file whose first page is never
# mapped (read fails with EIO); a write-only sysfs attribute (mode 0200, such
# as /sys/bus/pci/rescan) cannot be opened for reading even by root (EACCES,
# and opening it to read triggers nothing); and a non-root PAM application (a
# screen locker) meets a 0600 root-owned file for real (below, as nobody).
svc mem "conf=$T/pam_jwt.conf key_file=/proc/self/mem"
refused "key_file is unreadable even for root (/proc/self/mem, EIO)" mem \
	"cannot read /proc/self/mem: Input/output error"
svc memjwks "conf=$T/pam_jwt.conf jwks_file=/proc/self/mem key_file=$T/es.pub"
pam_run memjwks alice "$good"
check "an unreadable jwks_file after a key_file that verifies: accepted (never read)" \
	test $? = 0
grep -v key_file "$T/pam_jwt.conf" >"$T/nokey.conf"
svc memjwks2 "conf=$T/nokey.conf jwks_file=/proc/self/mem"
refused "an unreadable jwks_file" memjwks2 "jwks_file: cannot read /proc/self/mem"
wo=$(find /sys/bus /sys/class -maxdepth 2 -type f -perm 0200 2>/dev/null | head -n 1)
if [ -n "$wo" ] && ! head -c1 "$wo" >/dev/null 2>&1; then
	svc wokey "conf=$T/pam_jwt.conf key_file=$wo"
	refused "key_file root cannot open ($wo, EACCES)" wokey "cannot open $wo: Permission denied"
	svc worev "conf=$T/pam_jwt.conf revocation_file=$wo"
	refused "revocation_file root cannot open ($wo): refused, not taken as empty" worev \
		"$wo: Permission denied"
else
	skip "files root cannot open" "no write-only sysfs attribute here"
fi
mkfifo "$T/fifo"
svc fifo "conf=$T/pam_jwt.conf key_file=$T/fifo"
s=$SECONDS
refused "a FIFO as key file (nobody writes to it)" fifo "is not a regular file"
check "a FIFO as key file does not hang the login ($((SECONDS - s)) s)" test $((SECONDS - s)) -lt 5
mkdir "$T/keydir"
svc dir "conf=$T/pam_jwt.conf key_file=$T/keydir"
refused "a directory as key file" dir "is not a regular file"
svc fiforev "conf=$T/pam_jwt.conf revocation_file=$T/fifo"
refused "a FIFO as revocation file" fiforev "is not a regular file"

if command -v setpriv >/dev/null; then
	# The same login in a process running as nobody.
	nobody_run() { # SERVICE TOKEN
		: >"$T/nobody.log" && chmod 666 "$T/nobody.log"
		printf '%s\n' "$2" | setpriv --reuid=65534 --regid=65534 --clear-groups env \
			LD_PRELOAD="${PJ_PRELOAD:+$PJ_PRELOAD }libpam_wrapper.so $LOGSHIM" \
			PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
			PJ_LOG_FILE="$T/nobody.log" pamtester "$1" alice authenticate \
			>/dev/null 2>&1
	}
	nobody_run jwt "$good"
	check "as nobody: the good token is accepted (all files 0644)" test $? = 0
	cp "$T/es.pub" "$T/es600.pub" && chmod 600 "$T/es600.pub"
	svc k600 "conf=$T/pam_jwt.conf key_file=$T/es600.pub"
	nobody_run k600 "$good"
	check "as nobody: a 0600 root key file is refused" test $? != 0
	check "as nobody: ... because it cannot be opened" \
		grep -q "cannot open $T/es600.pub: Permission denied" "$T/nobody.log"
	cp "$REV" "$T/rev600" && chmod 600 "$T/rev600"
	svc r600 "conf=$T/pam_jwt.conf revocation_file=$T/rev600"
	nobody_run r600 "$good"
	check "as nobody: a revocation file it cannot read refuses" test $? != 0
	check "as nobody: ... saying so" grep -q "$T/rev600: Permission denied" "$T/nobody.log"
else
	skip "logins as nobody" "no setpriv"
fi

# ---- the wrong owner or mode ----
owned() { # FILE UID MODE: a copy of FILE owned by UID with MODE, named FILE.UID.MODE
	local f=$1.$2.$3
	cp "$1" "$f" && chown "$2" "$f" && chmod "$3" "$f" && echo "$f"
}
conf=$(owned "$T/pam_jwt.conf" 65534 644)
svc cown "conf=$conf"
refused "a configuration owned by another user" cown "is owned by uid 65534, not root"
conf=$(owned "$T/pam_jwt.conf" 0 646)
svc cww "conf=$conf"
refused "a world-writable configuration" cww "writable by group or others"
key=$(owned "$T/es.pub" 65534 644)
svc kown "conf=$T/pam_jwt.conf key_file=$key"
refused "a key file owned by another user" kown "is owned by uid 65534, not root"
key=$(owned "$T/es.pub" 0 664)
svc kgw "conf=$T/pam_jwt.conf key_file=$key"
refused "a group-writable key file" kgw "writable by group or others"
ln -s "$(owned "$T/es.pub" 65534 600)" "$T/es.link"
svc klink "conf=$T/pam_jwt.conf key_file=$T/es.link"
refused "a root-owned symlink to a key file owned by another user" klink "owned by uid 65534"
# A JWKS with an HMAC secret must be private; the owner rule holds for any.
printf '{"keys":[{"kty":"oct","kid":"h","k":"%s"}]}\n' "$(head -c 32 /dev/urandom |
	base64 -w0 | tr '+/' '-_' | tr -d '=')" >"$T/oct.jwks"
chmod 600 "$T/oct.jwks"
hs=$("$TOOL" sign --key "$T/oct.jwks" --alg HS256 --iss https://idp.test --sub alice)
svc oct "conf=$T/nokey.conf jwks_file=$T/oct.jwks algorithms=HS256"
pam_run oct alice "$hs"
check "an HS256 token with a private (0600) JWKS is accepted" test $? = 0
chmod 644 "$T/oct.jwks"
pam_run oct alice "$hs"
check "the same JWKS readable by others: refused" test $? != 0
check "... because it holds a secret" log_has "holds secret keys but is readable by group"
# So must one holding the private half of a key pair (here the very key that
# signs the tokens, exported with its "d").
/usr/bin/python3 -c 'import sys; from jwcrypto import jwk
print("{\"keys\":[%s]}" % jwk.JWK.from_pem(open(sys.argv[1], "rb").read()).export_private())' \
	"$T/es.key" >"$T/priv.jwks"
chmod 644 "$T/priv.jwks"
svc priv "conf=$T/nokey.conf jwks_file=$T/priv.jwks"
refused "a jwks_file with an EC private key (\"d\") readable by others" priv \
	"holds secret keys but is readable by group or others (mode 0644): 'd' of key #0"
chmod 600 "$T/priv.jwks"
pam_run priv alice "$good"
check "the same jwks_file private to root (0600): accepted with its public half" test $? = 0
jwks=$(owned "$T/oct.jwks" 65534 600)
svc jown "conf=$T/nokey.conf jwks_file=$jwks algorithms=HS256"
pam_run jown alice "$hs"
check "a JWKS owned by another user: refused" test $? != 0
check "... saying so" log_has "owned by uid 65534"
rev=$(owned "$REV" 65534 644)
svc rown "conf=$T/pam_jwt.conf revocation_file=$rev"
refused "a revocation file owned by another user" rown "owned by uid 65534"
# FILE.index of an earlier version means nothing now, whoever owns it and
# whatever it says; the next compaction removes it.
printf 'pam_jwt-index 1 0 0 0 0 0 0 0 0 0\n' >"$REV.index"
chown 65534 "$REV.index" && chmod 666 "$REV.index"
pam_run jwt alice "$bad"
check "a foreign-owned, world-writable index of an earlier version: revoked still refused" \
	test $? != 0
check "... as revoked" log_has "token revoked-1 is revoked"
pam_run jwt alice "$good"
check "... and the good token still accepted" test $? = 0
tool compact >/dev/null
check "... and the next compaction removes it" test ! -e "$REV.index"
# The lock is its owner's alone: no other user can hold writers off.
check "the lock file is mode 0600" test "$(stat -c %a "$REV.lock")" = 600

# ---- the directories above the files (OpenSSH's StrictModes) ----
# Whoever can write a directory on the way can swap what lies below it: every
# directory above the configuration, key, revocation and allowlist files must
# be root's and closed to group and others, unless root's and sticky (/tmp).
placed() { # DIR MODE OWNER FILE: a copy of FILE in $T/DIR (made MODE, OWNER)
	mkdir -p "$T/$1/in" && cp "$4" "$T/$1/in/" && chmod "$2" "$T/$1" && chown "$3" "$T/$1" &&
		echo "$T/$1/in/$(basename "$4")"
}
conf=$(placed gwdir 0775 0 "$T/pam_jwt.conf")
svc cgwd "conf=$conf"
refused "a configuration under a group-writable directory" cgwd \
	"$conf: directory $T/gwdir is writable by group or others (mode 0775)"
key=$(placed userdir 0755 65534 "$T/es.pub")
svc kud "conf=$T/pam_jwt.conf key_file=$key"
refused "a key file under a directory another user owns" kud \
	"$key: directory $T/userdir is owned by uid 65534, not root"
rev=$(placed wwdir 0777 0 "$REV")
svc rwwd "conf=$T/pam_jwt.conf revocation_file=$rev"
refused "a revocation file under a world-writable (not sticky) directory" rwwd \
	"$rev: directory $T/wwdir is writable by group or others (mode 0777)"
rev=$(placed stickydir 01777 0 "$REV")
svc rsticky "conf=$T/pam_jwt.conf revocation_file=$rev"
pam_run rsticky alice "$good"
check "a revocation file under a root-owned sticky directory (as /tmp): accepted" test $? = 0
: >"$T/allow" && chmod 644 "$T/allow"
allow=$(placed allowdir 0770 0 "$T/allow")
svc awd "conf=$T/pam_jwt.conf allowlist_file=$allow"
refused "an allowlist under a group-writable directory" awd "directory $T/allowdir is writable"
mkdir -m 0775 "$T/usedir"
svc owd "conf=$T/pam_jwt.conf one_time=yes one_time_file=$T/usedir/used"
refused "a one-time record under a group-writable directory" owd \
	"directory $T/usedir is writable by group or others"
# Symlinks: followed, and what they point to judged by the same rules.
mkdir -m 0777 "$T/untrusted" && cp "$T/es.pub" "$T/untrusted/es.pub"
ln -s "$T/untrusted/es.pub" "$T/to-untrusted.pub"
svc klu "conf=$T/pam_jwt.conf key_file=$T/to-untrusted.pub"
refused "a root-owned symlink to a key file in a world-writable directory" klu \
	"directory $T/untrusted is writable by group or others"
ln -s "$T/es.pub" "$T/untrusted/link.pub"
svc kin "conf=$T/pam_jwt.conf key_file=$T/untrusted/link.pub"
refused "a symlink inside a world-writable directory (to a good key file)" kin \
	"directory $T/untrusted is writable by group or others"
ln -s untrusted "$T/untrusted.d"
svc kdl "conf=$T/pam_jwt.conf key_file=$T/untrusted.d/es.pub"
refused "a symlinked directory that leads into a world-writable one" kdl \
	"directory $T/untrusted is writable by group or others"
mkdir -m 0755 "$T/trusted" && cp "$T/es.pub" "$T/trusted/" && ln -s trusted "$T/trusted.d"
svc kok "conf=$T/pam_jwt.conf key_file=$T/trusted.d/es.pub"
pam_run kok alice "$good"
check "a symlinked directory that stays in trusted ones: accepted" test $? = 0

# ---- the invoking user's file size limit (su and sudo keep it) ----
# A write past RLIMIT_FSIZE raises SIGXFSZ, which kills the host process: the
# module must refuse before writing (here a one-time record of 1.4 kB under a
# 1 kB limit), leave the record as it was and no temporary file behind.
used=$T/used-fsize
(umask 022 && for i in $(seq 1 60); do echo "jti old-$i 2000000000"; done >"$used")
cp "$used" "$T/used-fsize.before"
svc fsize "conf=$T/pam_jwt.conf one_time=yes one_time_file=$used"
(
	LOG=$T/fsize.log
	ulimit -f 1
	pam_run fsize alice "$(sign --sub alice --claim jti=fsize-1)"
	echo "rc=$?" >"$T/fsize.rc"
)
check "ulimit -f 1 and a one-time record to write: the host is not killed (SIGXFSZ)" \
	grep -qx "rc=1" "$T/fsize.rc"
check "... the login is refused, saying why" \
	grep -qE "over the file size limit \(RLIMIT_FSIZE, ulimit -f\)|the file size limit, ulimit -f, is too small" \
		"$T/fsize.log"
check "... the record is unchanged and no temporary file is left" \
	bash -c "cmp -s '$used' '$T/used-fsize.before' && ! ls '$used'.tmp.* 2>/dev/null"

# ---- the revocation list replaced, and writers killed, while logins run ----
# A writer changes the list over and over: tool revokes (a record appended),
# lines appended by hand, the whole list replaced with mv by a store built
# elsewhere, compactions (a new base renamed in), and big revokes (a new base)
# killed with SIGKILL at random points.  Meanwhile logins alternate between the
# good and the revoked token; every one must come out right.
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "bulk-%d 2000000000\n", i }' >"$T/bulk"
printf 'revocation_file = %s\n' "$T/rev.hand" >"$T/hand.conf"
writer() {
	local i=0
	: >"$T/revoked.ok"
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		case $((i % 6)) in
		0) tool compact >/dev/null 2>&1 ;;
		1 | 4) tool revoke --jti "w-$i" >/dev/null 2>&1 && echo "w-$i" >>"$T/revoked.ok" ;;
		2) echo "jti h-$i" >>"$REV" && echo "h-$i" >>"$T/revoked.ok" ;;
		5) rm -f "$T/rev.hand" && tool export >"$T/rev.txt" && echo "jti m-$i" >>"$T/rev.txt" &&
			"$TOOL" --config "$T/hand.conf" import "$T/rev.txt" >/dev/null &&
			mv "$T/rev.hand" "$REV" && echo "m-$i" >>"$T/revoked.ok" ;;
		3) sed "s/^/k$i-/" "$T/bulk" >"$T/bulk.$i"
			tool revoke --jti-file "$T/bulk.$i" >/dev/null 2>&1 &
			local p=$!
			sleep "0.0$((RANDOM % 10))"
			kill -9 $p 2>/dev/null && echo "$i" >>"$T/killed"
			wait $p 2>/dev/null && echo "k$i-bulk-0" >>"$T/revoked.ok"
			rm -f "$T/bulk.$i" ;;
		esac
	done
}
: >"$T/killed"
writer &
wpid=$!
wrong=0 logins=0
for i in $(seq 1 40); do
	pam_run jwt alice "$good" || { wrong=$((wrong + 1)); echo "# good refused: $(last_log)"; }
	pam_run jwt alice "$bad" && { wrong=$((wrong + 1)); echo "# revoked accepted!"; }
	log_has "token revoked-1 is revoked" || { wrong=$((wrong + 1)); echo "# $(last_log)"; }
	logins=$((logins + 2))
done
touch "$T/stop"
wait $wpid
kills=$(wc -l <"$T/killed")
writes=$(wc -l <"$T/revoked.ok")
echo "# $logins logins during $writes completed replacements and $kills writers killed"
check "$logins logins while the file was replaced: every one right ($wrong wrong)" test $wrong = 0
check "writers were killed during the logins ($kills)" test "$kills" -gt 0
tool check >/dev/null 2>&1
check "after the storm the list passes check" test $? = 0
tool list >"$T/after.txt"
lost=0
while read -r id; do grep -q "^jti $id\( \|$\)" "$T/after.txt" || lost=$((lost + 1)); done \
	<"$T/revoked.ok"
check "no completed revocation was lost ($writes checked, $lost missing)" test $lost = 0
check "revoked-1 is still listed" grep -q "^jti revoked-1$" "$T/after.txt"

# ---- 1,000 concurrent revocations on a list of a million ----
awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "m-%07d-%08x 2000000000\n", i, i * 2654435761 % 4294967296 }' \
	>"$T/million"
printf 'key_file = %s\nrevocation_file = %s\n' "$T/es.pub" "$T/rev.m" >"$T/m.conf"
"$TOOL" --config "$T/m.conf" revoke --jti-file "$T/million" >/dev/null
s=$SECONDS
pids=""
for i in $(seq 1 1000); do
	"$TOOL" --config "$T/m.conf" revoke --jti "c-$i" >/dev/null 2>"$T/c.err.$i" &
	pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
echo "# 1,000 concurrent revokes on a 1M list: $((SECONDS - s)) s, $fails failed"
check "1,000 concurrent revokes on a 1M list all succeed ($fails failed)" test $fails = 0
"$TOOL" --config "$T/m.conf" list >"$T/m.list"
check "... and lose none" test "$(grep -cE '^jti c-[0-9]+$' "$T/m.list")" = 1000
check "... and lose none of the million" test "$(grep -c '^jti m-' "$T/m.list")" = 1000000
"$TOOL" --config "$T/m.conf" check >/dev/null
check "... and the list passes check" test $? = 0
rm -f "$T/million" "$T/m.list" "$T"/c.err.*

# ---- a full filesystem ----
if unshare --mount true 2>/dev/null; then
	mkdir "$T/full"
	cat >"$T/full.conf" <<CONF
key_file = $T/es.pub
algorithms = ES256
issuer = https://idp.test
revocation_file = $T/full/rev
one_time_file = $T/full/used
CONF
	service full "auth required $MODULE conf=$T/full.conf"
	service once "auth required $MODULE conf=$T/full.conf one_time=yes"
	export -f pam_run service sign tool last_log log_has
	export T TOOL MODULE LOGSHIM LOG good bad
	unshare --mount bash -s >"$T/full.out" 2>&1 <<'SH'
set -u
mount -t tmpfs -o size=256k tmpfs "$T/full" || { echo "SKIP mount"; exit 0; }
ftool() { "$TOOL" --config "$T/full.conf" "$@"; }
ftool revoke --jti revoked-1 >/dev/null || echo "FAIL seed"
seq -f "pad-%06g 2000000000" 1 300 >"$T/pad" && ftool revoke --jti-file "$T/pad" >/dev/null
# The store's last block 8 bytes short of full, no block left: a revoke's
# record is cut after 8 bytes.
pad=$((4096 - 8 - $(stat -c %s "$T/full/rev") % 4096 - 1))
printf '#%*s\n' "$pad" "" | tr ' ' x >>"$T/full/rev"
dd if=/dev/zero of="$T/full/filler" bs=4096 count=1000 2>/dev/null
echo "avail when full: $(stat -f -c %a "$T/full") blocks"
ftool revoke --jti revoked-2 2>"$T/rec.err"
echo "rc=$?"
cat "$T/rec.err"
ftool list | grep -q "^jti revoked-2" && echo "REV2 LISTED"
pam_run full alice "$("$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test \
	--sub alice --claim jti=revoked-2)"
echo "login revoked-2 rc=$? $(last_log)"
cp "$T/full/rev" "$T/full.copy"
ftool revoke --jti-file "$T/pad" >/dev/null 2>&1
echo "revoke3 rc=$?"
cmp -s "$T/full/rev" "$T/full.copy" && echo "INTACT"
ftool check >/dev/null 2>&1 && echo "CHECKED"
pam_run full alice "$good"
echo "login good rc=$?"
pam_run full alice "$bad"
echo "login revoked-1 rc=$? $(last_log)"
once=$("$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test --sub alice)
pam_run once alice "$once"
echo "login one-time rc=$? $(last_log)"
SH
	sed 's/^/# /' "$T/full.out"
	if grep -q "SKIP mount" "$T/full.out"; then
		skip "a full filesystem" "cannot mount tmpfs"
	else
		check "full fs, a record cut short: the tool reports failure" \
			grep -qx "rc=1" "$T/full.out"
		check "... saying the change was not made" \
			grep -q "No space left on device (the change was not made)" "$T/full.out"
		check "... and the cut record counts for nothing" \
			bash -c "! grep -qx 'REV2 LISTED' '$T/full.out' &&
				grep -q 'login revoked-2 rc=0' '$T/full.out'"
		check "full fs: a batch (a new base) fails" grep -qx "revoke3 rc=1" "$T/full.out"
		check "full fs: ... the file is byte-identical and passes check" \
			bash -c "grep -qx INTACT '$T/full.out' && grep -qx CHECKED '$T/full.out'"
		check "full fs: a good login is still accepted" \
			grep -qx "login good rc=0" "$T/full.out"
		check "full fs: a revoked token is still refused" \
			grep -q "login revoked-1 rc=[1-9].*token revoked-1 is revoked" "$T/full.out"
		check "full fs: a one-time token whose use cannot be recorded is refused" \
			grep -q "login one-time rc=[1-9].*No space left on device" "$T/full.out"
	fi
else
	skip "a full filesystem" "unshare --mount is not available"
fi
finish
