"""Patient records and small HTTP helpers for the Thoracic Back Pain, VCF, seed and pack tests."""
from __future__ import annotations

from builders import condition, full_prefetch, hook_request, procedure

LOINC = "http://loinc.org"

THORACIC_ACUTE = condition("M54.6", onset_days=10, display="Pain in thoracic spine")
THORACIC_CHRONIC = condition("M54.6", onset_days=120, display="Pain in thoracic spine")
LBP_ACUTE = condition("M54.50", onset_days=10, display="Low back pain, unspecified")
PT_COURSE = procedure("97110", start_days=80, end_days=20)  # 60 days of therapeutic exercise
NEW_LUMBAR_VCF = condition("M48.56XA", onset_days=5, display="Collapsed vertebra NEC, lumbar region, initial")
NEW_OSTEOPOROTIC_VCF = condition("M80.08XA", onset_days=5, display="Age-related osteoporosis with current "
                                                                    "pathological fracture, vertebra, initial")
BREAST_CANCER_HISTORY = condition("Z85.3", onset_days=900)
OSTEOPOROSIS = condition("M81.0", onset_days=2000)
PRIOR_OSTEOPOROTIC_FRACTURE = condition("Z87.310", onset_days=800)


def post(client, orders: list[dict], *, age: int = 45, conditions=(), procedures=(), hook: str = "order-select"):
    """Send the orders with a full prefetch; returns (response JSON, the one card or None)."""
    body = hook_request(orders, hook=hook, prefetch=full_prefetch(age, conditions, procedures))
    resp = client.post(f"/cds-services/imaging-auc-{'select' if hook == 'order-select' else 'sign'}", json=body)
    assert resp.status_code == 200, resp.json
    out = resp.json
    assert len(out["cards"]) <= 1
    return out, (out["cards"][0] if out["cards"] else None)


def suggested(card: dict) -> list[str]:
    """Labels of the switch-to suggestions, best first (the cancel suggestion left out)."""
    return [s["label"].removeprefix("Change to ") for s in card.get("suggestions", ())
            if s["actions"][0]["type"] == "update"]


def recommends_cancel(card: dict) -> bool:
    return any(s["actions"][0]["type"] == "delete" and s.get("isRecommended") for s in card.get("suggestions", ()))

