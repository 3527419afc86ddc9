"""Each ACR Low Back Pain variant through HTTP: a usually-appropriate order passes, a usually-not-appropriate one warns."""
import pytest

from builders import (SNOMED, condition, full_prefetch, hook_request, medication_request, pama_rating, procedure,
                      service_request)

LBP_ACUTE = [condition("M54.50", onset_days=10, display="Low back pain, unspecified")]
LBP_CHRONIC = [condition("M54.50", onset_days=120)]
PT_COURSE = [procedure("97110", start_days=80, end_days=20)]  # 60 days of therapeutic exercise

RECORDS = {
    "LBP-1": dict(conditions=LBP_ACUTE),
    "LBP-2": dict(conditions=LBP_CHRONIC),
    "LBP-3": dict(conditions=LBP_CHRONIC, procedures=PT_COURSE),
    "LBP-4": dict(conditions=LBP_ACUTE + [condition("G83.4", onset_days=2)]),
    "LBP-5": dict(conditions=LBP_ACUTE, procedures=[procedure("63047", start_days=700)]),
    "LBP-6": dict(age=78, conditions=LBP_ACUTE),
    "LBP-7": dict(conditions=LBP_ACUTE + [condition("Z85.3", onset_days=900)]),
}
# (variant, usually appropriate CPT or None when the variant rates no imaging appropriate, usually not appropriate CPT)
CASES = [
    ("LBP-1", None, "72148"),
    ("LBP-2", None, "72131"),
    ("LBP-3", "72148", "72149"),
    ("LBP-4", "72148", "72133"),
    ("LBP-5", "72100", "78816"),
    ("LBP-6", "72100", "72132"),
    ("LBP-7", "72158", "72133"),
]


def rate(select, variant, cpt):
    body = hook_request([service_request(cpt)], prefetch=full_prefetch(**RECORDS[variant]))
    resp = select(body)
    assert resp.status_code == 200, resp.json
    return resp.json


@pytest.mark.parametrize("variant,ok_cpt,una_cpt", CASES)
def test_usually_not_appropriate_order_warns_and_names_the_variant(select, variant, ok_cpt, una_cpt):
    out = rate(select, variant, una_cpt)
    assert pama_rating(out) == "not-appropriate"
    (card,) = out["cards"]
    assert card["indicator"] == "warning"
    number = variant.split("-")[1]
    assert f"variant {number}" in card["detail"]
    assert "Usually not appropriate" in card["detail"]
    assert len(card["summary"]) < 140


@pytest.mark.parametrize("variant,ok_cpt,una_cpt", [c for c in CASES if c[1]])
def test_usually_appropriate_order_is_rated_without_a_card(select, variant, ok_cpt, una_cpt):
    out = rate(select, variant, ok_cpt)
    assert out["cards"] == []
    assert pama_rating(out) == "appropriate"
    assert out["systemActions"] == out["extension"]["systemActions"]


@pytest.mark.parametrize("variant", ["LBP-1", "LBP-2"])
def test_no_imaging_variants_offer_cancelling_the_order(select, variant):
    out = rate(select, variant, "72148")
    (card,) = out["cards"]
    (cancel,) = card["suggestions"]
    assert cancel["label"] == "Cancel this imaging order"
    assert cancel["isRecommended"] is True
    (action,) = cancel["actions"]
    assert action == {"type": "delete", "description": action["description"], "resourceId": "ServiceRequest/sr-1"}


def test_alternative_is_the_best_rated_study_and_recommended(select):
    out = rate(select, "LBP-4", "72133")  # CT w/wo with cauda equina: MRI wo (9) then MRI w/wo (7)
    labels = [s["label"] for s in out["cards"][0]["suggestions"]]
    assert labels == ["Change to MRI lumbar spine without IV contrast",
                      "Change to MRI lumbar spine without and with IV contrast"]
    assert [s.get("isRecommended", False) for s in out["cards"][0]["suggestions"]] == [True, False]


def test_failed_conservative_therapy_is_stated_as_the_reason_for_variant_3(select):
    out = rate(select, "LBP-3", "72149")
    detail = out["cards"][0]["detail"]
    assert "conservative therapy course of 60 days" in detail
    assert "Candidacy for surgery or intervention is assumed" in detail


def test_too_short_therapy_course_keeps_the_patient_in_variant_2(select):
    prefetch = full_prefetch(conditions=LBP_CHRONIC, procedures=[procedure("97110", start_days=30, end_days=10)])
    out = select(hook_request([service_request("72148")], prefetch=prefetch)).json
    assert pama_rating(out) == "not-appropriate"
    assert "variant 2" in out["cards"][0]["detail"]


def test_chronic_systemic_steroids_from_medications_mean_fracture_risk(select):
    meds = [medication_request("8640", "prednisone 10 MG Oral Tablet", authored_days=200)]
    prefetch = full_prefetch(conditions=LBP_ACUTE, medications=meds)
    out = select(hook_request([service_request("72100")], prefetch=prefetch)).json
    assert pama_rating(out) == "appropriate"  # radiography is usually appropriate in variant 6 only
    short_course = [medication_request("8640", "prednisone 10 MG Oral Tablet", authored_days=20)]
    out = select(hook_request([service_request("72100")],
                              prefetch=full_prefetch(conditions=LBP_ACUTE, medications=short_course))).json
    assert pama_rating(out) == "not-appropriate"


def test_topical_steroid_is_not_systemic(select):
    meds = [medication_request("5492", "hydrocortisone 1 % Topical Cream", authored_days=400)]
    out = select(hook_request([service_request("72100")],
                              prefetch=full_prefetch(conditions=LBP_ACUTE, medications=meds))).json
    assert pama_rating(out) == "not-appropriate"


def test_red_flag_in_the_order_reason_displaces_uncomplicated_variants(select):
    reasons = [{"system": SNOMED, "code": "279039007"}, {"system": SNOMED, "code": "192970008"}]
    out = select(hook_request([service_request("72148", reasons=reasons)],
                              prefetch=full_prefetch(conditions=LBP_ACUTE))).json
    assert out["cards"] == [] and pama_rating(out) == "appropriate"


@pytest.mark.parametrize("status,verification", [("resolved", "confirmed"), ("inactive", "confirmed"),
                                                 ("active", "refuted"), ("active", "entered-in-error")])
def test_a_condition_that_is_not_active_does_not_count(select, status, verification):
    cancer = condition("Z85.3", onset_days=900, status=status, verification=verification)
    out = select(hook_request([service_request("72148")],
                              prefetch=full_prefetch(conditions=LBP_ACUTE + [cancer]))).json
    assert pama_rating(out) == "not-appropriate"
    assert "variant 1" in out["cards"][0]["detail"]


def test_elderly_threshold_is_configurable(make_client):
    body = hook_request([service_request("72100")], prefetch=full_prefetch(age=67, conditions=LBP_ACUTE))
    for age, rating in ((65, "appropriate"), (70, "not-appropriate")):
        resp = make_client(elderly_age=age).post("/cds-services/imaging-auc-select", json=body)
        assert pama_rating(resp.json) == rating


def test_info_cards_only_when_configured(make_client):
    out = make_client(info_cards=True).post("/cds-services/imaging-auc-select",
                                 json=hook_request([service_request("72148")],
                                                   prefetch=full_prefetch(**RECORDS["LBP-3"]))).json
    (card,) = out["cards"]
    assert card["indicator"] == "info" and "usually appropriate" in card["summary"]
    assert pama_rating(out) == "appropriate"
