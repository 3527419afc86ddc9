"""Shared by both hooks: rate the orders, build cards and the rating system actions."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fhir_mappings.orders import DraftOrder
from fhir_mappings.record import PatientRecord
from hooks import RecordUnavailable
from hooks.cards import info_card, warning_card
from hooks.engine import Engine
from hooks.pama import rated_resource, rating_action
from hooks.rating import OrderRating, rate


@dataclass
class HookResult:
    body: dict
    ratings: list[OrderRating] = field(default_factory=list)
    cards_by_order: dict[str, dict] = field(default_factory=dict)


def respond(engine: Engine, orders: list[DraftOrder], record: PatientRecord, today: date) -> HookResult:
    ratings = [r for r in (rate(engine, o, record, today) for o in orders) if r is not None]
    if not record.keys_read and any(r.outcome == "unknown" for r in ratings):
        raise RecordUnavailable("the rating needs the patient's record: no prefetch was sent and no FHIR server "
                                "data could be read")
    cards, actions, by_order = [], [], {}
    for r in ratings:
        card = None
        if r.outcome == "not-appropriate":
            card = warning_card(engine, r)
        elif engine.options.info_cards:
            card = info_card(engine, r)
        if card:
            cards.append(card)
            by_order[r.order.reference] = card
        if r.rated:
            a = r.assessment
            resource = rated_resource(r.order.resource, r.outcome, r.consult_id, engine.options.qcdsm_id,
                                      a.category if a else None, a.topics[0].url if a and a.topics else None)
            actions.append(rating_action(resource))
    body: dict = {"cards": cards}
    if actions:
        body["systemActions"] = actions
        body["extension"] = {"systemActions": actions}
    return HookResult(body, ratings, by_order)
