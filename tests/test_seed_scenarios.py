"""The five seed articles (../shared/reference/000-004) as patient records and orders, with the rating and the
top alternative each seed states."""
from builders import acr_category, condition, pama_rating, procedure, service_request as order
from vcf_records import LOINC, post, recommends_cancel, suggested

PT_8_WEEKS = procedure("97110", start_days=60, end_days=4)


def test_seed_000_chronic_thoracic_pain_after_failed_therapy(client):
    """55-year-old, 4 months of mid-back pain, physical therapy failed, no red flags: only thoracic radiography is
    'may be appropriate (disagreement)'; MRI is usually not appropriate and radiography is the suggestion."""
    record = dict(age=55, conditions=[condition("M54.6", onset_days=120)],
                  procedures=[procedure("97110", start_days=100, end_days=40)])
    out, card = post(client, [order("72146")], **record)
    assert pama_rating(out) == "not-appropriate"
    assert suggested(card)[0] == "Radiography thoracic spine"
    assert "May be appropriate (disagreement)" in card["detail"]
    out, card = post(client, [order("72070")], **record)
    assert pama_rating(out) == "appropriate" and card is None
    assert acr_category(out) == "may-be-appropriate-disagreement"


def test_seed_001_chronic_low_back_pain_without_prior_management(client):
    """55-year-old, 3 months of LBP radiating to the thigh, analgesics only: radiography usually not appropriate,
    no imaging now (no study to switch to)."""
    out, card = post(client, [order("72100")], age=55,
                     conditions=[condition("M54.50", onset_days=90), condition("M54.41", onset_days=90)])
    assert pama_rating(out) == "not-appropriate"
    assert "Low Back Pain (2021) variant 2" in card["detail"]
    assert suggested(card) == [] and recommends_cancel(card)


def test_seed_002_acute_low_back_pain_without_red_flags(client):
    """Several days of non-traumatic LBP: the overview's top procedure, lumbar radiography, is usually not
    appropriate, and so is the MRI the patient asks for; no imaging now."""
    for cpt in ("72100", "72148"):
        out, card = post(client, [order(cpt)], age=40, conditions=[condition("M54.50", onset_days=4)])
        assert pama_rating(out) == "not-appropriate"
        assert "Low Back Pain (2021) variant 1" in card["detail"]
        assert suggested(card) == [] and recommends_cancel(card)


def test_seed_003_new_back_pain_after_prior_kyphoplasty(client):
    """78-year-old with osteoporosis and a kyphoplasty two years ago, a week of new mid-back pain: CT of the area of
    interest without contrast is usually appropriate; contrast CT is usually not, with CT or MRI without contrast
    (both usually appropriate) suggested."""
    record = dict(age=78, conditions=[condition("M81.0", onset_days=3000), condition("M54.6", onset_days=7)],
                  procedures=[procedure("22514", start_days=730)])
    out, card = post(client, [order("72128")], **record)
    assert pama_rating(out) == "appropriate" and acr_category(out) == "usually-appropriate"
    out, card = post(client, [order("24987-0", LOINC)], **record)
    assert pama_rating(out) == "not-appropriate"
    assert "VCF-C" in card["detail"]
    assert set(suggested(card)) == {"CT spine area of interest without IV contrast",
                                    "MRI spine area of interest without IV contrast"}
    ct = next(s for s in card["suggestions"] if s["label"].startswith("Change to CT"))
    assert ct["actions"][0]["resource"]["code"]["coding"][0]["code"] == "36530-4"


def test_seed_004_chronic_low_back_pain_after_eight_weeks_of_therapy(client):
    """58-year-old, radiating LBP, 8 weeks of physical therapy and NSAIDs, procedure candidate: MRI without
    contrast usually appropriate; MRI with contrast only is usually not, and MRI without contrast is suggested."""
    record = dict(age=58, conditions=[condition("M54.50", onset_days=70), condition("M54.16", onset_days=70)],
                  procedures=[PT_8_WEEKS])
    out, card = post(client, [order("72148")], **record)
    assert pama_rating(out) == "appropriate" and acr_category(out) == "usually-appropriate"
    out, card = post(client, [order("72149")], **record)
    assert pama_rating(out) == "not-appropriate"
    assert suggested(card)[0] == "MRI lumbar spine without IV contrast"
