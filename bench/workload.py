"""Realistic hook requests for benchmarks, load and fuzz seeds: a patient with N Conditions and M Procedures.

Most of a real problem list is unrelated to the spine (hypertension, diabetes, ...); a few entries carry the
codes the rating reads. Records are deterministic for a given size and variant.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
TODAY = date(2026, 11, 23)

UNRELATED = [  # (system, code, display): problem-list noise the tables do not know
    (SNOMED, "38341003", "Hypertensive disorder"), (SNOMED, "44054006", "Diabetes mellitus type 2"),
    (ICD10, "E78.5", "Hyperlipidemia, unspecified"), (SNOMED, "195967001", "Asthma"),
    (ICD10, "K21.9", "Gastro-esophageal reflux disease"), (SNOMED, "35489007", "Depressive disorder"),
    (ICD10, "J30.9", "Allergic rhinitis"), (SNOMED, "40930008", "Hypothyroidism"),
]
UNRELATED_PROCEDURES = [(SNOMED, "80146002", "Appendectomy"), (SNOMED, "73761001", "Colonoscopy"),
                        (CPT, "99213", "Office visit"), (SNOMED, "387713003", "Surgical procedure")]
LBP = (SNOMED, "279039007", "Low back pain")
RED_FLAGS = {
    "cauda-equina": (SNOMED, "192970008", "Cauda equina syndrome"),
    "osteoporosis": (SNOMED, "64859006", "Osteoporosis"),
    "malignancy": (SNOMED, "363346000", "Malignant neoplastic disease"),
    "prior-lumbar-surgery": (ICD10, "M96.1", "Postlaminectomy syndrome"),
}
PHYSIO = (SNOMED, "91251008", "Physical therapy procedure")
STUDIES = {"mri-lumbar-wo": (CPT, "72148", "MRI lumbar spine without contrast"),
           "xr-lumbar": (CPT, "72100", "X-ray lumbar spine, 2 or 3 views"),
           "ct-lumbar-wo": (CPT, "72131", "CT lumbar spine without contrast")}


def _cc(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def patient(pid: str = "p1", birth: str = "1975-04-02") -> dict:
    return {"resourceType": "Patient", "id": pid, "birthDate": birth, "gender": "female"}


def condition(cid: str, coding: tuple, onset_days_ago: int, pid: str = "p1", status: str = "active",
              verification: str = "confirmed") -> dict:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{pid}"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": status}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": verification}]},
            "code": _cc(*coding), "onsetDateTime": _day(onset_days_ago)}


def procedure(prid: str, coding: tuple, start_days_ago: int, length_days: int = 0, pid: str = "p1") -> dict:
    return {"resourceType": "Procedure", "id": prid, "status": "completed", "subject": {"reference": f"Patient/{pid}"},
            "code": _cc(*coding), "performedPeriod": {"start": _day(start_days_ago),
                                                      "end": _day(start_days_ago - length_days)}}


def service_request(srid: str, study: str = "mri-lumbar-wo", reason: tuple | None = LBP, pid: str = "p1") -> dict:
    sr = {"resourceType": "ServiceRequest", "id": srid, "status": "draft", "intent": "order",
          "subject": {"reference": f"Patient/{pid}"}, "code": _cc(*STUDIES[study])}
    if reason:
        sr["reasonCode"] = [_cc(*reason)]
    return sr


def bundle(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def conditions(n: int, variant: str = "acute", pid: str = "p1") -> list[dict]:
    """n Conditions: the low back pain entry (onset by variant), a red flag for variant 'red-flag:<concept>'
    and unrelated history for the rest."""
    onset = 10 if variant == "acute" else 120
    out = [condition("c-lbp", LBP, onset, pid)] if n else []
    if variant.startswith("red-flag:") and n > 1:
        out.append(condition("c-flag", RED_FLAGS[variant.split(":", 1)[1]], 400, pid))
    while len(out) < n:
        i = len(out)
        out.append(condition(f"c{i}", UNRELATED[i % len(UNRELATED)], 300 + 37 * i, pid))
    return out


def procedures(n: int, variant: str = "acute", pid: str = "p1") -> list[dict]:
    out = [procedure("pr-physio", PHYSIO, 110, 60, pid)] if n and variant == "failed-conservative" else []
    while len(out) < n:
        i = len(out)
        out.append(procedure(f"pr{i}", UNRELATED_PROCEDURES[i % len(UNRELATED_PROCEDURES)], 900 + 50 * i, 0, pid))
    return out


def prefetch(n_conditions: int, n_procedures: int, variant: str = "acute", pid: str = "p1") -> dict:
    return {"patient": patient(pid),
            "conditions": bundle(conditions(n_conditions, variant, pid)),
            "procedures": bundle(procedures(n_procedures, variant, pid)),
            "medicationRequests": bundle([]), "medicationStatements": bundle([])}


def hook_request(hook: str, orders: list[dict], pre: dict | None, selections: list[str] | None = None,
                 pid: str = "p1") -> dict:
    context: dict = {"userId": "Practitioner/dr1", "patientId": pid,
                     "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                     "entry": [{"resource": o} for o in orders]}}
    if hook == "order-select":
        context["selections"] = selections if selections is not None else [f"ServiceRequest/{orders[0]['id']}"]
    body = {"hook": hook, "hookInstance": str(uuid.UUID(int=len(orders) * 7919 + hash(hook) % 1000)), "context": context}
    if pre is not None:
        body["prefetch"] = pre
    return body


def bench_request() -> dict:
    """The order-select request the HTTP budget is measured on: 1 selected order, Patient, 20 Conditions, 5 Procedures."""
    return hook_request("order-select", [service_request("sr1")], prefetch(20, 5))


VARIANTS = ("acute", "chronic", "failed-conservative", "red-flag:cauda-equina", "red-flag:osteoporosis",
            "red-flag:malignancy", "red-flag:prior-lumbar-surgery")


def distinct_requests(hook: str, n: int, n_conditions: int, n_procedures: int, n_orders: int = 1,
                      seed: int = 1) -> list[dict]:
    """n requests of one shape (n_orders imaging orders, Patient, n_conditions Conditions, n_procedures Procedures)
    for n different patients: the variant cycles through VARIANTS, the study, birth date and onset dates (a few days'
    jitter that keeps each variant) are drawn at random, so no resource repeats from one request to the next."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pid = f"p{i}"
        pre = prefetch(n_conditions, n_procedures, VARIANTS[i % len(VARIANTS)], pid)
        pre["patient"]["birthDate"] = (date(1935, 1, 1) + timedelta(days=rng.randrange(70 * 365))).isoformat()
        for entry in pre["conditions"]["entry"]:
            onset = date.fromisoformat(entry["resource"]["onsetDateTime"])
            entry["resource"]["onsetDateTime"] = (onset - timedelta(days=rng.randrange(20))).isoformat()
        orders = [service_request(f"sr{k}-{pid}", rng.choice(list(STUDIES)), pid=pid) for k in range(n_orders)]
        out.append(hook_request(hook, orders, pre, pid=pid))
    return out


