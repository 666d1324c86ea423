# SPDX-License-Identifier: BSD-3-Clause
"""One SSH login with paramiko, for tests/integration/sshd.sh.

usage: ssh_login.py PORT USER METHOD TOKEN_FILE COMMAND
METHOD is keyboard-interactive or password.  TOKEN_FILE holds a token, or
a token's parts one a line (pam_jwt-askpass --parts): line K answers the
module's prompt "JWT part K of N", line 1 every other prompt (and the
password method).  Prints the prompts seen (as "prompt: ...") and the
command's output; exit 0 when the login succeeded, 1 when authentication
failed, 2 on anything else.
"""
import re
import socket
import sys

import paramiko


def main():
    port, user, method, token_file, command = sys.argv[1:6]
    lines = open(token_file).read().split()
    token = lines[0]
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    t = paramiko.Transport(sock)
    try:
        t.start_client(timeout=10)
        prompts = []

        def answer(title, instructions, fields):
            prompts.extend(p for p, _ in fields)
            parts = [re.search(r"JWT part ([0-9]+) of ", p) for p, _ in fields]
            return [lines[int(m.group(1)) - 1] if m else token for m in parts]

        try:
            if method == "keyboard-interactive":
                t.auth_interactive(user, answer)
            else:
                t.auth_password(user, token)
        except paramiko.AuthenticationException:
            for p in prompts:
                print("prompt: " + p)
            return 1
        for p in prompts:
            print("prompt: " + p)
        ch = t.open_session(timeout=10)
        ch.exec_command(command)
        out = ch.makefile("rb").read()
        sys.stdout.write(out.decode("utf-8", "replace"))
        return 0 if ch.recv_exit_status() == 0 else 2
    finally:
        t.close()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a broken connection is not a refused login
        print("error: %r" % e)
        sys.exit(2)
