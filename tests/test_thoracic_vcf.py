"""Thoracic Back Pain (2024) and Management of Vertebral Compression Fractures (2022) through HTTP.

One test per variant with a confirmed cell: an appropriate order is rated appropriate, and where the data rates
something usually not appropriate, that order is warned on with the right alternative. Cards name every variant
considered, across topics.
"""
import pytest

from cds_service.app import create_app, engine_options
from cds_service.config import Settings
from hooks.engine import Engine
from vcf_records import (BREAST_CANCER_HISTORY, LBP_ACUTE, LOINC, NEW_LUMBAR_VCF, NEW_OSTEOPOROTIC_VCF,
                         OSTEOPOROSIS, PRIOR_OSTEOPOROTIC_FRACTURE, PT_COURSE, THORACIC_ACUTE, THORACIC_CHRONIC,
                         post, recommends_cancel, suggested)
from builders import acr_category, condition, pama_rating, service_request as order

TBP = "Thoracic Back Pain (2024)"
VCF = "Management of Vertebral Compression Fractures (2022)"


@pytest.fixture(scope="module")
def info_client():
    """A service configured to show info cards, so appropriate answers name the variants they used."""
    settings = Settings(info_cards=True)
    return create_app(settings, engine=Engine.create(engine_options(settings))).test_client()


# (variant, record, appropriate order, expected category, the variant name as cards print it)
APPROPRIATE = [
    ("TBP-2", dict(age=55, conditions=[THORACIC_CHRONIC], procedures=[PT_COURSE]), order("72070"),
     "may-be-appropriate-disagreement", f"{TBP} variant 2"),
    ("TBP-3", dict(conditions=[THORACIC_ACUTE, condition("M54.14")]), order("72146"),
     "usually-appropriate", f"{TBP} variant 3"),
    ("TBP-fracture-risk", dict(age=78, conditions=[THORACIC_ACUTE]), order("72070"),
     "usually-appropriate", f"{TBP} TBP-fracture-risk"),
    ("TBP-5", dict(conditions=[THORACIC_ACUTE, BREAST_CANCER_HISTORY]), order("72157"),
     "usually-appropriate", f"{TBP} variant 5"),
    ("TBP-abnormal-radiograph", dict(conditions=[THORACIC_ACUTE, condition("M48.54XA", onset_days=3)]),
     order("72157"), "usually-appropriate", f"{TBP} TBP-abnormal-radiograph"),
    ("TBP-post-surgery", dict(conditions=[THORACIC_ACUTE, condition("Z98.1", onset_days=1500)]), order("72070"),
     "usually-appropriate", f"{TBP} TBP-post-surgery"),
    ("VCF-A", dict(conditions=[LBP_ACUTE, NEW_LUMBAR_VCF]), order("36531-2", LOINC),
     "usually-appropriate", f"{VCF} VCF-A"),
    ("VCF-B", dict(conditions=[LBP_ACUTE, NEW_LUMBAR_VCF, BREAST_CANCER_HISTORY]), order("36400-0", LOINC),
     "usually-appropriate", f"{VCF} variant 2"),
    ("VCF-C", dict(age=70, conditions=[LBP_ACUTE, PRIOR_OSTEOPOROTIC_FRACTURE]), order("36530-4", LOINC),
     "usually-appropriate", f"{VCF} VCF-C"),
    ("VCF-D", dict(conditions=[NEW_LUMBAR_VCF, BREAST_CANCER_HISTORY]), order("36400-0", LOINC),
     "usually-appropriate", f"{VCF} VCF-D"),
    ("VCF-E", dict(age=72, conditions=[THORACIC_ACUTE, NEW_OSTEOPOROTIC_VCF]), order("22513"),
     "usually-appropriate", f"{VCF} VCF-E"),
    ("VCF-F", dict(age=72, conditions=[THORACIC_ACUTE, NEW_OSTEOPOROTIC_VCF]), order("22514"),
     "usually-appropriate", f"{VCF} VCF-F"),
]


@pytest.mark.parametrize("variant,record,sr,expected,name", APPROPRIATE, ids=[c[0] for c in APPROPRIATE])
def test_appropriate_order_is_rated_appropriate_and_names_the_variant(info_client, variant, record, sr, expected,
                                                                       name):
    out, card = post(info_client, [sr], **record)
    assert pama_rating(out) == "appropriate"
    assert acr_category(out) == expected
    assert card["indicator"] == "info"
    assert name in card["detail"]


def test_vertebral_augmentation_names_both_treatment_variants_it_may_fit(info_client):
    """Marrow edema and worsening cannot be read from codes: both treatment variants stay possible, both say UA."""
    out, card = post(info_client, [order("22513")], age=72, conditions=[THORACIC_ACUTE, NEW_OSTEOPOROTIC_VCF])
    assert pama_rating(out) == "appropriate"
    assert f"{VCF} VCF-E" in card["detail"] and f"{VCF} VCF-F" in card["detail"]
    assert "VCF-A" not in card["detail"]  # imaging variants are not asked about a treatment


