"""The one place for FHIR R4 resources, CDS Hooks requests and PAMA-rating readers used across the tests.

A coding dict unpacks into the code/system/display keywords: `condition(**coding(SNOMED, "279039007"))`.
Dates are relative to today, so a record means the same whatever day the tests run. Resource builders take `pid`
(the Patient's id), `rid` (the resource's id) and, as keywords, the realistic fields some tests need.
"""
from __future__ import annotations

import uuid
from datetime import date, timedelta

CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PAMA_RATING = "http://fhir.org/argonaut/Extension/pama-rating"
RATING_SYSTEM = "http://fhir.org/argonaut/CodeSystem/pama-rating"
CATEGORY_SYSTEM = "urn:imaging-cds:CodeSystem:acr-appropriateness-category"
PATIENT_ID = "pat-1"
ORAL_ROUTE = {"system": SNOMED, "code": "26643006", "display": "Oral route"}


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def born_years_ago(years: int) -> str:
    return date(date.today().year - years, 1, 1).isoformat()


def coding(system: str, code: str, display: str | None = None) -> dict:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    c = {"coding": [coding(system, code, display)]}
    if text:
        c["text"] = text
    return c


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def patient(age: int = 45, *, pid: str = PATIENT_ID, **fields) -> dict:
    """A Patient born on 1 January `age` years ago; `fields` (name, active, ...) are added as given."""
    return {"resourceType": "Patient", "id": pid, "birthDate": born_years_ago(age), "gender": "female", **fields}


def service_request(code: str, system: str = CPT, *, display: str | None = None, text: str | None = None,
                    rid: str = "sr-1", pid: str = PATIENT_ID, reasons: list[dict] | None = None, **extra) -> dict:
    """A draft order; `reasons` are codings, one reasonCode each; `extra` fields are added or replace ours."""
    sr = {"resourceType": "ServiceRequest", "id": rid, "status": "draft", "intent": "order",
          "code": concept(system, code, display, text), "subject": {"reference": f"Patient/{pid}"}}
    if reasons:
        sr["reasonCode"] = [{"coding": [r]} for r in reasons]
    sr.update(extra)
    return sr


