# SPDX-License-Identifier: BSD-3-Clause
"""Runs a command on a new terminal and types answers at its prompts, as a
person would: for su, which reads the password from its terminal (and
discards anything typed before it asks).

usage: pty_answer.py PROMPT ANSWER_FILE COMMAND [ARG...]
Line 1 of ANSWER_FILE is typed at PROMPT; when it has more lines (a token in
parts, as pam_jwt-askpass --parts prints them), line K is typed at the
module's prompt "JWT part K of N".  Prints what the command wrote to the
terminal; exits with its status (124 when the first prompt did not come
within 10 s).
"""
import os
import pty
import select
import sys
import time


def main():
    prompt = sys.argv[1].encode()
    answers = [l.strip() + b"\n" for l in open(sys.argv[2], "rb").read().splitlines()
               if l.strip()]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[3], sys.argv[3:])
    out = b""
    typed = 0  # answers typed so far
    seen = 0  # where in out to look for the next prompt
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
        if typed < len(answers):
            want = prompt if typed == 0 else b"JWT part %d of " % (typed + 1)
            at = out.find(want, seen)
            if at >= 0:
                os.write(fd, answers[typed])
                typed += 1
                seen = at + len(want)
    sys.stdout.write(out.decode("utf-8", "replace"))
    if not typed:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return 124
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
