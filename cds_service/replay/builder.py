"""Hook requests as an EHR would have sent them when each imaging order was placed.

Every imaging ServiceRequest becomes an order-select request (and order-sign, when asked) with that order as the
draft and the selection; prefetch is filled by evaluating the service's prefetch templates against the patient's
resources; anything dated after the order's authoredOn is left out, and the clock is set to that date.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qsl

import orjson

from cds_service.fhir_fetch import expand
from cds_service.replay.sources import PatientGroup, Problem
from fhir_mappings.codes import CodeTables
from fhir_mappings.dates import fhir_date, today_utc
from fhir_mappings.orders import ordered_study
from fhir_mappings.parsing import r4_problem

DEFAULT_USER = "Practitioner/replay"
# when a resource became part of the record (first field present wins); undated resources are always visible
DATE_FIELDS = {
    "Condition": ("recordedDate", "onsetDateTime", "onsetPeriod.start"),
    "Procedure": ("performedDateTime", "performedPeriod.start"),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("dateAsserted", "effectiveDateTime", "effectivePeriod.start"),
    "ServiceRequest": ("authoredOn",),
}
SEARCH_PARAMS = {"patient", "subject"}


@dataclass(frozen=True, slots=True)
class Hook:
    name: str             # order-select / order-sign
    service_id: str
    prefetch: dict        # the service's prefetch templates (its discovery document)


@dataclass
class Case:
    """One imaging order and the request(s) built for it."""
    order: str                   # ServiceRequest/<id>
    patient: str
    authored: str | None
    clock: date
    procedure: str
    requests: dict[str, dict] = field(default_factory=dict)   # service id -> hook request body
    hidden: int = 0              # resources left out because they are dated after the order


def resource_date(resource: dict) -> date | None:
    for path in DATE_FIELDS.get(resource.get("resourceType"), ()):
        value: object = resource
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        d = fhir_date(value)
        if d is not None:
            return d
    return None


def prepare(group: PatientGroup, tables: CodeTables, hooks: list[Hook],
            user: str = DEFAULT_USER) -> tuple[list[Case], list[Problem], int]:
    """The cases for one patient's imaging orders, the problems found, and how many ServiceRequests were read.

    Resources are validated (FHIR R4) only for patients with an imaging order: those are the ones sent anywhere.
    """
    parsed = [(where, orjson.loads(p) if isinstance(p, bytes) else p) for where, p in group.items]
    requests = [(w, r) for w, r in parsed if r["resourceType"] == "ServiceRequest"]
    orders = [(w, r) for w, r in requests if ordered_study(tables, r).imaging]
    if not orders:
        return [], [], len(requests)
    problems: list[Problem] = []
    patient, record = None, []
    seen: set[tuple[str, str]] = set()
    for where, resource in parsed:
        rtype = resource["resourceType"]
        if rtype == "ServiceRequest":
            continue
        problem = r4_problem(resource)
        if problem:
            problems.append(Problem(where, f"invalid {rtype}, skipped: {problem}"))
            continue
        rid = resource.get("id")
        if isinstance(rid, str) and (rtype, rid) in seen:
            continue  # the same resource from two files (e.g. a Bundle and a single-resource file)
        seen.add((rtype, rid))
        if rtype == "Patient":
            patient = patient or resource
        else:
            record.append(resource)
    cases = []
    for where, order in orders:
        problem = r4_problem(order)
        if problem:
            problems.append(Problem(where, f"invalid ServiceRequest, skipped: {problem}"))
            continue
        if patient is None:
            subject = "no subject" if not group.key else f"subject Patient/{group.key}"
            problems.append(Problem(where, f"ServiceRequest for an unknown patient ({subject} is not in the input), "
                                           "skipped"))
            continue
        cases.append(build_case(order, patient, record, tables, hooks, user))
    return cases, problems, len(requests)


def build_case(order: dict, patient: dict, record: list[dict], tables: CodeTables, hooks: list[Hook],
               user: str = DEFAULT_USER) -> Case:
    order_id = order.get("id") or str(uuid.uuid4())
    authored = order.get("authoredOn") if isinstance(order.get("authoredOn"), str) else None
    clock = fhir_date(authored) or today_utc()
    visible = [r for r in record if (d := resource_date(r)) is None or d <= clock]
    study = ordered_study(tables, order)
    coding = study.coding or {}
    procedure = coding.get("display") or f"{coding.get('code', '')}"
    case = Case(f"ServiceRequest/{order_id}", patient["id"], authored, clock, procedure,
                hidden=len(record) - len(visible))
    draft = {**orjson.loads(orjson.dumps(order)), "id": order_id, "status": "draft"}
    requester = (order.get("requester") or {}).get("reference") if isinstance(order.get("requester"), dict) else None
    context = {"userId": requester if _is_user(requester) else user, "patientId": patient["id"],
               "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]}}
    encounter = (order.get("encounter") or {}).get("reference") if isinstance(order.get("encounter"), dict) else None
    if isinstance(encounter, str) and encounter.startswith("Encounter/"):
        context["encounterId"] = encounter.split("/", 1)[1]
    for hook in hooks:
        ctx = dict(context)
        if hook.name == "order-select":
            ctx["selections"] = [case.order]
        body = {"hook": hook.name, "hookInstance": str(uuid.uuid4()), "context": ctx,
                "prefetch": prefetch(hook.prefetch, ctx, patient, visible)}
        case.requests[hook.service_id] = body
    return case


def _is_user(ref: object) -> bool:
    return isinstance(ref, str) and ref.split("/")[0] in ("Practitioner", "PractitionerRole") and ref.count("/") == 1


def prefetch(templates: dict, context: dict, patient: dict, record: list[dict]) -> dict:
    """Evaluate each template (a read 'Type/id' or a search 'Type?patient=id') against this patient's resources.

    A template this replay cannot evaluate is left out, as an EHR that cannot prefetch it would.
    """
    out = {}
    for key, template in templates.items():
        query = expand(template, context)  # the same token filling as the service's FHIR-server fallback
        if query is None:
            continue
        value = _evaluate(query, patient, record)
        if value is not _UNSUPPORTED:
            out[key] = value
    return out


_UNSUPPORTED = object()


def _evaluate(query: str, patient: dict, record: list[dict]) -> object:
    path, _, params = query.partition("?")
    if not params:
        rtype, _, rid = path.partition("/")
        if rtype == "Patient" and rid == patient["id"]:
            return patient
        return _UNSUPPORTED
    pairs = parse_qsl(params)
    if not pairs or any(name not in SEARCH_PARAMS for name, _ in pairs):
        return _UNSUPPORTED
    if any(value.rsplit("/", 1)[-1] != patient["id"] for _, value in pairs):
        return _UNSUPPORTED
    matches = [r for r in record if r["resourceType"] == path]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(matches),
            "entry": [{"fullUrl": f"{r['resourceType']}/{r.get('id')}", "resource": r, "search": {"mode": "match"}}
                      for r in matches]}
