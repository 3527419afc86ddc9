"""POST /cds-services/<id>/feedback: CDS Hooks 2.0 feedback on cards this service issued, stored before the 200."""
from datetime import datetime

import pytest
from hook_requests import feedback_for, lbp_request
from sqlalchemy import text
from storage_backends import database_url, postgres_url  # noqa: F401 (fixtures)

from cds_service.app import create_app
from cds_service.config import Settings
from hooks.engine import Engine

SELECT = "/cds-services/imaging-auc-select"


@pytest.fixture(scope="module")
def engine():
    return Engine.create()


@pytest.fixture
def app(engine, database_url):
    return create_app(Settings(database_url=database_url), engine=engine)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def card(client):
    response = client.post(SELECT, json=lbp_request())
    assert response.status_code == 200
    [card] = response.get_json()["cards"]
    assert card["indicator"] == "warning" and card["suggestions"]
    return card


def stored(app) -> list[dict]:
    return app.extensions["storage"].export("feedback", datetime(2000, 1, 1), datetime(2100, 1, 1))


def test_accepted_feedback_in_the_spec_wrapper_is_stored(app, client, card):
    response = client.post(SELECT + "/feedback", json={"feedback": [feedback_for(card)]})
    assert response.status_code == 200
    [row] = stored(app)
    assert row["card_uuid"] == card["uuid"] and row["outcome"] == "accepted"
    assert row["accepted_suggestions"] == [card["suggestions"][0]["uuid"]]
    assert row["outcome_timestamp"] == datetime(2026, 11, 23, 15, 0, 0, 500000)


def test_a_bare_override_with_reason_and_comment_is_stored(app, client, card):
    reason = card["overrideReasons"][0]
    item = feedback_for(card, "overridden", outcomeTimestamp="2026-11-23T10:00:00+01:00",
                        overrideReason={"reason": {"system": reason["system"], "code": reason["code"]},
                                        "userComment": "red flag seen at the bedside"})
    assert client.post(SELECT + "/feedback", json=item).status_code == 200
    [row] = stored(app)
    assert (row["override_reason_code"], row["user_comment"]) == (reason["code"], "red flag seen at the bedside")
    assert row["outcome_timestamp"] == datetime(2026, 11, 23, 9, 0)  # normalised to UTC


def test_the_same_card_may_be_reported_more_than_once(app, client, card):
    body = {"feedback": [feedback_for(card), feedback_for(card, "overridden",
                                                           overrideReason={"userComment": "changed my mind"})]}
    assert client.post(SELECT + "/feedback", json=body).status_code == 200
    assert [r["outcome"] for r in stored(app)] == ["accepted", "overridden"]


@pytest.mark.parametrize("change, field", [
    ({"outcome": "ignored"}, "feedback[0].outcome"),
    ({"outcome": None}, "feedback[0].outcome"),
    ({"acceptedSuggestions": None}, "feedback[0].acceptedSuggestions"),
    ({"acceptedSuggestions": [{}]}, "feedback[0].acceptedSuggestions[0].id"),
    ({"outcomeTimestamp": None}, "feedback[0].outcomeTimestamp"),
    ({"outcomeTimestamp": "23/11/2026"}, "feedback[0].outcomeTimestamp"),
    ({"outcomeTimestamp": "2026-02-30T10:00:00Z"}, "feedback[0].outcomeTimestamp"),
    ({"card": None}, "feedback[0].card"),
    ({"card": "not-a-card-we-issued"}, "feedback[0].card"),
    ({"acceptedSuggestions": [{"id": "not-one-of-its-suggestions"}]}, "feedback[0].acceptedSuggestions[0].id"),
    ({"outcome": "overridden", "overrideReason": {}}, "feedback[0].overrideReason.reason"),
    ({"outcome": "overridden", "overrideReason": {"reason": {"code": "x"}}},
     "feedback[0].overrideReason.reason.system"),
])
def test_malformed_or_unknown_feedback_is_a_400_naming_the_field_and_stores_nothing(app, client, card, change, field):
    item = {k: v for k, v in {**feedback_for(card), **change}.items() if v is not None}
    response = client.post(SELECT + "/feedback", json={"feedback": [feedback_for(card), item]})
    body = response.get_json()
    assert response.status_code == 400
    assert body["field"] == field.replace("feedback[0]", "feedback[1]")
    assert body["message"].startswith(field.replace("feedback[0]", "feedback[1]"))
    assert stored(app) == []  # a batch is stored whole or not at all


@pytest.mark.parametrize("body", [b"", b"{not json", b"[]", b'{"feedback": []}', b'{"feedback": {"card": "x"}}'])
def test_a_body_that_is_not_feedback_is_a_400(client, body):
    response = client.post(SELECT + "/feedback", data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "bad-request"


def test_feedback_on_another_services_card_is_rejected(client, card):
    response = client.post("/cds-services/imaging-auc-sign/feedback", json=feedback_for(card))
    assert response.status_code == 400
    assert "is not a card issued by service 'imaging-auc-sign'" in response.get_json()["message"]


def test_an_unknown_service_is_a_404(client, card):
    response = client.post("/cds-services/no-such-service/feedback", json=feedback_for(card))
    assert response.status_code == 404 and response.get_json()["field"] == "id"


def test_no_200_when_the_write_cannot_be_committed(app, client, card):
    with app.extensions["storage"].engine.begin() as conn:
        conn.execute(text("DROP TABLE feedback"))
    response = client.post(SELECT + "/feedback", json=feedback_for(card))
    assert response.status_code == 503
    assert response.get_json()["message"] == "the service's database is unavailable; nothing was recorded"
