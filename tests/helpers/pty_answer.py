# SPDX-License-Identifier: BSD-3-Clause
"""Runs a command on a new terminal and types one answer at its prompt, as a
person would: for su, which reads the password from its terminal (and
discards anything typed before it asks).

usage: pty_answer.py PROMPT ANSWER_FILE COMMAND [ARG...]
Prints what the command wrote to the terminal; exits with its status (124
when the prompt did not come within 10 s).
"""
import os
import pty
import select
import sys
import time


def main():
    prompt = sys.argv[1].encode()
    answer = open(sys.argv[2], "rb").read().strip() + b"\n"
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[3], sys.argv[3:])
    out = b""
    answered = False
    deadline = time.time() + 10
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:  # the command closed its terminal
                break
            if not data:
                break
            out += data
        if not answered and prompt in out:
            os.write(fd, answer)
            answered = True
    sys.stdout.write(out.decode("utf-8", "replace"))
    if not answered:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return 124
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
