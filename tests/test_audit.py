"""The audit trail: one record per rated order with identifiers and codes only, committed before the hook answers."""
import json
import logging
from datetime import datetime

import pytest
from hook_requests import CONDITION_NOTE, CONDITION_TEXT, PATIENT_NAME, lbp_request
from sqlalchemy import text
from storage_backends import database_url, postgres_url  # noqa: F401 (fixtures)

from cds_service.app import create_app
from cds_service.config import Settings


@pytest.fixture
def app(database_url):
    return create_app(Settings(database_url=database_url))


def audit_rows(app) -> list[dict]:
    return app.extensions["storage"].export("audit", datetime(2000, 1, 1), datetime(2100, 1, 1))


def test_one_record_per_rated_order_with_ids_codes_and_latency(app):
    body = lbp_request("order-sign", cpts=("72148", "71046", "85025"))  # lumbar MRI, chest X-ray, a blood count
    response = app.test_client().post("/cds-services/imaging-auc-sign", json=body)
    assert response.status_code == 200
    [card] = response.get_json()["cards"]
    rows = {r["order_code"]: r for r in audit_rows(app)}
    assert set(rows) == {"72148", "71046"}  # the blood count is not imaging: not rated, not audited
    mri, chest = rows["72148"], rows["71046"]
    assert mri["hook_instance"] == body["hookInstance"] and mri["service_id"] == "imaging-auc-sign"
    assert mri["consult_id"].startswith("urn:uuid:") and mri["consult_id"] != chest["consult_id"]
    assert (mri["order_reference"], mri["order_system"]) == ("ServiceRequest/sr-1", "http://www.ama-assn.org/go/cpt")
    assert (mri["procedure_id"], mri["rating"]) == ("mri-lumbar-wo", "not-appropriate")
    assert mri["variants"] == [{"variant": "LBP-1", "status": "matched"}]
    assert mri["card_uuid"] == card["uuid"]
    assert mri["suggestion_uuids"] == [s["uuid"] for s in card["suggestions"]]
    condition_fact = {"concept": "low-back-pain", "source": "condition", "system": "icd10cm", "code": "M54.50"}
    assert condition_fact in mri["fact_codes"]
    assert mri["latency_ms"] > 0
    assert (chest["rating"], chest["card_uuid"], chest["suggestion_uuids"]) == ("no-criteria-apply", None, [])
    assert mri["issuer"] is None and mri["tenant"] is None  # authentication off


def test_nothing_of_the_patient_in_the_audit_trail_or_the_logs(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    assert client.post("/cds-services/imaging-auc-select", json=lbp_request()).status_code == 200
    bad = lbp_request()
    bad["context"]["draftOrders"]["entry"][0]["resource"]["status"] = 42  # an invalid order: a 400, still no leak
    assert client.post("/cds-services/imaging-auc-select", json=bad).status_code == 400
    stored = json.dumps(audit_rows(app), default=str)
    logged = caplog.text
    for private in (PATIENT_NAME.split()[1], PATIENT_NAME.split()[0], CONDITION_NOTE, CONDITION_TEXT, "pat-1"):
        assert private not in stored
        assert private not in logged


def test_the_hook_answers_503_rather_than_show_a_card_it_could_not_record(app):
    with app.extensions["storage"].engine.begin() as conn:
        conn.execute(text("DROP TABLE audit"))
    response = app.test_client().post("/cds-services/imaging-auc-select", json=lbp_request())
    assert response.status_code == 503 and response.get_json()["error"] == "unavailable"
