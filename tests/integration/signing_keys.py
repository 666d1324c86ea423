# SPDX-License-Identifier: BSD-3-Clause
"""pam_jwt-tool sign refuses a private JWK, or a PEM EC key, whose private and
public halves do not belong together (it would sign tokens no published key
verifies), and signs with a consistent one.  Run with /usr/bin/python3; prints TAP."""
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
    # A PEM EC key carries its public point too (SEC 1 and PKCS#8 alike),
    # which OpenSSL takes as it is: one that is not d's must be refused.
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec
    import base64
    for fmt, label in [(ser.PrivateFormat.TraditionalOpenSSL, "EC PRIVATE KEY"),
                       (ser.PrivateFormat.PKCS8, "PRIVATE KEY")]:
        a, b = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        point = lambda k: k.public_key().public_bytes(ser.Encoding.X962,
                                                      ser.PublicFormat.UncompressedPoint)
        der = a.private_bytes(ser.Encoding.DER, fmt, ser.NoEncryption())
        for name, body in [("good", der), ("mixed", der.replace(point(a), point(b)))]:
            b64 = base64.b64encode(body).decode()
            pem = "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (
                label, "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)), label)
            path = os.path.join(d, "%s-%s.pem" % (label.replace(" ", "_"), name))
            with open(path, "w") as f:
                f.write(pem)
            os.chmod(path, 0o600)
            r = subprocess.run([TOOL, "sign", "--key", path, "--alg", "ES256", "--sub", "alice"],
                               capture_output=True, text=True)
            if name == "good":
                check(r.returncode == 0, f"PEM {label}: a consistent key signs")
            else:
                check(der.count(point(a)) == 1 and r.returncode != 0 and "belong" in r.stderr,
                      f"PEM {label} whose public point is another key's is refused "
                      f"({r.stderr.strip()})")
print(f"1..{n}")
sys.exit(1 if failed else 0)
