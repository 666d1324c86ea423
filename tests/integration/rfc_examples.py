#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The signed examples of RFC 7515 Appendix A through `pam_jwt-tool verify`.

The published keys and tokens live in tests/vectors/rfc7515.json.  A.1-A.3
carry JWT claims and must verify end to end (times checked as of 2011-03-22,
before their exp); each is also refused with one signature character changed
and refused at the real time (expired), so the acceptance is not an accident
of a switched-off check.  A.4 and RFC 8037 A.4 sign non-JSON payloads, which
the pipeline refuses by design; their signatures are checked one layer down by
tests/unit/test_rfc7515.c and tests/unit/test_rfc8037.c.  Prints TAP.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOOL = os.path.join(REPO, "build", "pam_jwt-tool")
VECTORS = os.path.join(REPO, "tests", "vectors", "rfc7515.json")

# exp of A.1-A.3 is 1300819380; checking as of a little earlier accepts them.
RFC_NOW = "1300819000"

# RFC 8037 A.2 (public key) and A.4 (the JWS): the payload is plain text.
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519",
               "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_JWS = ("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
               "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4"
               "iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")

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


def finish():
    print("1..%d" % n_tests)
    sys.exit(1 if n_failed else 0)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def public_jwk(jwk):
    # The configuration holds what a verifier needs; the published private
    # members stay in the vector file only.
    keep = {"RSA": ("kty", "n", "e"), "EC": ("kty", "crv", "x", "y"),
            "OKP": ("kty", "crv", "x"), "oct": ("kty", "k")}[jwk["kty"]]
    return {k: jwk[k] for k in keep}


