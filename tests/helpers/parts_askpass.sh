#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A scripted client for the tests, in place of pam_jwt-askpass: answers the
# module's prompt "JWT part K of N (ID): " with line K of $PJ_PARTS_FILE and
# any other prompt with line 1, so a test can send parts of two tokens, too
# many parts or garbage.  A line "STOP" makes it fail at that prompt, as a
# client that gives up midway.
k=$(printf '%s' "$1" | sed -n 's/.*JWT part \([0-9][0-9]*\) of .*/\1/p')
line=$(sed -n "${k:-1}p" "$PJ_PARTS_FILE")
[ "$line" = STOP ] && exit 1
printf '%s\n' "$line"
