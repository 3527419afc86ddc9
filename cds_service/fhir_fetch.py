"""FHIR-server fallback: fetch the prefetch keys the EHR did not send from its `fhirServer`, within one deadline.

Only `fhirServer` + a discovery prefetch template (CDS Hooks prefetch tokens filled from the hook context) is ever
requested, and a Bundle `next` link is followed only while it stays under that base. A key that cannot be read
leaves its part of the record unread, with a note naming the part; nothing here raises past the hook.
Notes and logs never carry URLs, ids or the access token (they may identify the patient or grant access).
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import orjson
import requests

from cds_service.config import Settings
from cds_service.errors import ApiError
from fhir_mappings.record import PART_LABELS, PREFETCH_PARTS, PatientRecord, record_from_prefetch

log = logging.getLogger(__name__)
# urllib3 logs every request URL at DEBUG, and fallback URLs carry the patient id: keep that out of the logs
logging.getLogger("urllib3").setLevel(logging.WARNING)

FHIR_JSON = "application/fhir+json"
JSON_TYPES = {"application/fhir+json", "application/json", "application/json+fhir"}
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
CHUNK = 64 * 1024
TOKEN = re.compile(r"\{\{(.*?)\}\}")
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
USER_TOKENS = {"userPractitionerId": "Practitioner", "userPractitionerRoleId": "PractitionerRole",
               "userPatientId": "Patient", "userRelatedPersonId": "RelatedPerson"}


@dataclass(frozen=True)
class FetchOptions:
    deadline: float = 2.0            # seconds for all fetches of one hook call together
    connect_timeout: float = 0.5
    read_timeout: float = 1.5
    max_pages: int = 5               # per search key
    allowlist: tuple[str, ...] = ()  # base-URL prefixes fhirServer must start with; () = any http(s) server

    @classmethod
    def from_settings(cls, s: Settings) -> "FetchOptions":
        return cls(s.fhir_deadline_seconds, s.fhir_connect_timeout_seconds, s.fhir_read_timeout_seconds,
                   s.fhir_max_pages, s.fhir_server_allowlist)


@dataclass(frozen=True)
class FhirServer:
    base: str                 # without a trailing slash
    token: str | None = None  # fhirAuthorization.access_token


@dataclass
class KeyResult:
    value: dict | None = None            # a complete read or search (searches merged into one Bundle)
    entries: list | None = None          # a search read only in part
    problem: str | None = None           # why the key (or its remaining pages) could not be read


class FetchFailed(Exception):
    """`reason` is a short human phrase with no URL, id or token in it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# -- the request's fhirServer ----------------------------------------------------------------------------------

def fhir_server(body: dict, options: FetchOptions) -> FhirServer | None:
    """The request's FHIR server, or None without one; 400 when fhirServer is not a plain http(s) base URL."""
    url = body.get("fhirServer")
    if url is None:
        return None
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        _ = parts and parts.port  # raises for a port that is not a number in range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(400, "fhirServer must be an http or https URL", "fhirServer")
    if parts.username is not None or parts.password is not None or "?" in url or "#" in url:
        raise ApiError(400, "fhirServer must be a FHIR base URL without credentials, query or fragment", "fhirServer")
    base = url.rstrip("/")
    if options.allowlist and not any(_under(base + "/", prefix) for prefix in options.allowlist):
        raise ApiError(400, "fhirServer is not one of the FHIR servers this service is configured to use",
                       "fhirServer")
    auth = body.get("fhirAuthorization")
    token = auth.get("access_token") if isinstance(auth, dict) else None
    return FhirServer(base, token if isinstance(token, str) and token else None)


def _under(url: str, base: str) -> bool:
    """Whether url is base itself or below it (same scheme, host and port; path under base's path)."""
    try:
        u, b = urlsplit(url), urlsplit(base)
        if (u.scheme, u.hostname, u.port) != (b.scheme, b.hostname, b.port) or u.username or u.password:
            return False
    except ValueError:
        return False
    base_path = b.path.rstrip("/") + "/"
    segments = unquote(u.path).split("/")
    return (u.path.rstrip("/") + "/").startswith(base_path) and ".." not in segments and "." not in segments


# -- prefetch templates ------------------------------------------------------------------------------------------

