"""Where requests go: the engine in this process (default) or any CDS Hooks service over HTTP.

The in-process target goes through the same validation, record reading and dispatch as the HTTP endpoint
(`hook_endpoints.run_service`), with the clock set to the order date; it neither checks caller JWTs nor writes
audit records (a replay is not a live consultation).

CDS Hooks has no clock parameter, so a remote service computes durations and ages as of its own today. With
`clock="shift"` (the default for HTTP) every date in the request is moved forward by (today - order date) days, so
the service sees the order as placed today and every interval (days since onset, length of a therapy course) is
unchanged. Ages can differ by a day around a birthday across a leap day. Dates in the response text are shifted too.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import orjson

from cds_service.errors import ApiError
from cds_service.replay.builder import Hook
from fhir_mappings.dates import today_utc
from hooks.response import HookResult

SELECT, SIGN = "order-select", "order-sign"
DATE_KEYS = {"birthDate", "deceasedDateTime", "authoredOn", "recordedDate", "onsetDateTime", "abatementDateTime",
             "performedDateTime", "effectiveDateTime", "dateAsserted", "occurrenceDateTime", "start", "end", "date",
             "issued", "lastUpdated"}
_DATE = re.compile(r"^(\d{4})(-\d{2})?(-\d{2})?(T.*)?$")


class TargetError(RuntimeError):
    pass


class InProcess:
    name = "in-process"

    def __init__(self, engine=None) -> None:
        from cds_service import discovery
        from cds_service.app import engine_options
        from cds_service.config import Settings
        from hooks.engine import Engine

        self.settings = Settings.from_env()
        self.engine = engine or Engine.create(engine_options(self.settings))
        self.services = discovery.SERVICES
        self.topic_titles = {t.url: t.title for t in self.engine.criteria.topics.values()}

    def hooks(self, sign: bool) -> list[Hook]:
        return _pick_hooks(self.services, sign, None, None)

    def call(self, service_id: str, body: dict, clock: date) -> tuple[int, dict, HookResult | None]:
        from cds_service.hook_endpoints import run_service
        try:
            result = run_service(self.engine, service_id, body, clock, self.settings)
        except ApiError as err:
            return err.status, {"status": err.status, "message": err.message, "field": err.field}, None
        return 200, result.body, result


class Http:
    name = "http"

    def __init__(self, url: str, clock: str = "shift", timeout: float = 30.0, jwt_key: str | None = None,
                 jwt_alg: str = "ES384", jwt_iss: str = "imaging-cds-replay", jwt_kid: str | None = None,
                 select_service: str | None = None, sign_service: str | None = None) -> None:
        import requests

        self.base = url.rstrip("/")
        if not self.base.endswith("/cds-services"):
            self.base += "/cds-services"
        self.clock, self.timeout = clock, timeout
        self.jwt_alg, self.jwt_iss, self.jwt_kid = jwt_alg, jwt_iss, jwt_kid
        self.jwt_key = Path(jwt_key).read_bytes() if jwt_key else None
        self._local = threading.local()
        self._requests = requests
        try:
            resp = self._session().get(self.base, timeout=timeout, headers={"Accept": "application/json"})
            resp.raise_for_status()
            self.services = resp.json()["services"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            raise TargetError(f"cannot read the discovery document at {self.base}: {exc}") from None
        self.select_service, self.sign_service = select_service, sign_service
        self.topic_titles: dict[str, str] = {}
        if self.jwt_key:
            self._token(self.base + "/probe")  # a bad key or algorithm fails before the run, not on every order

    def hooks(self, sign: bool) -> list[Hook]:
        return _pick_hooks(self.services, sign, self.select_service, self.sign_service)

    def _session(self):
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = self._requests.Session()
        return s

    def _token(self, audience: str) -> str:
        import jwt
        now = int(time.time())
        claims = {"iss": self.jwt_iss, "aud": audience, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
        headers = {"typ": "JWT", **({"kid": self.jwt_kid} if self.jwt_kid else {})}
        try:
            return jwt.encode(claims, self.jwt_key, algorithm=self.jwt_alg, headers=headers)
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise TargetError(f"cannot sign a JWT with the key file and {self.jwt_alg}: {exc}") from None

    def call(self, service_id: str, body: dict, clock: date) -> tuple[int, dict, None]:
        url = f"{self.base}/{service_id}"
        if self.clock == "shift":
            body = shift_dates(body, (today_utc() - clock).days)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.jwt_key:
            headers["Authorization"] = "Bearer " + self._token(url)
        try:
            resp = self._session().post(url, data=orjson.dumps(body), headers=headers, timeout=self.timeout)
        except self._requests.RequestException as exc:
            return 0, {"message": f"request failed: {type(exc).__name__}"}, None
        try:
            answer = resp.json()
        except ValueError:
            answer = {"message": f"response was not JSON (HTTP {resp.status_code})"}
        if not isinstance(answer, dict):
            answer = {"message": "response was not a JSON object"}
        return resp.status_code, answer, None


def _pick_hooks(services: list[dict], sign: bool, select_id: str | None, sign_id: str | None) -> list[Hook]:
    wanted = [(SELECT, select_id)] + ([(SIGN, sign_id)] if sign else [])
    hooks = []
    for hook, sid in wanted:
        match = [s for s in services if isinstance(s, dict) and s.get("hook") == hook and (sid is None or s.get("id") == sid)]
        if not match:
            raise TargetError(f"the service offers no {hook} service" + (f" with id '{sid}'" if sid else ""))
        hooks.append(Hook(hook, match[0]["id"], match[0].get("prefetch") or {}))
    return hooks


def shift_dates(value: object, days: int, key: str | None = None) -> object:
    """A copy with every FHIR date/dateTime under a date-valued key moved by `days` (precision kept)."""
    if isinstance(value, dict):
        return {k: shift_dates(v, days, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_dates(v, days, key) for v in value]
    if days and key in DATE_KEYS and isinstance(value, str):
        m = _DATE.match(value)
        if m:
            year, month, day, rest = m.groups()
            d = date(int(year), int(month[1:]) if month else 1, int(day[1:]) if day else 1) + timedelta(days=days)
            text = d.isoformat()[: 10 if day else 7 if month else 4]
            return text + (rest or "")
    return value
