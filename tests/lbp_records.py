"""FHIR R4 patient records that land in each ACR Low Back Pain variant, and hook requests built from them.

Dates are relative to today, so a record stays in its variant whatever day the tests run.
Codes: fhir_mappings/tables/findings.json; variant conditions: criteria/packs/acr/topics/low-back-pain.json.
"""
from __future__ import annotations

import copy
import uuid
from datetime import date, timedelta

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PAMA_RATING = "http://fhir.org/argonaut/Extension/pama-rating"
RATING_SYSTEM = "http://fhir.org/argonaut/CodeSystem/pama-rating"

MRI_LUMBAR_WO = {"system": CPT, "code": "72148", "display": "MRI lumbar spine without contrast"}
MRI_LUMBAR_W = {"system": CPT, "code": "72149", "display": "MRI lumbar spine with contrast"}
LOW_BACK_PAIN = {"system": SNOMED, "code": "279039007", "display": "Low back pain"}


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def patient(pid: str, age: int = 45) -> dict:
    born = date.today().replace(year=date.today().year - age, month=1, day=1)
    return {"resourceType": "Patient", "id": pid, "active": True,
            "name": [{"use": "official", "family": "Testpatient", "given": [pid.upper()]}],
            "gender": "female", "birthDate": born.isoformat()}


def condition(pid: str, cid: str, coding: dict, onset_days_ago: int, status: str = "active") -> dict:
    return {"resourceType": "Condition", "id": cid,
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "problem-list-item"}]}],
            "code": {"coding": [coding], "text": coding["display"]},
            "subject": {"reference": f"Patient/{pid}"},
            "onsetDateTime": days_ago(onset_days_ago), "recordedDate": days_ago(onset_days_ago)}


def procedure(pid: str, proc_id: str, coding: dict, start_days_ago: int, end_days_ago: int) -> dict:
    return {"resourceType": "Procedure", "id": proc_id, "status": "completed",
            "code": {"coding": [coding], "text": coding["display"]},
            "subject": {"reference": f"Patient/{pid}"},
            "performedPeriod": {"start": days_ago(start_days_ago), "end": days_ago(end_days_ago)}}


def medication_request(pid: str, mid: str, coding: dict, authored_days_ago: int) -> dict:
    return {"resourceType": "MedicationRequest", "id": mid, "status": "active", "intent": "order",
            "medicationCodeableConcept": {"coding": [coding], "text": f"{coding['display']} 10 mg oral tablet"},
            "subject": {"reference": f"Patient/{pid}"}, "authoredOn": days_ago(authored_days_ago),
            "dosageInstruction": [{"text": "10 mg by mouth once daily",
                                   "route": {"coding": [{"system": SNOMED, "code": "26643006",
                                                         "display": "Oral route"}]}}]}


def lbp_record(variant: str, pid: str | None = None) -> list[dict]:
    """Patient, Conditions, Procedures and MedicationRequests of a patient in `variant` (LBP-1 .. LBP-7)."""
    pid = pid or f"lbp{variant[-1]}"
    recent = condition(pid, f"{pid}-lbp", LOW_BACK_PAIN, 10)
    chronic = condition(pid, f"{pid}-lbp", LOW_BACK_PAIN, 200)
    old_resolved = condition(pid, f"{pid}-old", {"system": SNOMED, "code": "386661006", "display": "Fever"}, 900,
                             status="resolved")
    resources = {
        "LBP-1": [recent, old_resolved],
        "LBP-2": [chronic],
        "LBP-3": [chronic,
                  procedure(pid, f"{pid}-pt1", {"system": CPT, "code": "97161", "display": "PT evaluation"}, 150, 150),
                  procedure(pid, f"{pid}-pt2", {"system": CPT, "code": "97110", "display": "Therapeutic exercises"},
                            145, 60)],
        "LBP-4": [recent, condition(pid, f"{pid}-ces", {"system": SNOMED, "code": "192970008",
                                                        "display": "Cauda equina syndrome"}, 2)],
        "LBP-5": [recent, procedure(pid, f"{pid}-lam", {"system": CPT, "code": "63030",
                                                        "display": "Laminotomy, lumbar"}, 1500, 1500)],
        "LBP-6": [recent, medication_request(pid, f"{pid}-pred", {"system": RXNORM, "code": "8640",
                                                                  "display": "prednisone"}, 200)],
        "LBP-7": [recent, condition(pid, f"{pid}-ca", {"system": ICD10CM, "code": "C50.911",
                                                       "display": "Malignant neoplasm of right female breast"}, 400)],
    }[variant]
    return [patient(pid)] + [copy.deepcopy(r) for r in resources]


VARIANTS = tuple(f"LBP-{n}" for n in range(1, 8))


def transaction(resources: list[dict]) -> dict:
    """A FHIR transaction Bundle that PUTs every resource under its id."""
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": r,
         "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in resources]}


def searchset(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


def full_prefetch(resources: list[dict]) -> dict:
    """Every prefetch key of the discovery document, filled as an EHR would from this record."""
    of = lambda rtype: [r for r in resources if r["resourceType"] == rtype]  # noqa: E731
    return {"patient": of("Patient")[0], "conditions": searchset(of("Condition")),
            "procedures": searchset(of("Procedure")), "medicationRequests": searchset(of("MedicationRequest")),
            "medicationStatements": searchset(of("MedicationStatement"))}


def draft_order(pid: str, code: dict = MRI_LUMBAR_WO, oid: str = "img1") -> dict:
    return {"resourceType": "ServiceRequest", "id": oid, "status": "draft", "intent": "order",
            "category": [{"coding": [{"system": SNOMED, "code": "363679005", "display": "Imaging"}]}],
            "code": {"coding": [code], "text": code["display"]},
            "reasonCode": [{"coding": [LOW_BACK_PAIN], "text": "Low back pain"}],
            "subject": {"reference": f"Patient/{pid}"}, "authoredOn": date.today().isoformat()}


def order_select(pid: str, code: dict = MRI_LUMBAR_WO, prefetch: dict | None = None,
                 fhir_server: str | None = None, token: str | None = None) -> dict:
    order = draft_order(pid, code)
    body = {"hook": "order-select", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/dr1", "patientId": pid, "selections": [f"ServiceRequest/{order['id']}"],
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": order}]}}}
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
    if token is not None:
        body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "patient/*.read", "subject": "imaging-cds", "patient": pid}
    return body


def pama_ratings(response_body: dict) -> list[str]:
    """The PAMA rating code of every rated order in a hook response's systemActions."""
    codes = []
    for action in response_body.get("systemActions") or []:
        for ext in action["resource"].get("extension") or []:
            if ext.get("url") == PAMA_RATING:
                codes += [c["code"] for c in ext["valueCodeableConcept"]["coding"] if c["system"] == RATING_SYSTEM]
    return codes


def answer(response_body: dict) -> dict:
    """What a clinician sees, without the per-call ids: ratings, card summaries, indicators and details."""
    return {"ratings": pama_ratings(response_body),
            "cards": [(c["summary"], c["indicator"], c.get("detail")) for c in response_body.get("cards") or []]}