def mix() -> list[tuple[str, dict, int]]:
    """(service id, body, expected status) for load: variants, sizes, both hooks and bad inputs."""
    out: list[tuple[str, dict, int]] = []
    for i, variant in enumerate(VARIANTS):
        for size in (0, 5, 20, 50):
            study = list(STUDIES)[i % len(STUDIES)]
            out.append(("imaging-auc-select",
                        hook_request("order-select", [service_request("sr1", study)], prefetch(size, size // 4, variant)),
                        200))
    orders = [service_request(f"sr{i}", list(STUDIES)[i % len(STUDIES)]) for i in range(3)]
    out.append(("imaging-auc-sign", hook_request("order-sign", orders, prefetch(20, 5, "chronic")), 200))
    out.append(("imaging-auc-sign", hook_request("order-sign", orders[:1], prefetch(50, 20, "red-flag:malignancy")), 200))
    bad_hook = hook_request("order-sign", orders[:1], prefetch(5, 1))
    out.append(("imaging-auc-select", bad_hook, 400))                       # hook does not match the service
    missing = hook_request("order-select", orders[:1], prefetch(5, 1))
    del missing["context"]["patientId"]
    out.append(("imaging-auc-select", missing, 400))                        # required field missing
    unknown_sel = hook_request("order-select", orders[:1], prefetch(5, 1), selections=["ServiceRequest/nope"])
    out.append(("imaging-auc-select", unknown_sel, 400))                    # selection not in draftOrders
    broken = hook_request("order-select", [dict(orders[0], status=7)], prefetch(5, 1))
    out.append(("imaging-auc-select", broken, 400))                         # not a valid FHIR ServiceRequest
    out.append(("imaging-auc-select", hook_request("order-select", orders[:1], None), 412))  # no record at all
    out.append(("no-such-service", bench_request(), 404))
    many = [service_request(f"sr{i}") for i in range(51)]
    out.append(("imaging-auc-sign", hook_request("order-sign", many, prefetch(5, 1)), 413))  # over MAX_DRAFT_ORDERS
    return out
