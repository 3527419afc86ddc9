"""Settings from the environment, with safe local defaults (localhost, SQLite, bundled criteria)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class ConfigError(ValueError):
    pass


def _choice(env: dict, name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = (env.get(name) or default).upper()
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _number(env: dict, name: str, default, minimum, cast=int):
    """A numeric setting: `cast` is int (whole numbers) or float."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = cast(raw)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise ConfigError(f"{name} must be {kind}, got {raw!r}") from None
    if not value >= minimum:  # also rejects nan
        raise ConfigError(f"{name} must be at least {minimum}, got {raw}")
    return value


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


SANDBOX_ISSUER = "https://sandbox.cds-hooks.org"
SANDBOX_JWKS = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
AUTH_MODES = ("off", "required")


@dataclass(frozen=True)
class TrustedIssuer:
    """A CDS client whose JWTs are accepted: its JWKS URL and the only `jku` values honoured in its tokens."""
    iss: str
    jwks_url: str | None = None
    jku: tuple[str, ...] = ()


def _key_url(url: object, where: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    loopback = parts is not None and parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts is None or not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ConfigError(f"{where} must be an https URL (http only on loopback), got {url!r}")
    return url


def _issuers(env: dict) -> tuple[TrustedIssuer, ...]:
    """AUTH_ISSUERS: JSON {"<iss>": {"jwks_url": "...", "jku": ["..."]}}; AUTH_PROFILE=demo adds the public sandbox."""
    raw = env.get("AUTH_ISSUERS") or "{}"
    try:
        spec = json.loads(raw)
    except ValueError:
        raise ConfigError("AUTH_ISSUERS must be a JSON object {iss: {jwks_url, jku: [...]}}") from None
    if not isinstance(spec, dict):
        raise ConfigError("AUTH_ISSUERS must be a JSON object {iss: {jwks_url, jku: [...]}}")
    issuers = []
    for iss, conf in spec.items():
        if not isinstance(conf, dict) or set(conf) - {"jwks_url", "jku"}:
            raise ConfigError(f"AUTH_ISSUERS[{iss!r}] may only have jwks_url and jku")
        jku = conf.get("jku", [])
        if not isinstance(jku, list):
            raise ConfigError(f"AUTH_ISSUERS[{iss!r}].jku must be a list of URLs")
        jwks = conf.get("jwks_url")
        if jwks is None and not jku:
            raise ConfigError(f"AUTH_ISSUERS[{iss!r}] needs a jwks_url or a jku allowlist")
        issuers.append(TrustedIssuer(iss, jwks and _key_url(jwks, f"AUTH_ISSUERS[{iss!r}].jwks_url"),
                                     tuple(_key_url(u, f"AUTH_ISSUERS[{iss!r}].jku") for u in jku)))
    profile = env.get("AUTH_PROFILE") or "production"
    if profile not in ("production", "demo"):
        raise ConfigError(f"AUTH_PROFILE must be production or demo, got {profile!r}")
    if profile == "demo" and SANDBOX_ISSUER not in spec:
        issuers.append(TrustedIssuer(SANDBOX_ISSUER, SANDBOX_JWKS, (SANDBOX_JWKS,)))
    return tuple(issuers)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    database_url: str = "sqlite:///var/imaging-cds.sqlite3"
    sqlite_audit_sync: str = "NORMAL"      # FULL: fsync the audit row of every hook call too (see storage.py)
    cors_origins: tuple[str, ...] = ("*",)
    max_body_bytes: int = 5 * 1024 * 1024
    max_draft_orders: int = 50              # context.draftOrders entries per call (413 above)
    max_prefetch_entries: int = 5000        # resources across all prefetch values (413 above)
    elderly_age: int = 65
    info_cards: bool = False
    qcdsm_id: str = "imaging-cds"
    criteria_packs: tuple[str, ...] = ()
    warn_confidences: frozenset[str] = field(default_factory=lambda: frozenset({"confirmed", "secondary", "inferred"}))
    auth_mode: str = "off"
    auth_issuers: tuple[TrustedIssuer, ...] = ()
    public_base_url: str | None = None   # as clients call us (behind a proxy); else the request's own URL
    auth_leeway_s: int = 30
    auth_max_token_lifetime_s: int = 3600
    # FHIR-server fallback for prefetch keys the EHR did not send (cds_service/fhir_fetch.py)
    fhir_deadline_seconds: float = 2.0
    fhir_connect_timeout_seconds: float = 0.5
    fhir_read_timeout_seconds: float = 1.5
    fhir_max_pages: int = 5
    fhir_server_allowlist: tuple[str, ...] = ()   # base-URL prefixes a request's fhirServer must start with; () = any

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        d = cls()
        confidences = frozenset(c.strip() for c in env.get("WARN_CONFIDENCES", "").split(",") if c.strip())
        allowed = {"confirmed", "secondary", "inferred"}
        if confidences - allowed:
            raise ConfigError(f"WARN_CONFIDENCES may list only {sorted(allowed)}, got {sorted(confidences)}")
        auth_mode = (env.get("AUTH_MODE") or d.auth_mode).lower()
        if auth_mode not in AUTH_MODES:
            raise ConfigError(f"AUTH_MODE must be one of {list(AUTH_MODES)}, got {auth_mode!r}")
        issuers = _issuers(env)
        if auth_mode == "required" and not issuers:
            raise ConfigError("AUTH_MODE=required needs AUTH_ISSUERS (or AUTH_PROFILE=demo for the public sandbox)")
        base = (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None
        if base and urlsplit(base).scheme not in ("http", "https"):
            raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) URL, got {base!r}")
        return cls(
            host=env.get("HOST") or d.host,
            port=_number(env, "PORT", d.port, 1),
            workers=_number(env, "WEB_CONCURRENCY", d.workers, 1),
            database_url=env.get("DATABASE_URL") or d.database_url,
            sqlite_audit_sync=_choice(env, "SQLITE_AUDIT_SYNC", d.sqlite_audit_sync, ("NORMAL", "FULL")),
            cors_origins=tuple(o.strip() for o in env.get("CORS_ORIGINS", "*").split(",") if o.strip()) or ("*",),
            max_body_bytes=_number(env, "MAX_BODY_BYTES", d.max_body_bytes, 1024),
            max_draft_orders=_number(env, "MAX_DRAFT_ORDERS", d.max_draft_orders, 1),
            max_prefetch_entries=_number(env, "MAX_PREFETCH_ENTRIES", d.max_prefetch_entries, 1),
            elderly_age=_number(env, "ELDERLY_AGE", d.elderly_age, 1),
            info_cards=_bool(env, "INFO_CARDS", d.info_cards),
            qcdsm_id=env.get("QCDSM_ID") or d.qcdsm_id,
            criteria_packs=tuple(p for p in env.get("CRITERIA_PACKS", "").split(os.pathsep) if p),
            warn_confidences=confidences or d.warn_confidences,
            auth_mode=auth_mode,
            auth_issuers=issuers,
            public_base_url=base,
            auth_leeway_s=_number(env, "AUTH_LEEWAY_S", d.auth_leeway_s, 0),
            auth_max_token_lifetime_s=_number(env, "AUTH_MAX_TOKEN_LIFETIME_S", d.auth_max_token_lifetime_s, 60),
            fhir_deadline_seconds=_number(env, "FHIR_DEADLINE_SECONDS", d.fhir_deadline_seconds, 0.05, float),
            fhir_connect_timeout_seconds=_number(env, "FHIR_CONNECT_TIMEOUT_SECONDS", d.fhir_connect_timeout_seconds, 0.01, float),
            fhir_read_timeout_seconds=_number(env, "FHIR_READ_TIMEOUT_SECONDS", d.fhir_read_timeout_seconds, 0.01, float),
            fhir_max_pages=_number(env, "FHIR_MAX_PAGES", d.fhir_max_pages, 1),
            fhir_server_allowlist=tuple(u.strip() for u in env.get("FHIR_SERVER_ALLOWLIST", "").split(",") if u.strip()),
        )