def expand(template: str, context: dict) -> str | None:
    """The template with its CDS Hooks prefetch tokens filled in; None when a token is not one or has no safe value."""
    failed = False

    def fill(match: re.Match) -> str:
        nonlocal failed
        value = _token_value(match.group(1).strip(), context)
        if value is None:
            failed = True
            return ""
        return value

    path = TOKEN.sub(fill, template)
    return None if failed else path


def _token_value(token: str, context: dict) -> str | None:
    if token.startswith("context."):
        value = context.get(token[len("context."):])
        if not isinstance(value, str):
            return None
        rtype, _, rid = value.rpartition("/")
        if rtype and not rtype.isalpha():
            return None
        return value if _safe_id(rid) else None
    if token in USER_TOKENS:
        user = context.get("userId")
        rtype, _, rid = user.partition("/") if isinstance(user, str) else ("", "", "")
        return rid if rtype == USER_TOKENS[token] and _safe_id(rid) else None
    return None


def _safe_id(value: str) -> bool:
    return bool(FHIR_ID.match(value)) and value.strip(".") != ""


# -- fetching ----------------------------------------------------------------------------------------------------

def _session(server: FhirServer) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no ~/.netrc credentials to a caller-chosen server; proxies and CA set explicitly
    session.proxies = requests.utils.get_environ_proxies(server.base)
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or True
    session.headers["Accept"] = FHIR_JSON
    if server.token:
        session.headers["Authorization"] = f"Bearer {server.token}"
    return session


def _status_reason(status: int) -> str:
    if status in (401, 403):
        return f"access was refused, HTTP {status}"
    if status == 404:
        return "not found, HTTP 404"
    if 300 <= status < 400:
        return f"the server redirected elsewhere, HTTP {status}"
    if status >= 500:
        return f"server error, HTTP {status}"
    return f"unexpected answer, HTTP {status}"


