# SPDX-License-Identifier: BSD-3-Clause
# Sourced by tests that need a real OpenID provider (README.md here).
#   oidc_install            npm ci into build/npm (reused); 1 + $OIDC_SKIP when npm is unreachable
#   oidc_start DIR [CONFIG] test CA + certificate (openssl CLI) in DIR, provider on 127.0.0.1
#   oidc_stop               stops it (also on the caller's EXIT trap: call oidc_stop there)
#   oidc_mark; oidc_new RE  requests logged since the mark that match RE (grep -E)
#   oidc_hits RE            all logged requests that match RE
#   oidc_approve CODE [USER PW], oidc_deny CODE [USER PW]   a person at the provider's pages
#   oidc_rotate ALG, oidc_retire KID, oidc_reload           keys and configuration
# After oidc_start: OIDC_ISSUER (https://127.0.0.1:PORT), OIDC_PORT, OIDC_PID,
# OIDC_CA (the CA certificate, PEM), OIDC_DIR, OIDC_LOG (the request log).
OIDC_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OIDC_NPM_DIR=${OIDC_NPM_DIR:-$(cd "$OIDC_SRC/../../.." && pwd)/build/npm}
OIDC_SKIP=""
OIDC_PID=""

oidc_install() {
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		OIDC_SKIP="node and npm are not installed (Debian: nodejs, npm)"
		return 1
	fi
	local want have=""
	want=$(sha256sum "$OIDC_SRC/package-lock.json" | cut -d' ' -f1)
	mkdir -p "$OIDC_NPM_DIR" || return 1
	(
		flock 9
		have=$(cat "$OIDC_NPM_DIR/.installed" 2>/dev/null)
		[ "$have" = "$want" ] && [ -d "$OIDC_NPM_DIR/node_modules/oidc-provider" ] && exit 0
		cp "$OIDC_SRC/package.json" "$OIDC_SRC/package-lock.json" "$OIDC_NPM_DIR/" || exit 1
		rm -f "$OIDC_NPM_DIR/.installed"
		# --ignore-scripts: nothing from the registry runs at install time.
		if (cd "$OIDC_NPM_DIR" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts \
			--loglevel=error) >"$OIDC_NPM_DIR/install.log" 2>&1; then
			echo "$want" >"$OIDC_NPM_DIR/.installed"
			exit 0
		fi
		timeout 20 npm ping >>"$OIDC_NPM_DIR/install.log" 2>&1 && exit 1
		exit 3
	) 9>"$OIDC_NPM_DIR.lock"
	case $? in
	0) return 0 ;;
	3) OIDC_SKIP="the npm registry is unreachable (npm ping failed; $OIDC_NPM_DIR/install.log)" ;;
	*) OIDC_SKIP="" ;; # reachable but broken: the caller fails, not skips
	esac
	return 1
}

# oidc_ca DIR: DIR/ca.pem (a test CA) and DIR/tls.pem, tls.key for 127.0.0.1.
oidc_ca() {
	local d=$1
	[ -s "$d/tls.pem" ] && [ -s "$d/ca.pem" ] && return 0
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$d/ca.key" -out "$d/ca.pem" -subj "/CN=pam_jwt test OpenID provider CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
		2>/dev/null || return 1
	printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
		"extendedKeyUsage=serverAuth" >"$d/tls.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/tls.key" \
		-out "$d/tls.csr" -subj "/CN=127.0.0.1" 2>/dev/null &&
		openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
			-days 2 -extfile "$d/tls.ext" -out "$d/tls.pem" 2>/dev/null || return 1
	chmod 644 "$d/ca.pem"
}

# oidc_start DIR [CONFIG [PORT]]: the provider (DIR: its state, log, keys).
oidc_start() {
	OIDC_DIR=$1
	local cfg=${2:-} port=${3:-0}
	mkdir -p "$OIDC_DIR" && oidc_ca "$OIDC_DIR" || return 1
	cp "$OIDC_SRC/provider.mjs" "$OIDC_NPM_DIR/provider.mjs" || return 1
	rm -f "$OIDC_DIR/port"
	node "$OIDC_NPM_DIR/provider.mjs" serve --dir "$OIDC_DIR" ${cfg:+--config "$cfg"} \
		--port "$port" >>"$OIDC_DIR/provider.log" 2>&1 &
	OIDC_PID=$!
	local _
	for _ in $(seq 200); do
		[ -s "$OIDC_DIR/port" ] && break
		kill -0 "$OIDC_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$OIDC_DIR/port" ]; then
		echo "# oidc_start: the provider did not start:" >&2
		sed 's/^/#   /' "$OIDC_DIR/provider.log" >&2
		return 1
	fi
	OIDC_PORT=$(cat "$OIDC_DIR/port")
	OIDC_ISSUER=https://127.0.0.1:$OIDC_PORT
	OIDC_CA=$OIDC_DIR/ca.pem
	OIDC_LOG=$OIDC_DIR/requests.log
	touch "$OIDC_LOG"
}

oidc_stop() {
	[ -n "$OIDC_PID" ] || return 0
	kill "$OIDC_PID" 2>/dev/null
	wait "$OIDC_PID" 2>/dev/null
	OIDC_PID=""
}

oidc_hits() { grep -cE -- "$1" "$OIDC_LOG"; }
oidc_mark() { OIDC_MARK=$(wc -l <"$OIDC_LOG"); }
oidc_new() { tail -n +$((OIDC_MARK + 1)) "$OIDC_LOG" | grep -cE -- "$1"; }

_oidc_browser() { # approve|deny CODE [USER PW]
	node "$OIDC_NPM_DIR/provider.mjs" "$1" --issuer "$OIDC_ISSUER" --ca "$OIDC_CA" \
		--user-code "$2" --login "${3:-alice}" --password "${4:-alice-password}"
}
oidc_approve() { _oidc_browser approve "$@"; }
oidc_deny() { _oidc_browser deny "$@"; }

_oidc_control() { # PATH?QUERY
	curl -sS --fail --cacert "$OIDC_CA" -X POST "$OIDC_ISSUER/_harness/$1"
}
oidc_rotate() { _oidc_control "rotate?alg=$1${2:+&kid=$2}"; }
oidc_retire() { _oidc_control "retire?kid=$1"; }
oidc_reload() { _oidc_control reload; }
