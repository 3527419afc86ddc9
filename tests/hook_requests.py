"""A real order-select / order-sign request whose lumbar MRI order gets a warning card (ACR LBP variant 1), with a
named patient and free text in the record so tests can check none of it is stored or logged."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
PATIENT_NAME = "Zebediah Quux"
CONDITION_NOTE = "Fell off a ladder at the Quux farm"
CONDITION_TEXT = "Sore back after gardening"


def _order(rid: str, cpt: str) -> dict:
    return {"resourceType": "ServiceRequest", "id": rid, "status": "draft", "intent": "order",
            "code": {"coding": [{"system": CPT, "code": cpt}]}, "subject": {"reference": "Patient/pat-1"},
            "reasonCode": [{"coding": [{"system": SNOMED, "code": "279039007", "display": "Low back pain"}]}]}


def _searchset(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def lbp_request(hook: str = "order-select", cpts: tuple[str, ...] = ("72148",)) -> dict:
    """Acute uncomplicated low back pain (10 days), 45-year-old: lumbar MRI 72148 is usually not appropriate."""
    orders = [_order(f"sr-{n}", cpt) for n, cpt in enumerate(cpts, 1)]
    onset = (date.today() - timedelta(days=10)).isoformat()
    condition = {"resourceType": "Condition", "id": "cond-1", "subject": {"reference": "Patient/pat-1"},
                 "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                                "code": "active"}]},
                 "code": {"coding": [{"system": ICD10CM, "code": "M54.50"}], "text": CONDITION_TEXT},
                 "onsetDateTime": onset, "note": [{"text": CONDITION_NOTE}]}
    patient = {"resourceType": "Patient", "id": "pat-1", "birthDate": f"{date.today().year - 45}-01-01",
               "name": [{"family": PATIENT_NAME.split()[1], "given": [PATIENT_NAME.split()[0]]}]}
    context = {"userId": "Practitioner/pr-1", "patientId": "pat-1",
               "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": o} for o in orders]}}
    if hook == "order-select":
        context["selections"] = [f"ServiceRequest/{orders[0]['id']}"]
    return {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context,
            "prefetch": {"patient": patient, "conditions": _searchset([condition]), "procedures": _searchset([]),
                         "medicationRequests": _searchset([]), "medicationStatements": None}}


def feedback_for(card: dict, outcome: str = "accepted", **extra) -> dict:
    item = {"card": card["uuid"], "outcome": outcome, "outcomeTimestamp": "2026-11-23T15:00:00.5Z"}
    if outcome == "accepted":
        item["acceptedSuggestions"] = [{"id": card["suggestions"][0]["uuid"]}]
    item.update(extra)
    return item
