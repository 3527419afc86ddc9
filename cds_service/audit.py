"""The audit trail of a hook call: one record per rated order, identifiers and codes only (no names, no free text)."""
from __future__ import annotations

from dataclasses import dataclass

from cds_service.storage import IssuedCard
from hooks.rating import OrderRating
from hooks.response import HookResult


@dataclass(frozen=True)
class Caller:
    """Who called, from a verified JWT (None when authentication is off)."""
    issuer: str
    tenant: str | None = None


def _fact_codes(r: OrderRating) -> list[dict]:
    codes = []
    for concept, ev in r.evidence_used():
        entry = {"concept": concept, "source": ev.source}
        if ev.system and ev.code:
            entry.update(system=ev.system, code=ev.code)
        codes.append(entry)
    return codes


def _suggestion_uuids(card: dict | None) -> list[str]:
    return [s["uuid"] for s in (card or {}).get("suggestions", []) if isinstance(s.get("uuid"), str)]


def audit_row(service_id: str, hook_instance: str, r: OrderRating, card: dict | None, latency_ms: float,
              caller: Caller | None) -> dict:
    coding = r.study.coding or {}
    return {
        "consult_id": r.consult_id,
        "hook_instance": hook_instance,
        "service_id": service_id,
        "issuer": caller.issuer if caller else None,
        "tenant": caller.tenant if caller else None,
        "order_reference": r.order.reference,
        "order_system": coding.get("system") if isinstance(coding.get("system"), str) else None,
        "order_code": coding.get("code") if isinstance(coding.get("code"), str) else None,
        "procedure_id": r.study.code.procedure if r.study.code else None,
        "variants": [{"variant": c.variant.id, "status": c.status} for c in (r.assessment.considered
                                                                              if r.assessment else ())],
        "rating": r.outcome,
        "card_uuid": card.get("uuid") if card else None,
        "suggestion_uuids": _suggestion_uuids(card),
        "fact_codes": _fact_codes(r),
        "latency_ms": round(latency_ms, 1),
    }


def hook_records(service_id: str, hook_instance: str, result: HookResult, latency_ms: float,
                 caller: Caller | None) -> tuple[list[IssuedCard], list[dict]]:
    """The cards to remember (for feedback) and the audit rows of one hook answer."""
    rows, cards = [], {}
    for r in result.ratings:
        card = result.cards_by_order.get(r.order.reference)
        rows.append(audit_row(service_id, hook_instance, r, card, latency_ms, caller))
        if card and isinstance(card.get("uuid"), str):  # keyed by uuid: orders sharing a reference share a card
            cards[card["uuid"]] = IssuedCard(card["uuid"], service_id, hook_instance, r.consult_id,
                                             tuple(_suggestion_uuids(card)))
    return list(cards.values()), rows
