#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Cross-checks pam_jwt against JWT implementations that are not ours.

For every algorithm pam_jwt supports: tokens signed by PyJWT and by jwcrypto
must verify with `pam_jwt-tool verify` (key as PEM and as a JWKS), tokens
signed by `pam_jwt-tool sign` must verify under PyJWT and jwcrypto, and the
negative controls (a changed payload, a different key) must be refused, so a
verifier that accepted everything could not pass.  EdDSA runs with Ed25519 and
with Ed448 keys (RFC 8037); RFC 9864's Ed25519 and Ed448, which Debian's PyJWT
and jwcrypto do not name yet, are signed and verified by PyJWT's own EdDSA code
registered under the new names (the signature is the same, only the header's
alg differs), and jwcrypto checks pam_jwt-tool's signatures by their bytes.  Keys are generated per run
into a private temporary directory.  Prints TAP.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOOL = os.path.join(REPO, "build", "pam_jwt-tool")

n_tests = 0
n_failed = 0


def tap(cond, name, diag=None):
    global n_tests, n_failed
    n_tests += 1
    if cond:
        print("ok %d - %s" % (n_tests, name))
    else:
        n_failed += 1
        print("not ok %d - %s" % (n_tests, name))
        if diag:
            for line in str(diag).splitlines():
                print("# " + line)
    sys.stdout.flush()
    return cond


def finish():
    print("1..%d" % n_tests)
    sys.exit(1 if n_failed else 0)


try:
    import jwt  # PyJWT
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from jwt.algorithms import OKPAlgorithm
    from jwcrypto import jwk as jwc_jwk
    from jwcrypto import jwt as jwc_jwt
except ImportError as exc:  # the Debian packages python3-jwt, python3-jwcrypto
    tap(False, "PyJWT, jwcrypto and cryptography import (%s)" % exc)
    finish()

if not os.access(TOOL, os.X_OK):
    tap(False, "%s exists (run make first)" % TOOL)
    finish()

HMAC_LEN = {"HS256": 32, "HS384": 48, "HS512": 64}
RSA_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
EC_CURVES = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
# "EdDSA-Ed448" is EdDSA (the header's alg) with an Ed448 key.
OKP_ALGS = ["EdDSA", "EdDSA-Ed448", "Ed25519", "Ed448"]
ALGS = list(HMAC_LEN) + RSA_ALGS + list(EC_CURVES) + OKP_ALGS
# PyJWT with RFC 9864's names: its EdDSA code, which takes the key's curve.
for _name in ("Ed25519", "Ed448"):
    jwt.register_algorithm(_name, OKPAlgorithm())
PYJWT = jwt

NOW = int(time.time())


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)  # umask must not widen or narrow what the test means
    return path


def run_tool(args, stdin=None):
    p = subprocess.run([TOOL] + args, input=stdin, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


class KeyPair:
    """One algorithm's signing material in every form the checks need."""

    def __init__(self, alg, tmp, tag):
        self.alg = "EdDSA" if alg == "EdDSA-Ed448" else alg  # the header's alg
        self.kid = "%s-%s" % (alg.lower(), tag)
        base = os.path.join(tmp, "%s-%s" % (alg, tag))
        if alg in HMAC_LEN:
            self.secret = os.urandom(HMAC_LEN[alg])
            self.priv = self.pub = self.secret
            jwk_priv = jwc_jwk.JWK(kty="oct", k=b64url(self.secret))
            self.pub_pem = self.priv_pem = None
            self.jwk_pub_json = jwk_priv.export(private_key=True)
            self.jwk_priv_json = self.jwk_pub_json
            self.jwc_priv = self.jwc_pub = jwk_priv
        else:
            if alg in RSA_ALGS:
                self.priv = rsa_key(tag)
            elif alg in EC_CURVES:
                self.priv = ec.generate_private_key(EC_CURVES[alg]())
            elif alg in ("EdDSA-Ed448", "Ed448"):
                self.priv = ed448.Ed448PrivateKey.generate()
            else:
                self.priv = ed25519.Ed25519PrivateKey.generate()
            self.pub = self.priv.public_key()
            pem_priv = self.priv.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption())
            pem_pub = self.pub.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
            self.pub_pem = write(base + ".pub.pem", pem_pub, 0o644)
            self.priv_pem = write(base + ".key.pem", pem_priv, 0o600)
            self.jwc_priv = jwc_jwk.JWK.from_pem(pem_priv)
            self.jwc_pub = jwc_jwk.JWK.from_pem(pem_pub)
            self.jwk_pub_json = self.jwc_pub.export_public()
            self.jwk_priv_json = self.jwc_priv.export_private()
        # A JWKS as a server would publish it, plus one with kid and alg set.
        pub = json.loads(self.jwk_pub_json)
        secret_mode = 0o600 if alg in HMAC_LEN else 0o644
        self.jwks = write(base + ".jwks", json.dumps({"keys": [pub]}), secret_mode)
        pub_kid = dict(pub, kid=self.kid, alg=self.alg)
        self.jwks_kid = write(base + ".kid.jwks", json.dumps({"keys": [pub_kid]}), secret_mode)
        self.jwk_priv = write(base + ".key.jwk", self.jwk_priv_json, 0o600)


