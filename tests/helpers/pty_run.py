# SPDX-License-Identifier: BSD-3-Clause
"""Runs a command on a new terminal of its own (its controlling tty, 100
columns by 60 rows) and copies what it writes there to TRANSCRIPT as it
comes, so a test can watch for a device code while the command waits.
Nothing is typed.

usage: pty_run.py TRANSCRIPT COMMAND [ARG...]
Exits with the command's status (124 after 120 s).
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def main():
    log = open(sys.argv[1], "ab", buffering=0)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 100, 0, 0))
    deadline = time.time() + 120
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the command and its children closed the terminal
                break
            if not data:
                break
            log.write(data)
        else:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return 124
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
