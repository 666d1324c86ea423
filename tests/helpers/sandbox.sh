# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the real-login tests (tests/integration/sshd.sh, sudo_su.sh).
# They run sshd, sudo and su for real, as root, in a private mount namespace
# (unshare --mount) where /etc/passwd, group, shadow, /etc/pam.d, /etc/sudoers,
# /run and /var/log are the test's own copies or empty tmpfs: test users, PAM
# services, utmp/wtmp/lastlog records and sudo's timestamps exist only there.
# Nothing of the machine's configuration is changed, so there is nothing to
# restore, even when a test is killed.

# sandbox_reexec "$@": call first (before lib.sh): skips without root or
# unshare, else runs the script again inside its own mount namespace.
sandbox_reexec() {
	[ -n "${PJ_SANDBOX:-}" ] && return 0
	local why=""
	[ "$(id -u)" = 0 ] || why="needs root"
	[ -z "$why" ] && ! unshare --mount true 2>/dev/null && why="unshare --mount fails here"
	if [ -n "$why" ]; then
		echo "ok 1 - $(basename "$0") # SKIP $why"
		echo "1..1"
		exit 0
	fi
	exec unshare --mount --propagation private env PJ_SANDBOX=1 "$BASH" "$0" "$@"
}

# sandbox_setup: the private copies, mounted over the machine's files (in this
# namespace only).
sandbox_setup() {
	mkdir -p "$T/etc" "$T/home"
	cp -a /etc/passwd /etc/group /etc/shadow /etc/pam.d "$T/etc/" || return 1
	local f
	for f in passwd group shadow pam.d; do
		mount --bind "$T/etc/$f" "/etc/$f" || return 1
	done
	mount -t tmpfs -o mode=0755 pj-run /run && mkdir -m 0755 /run/sshd &&
		mount -t tmpfs -o mode=0755 pj-log /var/log || return 1
	[ -d /var/lib/sudo ] && { mount -t tmpfs -o mode=0711 pj-sudo /var/lib/sudo || return 1; }
	return 0
}

# sandbox_user NAME [PASSWORD]: a user (and group) that exists only in the
# namespace's copies, with a home under $T; "!" (no password) by default.
sandbox_user() {
	local name=$1 hash='!' id=61000
	[ -n "${2:-}" ] && hash=$(openssl passwd -6 "$2")
	while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do
		id=$((id + 1))
	done
	echo "$name:x:$id:$id:pam_jwt test:$T/home/$name:/bin/sh" >>/etc/passwd
	echo "$name:x:$id:" >>/etc/group
	echo "$name:$hash:19000:0:99999:7:::" >>/etc/shadow
	install -d -m 0700 -o "$id" -g "$id" "$T/home/$name"
}

# sandbox_pam SERVICE FILE CONF: installs an example PAM file from conf/pam.d
# as /etc/pam.d/SERVICE (the namespace's), with the module's absolute path
# and the test's configuration file in place of the examples'.
sandbox_pam() {
	sed -e "s#pam_jwt\\.so conf=/etc/security/[^ ]*#$MODULE conf=$3#" "$2" \
		>"/etc/pam.d/$1"
}

# sandbox_syslog FILE: what programs send to syslog, setuid ones included
# (sudo, su: LD_PRELOAD cannot reach them), is appended to FILE.  A tmpfs goes
# over /dev (the namespace's: the host's /dev is untouched) with fresh device
# nodes, a new devpts instance and a listener on /dev/log.  Nothing of the
# host's /dev is bound anywhere, least of all under $T: the clean-up (rm -rf
# "$T", inside the namespace) must never reach it.
sandbox_syslog() {
	mount -t tmpfs -o mode=0755,size=1m pj-dev /dev &&
		mknod -m 0666 /dev/null c 1 3 && mknod -m 0666 /dev/zero c 1 5 &&
		mknod -m 0666 /dev/full c 1 7 && mknod -m 0666 /dev/random c 1 8 &&
		mknod -m 0666 /dev/urandom c 1 9 && mknod -m 0666 /dev/tty c 5 0 &&
		mkdir /dev/pts /dev/shm &&
		mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 pj-pts /dev/pts &&
		ln -s pts/ptmx /dev/ptmx && mount -t tmpfs -o mode=1777 pj-shm /dev/shm &&
		ln -s /proc/self/fd /dev/fd && ln -s fd/0 /dev/stdin && ln -s fd/1 /dev/stdout &&
		ln -s fd/2 /dev/stderr || return 1
	/usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "ab", buffering=0)
open(sys.argv[1] + ".ready", "w").close()
while True:
    out.write(s.recv(65536) + b"\n")
' "$1" &
	SYSLOG_PID=$! SYSLOG_FILE=$1
	local i
	for i in $(seq 100); do
		[ -e "$1.ready" ] && return 0
		sleep 0.05
	done
	return 1
}

# sandbox_syslog_sync: waits until everything sent to /dev/log so far is in
# the file (a marker sent after it has arrived: datagrams keep their order).
sandbox_syslog_sync() {
	local mark="pj-sync-$RANDOM$RANDOM" i
	logger -u /dev/log -- "$mark" || return 1
	for i in $(seq 200); do
		grep -qF -- "$mark" "$SYSLOG_FILE" && return 0
		sleep 0.01
	done
	return 1
}
