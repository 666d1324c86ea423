# SPDX-License-Identifier: BSD-3-Clause
"""Turns the QR code pam_jwt-login drew on a terminal (half blocks, black on
white, one text line per two rows of modules) back into a PBM image, so an
independent decoder (zbarimg) can read what a phone would.

usage: term_qr.py TRANSCRIPT OUT.pbm   (exit 1 when there is no code)
"""
import re
import sys

UPPER, LOWER, FULL = "\u2580", "\u2584", "\u2588"


def main():
    text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
    # The code's lines: each starts black on bright white and resets at its end.
    lines = re.findall(r"\x1b\[30;107m([^\x1b\r\n]*)\x1b\[0m", text)
    if not lines:
        return 1
    rows = []
    for line in lines:
        top = [c in (UPPER, FULL) for c in line]
        bottom = [c in (LOWER, FULL) for c in line]
        rows += [top, bottom]
    w, scale = max(len(r) for r in rows), 4
    with open(sys.argv[2], "w") as out:
        out.write("P1\n%d %d\n" % (w * scale, len(rows) * scale))
        for r in rows:
            line = "".join(("1" if (i < len(r) and r[i]) else "0") * scale for i in range(w))
            for _ in range(scale):
                out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