def verify(conf, alg, key_opt, token, now=RFC_NOW):
    args = [TOOL, "verify", "--config", conf, "--set", "algorithms=" + alg, "--set", key_opt]
    if now:
        args += ["--now", now]
    p = subprocess.run(args + [token], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def flip_signature_char(token):
    h, p, s = token.split(".")
    i = len(s) // 2  # a middle character: all six bits are significant
    c = "B" if s[i] == "A" else "A"
    return "%s.%s.%s%s%s" % (h, p, s[:i], c, s[i + 1:])


def pem_of(jwk):
    """The JWK's public key as PEM (via jwcrypto), or None for oct keys."""
    if jwk["kty"] == "oct":
        return None
    from jwcrypto import jwk as jwc_jwk
    return jwc_jwk.JWK(**public_jwk(jwk)).export_to_pem().decode()


def check_example(ex, tmp, conf):
    app, alg, tok = ex["appendix"], ex["alg"], ex["jws"]
    jwks = write(os.path.join(tmp, app + ".jwks"),
                 json.dumps({"keys": [public_jwk(ex["jwk"])]}),
                 0o600 if ex["jwk"]["kty"] == "oct" else 0o644)
    sources = [("JWKS", "jwks_file=" + jwks)]
    pem = pem_of(ex["jwk"])
    if pem:
        sources.append(("PEM", "key_file=" + write(os.path.join(tmp, app + ".pem"), pem, 0o644)))
    header = json.loads(b64url_decode(tok.split(".")[0]))
    payload = b64url_decode(tok.split(".")[1])

    try:
        claims = json.loads(payload)
    except ValueError:
        claims = None
    if claims is None:
        # A.4: "Payload" is no JWT claims set; the module must refuse it as
        # such (a parse refusal, before any key is tried), not crash or accept.
        for name, opt in sources:
            rc, out, err = verify(conf, alg, opt, tok)
            tap(rc == 1 and "payload" in err and "JSON" in err,
                "RFC 7515 %s (%s, non-JSON payload) refused as not a claims set, key as %s"
                % (app, alg, name), "exit %d, stdout %r, stderr %r" % (rc, out, err))
        return

    for name, opt in sources:
        rc, out, err = verify(conf, alg, opt, tok)
        if tap(rc == 0, "RFC 7515 %s (%s) verifies, key as %s" % (app, alg, name),
               "exit %d: %s" % (rc, err.strip())):
            doc = json.loads(out)
            tap(doc == {"header": header, "claims": claims, "signer": "issuer"},
                "RFC 7515 %s: printed header and claims are the published ones (%s)"
                % (app, name), "got %r" % doc)
        rc, out, err = verify(conf, alg, opt, flip_signature_char(tok))
        tap(rc == 1 and out == "" and err.startswith("rejected:"),
            "RFC 7515 %s: one signature character changed is refused (%s)" % (app, name),
            "exit %d, stdout %r, stderr %r" % (rc, out, err.strip()))
    # At the real time the example is long expired: the time check is live.
    rc, out, err = verify(conf, alg, sources[0][1], tok, now=None)
    tap(rc == 1 and "exp" in err, "RFC 7515 %s: refused as expired without --now" % app,
        "exit %d: %s" % (rc, err.strip()))
    if alg.startswith("HS"):
        rc, out, err = verify(conf, "RS256", sources[0][1], tok)
        tap(rc == 1 and "not allowed" in err,
            "RFC 7515 %s: refused when algorithms does not list %s" % (app, alg),
            "exit %d: %s" % (rc, err.strip()))


def check_transcription(examples):
    """The vector file must be byte-exact: two other implementations accept
    every example with its published key, so a refusal further on is ours."""
    try:
        import jwt
        from jwcrypto import jwk as jwc_jwk
        from jwcrypto import jws as jwc_jws
    except ImportError as exc:
        tap(True, "vector file cross-checked by PyJWT and jwcrypto # SKIP %s" % exc)
        return
    for ex in examples:
        name = "rfc7515.json %s verifies under jwcrypto and PyJWT" % ex["appendix"]
        try:
            key = jwc_jwk.JWK(**ex["jwk"])
            s = jwc_jws.JWS()
            s.deserialize(ex["jws"])
            s.verify(key, alg=ex["alg"])
            algo = jwt.get_algorithm_by_name(ex["alg"])
            h, p, sig = ex["jws"].split(".")
            pk = (algo.prepare_key(b64url_decode(ex["jwk"]["k"])) if ex["jwk"]["kty"] == "oct"
                  else key.get_op_key("verify"))
            tap(algo.verify(("%s.%s" % (h, p)).encode(), pk, b64url_decode(sig)), name)
        except Exception as exc:  # any failure means a bad transcription
            tap(False, name, "%s: %s" % (type(exc).__name__, exc))


def main():
    if not os.access(TOOL, os.X_OK):
        tap(False, "%s exists (run make first)" % TOOL)
        finish()
    try:
        with open(VECTORS) as f:
            examples = json.load(f)["examples"]
    except (OSError, ValueError, KeyError) as exc:
        tap(False, "%s loads" % VECTORS, exc)
        finish()
    tap([e["appendix"] for e in examples] == ["A.1", "A.2", "A.3", "A.4"],
        "rfc7515.json holds Appendix A.1 to A.4")
    check_transcription(examples)
    with tempfile.TemporaryDirectory(prefix="pj-rfc-") as tmp:
        os.chmod(tmp, 0o700)
        conf = write(os.path.join(tmp, "empty.conf"), "", 0o644)
        for ex in examples:
            check_example(ex, tmp, conf)
        # RFC 8037 A.4 (Ed25519): same design refusal for a non-JSON payload.
        jwks = write(os.path.join(tmp, "rfc8037.jwks"), json.dumps({"keys": [RFC8037_JWK]}),
                     0o644)
        rc, out, err = verify(conf, "EdDSA", "jwks_file=" + jwks, RFC8037_JWS)
        tap(rc == 1 and "payload" in err and "JSON" in err,
            "RFC 8037 A.4 (EdDSA, non-JSON payload) refused as not a claims set",
            "exit %d, stdout %r, stderr %r" % (rc, out, err))
    finish()


if __name__ == "__main__":
    main()
