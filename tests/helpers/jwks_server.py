#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An identity provider for tests/integration/jwks_fetch.sh: HTTPS on 127.0.0.1.

  jwks_server.py serve --cert PEM --key PEM --dir DIR [--port N]
  jwks_server.py serve --plain --dir DIR [--port N]
      Serves until killed (--plain: plain http, no TLS), on port N (default:
      a free one), written to DIR/port once listening.  Every request
      reads its behaviour from files in DIR, so the test steers the server by
      writing files:
        DIR/jwks.json  the JWKS served at /jwks (ETag: its SHA-256; a matching
                       If-None-Match gets 304)
        DIR/max-age    if present, "Cache-Control: max-age=N" on /jwks
        DIR/mode       normal (default), hang (accepts the connection, then
                       says nothing, not even the TLS handshake), big (50 MB
                       with Content-Length), bigstream (50 MB, no length),
                       malformed (JSON cut short), slow (answers normally
                       after DIR/delay milliseconds)
        DIR/evil.json  if present, a JWKS served at /evil and /x5u (the URLs a
                       token's own jku or x5u header names)
        DIR/http-url   where /disco-http's jwks_uri and /redirect-http point
                       (default http://127.0.0.1:PORT/jwks, this port)
        DIR/lists/NAME served at /lists/NAME (Status List Tokens, feeds), with
                       Content-Type application/statuslist+jwt, an ETag (its
                       SHA-256) and 304 for a matching If-None-Match
      and appends "PATH STATUS TIME" to DIR/requests.log for each request (a hang
      is logged as "- hang").  Paths: /jwks, /.well-known/openid-configuration
      (jwks_uri: https://127.0.0.1:PORT/jwks), /disco-http (jwks_uri over
      http://), /redirect-http (302 to the http:// URL), anything else 404.

  jwks_server.py jwks KID=PEM...
      Prints a JWKS of those public keys (alg from the key type, use sig).

  jwks_server.py bigjwks N KID=PEM FILLER-PEM...
      Prints a JWKS of N keys, compact: the key KID=PEM in the middle, the
      others the filler public keys in turn, with kids k-000000, k-000001...
      (a key set as large as wanted, from a few real keys).
"""
import hashlib
import http.server
import json
import os
import ssl
import sys
import threading
import time

BIG = 50 * 1024 * 1024


def jwks(args):
    from jwcrypto import jwk

    keys = []
    for arg in args:
        kid, path = arg.split("=", 1)
        with open(path, "rb") as f:
            k = jwk.JWK.from_pem(f.read())
        d = json.loads(k.export_public())
        alg = {"EC": {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}.get(d.get("crv")),
               "RSA": "RS256", "OKP": "EdDSA"}[d["kty"]]
        d.update(kid=kid, alg=alg, use="sig")
        keys.append(d)
    print(json.dumps({"keys": keys}, indent=1))


def bigjwks(args):
    from jwcrypto import jwk

    def load(path, kid):
        with open(path, "rb") as f:
            d = json.loads(jwk.JWK.from_pem(f.read()).export_public())
        d.update(kid=kid, use="sig")
        return d

    n = int(args[0])
    kid, path = args[1].split("=", 1)
    fillers = [load(p, "") for p in args[2:]]
    keys = []
    for i in range(n):
        if i == n // 2:
            keys.append(load(path, kid))
        else:
            d = dict(fillers[i % len(fillers)])
            d["kid"] = "k-%06d" % i
            keys.append(d)
    print(json.dumps({"keys": keys}, separators=(",", ":")))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends where the connection does

    def log_message(self, *args):
        pass

    def read_ctl(self, name, default=None):
        try:
            with open(os.path.join(self.server.dir, name)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return default

    def record(self, path, status):
        with self.server.lock, open(os.path.join(self.server.dir, "requests.log"), "a") as f:
            f.write("%s %s %.3f\n" % (path, status, time.time()))

    def handle(self):
        if self.read_ctl("mode", "normal") == "hang":
            self.record("-", "hang")
            # Nothing, not even the TLS handshake, until the client gives up.
            time.sleep(60)
            return
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError, OSError):
            pass

    def send(self, status, body, headers=()):
        self.record(self.path, status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_big(self, with_length):
        self.record(self.path, "big")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if with_length:
            self.send_header("Content-Length", str(BIG))
        self.end_headers()
        chunk = b" " * 65536
        try:
            for _ in range(BIG // len(chunk)):
                self.wfile.write(chunk)
        except (ssl.SSLError, ConnectionError, OSError):
            pass

    def do_GET(self):
        mode = self.read_ctl("mode", "normal")
        port = self.server.server_address[1]
        if mode == "slow":
            time.sleep(int(self.read_ctl("delay", "1000")) / 1000)
        if mode in ("big", "bigstream"):
            return self.send_big(mode == "big")
        if mode == "malformed":
            return self.send(200, b'{"keys": [{"kty": "EC", "crv"', [("ETag", '"broken"')])
        # A query only makes another URL (another cache file): /jwks?x is /jwks.
        if self.path.split("?", 1)[0] == "/jwks":
            body = (self.read_ctl("jwks.json", '{"keys": []}') + "\n").encode()
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            headers = [("ETag", etag), ("Content-Type", "application/json")]
            age = self.read_ctl("max-age")
            if age is not None:
                headers.append(("Cache-Control", "public, max-age=%s" % age))
            if self.headers.get("If-None-Match") == etag:
                self.record(self.path, 304)
                self.send_response(304)
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                return
            return self.send(200, body, headers)
        if self.path in ("/evil", "/x5u") and self.read_ctl("evil.json") is not None:
            return self.send(200, (self.read_ctl("evil.json") + "\n").encode(),
                             [("Content-Type", "application/json")])
        http_url = self.read_ctl("http-url", "http://127.0.0.1:%d/jwks" % port)
        if self.path.startswith("/lists/") and "/" not in self.path[7:]:
            try:
                with open(os.path.join(self.server.dir, "lists", self.path[7:]), "rb") as f:
                    body = f.read()
            except FileNotFoundError:
                return self.send(404, b"not found\n")
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            if self.headers.get("If-None-Match") == etag:
                self.record(self.path, 304)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            return self.send(200, body, [("ETag", etag),
                                         ("Content-Type", "application/statuslist+jwt")])
        if self.path in ("/.well-known/openid-configuration", "/disco-http"):
            uri = http_url if self.path == "/disco-http" else "https://127.0.0.1:%d/jwks" % port
            doc = {"issuer": "https://127.0.0.1:%d" % port, "jwks_uri": uri}
            return self.send(200, json.dumps(doc).encode(), [("Content-Type", "application/json")])
        if self.path == "/redirect-http":
            return self.send(302, b"", [("Location", http_url)])
        return self.send(404, b"not found\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that refuse our certificate are part of the tests


def serve(args):
    plain = "--plain" in args
    if plain:
        args = [a for a in args if a != "--plain"]
    opts = dict(zip(args[0::2], args[1::2]))
    srv = Server(("127.0.0.1", int(opts.get("--port", 0))), Handler)
    srv.dir = opts["--dir"]
    srv.lock = threading.Lock()
    if not plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts["--cert"], opts["--key"])
        # The handshake happens in the handler's thread, on its first read, so
        # that "hang" can withhold it and one stuck client never blocks others.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    tmp = os.path.join(srv.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(srv.dir, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "jwks":
        jwks(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "bigjwks":
        bigjwks(sys.argv[2:])
    else:
        sys.exit(__doc__)
