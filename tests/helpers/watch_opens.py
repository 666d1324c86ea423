#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Records every open, read, creation or change in some directories, with
inotify, for tests/integration/fetch_env.sh: what a process did there because
of an environment variable pointing there.

usage: watch_opens.py OUT READY DIR...
Writes READY once the watches are in place, then one line per event to OUT
("DIR/NAME MASK"; NAME is empty for the directory itself) until killed.
"""
import ctypes
import os
import struct
import sys

IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_OPEN = 0x1, 0x2, 0x4, 0x20
IN_MOVED_TO, IN_CREATE = 0x80, 0x100


def main():
    out, ready, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(0)
    if fd < 0:
        sys.exit("inotify_init1: %s" % os.strerror(ctypes.get_errno()))
    mask = IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_OPEN | IN_MOVED_TO | IN_CREATE
    names = {}
    for d in dirs:
        wd = libc.inotify_add_watch(fd, d.encode(), mask)
        if wd < 0:
            sys.exit("inotify_add_watch %s: %s" % (d, os.strerror(ctypes.get_errno())))
        names[wd] = d
    log = open(out, "w", buffering=1)
    open(ready, "w").close()
    while True:
        data = os.read(fd, 65536)
        off = 0
        while off + 16 <= len(data):
            wd, m, _, n = struct.unpack_from("iIII", data, off)
            name = data[off + 16:off + 16 + n].rstrip(b"\0").decode("utf-8", "replace")
            log.write("%s/%s %#x\n" % (names.get(wd, "?"), name, m))
            off += 16 + n


if __name__ == "__main__":
    main()
