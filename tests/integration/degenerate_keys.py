#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Degenerate public keys, judged by code that is not ours.

The module refuses at load the public keys that verify forgeries (RSA with
e = 1, Ed25519 keys of small order, an EC point at infinity) and keys no
honest signer has (an even or huge RSA exponent, a non-canonical Ed25519
encoding).  This test does not copy its lists: it finds the Ed25519 8-torsion
subgroup itself, by decoding points as RFC 8032 5.1.3 says and multiplying
them by the group order, and judges every encoding by that; it then asks
`pam_jwt-tool keys` (the module's key loader) about every one of them and
about random keys, and the two must agree.  An encoding that names no point
loads (telling would cost a square root per login) but verifies nothing:
`pam_jwt-tool verify` shows it.  The Wycheproof ECDSA, Ed25519 and RSA keys (../shared/vectors or
$VECTORS), all honest, must all load.  Prints TAP.
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOOL = os.path.join(os.environ.get("PJ_BUILD", os.path.join(REPO, "build")), "pam_jwt-tool")
VECTORS = os.environ.get("VECTORS") or os.path.join(REPO, "..", "shared", "vectors")

n_tests = 0
n_failed = 0


def tap(cond, name, diag=None):
    global n_tests, n_failed
    n_tests += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n_tests, name))
    if not cond:
        n_failed += 1
        for line in str(diag or "").splitlines():
            print("# " + line)
    sys.stdout.flush()
    return cond


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---- Ed25519 from RFC 8032: the curve, point decoding (5.1.3), addition ----
P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
L = 2**252 + 27742317777372353535851937790883648493


def decode(b):
    """The point b encodes, or None when 5.1.3 says decoding fails."""
    y = int.from_bytes(b, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else (0, y)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    if (x * x - x2) % P:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y)


def encode(pt):
    x, y = pt
    return (y | (x & 1) << 255).to_bytes(32, "little")


def add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P,
            (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P)


def mul(k, pt):
    r = (0, 1)
    while k:
        if k & 1:
            r = add(r, pt)
        pt = add(pt, pt)
        k >>= 1
    return r


def small_order(pt):
    return mul(8, pt) == (0, 1)


def ed_jwk(raw, kid):
    return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": kid}


def load(keys):
    """Which of these JWKs the module's loader refuses: {index: reason}."""
    d = tempfile.mkdtemp(prefix="pj-degenerate.")
    path = os.path.join(d, "keys.jwks")
    with open(path, "w") as f:
        json.dump({"keys": keys}, f)
    os.chmod(path, 0o644)
    conf = os.path.join(d, "conf")
    with open(conf, "w") as f:
        f.write("jwks_file = %s\n" % path)
    os.chmod(conf, 0o644)
    p = subprocess.run([TOOL, "--config", conf, "keys"], capture_output=True, text=True)
    refused = {}
    for line in p.stderr.splitlines():
        m = re.match(r"pam_jwt-tool: .*#(\d+): cannot load: (.*)$", line)
        if m:
            refused[int(m.group(1))] = m.group(2)
    subprocess.run(["rm", "-rf", d])
    return refused, p.stdout


# The 8-torsion subgroup: [L]P of random points lands in it; collect until
# all eight are there.
torsion = set()
seed = 1
while len(torsion) < 8:
    seed += 1
    pt = decode(seed.to_bytes(32, "little"))
    if pt:
        torsion.add(mul(L, pt))
tap(all(small_order(t) for t in torsion) and (0, 1) in torsion,
    "RFC 8032 arithmetic: the 8-torsion subgroup found (%d points)" % len(torsion))

# Every encoding that names a small-order point, or could be mistaken for
# one: both signs of x for each torsion y; the 19 non-canonical y (p .. 2^255-1)
# with both signs.
cases = []
for t in sorted(torsion):
    for sign in (0, 1):
        raw = bytearray(encode(t))
        raw[31] = (raw[31] & 0x7f) | sign << 7
        cases.append(bytes(raw))
for y in range(P, 2**255):
    for sign in (0, 1):
        cases.append((y | sign << 255).to_bytes(32, "little"))
# Random encodings (about half name no point) and honest keys.
rnd = [os.urandom(32) for _ in range(200)]
honest = []
for _ in range(20):
    k = subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-outform", "DER"],
                       capture_output=True).stdout
    pub = subprocess.run(["openssl", "pkey", "-inform", "DER", "-pubout", "-outform", "DER"],
                         input=k, capture_output=True).stdout
    honest.append(pub[-32:])
