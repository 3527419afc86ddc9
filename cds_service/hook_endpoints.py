"""Discovery and the hook endpoints."""
from __future__ import annotations

from datetime import date

import orjson
from flask import Blueprint, current_app, request

from cds_service import discovery, validation
from cds_service.errors import ApiError, json_response
from fhir_mappings.dates import today_utc
from fhir_mappings.record import record_from_prefetch
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
    _service(service_id)  # an unknown service is a 404 whatever the body
    result = run_service(current_app.extensions["engine"], service_id, read_json_body(), today_utc())
    return json_response(result.body)


def _service(service_id: str) -> dict:
    service = discovery.service(service_id)
    if service is None:
        raise ApiError(404, f"no CDS service with id '{service_id}'; see /cds-services", "id")
    return service


def run_service(engine, service_id: str, body: object, today: date) -> HookResult:
    """Validate a hook request body and answer it; the HTTP endpoint and in-process replay share this path."""
    service = _service(service_id)
    validation.check("hook-request.schema.json", body)
    if body["hook"] != service["hook"]:
        raise ApiError(400, f"hook is '{body['hook']}' but service '{service_id}' answers '{service['hook']}'", "hook")
    record = record_from_prefetch(body.get("prefetch"))
    handler = discovery.HANDLERS[service_id]
    try:
        return handler.handle(engine, body["context"], record, today)
    except HookInputError as exc:
        raise ApiError(400, exc.message, exc.field) from None
    except RecordUnavailable as exc:
        raise ApiError(412, str(exc)) from None
