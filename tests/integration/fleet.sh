#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A simulated fleet: FLEET_HOSTS hosts (1,000 here; make bench runs 10,000),
# each with its own configuration, cache directory and revocation state,
# polling one local nginx (Debian's package, started here on 127.0.0.1 with a
# test CA, its own configuration and prefix under $T; the system's nginx is
# never touched) that serves a Token Status List and a signed revocation
# feed as static files.  Each host logs in once (pam_jwt-tool verify runs
# the module's code), then at T a status bit is set and a jti revoked on the
# admin host and both published; one run of every host's timer (pam_jwt-tool
# fetch --ahead 600, as pam_jwt-fetch.service runs it) later, every host
# refuses both tokens.  A last run with nothing changed shows what a poll
# costs: requests and bytes per host (HTTP 304), from nginx's access log, on
# the first FLEET_POLL hosts (default 200; make bench polls all of them).
# Hosts run in parallel batches (FLEET_JOBS at a time).
. "$(dirname "$0")/../lib.sh"

N=${FLEET_HOSTS:-1000}
JOBS=${FLEET_JOBS:-4}
if [ "$(id -u)" != 0 ]; then
	skip "a fleet of $N hosts" "needs root"
	finish
	exit 0
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
	notok "nginx is installed (make deps installs Debian's nginx)"
	finish
	exit 1
fi
. "$ROOT/tests/helpers/idp.sh"
note() { echo "# $*"; }
# Hosts' state on tmpfs when there is one: 3,000 small fsync'ed files.
H=$T/hosts
if [ -w /dev/shm ]; then
	H=$(mktemp -d /dev/shm/pam_jwt-fleet.XXXXXX) && chmod 755 "$H"
fi
fleet_cleanup() {
	[ -s "$T/nginx/nginx.pid" ] && kill "$(cat "$T/nginx/nginx.pid")" 2>/dev/null
	[ "$H" != "$T/hosts" ] && rm -rf --one-file-system "$H"
	idp_cleanup
}
trap fleet_cleanup EXIT
mkdir -p "$H"

