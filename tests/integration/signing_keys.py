# SPDX-License-Identifier: BSD-3-Clause
"""pam_jwt-tool sign refuses a private JWK whose private and public halves do
not belong together (it would sign tokens no published key verifies), and
signs with a consistent one.  Run with /usr/bin/python3; prints TAP."""
import json
import os
import subprocess
import sys
import tempfile

from jwcrypto import jwk

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(ROOT, "build", "pam_jwt-tool")
n = failed = 0


def check(ok, what):
    global n, failed
    n += 1
    failed += not ok
    print(("ok" if ok else "not ok"), n, "-", what)


def sign(d, key, alg, name):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        json.dump(key, f)
    os.chmod(path, 0o600)
    return subprocess.run([TOOL, "sign", "--key", path, "--alg", alg, "--sub", "alice"],
                          capture_output=True, text=True)


def generate(kty, crv):
    if kty == "RSA":
        return json.loads(jwk.JWK.generate(kty="RSA", size=2048).export_private())
    return json.loads(jwk.JWK.generate(kty=kty, crv=crv).export_private())


with tempfile.TemporaryDirectory() as d:
    for kty, crv, alg, member in [("EC", "P-256", "ES256", "d"), ("OKP", "Ed25519", "EdDSA", "d"),
                                  ("RSA", None, "RS256", "d")]:
        a, b = generate(kty, crv), generate(kty, crv)
        r = sign(d, a, alg, kty + "-good")
        check(r.returncode == 0, f"{kty}: a consistent private JWK signs")
        mixed = dict(a)
        mixed[member] = b[member]
        r = sign(d, mixed, alg, kty + "-mixed")
        check(r.returncode != 0 and ("belong" in r.stderr or "public key of its d" in r.stderr),
              f"{kty}: a JWK whose {member} belongs to another key is refused ({r.stderr.strip()})")
print(f"1..{n}")
sys.exit(1 if failed else 0)