everything = cases + rnd + honest
refused, _ = load([ed_jwk(raw, "k%d" % i) for i, raw in enumerate(everything)])
small_y = {t[1] for t in torsion}
wrong = []
off_curve = []
for i, raw in enumerate(everything):
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    should_load = y < P and y not in small_y
    if should_load and decode(raw) is None:
        off_curve.append(raw)
    if should_load == (i in refused):
        wrong.append("%s: RFC 8032 says %s, the module %s" % (
            raw.hex(), "load" if should_load else "refuse",
            "refused (%s)" % refused.get(i) if i in refused else "loaded"))
tap(not wrong, "Ed25519: %d encodings, the module refuses exactly the non-canonical ones "
    "and those of small order" % len(everything), "\n".join(wrong[:20]))
tap(all(i not in refused for i in range(len(cases) + len(rnd), len(everything))),
    "Ed25519: 20 keys from openssl genpkey all load")
# What names no point loads, and verifies nothing.
d = tempfile.mkdtemp(prefix="pj-offcurve.")
with open(os.path.join(d, "keys.jwks"), "w") as f:
    json.dump({"keys": [ed_jwk(raw, "off%d" % i) for i, raw in enumerate(off_curve[:5])]}, f)
with open(os.path.join(d, "conf"), "w") as f:
    f.write("jwks_file = %s/keys.jwks\nrevocation_file = %s/rev\n" % (d, d))
open(os.path.join(d, "rev"), "w").close()
for n in ("keys.jwks", "conf", "rev"):
    os.chmod(os.path.join(d, n), 0o644)
tok = "%s.%s.%s" % (b64(b'{"alg":"EdDSA"}'), b64(b'{"sub":"alice","exp":4000000000}'),
                    b64(os.urandom(64)))
p = subprocess.run([TOOL, "--config", os.path.join(d, "conf"), "verify", tok],
                   capture_output=True, text=True)
subprocess.run(["rm", "-rf", d])
tap(len(off_curve) >= 5 and p.returncode == 1 and "does not verify" in p.stderr,
    "Ed25519: 5 encodings that name no point load but verify nothing",
    "exit %d: %s" % (p.returncode, p.stderr))
small = [i for i in range(16)]
tap(all("small order" in refused.get(i, "") for i in small),
    "Ed25519: the small-order encodings are refused as such",
    "\n".join("%d: %s" % (i, refused.get(i)) for i in small))

# ---- RSA: e odd, 3 <= e < 2^32 ----
n = int.from_bytes(os.urandom(256), "big") | 1 << 2047 | 1
exps = {1: False, 2: False, 3: True, 4: False, 17: True, 65537: True, 65538: False,
        2**32 - 1: True, 2**32 + 1: False, 2**64 + 1: False, 2**255 + 1: False}
keys = [{"kty": "RSA", "n": b64(n.to_bytes(256, "big")),
         "e": b64(e.to_bytes((e.bit_length() + 7) // 8, "big")), "kid": "e%d" % e}
        for e in exps]
refused, _ = load(keys)
wrong = ["e=%d: %s" % (e, refused.get(i, "loaded")) for i, (e, ok) in enumerate(exps.items())
         if ok == (i in refused)]
tap(not wrong, "RSA: exponents %s load, %s are refused" % (
    [e for e, ok in exps.items() if ok], [e for e, ok in exps.items() if not ok]),
    "\n".join(wrong))

# ---- Wycheproof: every honest key of the vectors loads ----
wy = os.path.join(VECTORS, "wycheproof")
if os.path.isdir(wy):
    keys, names = [], []
    for fn in sorted(os.listdir(wy)):
        if not fn.endswith(".json") or fn.startswith("hmac"):
            continue
        for g in json.load(open(os.path.join(wy, fn)))["testGroups"]:
            jwk = g.get("publicKeyJwk") or g.get("keyJwk")
            pk = g.get("publicKey") or {}
            if not jwk and "modulus" in pk:
                jwk = {"kty": "RSA", "n": b64(bytes.fromhex(pk["modulus"]).lstrip(b"\0")),
                       "e": b64(bytes.fromhex(pk["publicExponent"]).lstrip(b"\0"))}
            if jwk:
                keys.append({k: v for k, v in jwk.items()
                             if k in ("kty", "crv", "x", "y", "n", "e")})
                names.append(fn)
    refused, _ = load(keys)
    tap(keys and not refused, "Wycheproof: all %d ECDSA, Ed25519 and RSA public keys load (%s)"
        % (len(keys), ", ".join(sorted(set(names)))),
        "\n".join("%s: %s" % (names[i], r) for i, r in refused.items()))
else:
    print("ok %d - Wycheproof keys # SKIP no vectors at %s" % (n_tests + 1, wy))
    n_tests += 1

print("1..%d" % n_tests)
sys.exit(1 if n_failed else 0)