def condition(code: str, system: str = ICD10CM, *, onset_days: int | None = None, status: str = "active",
              verification: str | None = "confirmed", display: str | None = None, text: str | None = None,
              problem_list: bool = False, recorded_days: int | None = None, rid: str | None = None,
              pid: str = PATIENT_ID, **fields) -> dict:
    """A Condition; `verification=None` leaves verificationStatus out, `problem_list` adds that category."""
    c = {"resourceType": "Condition", "id": rid or _new_id("cond"),
         "clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/condition-clinical", status)}
    if verification:
        c["verificationStatus"] = concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification)
    if problem_list:
        c["category"] = [concept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")]
    c |= {"code": concept(system, code, display, text), "subject": {"reference": f"Patient/{pid}"}}
    if onset_days is not None:
        c["onsetDateTime"] = days_ago(onset_days)
    if recorded_days is not None:
        c["recordedDate"] = days_ago(recorded_days)
    return c | fields


def procedure(code: str, system: str = CPT, *, start_days: int, end_days: int | None = None,
              status: str = "completed", display: str | None = None, text: str | None = None,
              rid: str | None = None, pid: str = PATIENT_ID) -> dict:
    """A Procedure performed `start_days` ago, or over a period when `end_days` is given."""
    p = {"resourceType": "Procedure", "id": rid or _new_id("proc"), "status": status,
         "code": concept(system, code, display, text), "subject": {"reference": f"Patient/{pid}"}}
    if end_days is None:
        p["performedDateTime"] = days_ago(start_days)
    else:
        p["performedPeriod"] = {"start": days_ago(start_days), "end": days_ago(end_days)}
    return p


def medication_request(rxnorm: str, text: str, *, authored_days: int, status: str = "active",
                       display: str | None = None, dosage: str | None = None, route: dict = ORAL_ROUTE,
                       rid: str | None = None, pid: str = PATIENT_ID) -> dict:
    """A MedicationRequest; the RxNorm display defaults to `text`; `dosage` adds a dosageInstruction by `route`."""
    m = {"resourceType": "MedicationRequest", "id": rid or _new_id("med"), "status": status, "intent": "order",
         "medicationCodeableConcept": concept(RXNORM, rxnorm, display or text, text),
         "subject": {"reference": f"Patient/{pid}"}, "authoredOn": days_ago(authored_days)}
    if dosage:
        m["dosageInstruction"] = [{"text": dosage, "route": {"coding": [route]}}]
    return m


def searchset(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


def full_prefetch(age: int = 45, conditions=(), procedures=(), medications=(), statements=None, *,
                  patient_resource: dict | None = None) -> dict:
    """Every prefetch key the discovery document asks for, as an EHR that honours them all would send.

    medicationStatements is null (the EHR did not fetch it) unless `statements` are given.
    """
    return {"patient": patient_resource or patient(age), "conditions": searchset(list(conditions)),
            "procedures": searchset(list(procedures)), "medicationRequests": searchset(list(medications)),
            "medicationStatements": None if statements is None else searchset(list(statements))}


def record_prefetch(record: list[dict]) -> dict:
    """full_prefetch filled from one patient's record: its Patient first, then resources of any type."""
    of = lambda rtype: [r for r in record if r["resourceType"] == rtype]  # noqa: E731
    return full_prefetch(conditions=of("Condition"), procedures=of("Procedure"), medications=of("MedicationRequest"),
                         statements=of("MedicationStatement"), patient_resource=record[0])


def hook_request(orders: list[dict], *, hook: str = "order-select", selections: list[str] | None = None,
                 prefetch: dict | None = None, typed_bundle: bool = True, pid: str = PATIENT_ID,
                 fhir_server: str | None = None, token: str | None = None) -> dict:
    """An order-select (the first order selected unless `selections`) or order-sign request.

    `fhir_server` and `token` give the service an EHR FHIR server to read what prefetch lacks.
    """
    bundle = {"resourceType": "Bundle", "entry": [{"resource": o} for o in orders]}
    if typed_bundle:
        bundle["type"] = "collection"
    context = {"userId": "Practitioner/pr-1", "patientId": pid, "draftOrders": bundle}
    if hook == "order-select":
        context["selections"] = selections if selections is not None else [f"ServiceRequest/{orders[0]['id']}"]
    body = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
    if token is not None:
        body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "patient/*.read", "subject": "imaging-cds", "patient": pid}
    return body


def _rating_codes(response: dict, system: str, order_id: str | None) -> list[str]:
    """Codes of `system` on the pama-rating extension of each rated order (of `order_id` only, if given), read
    from extension.systemActions as the public sandbox reads them."""
    codes = []
    for action in (response.get("extension") or {}).get("systemActions", []):
        res = action["resource"]
        if order_id and res.get("id") != order_id:
            continue
        for ext in res.get("extension") or []:
            if ext.get("url") == PAMA_RATING:
                codes += [c["code"] for c in ext["valueCodeableConcept"]["coding"] if c["system"] == system]
    return codes


def pama_ratings(response: dict, order_id: str | None = None) -> list[str]:
    """The PAMA rating code of every rated order in a hook response."""
    return _rating_codes(response, RATING_SYSTEM, order_id)


def pama_rating(response: dict, order_id: str | None = None) -> str | None:
    """The PAMA rating of the first rated order (or of `order_id`); None when there is none."""
    return next(iter(pama_ratings(response, order_id)), None)


def acr_category(response: dict) -> str | None:
    """The ACR category coding attached next to the first PAMA rating."""
    return next(iter(_rating_codes(response, CATEGORY_SYSTEM, None)), None)


def answer(response: dict) -> dict:
    """What a clinician sees, without the per-call ids: ratings, card summaries, indicators and details."""
    return {"ratings": pama_ratings(response),
            "cards": [(c["summary"], c["indicator"], c.get("detail")) for c in response.get("cards") or []]}
