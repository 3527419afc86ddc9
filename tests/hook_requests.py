"""A real order-select / order-sign request whose lumbar MRI order gets a warning card (ACR LBP variant 1), with a
named patient and free text in the record so tests can check none of it is stored or logged."""
from __future__ import annotations

from builders import SNOMED, coding, condition, full_prefetch, hook_request, patient, service_request

PATIENT_NAME = "Zebediah Quux"
CONDITION_NOTE = "Fell off a ladder at the Quux farm"
CONDITION_TEXT = "Sore back after gardening"


def lbp_request(hook: str = "order-select", cpts: tuple[str, ...] = ("72148",)) -> dict:
    """Acute uncomplicated low back pain (10 days), 45-year-old: lumbar MRI 72148 is usually not appropriate."""
    reasons = [coding(SNOMED, "279039007", "Low back pain")]
    orders = [service_request(cpt, rid=f"sr-{n}", reasons=reasons) for n, cpt in enumerate(cpts, 1)]
    lbp = condition("M54.50", onset_days=10, verification=None, text=CONDITION_TEXT, rid="cond-1",
                    note=[{"text": CONDITION_NOTE}])
    given, family = PATIENT_NAME.split()
    prefetch = full_prefetch(conditions=[lbp], patient_resource=patient(name=[{"family": family, "given": [given]}]))
    return hook_request(orders, hook=hook, prefetch=prefetch, typed_bundle=False)


def feedback_for(card: dict, outcome: str = "accepted", **extra) -> dict:
    item = {"card": card["uuid"], "outcome": outcome, "outcomeTimestamp": "2026-11-23T15:00:00.5Z"}
    if outcome == "accepted":
        item["acceptedSuggestions"] = [{"id": card["suggestions"][0]["uuid"]}]
    item.update(extra)
    return item
