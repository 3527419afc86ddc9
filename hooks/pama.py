"""The Argonaut 'CDS Hooks for PAMA' rating extensions on a ServiceRequest, and the system action carrying them."""
from __future__ import annotations

from criteria.model import Category
from fhir_mappings.wire import codings, dicts

EXT = "http://fhir.org/argonaut/Extension/"
PAMA_RATING = EXT + "pama-rating"
QCDSM = EXT + "pama-rating-qcdsm-consulted"
CONSULT_ID = EXT + "pama-rating-consult-id"
AUC_APPLIED = EXT + "pama-rating-auc-applied"
PAMA_EXTENSIONS = {PAMA_RATING, QCDSM, CONSULT_ID, AUC_APPLIED}
RATING_SYSTEM = "http://fhir.org/argonaut/CodeSystem/pama-rating"
CATEGORY_SYSTEM = "urn:imaging-cds:CodeSystem:acr-appropriateness-category"
# accepted on input (the public sandbox's service emits the first), normalised to the guide's code
INPUT_ALIASES = {"no-guidelines-apply": "no-criteria-apply"}


def rated_resource(order: dict, rating: str, consult_id: str, qcdsm_id: str,
                   category: Category | None = None, auc_url: str | None = None) -> dict:
    """A copy of the order with our rating extensions in place of any earlier PAMA extensions.

    Only the top level is copied: the rest is shared with the request, which nothing changes once it is read.
    """
    resource = dict(order)
    kept = [e for e in dicts(order.get("extension")) if e.get("url") not in PAMA_EXTENSIONS]
    rating_codings = [{"system": RATING_SYSTEM, "code": rating}]
    if category is not None and category is not Category.UNKNOWN:
        rating_codings.append({"system": CATEGORY_SYSTEM, "code": category.value, "display": category.label})
    ours = [
        {"url": PAMA_RATING, "valueCodeableConcept": {"coding": rating_codings}},
        {"url": QCDSM, "valueString": qcdsm_id},
        {"url": CONSULT_ID, "valueUri": consult_id},
    ]
    if auc_url and rating != "no-criteria-apply":
        ours.append({"url": AUC_APPLIED, "valueUri": auc_url})
    resource["extension"] = kept + ours
    return resource


def rating_action(resource: dict) -> dict:
    return {"type": "update",
            "description": "Attach the imaging appropriateness rating to the draft order (no change to what is ordered)",
            "resource": resource}


def existing_rating(order: dict) -> str | None:
    """A PAMA rating already on an order (a replayed bundle, another service's answer), normalised; any shape."""
    for ext in dicts(order.get("extension")):
        if ext.get("url") == PAMA_RATING:
            for c in codings(ext.get("valueCodeableConcept")):
                code = c.get("code")
                if c.get("system") == RATING_SYSTEM and isinstance(code, str):
                    return INPUT_ALIASES.get(code, code)
    return None
