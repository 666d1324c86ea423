# SPDX-License-Identifier: BSD-3-Clause
# Sourced (after tests/lib.sh) by the tests that fetch keys over HTTPS
# (tests/integration/jwks_fetch.sh, fetch_env.sh): a test CA and server
# certificates made with the openssl CLI in $T, and local identity providers
# (tests/helpers/jwks_server.py, 127.0.0.1 only) steered through files.
PY=/usr/bin/python3
SRV=$ROOT/tests/helpers/jwks_server.py
PIDS=()
# KEEP=1 keeps $T for a look afterwards.
idp_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf --one-file-system "$T"; fi
}
trap idp_cleanup EXIT
note() { echo "# $*"; }
ms() { date +%s%3N; }

# ca NAME: $T/NAME.pem and .key, a CA.
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$T/$1.key" -out "$T/$1.pem" -subj "/CN=pam_jwt test $1" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
		2>/dev/null
}
# cert NAME CA SAN: a server certificate issued by CA.
cert() {
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" \
		>"$T/$1.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-out "$T/$1.csr" -subj "/CN=$1" 2>/dev/null &&
		openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" \
			-CAcreateserial -days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}

# start DIR CERT [PORT]: a server for $T/DIR with certificate CERT; sets
# pid_DIR and port_DIR.
start() {
	mkdir -p "$T/$1"
	rm -f "$T/$1/port"
	$PY "$SRV" serve --cert "$T/$2.pem" --key "$T/$2.key" --dir "$T/$1" --port "${3:-0}" &
	PIDS+=($!)
	eval "pid_$1=$!"
	for _ in $(seq 100); do [ -s "$T/$1/port" ] && break; sleep 0.05; done
	eval "port_$1=$(cat "$T/$1/port")"
}
# start_plain DIR [PORT]: the same server over plain http.
start_plain() {
	mkdir -p "$T/$1"
	rm -f "$T/$1/port"
	$PY "$SRV" serve --plain --dir "$T/$1" --port "${2:-0}" &
	PIDS+=($!)
	eval "pid_$1=$!"
	for _ in $(seq 100); do [ -s "$T/$1/port" ] && break; sleep 0.05; done
	eval "port_$1=$(cat "$T/$1/port")"
}
stop() { local p; eval "p=\$pid_$1"; kill "$p"; wait "$p" 2>/dev/null; }
mode() { echo "$2" >"$T/$1/mode"; }
hits() { cat "$T/$1/requests.log" 2>/dev/null | grep -c "^$2 "; } # DIR PATH: requests seen
cfile() { echo "$T/cache/$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; } # URL: its cache
