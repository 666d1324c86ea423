#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# tests/deps.sh PACKAGE...: installs the named Debian packages that are missing
# (as root), saying what happens: the plan first (the packages named, those
# they pull in, and installed ones apt upgrades on the way, libpam0g for one,
# when a -dev package needs the newer version), the download size, then
# progress (on a terminal one line, rewritten per package; in a log the first,
# every tenth and the last package of each step).
# apt's whole output goes to build/deps.log.  When another apt or dpkg holds
# dpkg's lock, it waits (up to PJ_DEPS_LOCK_WAIT seconds, 600 by default) and
# says so (a lock apt does not wait for itself: tried again every PJ_DEPS_RETRY
# seconds, 5).  Not root: names the missing packages and the command to install them.
set -u
cd "$(dirname "$0")/.."
missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
LOG=build/deps.log
mkdir -p build && : >"$LOG" || exit 1
WAIT=${PJ_DEPS_LOCK_WAIT:-600}
APT=(apt-get -q -o "DPkg::Lock::Timeout=$WAIT" -o APT::Color=0)
tty=0
[ -t 1 ] && tty=1
say() { echo "deps: $*"; }
fail() {
	[ $tty = 1 ] && printf '\n'
	echo "deps: $*; the last lines of $LOG:" >&2
	tail -n 8 "$LOG" | sed 's/^/deps:   /' >&2
	exit 1
}

# progress TOTAL: apt's output on stdin, progress lines on stdout.  On a
# terminal one line is rewritten per package; in a log, the first, every
# tenth and the last package of each step get a line.
progress() {
	local total=$1 got=0 unpacked=0 set=0 waits=0 line msg cols=80
	[ $tty = 1 ] && cols=$(tput cols 2>/dev/null || echo 80)
	few() { [ $tty = 1 ] || [ "$1" = 1 ] || [ $(($1 % 10)) = 0 ] || [ "$1" = "$total" ]; }
	while IFS= read -r line; do
		msg=""
		case $line in
		Get:*) got=$((got + 1)) && set -- $line &&
			if [ "$total" = 0 ]; then
				msg="fetching $3 $4"
			else
				few $got && msg="downloading [$got/$total] $5"
			fi ;;
		Unpacking\ *) unpacked=$((unpacked + 1)) && set -- $line &&
			few $unpacked && msg="unpacking   [$unpacked/$total] $2" ;;
		Setting\ up\ *) set=$((set + 1)) && set -- $line &&
			few $set && msg="setting up  [$set/$total] $3" ;;
		*"Waiting for cache lock"* | *"Could not get lock"*)
			# apt says it every second: every 15th is enough.
			waits=$((waits + 1)) && [ $((waits % 15)) = 1 ] &&
				msg="waiting for dpkg's lock: ${line#*: }" ;;
		E:*) msg="$line" ;;
		esac
		[ -n "$msg" ] || continue
		if [ $tty = 1 ]; then
			printf '\r\033[Kdeps: %s' "${msg:0:$((cols - 7))}"
		else
			echo "deps: $msg"
		fi
	done
	[ $tty = 1 ] && printf '\r\033[K'
	return 0
}

# apt_run TOTAL ARGS...: apt-get ARGS, logged, with progress; waits and tries
# again while another process holds a lock apt does not wait for itself (the
# package lists' lock during apt-get update).
apt_run() {
	local total=$1 rc start=$SECONDS
	shift
	while :; do
		echo "+ apt-get $*" >>"$LOG"
		"${APT[@]}" "$@" 2>&1 | tee -a "$LOG" | progress "$total"
		rc=${PIPESTATUS[0]}
		[ "$rc" = 0 ] && return 0
		tail -n 5 "$LOG" | grep -q "Could not get lock" || return "$rc"
		[ $((SECONDS - start)) -lt "$WAIT" ] || return "$rc"
		say "trying again in ${PJ_DEPS_RETRY:-5} s"
		sleep "${PJ_DEPS_RETRY:-5}"
	done
}

# plan: what apt would do, from a simulation ("Inst NAME [OLD] (NEW ...)").
plan() {
	apt-get -s -q --no-install-recommends install "${missing[@]}" >"$LOG.plan" 2>&1
}
lists_present() { ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; }
updated=0
update() {
	say "updating the package lists (apt-get update)"
	apt_run 0 update || fail "apt-get update failed"
	updated=1
}

say "missing Debian packages: ${missing[*]}"
lists_present || update
if ! plan; then
	[ $updated = 0 ] || fail "apt cannot install them"
	update
	plan || { cat "$LOG.plan" >>"$LOG"; fail "apt cannot install them"; }
fi
new=$(awk '$1 == "Inst" && $3 !~ /^\[/ {print $2}' "$LOG.plan")
upgrades=$(awk '$1 == "Inst" && $3 ~ /^\[/ {v = $4; sub(/^\(/, "", v);
	printf "%s %s -> %s\n", $2, substr($3, 2, length($3) - 2), v}' "$LOG.plan")
n_new=$(grep -c . <<<"$new")
n_up=$(grep -c . <<<"$upgrades")
n_dep=$((n_new - $(grep -cxF -f <(printf '%s\n' "${missing[@]}") <<<"$new")))
bytes=$(apt-get -qq --print-uris --no-install-recommends install "${missing[@]}" 2>/dev/null |
	awk '{s += $3} END {print s + 0}')
cat "$LOG.plan" >>"$LOG" && rm -f "$LOG.plan"
say "apt-get installs $n_new packages ($n_dep of them pulled in by the ones named)," \
	"upgrades $n_up, downloads $((bytes / 1000000)) MB; log: $LOG"
[ "$n_up" = 0 ] || sed 's/^/deps: upgrading /' <<<"$upgrades"
start=$SECONDS
apt_run $((n_new + n_up)) install -y --no-install-recommends "${missing[@]}" ||
	{
		# Lists older than the archive (404): once more after an update.
		[ $updated = 0 ] && grep -q "Failed to fetch" "$LOG" &&
			update && apt_run $((n_new + n_up)) install -y --no-install-recommends "${missing[@]}"
	} || fail "apt-get install failed"
say "done in $((SECONDS - start)) s"
