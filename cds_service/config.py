"""Settings from the environment, with safe local defaults (localhost, SQLite, bundled criteria)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field


class ConfigError(ValueError):
    pass


def _int(env: dict, name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
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


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    database_url: str = "sqlite:///var/imaging-cds.sqlite3"
    cors_origins: tuple[str, ...] = ("*",)
    max_body_bytes: int = 5 * 1024 * 1024
    max_draft_orders: int = 50              # context.draftOrders entries per call (413 above)
    max_prefetch_entries: int = 5000        # resources across all prefetch values (413 above)
    elderly_age: int = 65
    info_cards: bool = False
    qcdsm_id: str = "imaging-cds"
    criteria_packs: tuple[str, ...] = ()
    warn_confidences: frozenset[str] = field(default_factory=lambda: frozenset({"confirmed", "secondary", "inferred"}))

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        d = cls()
        confidences = frozenset(c.strip() for c in env.get("WARN_CONFIDENCES", "").split(",") if c.strip())
        allowed = {"confirmed", "secondary", "inferred"}
        if confidences - allowed:
            raise ConfigError(f"WARN_CONFIDENCES may list only {sorted(allowed)}, got {sorted(confidences)}")
        return cls(
            host=env.get("HOST") or d.host,
            port=_int(env, "PORT", d.port, 1),
            workers=_int(env, "WEB_CONCURRENCY", d.workers, 1),
            database_url=env.get("DATABASE_URL") or d.database_url,
            cors_origins=tuple(o.strip() for o in env.get("CORS_ORIGINS", "*").split(",") if o.strip()) or ("*",),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", d.max_body_bytes, 1024),
            max_draft_orders=_int(env, "MAX_DRAFT_ORDERS", d.max_draft_orders, 1),
            max_prefetch_entries=_int(env, "MAX_PREFETCH_ENTRIES", d.max_prefetch_entries, 1),
            elderly_age=_int(env, "ELDERLY_AGE", d.elderly_age, 1),
            info_cards=_bool(env, "INFO_CARDS", d.info_cards),
            qcdsm_id=env.get("QCDSM_ID") or d.qcdsm_id,
            criteria_packs=tuple(p for p in env.get("CRITERIA_PACKS", "").split(os.pathsep) if p),
            warn_confidences=confidences or d.warn_confidences,
        )
