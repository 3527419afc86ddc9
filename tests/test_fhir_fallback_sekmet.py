"""FHIR-server fallback against a real FHIR R4 server (sekmet-fhir): with `fhirServer` and no prefetch the hook
gives the same answer as with full prefetch, for every ACR Low Back Pain variant."""
from __future__ import annotations

import pytest

import sekmet_server
from cds_service.app import create_app
from cds_service.config import Settings
from builders import SNOMED, answer, pama_ratings, record_prefetch
from lbp_records import (LOW_BACK_PAIN, MRI_LUMBAR_W, MRI_LUMBAR_WO, VARIANTS, lbp_record, order_select, problem,
                         transaction)

SELECT = "/cds-services/imaging-auc-select"
SIGN = "/cds-services/imaging-auc-sign"
PAGED = "paged1"  # a patient with more Conditions than fit on sekmet's 20-entry search pages


def paged_record() -> list[dict]:
    """45 resolved (ignored) Conditions, then active low back pain and a malignancy: LBP-7 only if all pages are read."""
    filler = [problem(PAGED, f"{PAGED}-old{i}", {"system": SNOMED, "code": "386661006", "display": "Fever"}, 1000 + i,
                      status="resolved") for i in range(45)]
    record = lbp_record("LBP-7", PAGED)
    return [record[0]] + filler + record[1:]


@pytest.fixture(scope="module")
def fhir(tmp_path_factory):
    proc, server = sekmet_server.start(tmp_path_factory.mktemp("sekmet"))
    try:
        server.load(transaction([r for v in VARIANTS for r in lbp_record(v)] + paged_record()))
        yield server
    finally:
        sekmet_server.stop(proc)


def client(engine, **settings):
    return create_app(Settings(**settings), engine).test_client()


@pytest.mark.parametrize("code", [MRI_LUMBAR_WO, MRI_LUMBAR_W], ids=["mri-wo", "mri-w"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_fallback_gives_the_same_answer_as_full_prefetch(fhir, engine, variant, code):
    record = lbp_record(variant)
    pid = record[0]["id"]
    c = client(engine)
    with_prefetch = c.post(SELECT, json=order_select(pid, code, prefetch=record_prefetch(record)))
    fetched = c.post(SELECT, json=order_select(pid, code, fhir_server=fhir.base, token=fhir.token))
    assert with_prefetch.status_code == fetched.status_code == 200
    assert pama_ratings(fetched.get_json()), "the fallback answer carries a rating"
    assert answer(fetched.get_json()) == answer(with_prefetch.get_json())
    if code is MRI_LUMBAR_W:  # a warning in every variant, naming the variant the record put the patient in
        n = variant[-1]
        assert f"Low Back Pain (2021) variant {n}." in fetched.get_json()["cards"][0]["detail"]


def test_order_sign_fallback_matches_prefetch(fhir, engine):
    record = lbp_record("LBP-6")
    body = order_select("lbp6", MRI_LUMBAR_WO, fhir_server=fhir.base, token=fhir.token)
    body.update(hook="order-sign")
    del body["context"]["selections"]
    prefetched = dict(body, prefetch=record_prefetch(record))
    del prefetched["fhirServer"], prefetched["fhirAuthorization"]
    c = client(engine)
    a, b = c.post(SIGN, json=body), c.post(SIGN, json=prefetched)
    assert a.status_code == b.status_code == 200
    assert pama_ratings(a.get_json()) == pama_ratings(b.get_json()) == ["appropriate"]


def test_partial_prefetch_is_completed_from_the_server(fhir, engine):
    record = lbp_record("LBP-5")  # the prior laminotomy is a Procedure: only the server has it
    prefetch = {k: v for k, v in record_prefetch(record).items() if k in ("patient", "conditions")}
    resp = client(engine).post(SELECT, json=order_select("lbp5", MRI_LUMBAR_W, prefetch=prefetch,
                                                         fhir_server=fhir.base, token=fhir.token))
    assert resp.status_code == 200
    assert "after prior lumbar surgery" in resp.get_json()["cards"][0]["summary"]


def test_paging_is_followed_to_the_last_page(fhir, engine):
    c = client(engine)
    fetched = c.post(SELECT, json=order_select(PAGED, MRI_LUMBAR_W, fhir_server=fhir.base, token=fhir.token))
    prefetched = c.post(SELECT, json=order_select(PAGED, MRI_LUMBAR_W, prefetch=record_prefetch(paged_record())))
    assert answer(fetched.get_json()) == answer(prefetched.get_json())
    assert "suspected cancer" in fetched.get_json()["cards"][0]["summary"]


def test_a_page_cap_leaves_the_problem_list_partly_read_and_says_so(fhir, engine):
    resp = client(engine, fhir_max_pages=2).post(SELECT, json=order_select(PAGED, MRI_LUMBAR_W, fhir_server=fhir.base,
                                                                         token=fhir.token))
    assert resp.status_code == 200
    detail = resp.get_json()["cards"][0]["detail"]
    assert ("problem list (Conditions) was only partly read from the EHR's FHIR server (Condition search: "
            "more than 2 pages of results); nothing was ruled out") in detail


def test_a_refused_token_degrades_to_412_or_an_order_only_rating(fhir, engine):
    c = client(engine)
    needs_record = c.post(SELECT, json=order_select("lbp1", MRI_LUMBAR_WO, fhir_server=fhir.base, token="wrong"))
    assert needs_record.status_code == 412
    order_only = c.post(SELECT, json=order_select("lbp1", MRI_LUMBAR_W, fhir_server=fhir.base, token="wrong"))
    assert order_only.status_code == 200
    assert "problem list (Conditions) could not be read from the EHR's FHIR server (Condition search: access was " \
           "refused, HTTP 401)" in order_only.get_json()["cards"][0]["detail"]


def test_an_unknown_patient_is_not_found_not_an_error(fhir, engine):
    resp = client(engine).post(SELECT, json=order_select("nobody", MRI_LUMBAR_W, fhir_server=fhir.base,
                                                         token=fhir.token))
    assert resp.status_code == 200
    detail = resp.get_json()["cards"][0]["detail"]
    assert "patient demographics could not be read from the EHR's FHIR server (Patient read: not found, HTTP 404)" \
        in detail
    assert LOW_BACK_PAIN["display"].lower() in detail.lower()
