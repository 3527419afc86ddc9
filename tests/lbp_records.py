"""FHIR R4 patient records that land in each ACR Low Back Pain variant, as charted on an EHR's FHIR server, and
order-select requests for a lumbar MRI built from them.

Codes: fhir_mappings/tables/findings.json; variant conditions: criteria/packs/acr/topics/low-back-pain.json.
"""
from __future__ import annotations

import copy
import uuid
from datetime import date

from builders import (CPT, ICD10CM, SNOMED, coding, condition, hook_request, medication_request, patient,
                      procedure, service_request)

MRI_LUMBAR_WO = coding(CPT, "72148", "MRI lumbar spine without contrast")
MRI_LUMBAR_W = coding(CPT, "72149", "MRI lumbar spine with contrast")
LOW_BACK_PAIN = coding(SNOMED, "279039007", "Low back pain")
VARIANTS = tuple(f"LBP-{n}" for n in range(1, 8))


def problem(pid: str, cid: str, code: dict, onset_days: int, status: str = "active") -> dict:
    """A problem-list Condition of `code` (a coding), recorded at its onset."""
    return condition(**code, text=code["display"], status=status, problem_list=True, onset_days=onset_days,
                     recorded_days=onset_days, rid=cid, pid=pid)


def _procedure(pid: str, rid: str, code: dict, start_days: int, end_days: int) -> dict:
    return procedure(**code, text=code["display"], start_days=start_days, end_days=end_days, rid=rid, pid=pid)


def lbp_record(variant: str, pid: str | None = None) -> list[dict]:
    """Patient, Conditions, Procedures and MedicationRequests of a patient in `variant` (LBP-1 .. LBP-7)."""
    pid = pid or f"lbp{variant[-1]}"
    recent = problem(pid, f"{pid}-lbp", LOW_BACK_PAIN, 10)
    chronic = problem(pid, f"{pid}-lbp", LOW_BACK_PAIN, 200)
    resources = {
        "LBP-1": [recent, problem(pid, f"{pid}-old", coding(SNOMED, "386661006", "Fever"), 900, status="resolved")],
        "LBP-2": [chronic],
        "LBP-3": [chronic, _procedure(pid, f"{pid}-pt1", coding(CPT, "97161", "PT evaluation"), 150, 150),
                  _procedure(pid, f"{pid}-pt2", coding(CPT, "97110", "Therapeutic exercises"), 145, 60)],
        "LBP-4": [recent, problem(pid, f"{pid}-ces", coding(SNOMED, "192970008", "Cauda equina syndrome"), 2)],
        "LBP-5": [recent, _procedure(pid, f"{pid}-lam", coding(CPT, "63030", "Laminotomy, lumbar"), 1500, 1500)],
        "LBP-6": [recent, medication_request("8640", "prednisone 10 mg oral tablet", display="prednisone",
                                             dosage="10 mg by mouth once daily", authored_days=200,
                                             rid=f"{pid}-pred", pid=pid)],
        "LBP-7": [recent, problem(pid, f"{pid}-ca", coding(ICD10CM, "C50.911",
                                                           "Malignant neoplasm of right female breast"), 400)],
    }[variant]
    name = [{"use": "official", "family": "Testpatient", "given": [pid.upper()]}]
    return [patient(pid=pid, active=True, name=name)] + [copy.deepcopy(r) for r in resources]


def transaction(resources: list[dict]) -> dict:
    """A FHIR transaction Bundle that PUTs every resource under its id."""
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": r,
         "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in resources]}


def order_select(pid: str, code: dict = MRI_LUMBAR_WO, prefetch: dict | None = None,
                 fhir_server: str | None = None, token: str | None = None) -> dict:
    """An order-select request for an imaging order of `code` (a coding) given for low back pain."""
    order = service_request(**code, text=code["display"], rid="img1", pid=pid, authoredOn=date.today().isoformat(),
                            category=[{"coding": [coding(SNOMED, "363679005", "Imaging")]}],
                            reasonCode=[{"coding": [LOW_BACK_PAIN], "text": "Low back pain"}])
    return hook_request([order], pid=pid, prefetch=prefetch, fhir_server=fhir_server, token=token)