_rsa_cache = {}


def rsa_key(tag):
    # One 2048-bit pair per tag is shared by RS* and PS*: key generation is
    # the slow part of this test, and the algorithms differ in padding only.
    if tag not in _rsa_cache:
        _rsa_cache[tag] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _rsa_cache[tag]


def claims_for(alg):
    # Nested values, non-ASCII text and a long string: the printed claims must
    # come back exactly as signed, not merely "something verified".
    return {
        "sub": "alice",
        "iss": "crosscheck",
        "aud": ["pam", "other"],
        "iat": NOW,
        "nbf": NOW - 10,
        "exp": NOW + 600,
        "jti": "jti-" + alg,
        "name": "Al\u00efce \u00c5ngstr\u00f6m \u2713",
        "groups": ["wheel", {"nested": [1, 2, {"deep": None}]}, True, False],
        "pad": "abcdefghijklmnopqrstuvwxyz" * 4,
    }


def verify_args(conf, alg, key_opts, user="alice"):
    args = ["verify", "--config", conf]
    if user:
        args += ["--user", user]
    if alg in HMAC_LEN:
        args += ["--set", "algorithms=" + alg]
    for k in key_opts:
        args += ["--set", k]
    return args


def check_accept(label, conf, alg, key_opts, token, want_claims):
    rc, out, err = run_tool(verify_args(conf, alg, key_opts), token)
    if not tap(rc == 0, label, "exit %d, stderr: %s" % (rc, err.strip())):
        return
    try:
        doc = json.loads(out)
    except ValueError as exc:
        tap(False, label + ": output is JSON", "%s: %r" % (exc, out))
        return
    tap(doc.get("claims") == want_claims and doc.get("header", {}).get("alg") == alg,
        label + ": printed claims equal the signed ones",
        "got %r\nwant %r" % (doc, want_claims))


def check_reject(label, conf, alg, key_opts, token, reason_has=None):
    rc, out, err = run_tool(verify_args(conf, alg, key_opts), token)
    ok = rc == 1 and out == "" and err.startswith("rejected:")
    if ok and reason_has:
        ok = reason_has in err
    tap(ok, label, "exit %d, stdout %r, stderr %r" % (rc, out, err.strip()))