def _get_json(session: requests.Session, url: str, opts: FetchOptions, deadline_at: float,
              cancel: threading.Event) -> dict:
    timed_out = FetchFailed(f"no answer within the {opts.deadline:g} s limit")
    remaining = deadline_at - time.monotonic()
    if remaining <= 0 or cancel.is_set():
        raise timed_out
    try:
        with session.get(url, stream=True, allow_redirects=False,
                         timeout=(min(opts.connect_timeout, remaining), min(opts.read_timeout, remaining))) as resp:
            if resp.status_code != 200:
                raise FetchFailed(_status_reason(resp.status_code))
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype and ctype not in JSON_TYPES:
                raise FetchFailed("the answer was not FHIR JSON")
            raw = bytearray()
            for chunk in resp.iter_content(CHUNK):
                raw += chunk
                if len(raw) > MAX_RESPONSE_BYTES:
                    raise FetchFailed("the answer was too large")
                if time.monotonic() > deadline_at or cancel.is_set():
                    raise timed_out
    except requests.Timeout:
        if time.monotonic() < deadline_at:  # the per-request timeout fired before the hook's deadline
            raise FetchFailed(f"no answer within the {opts.connect_timeout:g} s connect or "
                              f"{opts.read_timeout:g} s read timeout") from None
        raise timed_out from None
    except requests.RequestException:
        raise FetchFailed("the server could not be reached") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise FetchFailed("the answer was not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise FetchFailed("the answer was not a FHIR resource")
    return data


def _next_link(bundle: dict) -> str | None:
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None


def _entries(bundle: dict) -> list:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FetchFailed("the search result Bundle was malformed")
    return entries


def fetch_key(server: FhirServer, path: str, opts: FetchOptions, deadline_at: float,
              cancel: threading.Event) -> KeyResult:
    """One prefetch key: a read (Type/id) or a search (Type?...), following `next` pages up to the cap."""
    rtype = path.split("?")[0].split("/")[0]
    with _session(server) as session:
        try:
            data = _get_json(session, f"{server.base}/{path}", opts, deadline_at, cancel)
            if "?" not in path:
                if data["resourceType"] != rtype:
                    raise FetchFailed(f"the server answered with a {data['resourceType']}, not a {rtype}")
                return KeyResult(value=data)
            if data["resourceType"] != "Bundle":
                raise FetchFailed(f"the server answered with a {data['resourceType']}, not a search result Bundle")
            entries = _entries(data)
        except FetchFailed as exc:
            return KeyResult(problem=exc.reason)
        for _ in range(opts.max_pages - 1):
            url = _next_link(data)
            if url is None:
                return KeyResult(value={"resourceType": "Bundle", "type": "searchset", "entry": entries})
            if not _under(url, server.base):
                return KeyResult(entries=entries, problem="a next-page link pointed outside the FHIR server")
            try:
                data = _get_json(session, url, opts, deadline_at, cancel)
                if data["resourceType"] != "Bundle":
                    raise FetchFailed(f"a next page was a {data['resourceType']}, not a Bundle")
                entries = entries + _entries(data)
            except FetchFailed as exc:
                return KeyResult(entries=entries, problem=exc.reason)
        if _next_link(data) is None:
            return KeyResult(value={"resourceType": "Bundle", "type": "searchset", "entry": entries})
        return KeyResult(entries=entries, problem=f"more than {opts.max_pages} pages of results")


def _missing(prefetch: dict, key: str) -> bool:
    if key not in prefetch:
        return True
    value = prefetch[key]
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _note(key: str, path: str | None, reason: str, partly: bool) -> str:
    label = PART_LABELS[PREFETCH_PARTS[key]]
    what = f"{path.split('?')[0].split('/')[0]} {'search' if '?' in path else 'read'}" if path else key
    if partly:
        return f"{label} was only partly read from the EHR's FHIR server ({what}: {reason}); nothing was ruled out"
    return f"{label} could not be read from the EHR's FHIR server ({what}: {reason})"


def fetch_missing(record: PatientRecord, server: FhirServer, templates: dict[str, str], context: dict,
                  opts: FetchOptions) -> None:
    """Fetch every key of `templates` in parallel and add what was read to the record, all within opts.deadline."""
    started = time.monotonic()
    deadline_at = started + opts.deadline
    paths: dict[str, str] = {}
    for key, template in templates.items():
        if key not in PREFETCH_PARTS:
            continue
        path = expand(template, context)
        if path is None:
            record.notes.append(_note(key, None, "the hook context lacks a usable id for its query", False))
        else:
            paths[key] = path
    if not paths:
        return
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=len(paths), thread_name_prefix="fhir-fetch")
    futures = {key: pool.submit(fetch_key, server, path, opts, deadline_at, cancel) for key, path in paths.items()}
    wait(futures.values(), timeout=max(0.0, deadline_at - time.monotonic()))
    cancel.set()
    pool.shutdown(wait=False, cancel_futures=True)
    failed = 0
    for key, future in futures.items():
        result = _outcome(future, opts)
        if result.value is not None:
            record.add(key, result.value)
            continue
        failed += 1
        log.warning("FHIR server fallback: prefetch key %s not read (%s)", key, result.problem)
        note = _note(key, paths[key], result.problem or "unknown problem", result.entries is not None)
        if result.entries is not None:
            record.add_incomplete(key, result.entries, note)
        elif note not in record.notes:
            record.notes.append(note)
    log.info("FHIR server fallback: %d keys fetched, %d not read, %.0f ms",
             len(futures) - failed, failed, (time.monotonic() - started) * 1000)


def _outcome(future, opts: FetchOptions) -> KeyResult:
    if not future.done() or future.cancelled():
        return KeyResult(problem=f"no answer within the {opts.deadline:g} s limit")
    try:
        return future.result()
    except Exception as exc:  # a bug here must degrade the answer, not fail the hook; logged by type only
        log.error("FHIR server fallback failed with %s", type(exc).__name__)
        return KeyResult(problem="an internal error while reading it")


def patient_record(body: dict, templates: dict[str, str], opts: FetchOptions) -> PatientRecord:
    """The record from the request's prefetch, with keys that are absent or an OperationOutcome fetched from
    fhirServer when the request names one."""
    prefetch = body.get("prefetch") if isinstance(body.get("prefetch"), dict) else {}
    server = fhir_server(body, opts)
    wanted = [k for k in templates if _missing(prefetch, k)] if server else []
    record = record_from_prefetch({k: v for k, v in prefetch.items() if k not in wanted})
    if wanted:
        fetch_missing(record, server, {k: templates[k] for k in wanted}, body.get("context") or {}, opts)
    return record
