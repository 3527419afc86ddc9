"""order-sign: the same rating over every draft imaging ServiceRequest (there are no selections)."""
from __future__ import annotations

from datetime import date

from fhir_mappings.orders import draft_orders, ordered_study
from fhir_mappings.record import PatientRecord
from hooks.engine import Engine
from hooks.rating import check_service_request
from hooks.response import HookResult, respond

HOOK = "order-sign"


def handle(engine: Engine, context: dict, record: PatientRecord, today: date) -> HookResult:
    orders = [o for o in draft_orders(context["draftOrders"])
              if o.resource_type == "ServiceRequest" and ordered_study(engine.tables, o.resource).imaging]
    for o in orders:
        check_service_request(o, f"context.draftOrders ({o.reference})")
    return respond(engine, orders, record, today)
