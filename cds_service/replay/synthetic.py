"""Synthetic patients with lumbar imaging orders, one scenario per ACR Low Back Pain variant (for tests and bench).

Codes come from fhir_mappings/tables (findings.json, procedure-codes.json); nothing here is real patient data.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import orjson

SCT, CPT, ICD = "http://snomed.info/sct", "http://www.ama-assn.org/go/cpt", "http://hl7.org/fhir/sid/icd-10-cm"
ACTIVE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
MRI = (CPT, "72148", "MRI lumbar spine without contrast")
XRAY = (CPT, "72100", "X-ray lumbosacral spine, 2 or 3 views")
LBP = (SCT, "279039007", "Low back pain")

# scenario -> (age, pain (code, days before the order), extra conditions (code, days before), procedures
#              (code, start days before, end days before), ordered study); variant named for readability only
SCENARIOS: dict[str, dict] = {
    "LBP-1": {"age": 41, "pain": ((SCT, "278862001", "Acute low back pain"), 10), "order": MRI},
    "LBP-2": {"age": 47, "pain": ((SCT, "278860009", "Chronic low back pain"), 150), "order": MRI},
    "LBP-3": {"age": 52, "pain": ((SCT, "278860009", "Chronic low back pain"), 200), "order": MRI,
              "procedures": [((CPT, "97110", "Therapeutic exercises"), 180, 100)]},
    "LBP-4": {"age": 38, "pain": (LBP, 3), "order": MRI,
              "conditions": [((SCT, "192970008", "Cauda equina syndrome"), 1)]},
    "LBP-5": {"age": 58, "pain": (LBP, 20), "order": MRI,
              "procedures": [((CPT, "63030", "Laminotomy with decompression, lumbar"), 900, 900)]},
    "LBP-6": {"age": 63, "pain": (LBP, 14), "order": XRAY,
              "conditions": [((SCT, "64859006", "Osteoporosis"), 700)]},
    "LBP-7": {"age": 60, "pain": (LBP, 25), "order": MRI,
              "conditions": [((ICD, "Z85.3", "Personal history of malignant neoplasm of breast"), 2000)]},
    # the malignancy is recorded 30 days after the order: hidden from it, so the order is judged as LBP-1
    "LBP-1-later-malignancy": {"age": 44, "pain": ((SCT, "278862001", "Acute low back pain"), 7), "order": MRI,
                               "conditions": [((ICD, "C50.9", "Malignant neoplasm of breast"), -30)]},
}


def _cc(code: tuple[str, str, str]) -> dict:
    return {"coding": [{"system": code[0], "code": code[1], "display": code[2]}], "text": code[2]}


def _day(d: date, days_before: int) -> str:
    return (d - timedelta(days=days_before)).isoformat()


def patient_resources(pid: str, scenario: str, order_date: date) -> list[dict]:
    s = SCENARIOS[scenario]
    subject = {"reference": f"Patient/{pid}"}
    birth = date(order_date.year - s["age"], 3, 14)
    out: list[dict] = [{"resourceType": "Patient", "id": pid, "gender": "female" if len(pid) % 2 else "male",
                        "birthDate": birth.isoformat(), "name": [{"family": "Synthetic", "given": [scenario]}]}]
    pain, pain_days = s["pain"]
    conditions = [(pain, pain_days)] + list(s.get("conditions", ()))
    for i, (code, days) in enumerate(conditions):
        out.append({"resourceType": "Condition", "id": f"{pid}-c{i}", "subject": subject, "clinicalStatus": ACTIVE,
                    "verificationStatus": CONFIRMED, "code": _cc(code),
                    "onsetDateTime": _day(order_date, days), "recordedDate": _day(order_date, days)})
    for i, (code, start, end) in enumerate(s.get("procedures", ())):
        out.append({"resourceType": "Procedure", "id": f"{pid}-p{i}", "status": "completed", "subject": subject,
                    "code": _cc(code), "performedPeriod": {"start": _day(order_date, start),
                                                           "end": _day(order_date, end)}})
    system, code, display = s["order"]
    out.append({"resourceType": "ServiceRequest", "id": f"{pid}-o1", "status": "active", "intent": "order",
                "subject": subject, "authoredOn": order_date.isoformat(),
                "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
                "reasonCode": [_cc(LBP)], "requester": {"reference": "Practitioner/synthetic-1"}})
    return out


def bundle(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}


def write_export(directory: Path, patients: int, seed: int = 7, first_day: date = date(2024, 1, 1)) -> int:
    """A Bulk Data style export (one NDJSON file per type) of `patients` patients cycling through the scenarios,
    with Observations the replay skips. Returns the number of imaging orders written."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    names = sorted(SCENARIOS)
    files = {}
    orders = 0
    try:
        for n in range(patients):
            pid = f"syn{n:07d}"
            order_date = first_day + timedelta(days=rng.randrange(365))
            resources = patient_resources(pid, names[n % len(names)], order_date)
            resources.append({"resourceType": "Observation", "id": f"{pid}-bp", "status": "final",
                              "subject": {"reference": f"Patient/{pid}"},
                              "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}})
            for r in resources:
                f = files.get(r["resourceType"])
                if f is None:
                    f = files[r["resourceType"]] = open(directory / f"{r['resourceType']}.ndjson", "wb")
                f.write(orjson.dumps(r) + b"\n")
                orders += r["resourceType"] == "ServiceRequest"
    finally:
        for f in files.values():
            f.close()
    return orders


def write_bundles(directory: Path, order_date: date = date(2024, 6, 15)) -> list[Path]:
    """One collection Bundle per scenario (the tests' generated fixtures)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, scenario in enumerate(sorted(SCENARIOS)):
        path = directory / f"{scenario.lower()}.json"
        path.write_bytes(orjson.dumps(bundle(patient_resources(f"lbp{n}", scenario, order_date)),
                                      option=orjson.OPT_INDENT_2) + b"\n")
        paths.append(path)
    return paths


if __name__ == "__main__":  # python -m cds_service.replay.synthetic DIR: regenerate the test fixtures
    import sys
    for p in write_bundles(Path(sys.argv[1])):
        print(p)
