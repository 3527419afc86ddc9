"""Discovery and the hook endpoints."""
from __future__ import annotations

import time
from datetime import date

import orjson
from flask import Blueprint, current_app, g, request

from cds_service import discovery, fhir_fetch, limits, validation
from cds_service.audit import hook_records
from cds_service.config import Settings
from cds_service.errors import ApiError, json_response
from fhir_mappings.dates import today_utc
from hooks import HookInputError, RecordUnavailable
from hooks.response import HookResult

bp = Blueprint("hooks", __name__)


@bp.get("/cds-services")
def list_services():
    return json_response({"services": discovery.SERVICES})


def read_json_body() -> object:
    raw = request.get_data(cache=False)
    if not raw:
        raise ApiError(400, "request body is empty; a JSON object is required", "(body)")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "request body is not valid JSON", "(body)") from None


@bp.post("/cds-services/<service_id>")
def call_service(service_id: str):
    started = time.perf_counter()
    service_or_404(service_id)  # an unknown service is a 404 whatever the body
    body = read_json_body()
    result = run_service(current_app.extensions["engine"], service_id, body, today_utc(),
                         current_app.config["SETTINGS"])
    cards, audit_rows = hook_records(service_id, body["hookInstance"], result,
                                     (time.perf_counter() - started) * 1000, g.get("caller"))
    current_app.extensions["storage"].record_hook(cards, audit_rows)  # committed before the answer goes out
    return json_response(result.body)


def service_or_404(service_id: str) -> dict:
    service = discovery.service(service_id)
    if service is None:
        raise ApiError(404, f"no CDS service with id '{service_id}'; see /cds-services", "id")
    return service


def run_service(engine, service_id: str, body: object, today: date, settings: Settings) -> HookResult:
    """Validate a hook request body and answer it as of `today`; shared by the endpoint and in-process replay."""
    service = service_or_404(service_id)
    validation.check("hook-request.schema.json", body)
    limits.check(body, settings)
    if body["hook"] != service["hook"]:
        raise ApiError(400, f"hook is '{body['hook']}' but service '{service_id}' answers '{service['hook']}'", "hook")
    record = fhir_fetch.patient_record(body, service["prefetch"], fhir_fetch.FetchOptions.from_settings(settings))
    handler = discovery.HANDLERS[service_id]
    try:
        return handler.handle(engine, body["context"], record, today)
    except HookInputError as exc:
        raise ApiError(400, exc.message, exc.field) from None
    except RecordUnavailable as exc:
        raise ApiError(412, str(exc)) from None
