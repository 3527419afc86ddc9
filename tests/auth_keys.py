"""Real signing keys for the JWT tests: EC P-384 and RSA key pairs, a JWKS served over HTTP on 127.0.0.1, and a
token minter that can break any part of a CDS Hooks client token."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: object

    def jwk(self) -> dict:
        algo = jwt.algorithms.ECAlgorithm if self.alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
        return {**algo.to_jwk(self.private.public_key(), as_dict=True), "kid": self.kid, "alg": self.alg,
                "use": "sig"}


def ec_key(kid: str = "ec-384", curve=ec.SECP384R1(), alg: str = "ES384") -> SigningKey:
    return SigningKey(kid, alg, ec.generate_private_key(curve))


def rsa_key(kid: str = "rsa-1", alg: str = "RS384") -> SigningKey:
    return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))


@dataclass
class JwksServer:
    """Serves {path: JWK Set} on a free loopback port and counts the requests per path."""
    sets: dict[str, dict]
    hits: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                body = json.dumps(server.sets[self.path]).encode() if self.path in server.sets else b"{}"
                self.send_response(200 if self.path in server.sets else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def mint(key: SigningKey | None, iss: str, aud: str, *, header: dict | None = None, alg: str | None = None,
         secret: bytes | None = None, drop: tuple[str, ...] = (), **claims) -> str:
    """A signed token (by `key`, or an HMAC `secret`, or unsigned with alg none); `drop` removes claims."""
    now = int(time.time())
    payload = {"iss": iss, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4()), **claims}
    for name in drop:
        payload.pop(name)
    headers = {"typ": "JWT", "kid": key.kid if key else "ec-384", **(header or {})}
    if secret is not None:
        return jwt.encode(payload, secret, algorithm=alg or "HS256", headers=headers)
    if key is None:
        return jwt.encode(payload, None, algorithm="none", headers=headers)
    return jwt.encode(payload, key.private, algorithm=alg or key.alg, headers=headers)
