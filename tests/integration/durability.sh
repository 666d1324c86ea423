#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# What a crash or a power cut leaves: the order of writes, syncs and renames,
# as the real programs make them (tests/helpers/syncorder.c, preloaded,
# records them).  A change the tool or the module reports made must be on
# disk first: an appended record is fdatasynced before the process goes on;
# a file replaced whole is written beside it, fsynced, renamed over it, and
# its directory fsynced after.  (The cache of fetched keys, written the same
# way by the fetch helper, is checked in jwks_fetch.sh.)
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
SYNC=$B/tests/syncorder.so
[ -f "$SYNC" ] || { notok "build/tests/syncorder.so is built (make unit)"; finish; exit 1; }

es256_setup
SLOG=$T/sync.log
# synced COMMAND...: runs it with the shim watching $T, its log fresh in $SLOG.
synced() {
	rm -f "$SLOG"
	LD_PRELOAD="${PJ_PRELOAD:+$PJ_PRELOAD }$SYNC" PJ_SYNC_LOG=$SLOG PJ_SYNC_DIR=$T "$@"
}
# order RULE PATH: what the log shows about PATH (see the Python below).
order() {
	$PY - "$SLOG" "$@" <<'PY'
import os, sys
log, rule, path = sys.argv[1], sys.argv[2], sys.argv[3]
lines = [l.split() for l in open(log)]
if not any(l[0] == "loaded" for l in lines):
    sys.exit("# the shim did not run")
def idx(pred):
    return [i for i, l in enumerate(lines) if pred(l)]
def fail(msg):
    print("# " + msg)
    for l in lines:
        print("#   " + " ".join(l))
    sys.exit(1)
if rule == "append":
    # Every write to PATH is followed by a sync of PATH.
    w = idx(lambda l: l[0] == "write" and l[2] == path)
    s = idx(lambda l: l[0] in ("fsync", "fdatasync") and l[2] == path)
    if not w:
        fail("no write to %s" % path)
    if not s or s[-1] < w[-1]:
        fail("the last write to %s is not followed by a sync of it" % path)
elif rule == "replace":
    # Every rename over PATH: its source written, synced after its last
    # write and before the rename; the directory synced after the rename.
    r = idx(lambda l: l[0] == "rename" and l[2] == path)
    if not r:
        fail("nothing was renamed over %s" % path)
    for i in r:
        src = lines[i][1]
        w = [j for j in idx(lambda l: l[0] == "write" and l[2] == src) if j < i]
        s = [j for j in idx(lambda l: l[0] in ("fsync", "fdatasync") and l[2] == src) if j < i]
        if not w:
            fail("%s renamed over %s was never written" % (src, path))
        if not s or s[-1] < w[-1]:
            fail("%s was renamed over %s before it was synced" % (src, path))
        d = [j for j in idx(lambda l: l[0] == "fsync" and l[2] == os.path.dirname(path))
             if j > i]
        if not d:
            fail("the directory of %s was not synced after the rename" % path)
else:
    sys.exit("unknown rule " + rule)
PY
}

# ---- the shim itself: it sees what it must, or every check below is void ----
printf 'x' >"$T/probe"
synced $PY -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND); os.write(fd, b"y"); os.fdatasync(fd)
os.rename(sys.argv[1], sys.argv[1] + ".2")' "$T/probe"
check "the shim records a write, its fdatasync and a rename" \
	bash -c "grep -q '^loaded ' '$SLOG' && grep -q '^write [0-9]* $T/probe 1\$' '$SLOG' &&
		grep -q '^fdatasync [0-9]* $T/probe\$' '$SLOG' &&
		grep -qx 'rename $T/probe $T/probe.2' '$SLOG'"
synced $PY -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND); os.write(fd, b"y")' "$T/probe.2"
check "  ...and tells a write never synced" bash -c "! order append '$T/probe.2' >/dev/null"

# ---- the tool: one change is one record, synced before the tool says so ----
synced "$TOOL" --config "$T/pam_jwt.conf" revoke --jti first --exp $(($(date +%s) + 300)) \
	>/dev/null
check "revoke on a text list: exit 0" test $? = 0
check "  ...the list made a store: written beside, fsynced, renamed, directory fsynced" \
	order replace "$REV"
check "  ...the record appended and fdatasynced" order append "$REV"
synced "$TOOL" --config "$T/pam_jwt.conf" revoke --jti second >/dev/null
check "revoke on a store: the record appended and fdatasynced" order append "$REV"
check "  ...and nothing renamed (one record, not a rewrite)" bash -c "! grep -q '^rename' '$SLOG'"
synced "$TOOL" --config "$T/pam_jwt.conf" unrevoke --jti second >/dev/null
check "unrevoke: the record appended and fdatasynced" order append "$REV"
synced "$TOOL" --config "$T/pam_jwt.conf" revoke --user mallory >/dev/null
check "revoke --user: appended and fdatasynced" order append "$REV"

# ---- batches and compaction: a new base replaces the file ----
seq -f 'id-%06g' 1 300 >"$T/ids"
synced "$TOOL" --config "$T/pam_jwt.conf" revoke --jti-file "$T/ids" >/dev/null
check "revoke --jti-file of 300 ids: a new base, fsynced before the rename" order replace "$REV"
printf 'jti a\njti b 1900000000\nuser u 5\n' >"$T/import.txt"
synced "$TOOL" --config "$T/pam_jwt.conf" import "$T/import.txt" >/dev/null
check "import: the same" order replace "$REV"
synced "$TOOL" --config "$T/pam_jwt.conf" revoke --jti third >/dev/null
synced "$TOOL" --config "$T/pam_jwt.conf" compact >/dev/null
check "compact: the same" order replace "$REV"
synced "$TOOL" --config "$T/pam_jwt.conf" prune >/dev/null
check "prune: the same" order replace "$REV"

# ---- the module: a one-time use is synced before the login is accepted ----
service once "auth required $MODULE conf=$T/pam_jwt.conf one_time=yes one_time_file=$T/used"
tok=$(sign --sub alice)
rm -f "$SLOG"
printf '%s\n' "$tok" | LD_PRELOAD="${PJ_PRELOAD:+$PJ_PRELOAD }libpam_wrapper.so $LOGSHIM $SYNC" \
	PJ_SYNC_LOG=$SLOG PJ_SYNC_DIR=$T PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
	PJ_LOG_FILE="$LOG" pamtester once alice authenticate >/dev/null 2>&1
check "a one-time login is accepted" test $? = 0
check "  ...its use appended to one_time_file and fdatasynced" order append "$T/used"
finish
