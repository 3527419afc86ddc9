"""Small builders for real FHIR R4 JSON and CDS Hooks requests used across the tests."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PATIENT_ID = "pat-1"


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def born_years_ago(years: int) -> str:
    return date(date.today().year - years, 1, 1).isoformat()


def coding(system: str, code: str, display: str | None = None) -> dict:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def service_request(code: str, *, system: str = CPT, display: str | None = None, rid: str = "sr-1",
                    reasons: list[dict] | None = None, **extra) -> dict:
    sr = {"resourceType": "ServiceRequest", "id": rid, "status": "draft", "intent": "order",
          "code": {"coding": [coding(system, code, display)]},
          "subject": {"reference": f"Patient/{PATIENT_ID}"}}
    if reasons:
        sr["reasonCode"] = [{"coding": [r]} for r in reasons]
    sr.update(extra)
    return sr


def patient(age: int = 45) -> dict:
    return {"resourceType": "Patient", "id": PATIENT_ID, "birthDate": born_years_ago(age), "gender": "female"}


def condition(code: str, system: str = ICD10CM, *, onset_days: int | None = None, status: str = "active",
              verification: str = "confirmed", rid: str | None = None, display: str | None = None) -> dict:
    c = {"resourceType": "Condition", "id": rid or f"cond-{uuid.uuid4().hex[:8]}",
         "clinicalStatus": {"coding": [coding("http://terminology.hl7.org/CodeSystem/condition-clinical", status)]},
         "verificationStatus": {"coding": [coding("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                  verification)]},
         "code": {"coding": [coding(system, code, display)]},
         "subject": {"reference": f"Patient/{PATIENT_ID}"}}
    if onset_days is not None:
        c["onsetDateTime"] = days_ago(onset_days)
    return c


def procedure(code: str, system: str = CPT, *, start_days: int, end_days: int | None = None,
              status: str = "completed") -> dict:
    p = {"resourceType": "Procedure", "id": f"proc-{uuid.uuid4().hex[:8]}", "status": status,
         "code": {"coding": [coding(system, code)]}, "subject": {"reference": f"Patient/{PATIENT_ID}"}}
    if end_days is None:
        p["performedDateTime"] = days_ago(start_days)
    else:
        p["performedPeriod"] = {"start": days_ago(start_days), "end": days_ago(end_days)}
    return p


def medication_request(rxnorm: str, text: str, *, authored_days: int, status: str = "active") -> dict:
    return {"resourceType": "MedicationRequest", "id": f"med-{uuid.uuid4().hex[:8]}", "status": status,
            "intent": "order", "medicationCodeableConcept": {"coding": [coding(RXNORM, rxnorm, text)], "text": text},
            "subject": {"reference": f"Patient/{PATIENT_ID}"}, "authoredOn": days_ago(authored_days)}


def searchset(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r} for r in resources]}


def full_prefetch(age: int = 45, conditions=(), procedures=(), medications=()) -> dict:
    """Every prefetch key the discovery document asks for, as an EHR that honours them all would send."""
    return {"patient": patient(age), "conditions": searchset(list(conditions)),
            "procedures": searchset(list(procedures)), "medicationRequests": searchset(list(medications)),
            "medicationStatements": None}


def hook_request(orders: list[dict], *, hook: str = "order-select", selections: list[str] | None = None,
                 prefetch: dict | None = None, typed_bundle: bool = True) -> dict:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": o} for o in orders]}
    if typed_bundle:
        bundle["type"] = "collection"
    context = {"userId": "Practitioner/pr-1", "patientId": PATIENT_ID, "draftOrders": bundle}
    if hook == "order-select":
        context["selections"] = selections if selections is not None else [f"ServiceRequest/{orders[0]['id']}"]
    body = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def pama_rating(response: dict, order_id: str | None = None) -> str | None:
    """The pama-rating code the response attaches to an order (from extension.systemActions, as the sandbox reads)."""
    for action in (response.get("extension") or {}).get("systemActions", []):
        res = action["resource"]
        if order_id and res.get("id") != order_id:
            continue
        for ext in res.get("extension", []):
            if ext["url"] == "http://fhir.org/argonaut/Extension/pama-rating":
                return ext["valueCodeableConcept"]["coding"][0]["code"]
    return None