# (variant, record, usually-not-appropriate order, expected suggestions (best first), or None: no imaging now)
WARNED = [
    ("TBP-1", dict(conditions=[THORACIC_ACUTE]), order("72146"), None, f"{TBP} variant 1"),
    ("TBP-2", dict(age=55, conditions=[THORACIC_CHRONIC], procedures=[PT_COURSE]), order("72146"),
     ["Radiography thoracic spine"], f"{TBP} variant 2"),
    ("VCF-A", dict(conditions=[LBP_ACUTE, NEW_LUMBAR_VCF]), order("36400-0", LOINC),
     ["MRI spine area of interest without IV contrast", "CT spine area of interest without IV contrast"],
     f"{VCF} VCF-A"),
    ("VCF-C", dict(age=70, conditions=[LBP_ACUTE, PRIOR_OSTEOPOROTIC_FRACTURE]), order("24987-0", LOINC),
     ["MRI spine area of interest without IV contrast", "CT spine area of interest without IV contrast"],
     f"{VCF} VCF-C"),
]


@pytest.mark.parametrize("variant,record,sr,alternatives,name", WARNED, ids=[c[0] for c in WARNED])
def test_usually_not_appropriate_order_warns_with_the_right_alternative(client, variant, record, sr, alternatives,
                                                                        name):
    out, card = post(client, [sr], **record)
    assert pama_rating(out) == "not-appropriate"
    assert card["indicator"] == "warning"
    assert name in card["detail"]
    if alternatives is None:
        assert suggested(card) == [] and recommends_cancel(card)
    else:
        assert suggested(card) == alternatives
        assert card["suggestions"][0].get("isRecommended")


def test_low_back_pain_with_osteoporosis_and_prior_fracture_is_judged_across_both_topics(client):
    """LBP-6 and VCF-C both fit: the card names both, and suggests only studies both rate usually appropriate."""
    out, card = post(client, [order("72132")], age=60,
                     conditions=[LBP_ACUTE, OSTEOPOROSIS, PRIOR_OSTEOPOROTIC_FRACTURE])
    assert pama_rating(out) == "not-appropriate"
    assert "Low Back Pain (2021) variant 6" in card["detail"]
    assert f"{VCF} VCF-C" in card["detail"]
    # radiography is usually appropriate in LBP-6 but not rated by VCF-C: not suggested
    assert suggested(card) == ["MRI lumbar spine without IV contrast", "CT lumbar spine without IV contrast"]
    mri = card["suggestions"][0]["actions"][0]["resource"]["code"]["coding"][0]
    assert (mri["system"], mri["code"]) == ("http://www.ama-assn.org/go/cpt", "72148")


def test_a_rating_from_one_topic_gives_the_benefit_of_the_doubt_over_another(info_client):
    """Thoracic variant 'abnormal radiograph' rates MRI w/wo usually appropriate while VCF-A rates it usually not:
    a matched appropriate variant wins, and both are named."""
    out, card = post(info_client, [order("72157")],
                     conditions=[THORACIC_ACUTE, condition("M48.54XA", onset_days=3)])
    assert pama_rating(out) == "appropriate"
    assert f"{TBP} TBP-abnormal-radiograph" in card["detail"] and f"{VCF} VCF-A" in card["detail"]


def test_unknown_cells_never_warn(client):
    """Asymptomatic osteoporotic VCF: only 'medical management' is rated; augmentation is unknown -> no warning,
    no rating. Myelopathy: MRI with contrast is a row the source does not give -> no warning, no rating."""
    out, card = post(client, [order("22513")], age=72, conditions=[NEW_OSTEOPOROTIC_VCF])
    assert card is None and pama_rating(out) is None
    out, card = post(client, [order("72147")], conditions=[THORACIC_ACUTE, condition("G95.20")])
    assert card is None and pama_rating(out) is None


def test_an_undocumented_fracture_is_not_assumed_without_a_record(client):
    """No record at all: VCF scenarios need a documented fracture, so the thoracic answer stands alone."""
    out, card = post(client, [order("72146")], conditions=[THORACIC_ACUTE])
    assert pama_rating(out) == "not-appropriate"
    assert VCF not in card["detail"].split("What would change")[0]


def test_adult_only_variants_do_not_apply_to_children(client):
    out, card = post(client, [order("72146")], age=12, conditions=[THORACIC_ACUTE])
    assert card is None
    assert pama_rating(out) == "no-criteria-apply"


def test_child_card_uses_pediatric_radiation_levels(client):
    out, card = post(client, [order("72149")], age=14, conditions=[LBP_ACUTE, NEW_LUMBAR_VCF])
    assert pama_rating(out) == "not-appropriate"
    assert "Radiation (child)" in card["detail"]
    assert "| CT lumbar spine without IV contrast | Usually appropriate | ☢☢☢☢ (3-10 mSv) |" in card["detail"]


def test_order_sign_rates_treatment_and_imaging_orders_together(client):
    out, _ = post(client, [order("22513", rid="pva"), order("72146", rid="mri")], hook="order-sign", age=72,
                  conditions=[THORACIC_ACUTE, NEW_OSTEOPOROTIC_VCF])
    assert pama_rating(out, "pva") == "appropriate"
