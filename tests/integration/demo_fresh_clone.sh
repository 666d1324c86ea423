#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's first command as a newcomer types it: a fresh clone of HEAD
# (what is committed; CI runs on a fresh clone anyway) in a directory only its
# owner may enter, as /root is on Debian, then `make -C CLONE demo` from
# another directory with a clean environment.  It must install nothing (make
# check has installed what the demo needs), build with one short line per
# file, and show its outcomes with the module's decision lines.  About 10 s.
. "$(dirname "$0")/../lib.sh"

if ! command -v git >/dev/null; then
	skip "make demo in a fresh clone" "git is not installed (make deps installs it)"
	finish
	exit 0
fi
if ! head=$(git -C "$ROOT" rev-parse --verify -q HEAD); then
	skip "make demo in a fresh clone" "$ROOT is not a git checkout"
	finish
	exit 0
fi
mkdir -m 0700 "$T/home"
c=$T/home/pam_jwt
git clone -q --no-checkout "$ROOT" "$c" 2>"$T/clone.err" && git -C "$c" checkout -q "$head" 2>>"$T/clone.err"
check "a fresh clone of HEAD (${head:0:12}) in a 0700 directory" test $? = 0
sed 's/^/# /' "$T/clone.err"
s=$SECONDS
(cd / && env -i PATH="$PATH" HOME="$T/home" LANG=C.UTF-8 make -C "$c" demo) >"$T/demo.out" 2>&1
rc=$?
check "make -C CLONE demo passes ($((SECONDS - s)) s)" test $rc = 0
[ $rc = 0 ] || tail -n 25 "$T/demo.out" | sed 's/^/# /'
check "  ...and installs nothing (the packages it needs are here)" \
	bash -c "! grep -q '^deps: ' '$T/demo.out'"
check "  ...its build prints one short line per file (  CC      src/keys.c)" \
	grep -qx "  CC      src/keys.c" "$T/demo.out"
check "  ...and no command lines (make V=1 shows them)" \
	bash -c "! grep -q -- '-std=gnu11' '$T/demo.out'"
check "  ...one token accepted" test "$(grep -c '^accepted ' "$T/demo.out")" = 1
check "  ...five tokens and a password refused" test "$(grep -c '^refused ' "$T/demo.out")" = 6
check "  ...each shown with the module's decision line" \
	test "$(grep -c '^          log: pam_jwt(demo:auth): user=' "$T/demo.out")" = 7
check "  ...the password declined (the demo checks it is not in the log)" \
	grep -q "outcome=declined reason=\"input is not a JWT\"" "$T/demo.out"
check "  ...ending with: all outcomes as expected" \
	grep -q "^demo: all outcomes as expected" "$T/demo.out"
finish
