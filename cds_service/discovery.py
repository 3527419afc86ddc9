"""The CDS Hooks discovery document: one service per hook, distinct ids (the public sandbox keys services by id)."""
from __future__ import annotations

from hooks import order_select, order_sign

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
}
USAGE = ("Send draft imaging orders as FHIR R4 ServiceRequests coded in CPT, LOINC or SNOMED CT, with the indication "
         "in reasonCode (SNOMED CT or ICD-10-CM). Prefetch or FHIR server access to the patient's Conditions, "
         "Procedures and medications lets the service pick the right clinical scenario.")

SERVICES = [
    {
        "hook": order_select.HOOK,
        "id": "imaging-auc-select",
        "title": "Imaging appropriateness (ACR Appropriateness Criteria)",
        "description": "Rates a selected spine imaging order against the ACR Appropriateness Criteria for the "
                       "patient's clinical scenario; warns when it is usually not appropriate and suggests the "
                       "better-rated study or no imaging now.",
        "prefetch": PREFETCH,
        "usageRequirements": USAGE,
    },
    {
        "hook": order_sign.HOOK,
        "id": "imaging-auc-sign",
        "title": "Imaging appropriateness at signing (ACR Appropriateness Criteria)",
        "description": "Rates every draft spine imaging order at signing and attaches the appropriateness rating "
                       "to each order.",
        "prefetch": PREFETCH,
        "usageRequirements": USAGE,
    },
]
HANDLERS = {"imaging-auc-select": order_select, "imaging-auc-sign": order_sign}
SERVICE_IDS = tuple(s["id"] for s in SERVICES)


def service(service_id: str) -> dict | None:
    return next((s for s in SERVICES if s["id"] == service_id), None)