def tamper_payload(token):
    """The token with one base64url character of the payload changed so that
    the payload still decodes to a JSON object that differs from the signed
    one: only the signature can then tell."""
    h, p, s = token.split(".")
    orig = json.loads(b64url_decode(p))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # The last character may carry padding bits a strict decoder refuses.
    for i in range(len(p) // 2, len(p) - 1):
        for c in alphabet:
            if c == p[i]:
                continue
            q = p[:i] + c + p[i + 1:]
            try:
                doc = json.loads(b64url_decode(q).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(doc, dict) and doc != orig:
                return "%s.%s.%s" % (h, q, s)
    return None


def pyjwt_key(kp, private):
    if kp.alg in HMAC_LEN:
        return kp.secret
    return kp.priv if private else kp.pub


def pyjwt_encode(kp, claims, private=True):
    key = pyjwt_key(kp, private)
    return PYJWT.encode(claims, key, algorithm=kp.alg)


def pyjwt_decode(kp, token, key=None, **kw):
    return PYJWT.decode(token, key if key is not None else pyjwt_key(kp, False),
                        algorithms=[kp.alg], **kw)


def fully_specified(alg):
    return alg in ("Ed25519", "Ed448")


def jwcrypto_sign(kp, claims, kid=None):
    header = {"alg": kp.alg, "typ": "JWT"}
    if kid:
        header["kid"] = kid
    t = jwc_jwt.JWT(header=header, claims=claims)
    t.make_signed_token(kp.jwc_priv)
    return t.serialize()


def jwcrypto_verify(kp, token):
    if fully_specified(kp.alg):
        # jwcrypto 1.1 knows EdDSA only: its EdDSA checks the signature over
        # the token's own signing input (the bytes are EdDSA's either way).
        from jwcrypto.jwa import JWA
        h, p, sig = token.split(".")
        JWA.signing_alg("EdDSA").verify(kp.jwc_pub, ("%s.%s" % (h, p)).encode(),
                                        b64url_decode(sig))
        return json.loads(b64url_decode(p))
    t = jwc_jwt.JWT(jwt=token, key=kp.jwc_pub, algs=[kp.alg])
    return json.loads(t.claims)


def run_alg(alg, tmp, conf):
    kp = KeyPair(alg, tmp, "a")
    other = KeyPair(alg, tmp, "b")
    claims = claims_for(alg)
    hmac = alg in HMAC_LEN

    # Key sources pam_jwt is pointed at.  HMAC secrets have no PEM form.
    sources = [("JWKS", ["jwks_file=" + kp.jwks])]
    if not hmac:
        sources.insert(0, ("PEM", ["key_file=" + kp.pub_pem]))

    # (a) PyJWT signs, pam_jwt verifies.
    tok_py = pyjwt_encode(kp, claims)
    for name, opts in sources:
        check_accept("%s: PyJWT token verifies, key as %s" % (alg, name), conf, kp.alg, opts,
                     tok_py, claims)

    # (b) jwcrypto signs, pam_jwt verifies; once more with a kid that must
    # select the key (KID=PATH for PEM, "kid" member in the JWKS).
    signer = jwcrypto_sign
    if fully_specified(alg):
        signer = lambda kp, claims, kid=None: PYJWT.encode(  # noqa: E731
            claims, pyjwt_key(kp, True), algorithm=kp.alg, headers={"kid": kid} if kid else None)
    tok_jc = signer(kp, claims)
    lib = "PyJWT" if fully_specified(alg) else "jwcrypto"
    for name, opts in sources:
        check_accept("%s: %s token verifies, key as %s" % (alg, lib, name), conf, kp.alg,
                     opts, tok_jc, claims)
    tok_jc_kid = signer(kp, claims, kid=kp.kid)
    kid_sources = [("JWKS with kid", ["jwks_file=" + kp.jwks_kid])]
    if not hmac:
        kid_sources.insert(0, ("KID=PEM", ["key_file=%s=%s" % (kp.kid, kp.pub_pem)]))
    for name, opts in kid_sources:
        check_accept("%s: %s token with kid verifies, key as %s" % (alg, lib, name), conf,
                     kp.alg, opts, tok_jc_kid, claims)

    # (c) pam_jwt-tool signs (private key as PEM and as a JWK), the others verify.
    sign_keys = [("private JWK", kp.jwk_priv)]
    if not hmac:
        sign_keys.insert(0, ("private PEM", kp.priv_pem))
    for name, path in sign_keys:
        rc, out, err = run_tool(["sign", "--key", path, "--alg", kp.alg, "--sub", "alice",
                                 "--iss", "crosscheck", "--claim", "name=\u00c5ngstr\u00f6m"])
        tok = out.strip()
        if not tap(rc == 0 and tok.count(".") == 2,
                   "%s: pam_jwt-tool signs with %s" % (alg, name), "exit %d: %s" % (rc, err)):
            continue
        try:
            got = pyjwt_decode(kp, tok, options={"require": ["exp", "iat", "sub"]})
            tap(got.get("sub") == "alice" and got.get("name") == "\u00c5ngstr\u00f6m",
                "%s: PyJWT verifies pam_jwt-tool's token (%s)" % (alg, name), repr(got))
        except Exception as exc:  # any refusal is a failure of the cross-check
            tap(False, "%s: PyJWT verifies pam_jwt-tool's token (%s)" % (alg, name),
                "%s: %s" % (type(exc).__name__, exc))
        try:
            got = jwcrypto_verify(kp, tok)
            tap(got.get("sub") == "alice" and got.get("iss") == "crosscheck",
                "%s: jwcrypto verifies pam_jwt-tool's token (%s)" % (alg, name), repr(got))
        except Exception as exc:
            tap(False, "%s: jwcrypto verifies pam_jwt-tool's token (%s)" % (alg, name),
                "%s: %s" % (type(exc).__name__, exc))
        # The signature must not verify under a different key either: PyJWT
        # accepting it would mean this check proves nothing.
        try:
            pyjwt_decode(kp, tok, key=pyjwt_key(other, False))
            tap(False, "%s: PyJWT refuses pam_jwt-tool's token under another key (%s)"
                % (alg, name))
        except jwt.InvalidSignatureError:
            tap(True, "%s: PyJWT refuses pam_jwt-tool's token under another key (%s)"
                % (alg, name))

    # (d) Negative controls: the same configuration that accepted tok_py must
    # refuse it once changed, and refuse a token from another key.
    bad = tamper_payload(tok_py)
    if tap(bad is not None, "%s: a payload character can be changed keeping JSON" % alg):
        for name, opts in sources:
            check_reject("%s: changed payload refused, key as %s" % (alg, name), conf, alg,
                         opts, bad, "signature")
    tok_other = pyjwt_encode(other, claims)
    for name, opts in sources:
        check_reject("%s: token from another key refused, key as %s" % (alg, name), conf,
                     alg, opts, tok_other, "signature")
    if hmac:
        # HS* is off unless listed: the allowlist is live, not decorative.
        rc, out, err = run_tool(["verify", "--config", conf, "--user", "alice", "--set",
                                 "jwks_file=" + kp.jwks], tok_py)
        tap(rc == 1 and "not allowed" in err,
            "%s: refused while algorithms does not list it" % alg,
            "exit %d: %s" % (rc, err.strip()))
    # The user binding sees the signed sub.
    rc, out, err = run_tool(verify_args(conf, alg, sources[0][1], user="bob"), tok_py)
    tap(rc == 1, "%s: token for alice refused for bob" % alg, "exit %d: %s" % (rc, err.strip()))
    if kp.alg in ("Ed25519", "Ed448"):
        # RFC 9864: the name is bound to its curve, whatever the key fits.
        wrong = "Ed448" if kp.alg == "Ed25519" else "Ed25519"
        relabeled = PYJWT.encode(claims, pyjwt_key(kp, True), algorithm=wrong)
        for name, opts in sources:
            check_reject("%s: a %s key signing as %s refused, key as %s"
                         % (alg, kp.alg, wrong, name), conf, wrong, opts, relabeled,
                         "does not fit alg " + wrong)


def main():
    with tempfile.TemporaryDirectory(prefix="pj-crosscheck-") as tmp:
        os.chmod(tmp, 0o700)
        conf = write(os.path.join(tmp, "empty.conf"), "", 0o644)
        for alg in ALGS:
            try:
                run_alg(alg, tmp, conf)
            except Exception as exc:  # report and go on with the next algorithm
                import traceback
                tap(False, "%s: cross-check ran to the end" % alg,
                    "".join(traceback.format_exception(exc)))
    finish()


if __name__ == "__main__":
    main()
