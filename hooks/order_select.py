"""order-select: rate the newly selected imaging orders (the other draft orders are context only)."""
from __future__ import annotations

from datetime import date

from fhir_mappings.orders import draft_orders
from fhir_mappings.record import PatientRecord
from hooks import HookInputError
from hooks.engine import Engine
from hooks.rating import check_service_request
from hooks.response import HookResult, respond

HOOK = "order-select"


def handle(engine: Engine, context: dict, record: PatientRecord, today: date) -> HookResult:
    orders = {o.reference: o for o in draft_orders(context["draftOrders"])}
    selected = []
    for i, ref in enumerate(context["selections"]):
        order = orders.get(ref)
        if order is None:
            raise HookInputError(f"context.selections[{i}]", f"'{ref}' does not name a resource in context.draftOrders")
        if order.resource_type == "ServiceRequest":
            check_service_request(order, f"context.draftOrders ({ref})")
            selected.append(order)
    return respond(engine, selected, record, today)
