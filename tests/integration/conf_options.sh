#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Every option of src/config.c's table appears in conf/pam_jwt.conf (the file
# `make install` and the Debian package install as /etc/security/pam_jwt.conf),
# commented, with the code's default where a header names one, and every
# commented line parses; pam_jwt.conf(5) and the README document every option.
. "$(dirname "$0")/../lib.sh"

CONF=$ROOT/conf/pam_jwt.conf
MAN=$ROOT/man/pam_jwt.conf.5.scd
# The names in the option table, and nothing else from the file.
opts=$(sed -n '/^static const struct opt opts\[\] = {/,/^};/p' "$ROOT/src/config.c" |
	grep -oE '\bO\([a-z0-9_]+, *OPT_[A-Z0-9_]+\)' | sed -E 's/O\(([a-z0-9_]+),.*/\1/' | sort -u)
n=$(wc -w <<<"$opts")
entries=$(sed -n '/^static const struct opt opts\[\] = {/,/^};/p' "$ROOT/src/config.c" |
	grep -oE '\bO\(' | wc -l)
check "the option table of src/config.c is read whole ($n of $entries entries)" \
	bash -c "[ $n -ge 10 ] && [ $n = $entries ]"

missing() { # PATTERN-WITH-@ FILE: the options the file lacks (@ stands for the name)
	local o m=""
	for o in $opts; do grep -qE -- "${1//@/$o}" "$2" || m="$m $o"; done
	echo "$m"
}
m=$(missing '^#@ =' "$CONF")
check "conf/pam_jwt.conf shows every option as a commented '#name =' line${m:+ (missing:$m)}" \
	test -z "$m"
unknown=""
for o in $(sed -nE 's/^#([a-z0-9_]+) =.*/\1/p' "$CONF" | sort -u); do
	grep -qx -- "$o" <<<"$opts" || unknown="$unknown $o"
done
check "conf/pam_jwt.conf names no option the code lacks${unknown:+ (unknown:$unknown)}" \
	test -z "$unknown"
check "conf/pam_jwt.conf sets nothing: every option line is commented" \
	bash -c "! grep -qE '^[[:space:]]*[a-z_]+[[:space:]]*=' '$CONF'"

# Uncommented, every example line must parse: exit 1 ("not a JWT"), not 2
# (configuration error).
sed -E 's/^#([a-z0-9_]+ =)/\1/' "$CONF" >"$T/all.conf"
"$TOOL" --config "$T/all.conf" verify not-a-token >"$T/out" 2>&1
rc=$?
check "every commented line of conf/pam_jwt.conf parses when uncommented (exit $rc)" \
	bash -c "[ $rc = 1 ] && grep -q 'rejected: input is not a JWT' '$T/out'"

# The defaults the headers name (PJ_DEFAULT_<OPTION>) are the values shown.
sp='[[:space:]]' word='[^[:space:]].*[^[:space:]]|[^[:space:]]'
wrong="" seen=0
while read -r name value; do
	o=$(tr 'A-Z' 'a-z' <<<"$name")
	grep -qx -- "$o" <<<"$opts" || continue
	seen=$((seen + 1))
	value=${value#\"} value=${value%\"}
	shown=$(sed -nE "s/^#$o = (.*)$/\1/p" "$CONF" | head -n 1)
	shown=${shown#\"} shown=${shown%\"}
	[ "$shown" = "$value" ] || wrong="$wrong $o($shown!=$value)"
	# The manual page's paragraph for the option names the default too.
	sed -n "/^\*$o\* =/,/^\$/p" "$MAN" | grep -qF -- "$value" || wrong="$wrong $o(man)"
done < <(sed -nE "s/^#define PJ_DEFAULT_([A-Z0-9_]+)$sp+($word)$sp*(\/\*.*)?\$/\1 \2/p" \
	"$ROOT"/src/*.h)
check "the defaults in src/*.h ($seen) are the values conf/pam_jwt.conf and the man page \
show${wrong:+ (wrong:$wrong)}" \
	bash -c "[ $seen -ge 3 ] && [ -z '$wrong' ]"

m=$(missing '^\*@\* =' "$MAN")
check "pam_jwt.conf(5) documents every option${m:+ (missing:$m)}" test -z "$m"
m=$(missing '^\| [^|]*`@`' "$ROOT/README.md")
check "the README's configuration reference lists every option${m:+ (missing:$m)}" test -z "$m"
finish