ca ca && cert srv ca "IP:127.0.0.1" && chmod 644 "$T"/*.pem ||
	{ notok "make the test CA and certificates"; finish; exit 1; }
gen_key ES256 idp && gen_key ES256 feed || { notok "keys"; finish; exit 1; }

# ---- nginx on 127.0.0.1, its prefix in $T/nginx ----
NG=$T/nginx
mkdir -p "$NG/www/lists" "$NG/logs" "$NG/tmp" && chmod -R 755 "$NG"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$NG/nginx.conf" <<EOF
worker_processes 2;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 1024; }
http {
	log_format fleet '\$uri \$status \$request_length \$bytes_sent';
	access_log $NG/logs/access.log fleet;
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	types { application/statuslist+jwt jwt; }
	default_type application/jwt;
	gzip on;
	gzip_types application/jwt application/statuslist+jwt;
	server {
		listen 127.0.0.1:$PORT ssl;
		ssl_certificate $T/srv.pem;
		ssl_certificate_key $T/srv.key;
		root $NG/www;
	}
}
EOF
"$NGINX" -e "$NG/logs/error.log" -p "$NG" -c "$NG/nginx.conf" 2>"$T/nginx.err"
for _ in $(seq 50); do [ -s "$NG/nginx.pid" ] && break; sleep 0.1; done
check "nginx runs on 127.0.0.1:$PORT with its own prefix and configuration" test -s "$NG/nginx.pid"
BASE=https://127.0.0.1:$PORT

# ---- the admin host: a status list and the revocation list, published ----
printf 'revocation_file = %s\n' "$T/admin.rev" >"$T/admin.conf"
admin() { "$TOOL" --config "$T/admin.conf" "$@"; }
admin status-list create --out "$T/list.json" --size 1024 >/dev/null
: >"$T/admin.rev"
publish() {
	admin status-list sign --list "$T/list.json" --key "$T/idp.key" --alg ES256 \
		--uri "$BASE/lists/a.jwt" >"$NG/www/lists/a.tmp" &&
		mv "$NG/www/lists/a.tmp" "$NG/www/lists/a.jwt" &&
		admin publish --key "$T/feed.key" --out "$T/feed.jwt" >/dev/null &&
		cp "$T/feed.jwt" "$NG/www/feed.tmp" && mv "$NG/www/feed.tmp" "$NG/www/feed" &&
		chmod 644 "$NG/www/feed" "$NG/www/lists/a.jwt" &&
		# nginx's ETag is the file's mtime (in seconds) and size: a list
		# re-signed within the second at the same size would look unchanged.
		touch -d "@$((++STAMP))" "$NG/www/feed" "$NG/www/lists/a.jwt"
}
STAMP=$(date +%s)
publish || { notok "publish the list and the feed"; finish; exit 1; }
sign() { "$TOOL" sign --key "$T/idp.key" --alg ES256 --iss https://idp.test --sub alice --ttl 3600 "$@"; }
A=$(sign --claim jti=fleet-a --status-uri "$BASE/lists/a.jwt" --status-idx 7)
B=$(sign --claim jti=fleet-b --status-uri "$BASE/lists/a.jwt" --status-idx 8)

# ---- the hosts ----
for i in $(seq "$N"); do
	d=$H/h$i
	mkdir -m 755 "$d" "$d/cache"
	: >"$d/rev"
	cat >"$d/pam_jwt.conf" <<EOF
fetch_helper = $FETCH
ca_file = $T/ca.pem
cache_dir = $d/cache
key_file = $T/idp.pub
algorithms = ES256
issuer = https://idp.test
revocation_file = $d/rev
status_list_url = $BASE/lists/
revocation_feed = $BASE/feed
revocation_feed_key = $T/feed.pub
EOF
done
# each CMD...: CMD with {} the host's directory, on every host, JOBS at a
# time; prints the hosts (directories) where it failed, then how long it took.
each() {
	seq "$N" | sed "s|^|$H/h|" | xargs -P "$JOBS" -I{} sh -c "$* || echo {}" >"$T/each.out"
}
verify() { echo "'$TOOL' --config {}/pam_jwt.conf verify '$1' >/dev/null 2>{}/verify.err"; }
ms() { date +%s%3N; }
reqs() { wc -l <"$NG/logs/access.log"; }

# Host 1 logs in first, fetching both; the others start from a copy of its
# cache (hosts that have been running a while): each then reads its own.
"$TOOL" --config "$H/h1/pam_jwt.conf" verify "$A" >/dev/null 2>"$T/first.err"
check "host 1's first login fetches the list and the feed and is accepted" \
	bash -c "[ $? = 0 ] && [ $(reqs) = 2 ]"
for i in $(seq 2 "$N"); do cp -a "$H/h1/cache/." "$H/h$i/cache/"; done
s=$(ms)
each "$(verify "$A")"
el=$(($(ms) - s))
check "every host accepts token A from its own cache ($(wc -l <"$T/each.out") refused; $N hosts in $el ms)" \
	test ! -s "$T/each.out"
check "  ...without a request" test "$(reqs)" = 2

# ---- T: revoke on the admin host, publish ----
admin status-list set --list "$T/list.json" --idx 7 >/dev/null
admin revoke --jti fleet-b >/dev/null
publish
T0=$(ms)
: >"$NG/logs/access.log"
kill -USR1 "$(cat "$NG/nginx.pid")" # reopen the log
sleep 0.2
each "'$TOOL' --config {}/pam_jwt.conf fetch --ahead 600 >{}/fetch.out 2>&1"
el=$(($(ms) - T0))
check "one timer run on every host (fetch --ahead 600) succeeds ($(wc -l <"$T/each.out") failed, $el ms)" \
	test ! -s "$T/each.out"
each "! $(verify "$A")"
check "  ...then every host refuses token A, its status bit set ($(wc -l <"$T/each.out") accepted)" \
	test ! -s "$T/each.out"
bad=$(grep -L "status is 1 (invalid)" "$H"/h*/verify.err | wc -l)
check "  ...each naming the status ($bad did not)" test "$bad" = 0
each "! $(verify "$B")"
check "  ...and every host refuses token B, revoked in the feed ($(wc -l <"$T/each.out") accepted)" \
	test ! -s "$T/each.out"
bad=$(grep -L "fleet-b is revoked (revocation feed" "$H"/h*/verify.err | wc -l)
check "  ...each naming the feed ($bad did not)" test "$bad" = 0
note "a revocation published at T refused logins on all $N hosts after one timer run: T + $el ms of fetching here; with pam_jwt-fetch.timer (every 4 min, up to 30 s late) by T + 4.5 min"

# ---- a poll with nothing changed (on the first FLEET_POLL hosts) ----
P=${FLEET_POLL:-200}
[ "$P" -gt "$N" ] && P=$N
: >"$NG/logs/access.log"
kill -USR1 "$(cat "$NG/nginx.pid")"
sleep 0.2
s=$(ms)
N=$P each "'$TOOL' --config {}/pam_jwt.conf fetch --ahead 600 >{}/fetch.out 2>&1"
el=$(($(ms) - s))
read -r n304 n other inb outb < <(awk '{ n++; if ($2 == 304) m++; else o++; i += $3; b += $4 }
	END { print m + 0, n + 0, o + 0, i + 0, b + 0 }' "$NG/logs/access.log")
check "a poll of $P hosts with nothing changed: every request answered 304 ($n304 of $n, $other others)" \
	bash -c "[ $n = $((2 * P)) ] && [ $n304 = $n ]"
note "per host per poll (nothing changed): $((n / P)) requests (the feed and the status list), $((inb / P)) bytes sent and $((outb / P)) received over HTTP (TLS adds its handshake), $el ms for $P hosts"
size_list=$(stat -c %s "$NG/www/lists/a.jwt") size_feed=$(stat -c %s "$NG/www/feed")
note "on the wire when something changed: the status list token $size_list bytes (1,024 entries), the feed $size_feed bytes (1 entry)"
echo "$N $((n / P)) $((inb / P)) $((outb / P)) $el $P" >"${FLEET_REPORT:-/dev/null}"
finish
