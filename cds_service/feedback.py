"""POST /cds-services/<id>/feedback (CDS Hooks 2.0 "Feedback"): checked against the cards this service issued and
committed before the 200. A batch is stored whole or not at all."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, g

from cds_service import validation
from cds_service.errors import ApiError, json_response
from cds_service.hook_endpoints import read_json_body, service_or_404

bp = Blueprint("feedback", __name__)


def _timestamp(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.upper())
    except ValueError:
        raise ApiError(400, f"{field} is not a valid RFC 3339 date-time", field) from None
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


def _check_issued(service_id: str, items: list[dict], prefix: str) -> None:
    issued = current_app.extensions["storage"].issued([item["card"] for item in items])
    for n, item in enumerate(items):
        where = f"{prefix}[{n}]." if prefix else ""
        service, suggestions = issued.get(item["card"], (None, set()))
        if service != service_id:
            raise ApiError(400, f"{where}card '{item['card']}' is not a card issued by service '{service_id}'",
                           f"{where}card")
        for k, accepted in enumerate(item.get("acceptedSuggestions", [])):
            if accepted["id"] not in suggestions:
                raise ApiError(400, f"{where}acceptedSuggestions[{k}].id '{accepted['id']}' is not a suggestion "
                                    f"of card '{item['card']}'", f"{where}acceptedSuggestions[{k}].id")


def _row(service_id: str, item: dict, field: str) -> dict:
    reason = (item.get("overrideReason") or {}).get("reason") or {}
    caller = g.get("caller")
    return {
        "service_id": service_id,
        "card_uuid": item["card"],
        "outcome": item["outcome"],
        "accepted_suggestions": [s["id"] for s in item.get("acceptedSuggestions", [])],
        "override_reason_system": reason.get("system"),
        "override_reason_code": reason.get("code"),
        "user_comment": (item.get("overrideReason") or {}).get("userComment"),
        "outcome_timestamp": _timestamp(item["outcomeTimestamp"], field),
        "issuer": caller.issuer if caller else None,
        "tenant": caller.tenant if caller else None,
    }


@bp.post("/cds-services/<service_id>/feedback")
def post_feedback(service_id: str):
    service_or_404(service_id)
    body = read_json_body()
    validation.check("feedback.schema.json", body)
    wrapped = "feedback" in body
    items, prefix = (body["feedback"], "feedback") if wrapped else ([body], "")
    rows = [_row(service_id, item, f"{prefix}[{n}].outcomeTimestamp" if prefix else "outcomeTimestamp")
            for n, item in enumerate(items)]
    _check_issued(service_id, items, prefix)
    current_app.extensions["storage"].add_feedback(rows)
    return json_response({"stored": len(rows)})
