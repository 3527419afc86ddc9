"""CDS Hooks 2.0 "Trusting CDS Clients": a Bearer JWT from an allowlisted issuer, checked against its JWKS.

Asymmetric algorithms only (ES384/RS384, also ES256/RS256); `jku` honoured only when the issuer's allowlist names it
(never fetch a URL a token chooses); `aud` is this endpoint's URL; `exp`, `iat`, `jti` required; a `jti` is accepted
once until the token expires (kept in the database, so every worker shares it). Tokens are never logged.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

import jwt
from flask import Flask, g, request

from cds_service.audit import Caller
from cds_service.config import Settings, TrustedIssuer
from cds_service.errors import error_response
from cds_service.storage import Storage

log = logging.getLogger(__name__)

ALGORITHMS = ("ES384", "RS384", "ES256", "RS256")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
JWKS_TIMEOUT_S = 5
JWKS_CACHE_S = 300


class AuthError(Exception):
    pass


class Authenticator:
    def __init__(self, settings: Settings, storage: Storage):
        self.issuers: dict[str, TrustedIssuer] = {i.iss: i for i in settings.auth_issuers}
        self.leeway = settings.auth_leeway_s
        self.max_lifetime = settings.auth_max_token_lifetime_s
        self.storage = storage
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def _jwks_client(self, url: str) -> jwt.PyJWKClient:
        with self._lock:
            if url not in self._clients:
                self._clients[url] = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=JWKS_CACHE_S,
                                                     timeout=JWKS_TIMEOUT_S)
            return self._clients[url]

    def _key_set_url(self, issuer: TrustedIssuer, header: dict) -> str:
        jku = header.get("jku")
        if jku is not None:
            if jku not in issuer.jku:
                raise AuthError("the token's jku is not on this issuer's allowlist")
            return jku
        if not issuer.jwks_url:
            raise AuthError("the token has no jku and no JWKS URL is configured for its issuer")
        return issuer.jwks_url

    def _signing_key(self, url: str, kid: str) -> jwt.PyJWK:
        try:
            return self._jwks_client(url).get_signing_key(kid)
        except jwt.PyJWKClientConnectionError:
            raise AuthError("the issuer's key set could not be fetched") from None
        except jwt.PyJWKClientError:
            raise AuthError("no key with the token's kid in the issuer's key set") from None

    def verify(self, authorization: str | None, audience: str) -> Caller:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("an Authorization: Bearer <JWT> header is required")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError("the bearer token is not a well-formed JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise AuthError(f"token algorithm {alg!r} is not accepted; use one of {', '.join(ALGORITHMS)}")
        if str(header.get("typ", "")).upper() != "JWT":
            raise AuthError("the token header typ must be JWT")
        if not isinstance(header.get("kid"), str) or not header["kid"]:
            raise AuthError("the token header kid is required")
        issuer = self.issuers.get(unverified.get("iss")) if isinstance(unverified.get("iss"), str) else None
        if issuer is None:
            raise AuthError("the token's issuer is not trusted by this service")
        key = self._signing_key(self._key_set_url(issuer, header), header["kid"])
        claims = self._decode(token, key, alg, audience, issuer.iss)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise AuthError("the jti claim must be a non-empty string")
        now = datetime.now(timezone.utc).timestamp()
        if claims["exp"] - now > self.max_lifetime + self.leeway:
            raise AuthError(f"the token expires more than {self.max_lifetime} s from now")
        forget_at = datetime.fromtimestamp(claims["exp"] + self.leeway, timezone.utc).replace(tzinfo=None)
        if not self.storage.first_use_of_jti(issuer.iss, jti, forget_at):
            raise AuthError("the token was already used (jti seen before)")
        tenant = claims.get("tenant")
        return Caller(issuer.iss, tenant if isinstance(tenant, str) else None)

    def _decode(self, token: str, key: jwt.PyJWK, alg: str, audience: str, iss: str) -> dict:
        try:
            return jwt.decode(token, key, algorithms=[alg], audience=audience, issuer=iss, leeway=self.leeway,
                              options={"require": REQUIRED_CLAIMS})
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the {exc.claim} claim is required") from None
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token is not valid yet (iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise AuthError(f"the token's aud must be this endpoint's URL, {audience}") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the token signature does not verify") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise AuthError("the token is invalid") from None


def endpoint_url(settings: Settings) -> str:
    """The URL the client called, as it named it (PUBLIC_BASE_URL when behind a proxy)."""
    if settings.public_base_url:
        return settings.public_base_url + request.path
    return request.base_url


def register(app: Flask, settings: Settings, storage: Storage) -> None:
    """Every endpoint (discovery, hooks, feedback) needs a valid token when AUTH_MODE=required; CORS preflight never."""
    if settings.auth_mode == "off":
        return
    authenticator = Authenticator(settings, storage)

    @app.before_request
    def _authenticate():
        if request.method == "OPTIONS":
            return None
        try:
            g.caller = authenticator.verify(request.headers.get("Authorization"), endpoint_url(settings))
        except AuthError as exc:
            log.warning("rejected a request to %s: %s", request.path, exc)
            response = error_response(401, str(exc))
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        return None
