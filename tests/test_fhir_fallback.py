"""FHIR-server fallback against misbehaving servers on loopback: the hook degrades, names what it could not read,
keeps to its deadline, and never fetches anything but fhirServer + a prefetch template."""
from __future__ import annotations

import logging

import pytest

from cds_service.app import create_app
from cds_service.config import ConfigError, Settings
from cds_service.fhir_fetch import expand
from fhir_stub_server import StubFhirServer, elapsed
from builders import pama_ratings
from lbp_records import MRI_LUMBAR_W, MRI_LUMBAR_WO, lbp_record, order_select

SELECT = "/cds-services/imaging-auc-select"
PARTS = ("patient demographics", "problem list (Conditions)", "procedure history", "medication history")


def client(engine, **settings):
    return create_app(Settings(**settings), engine).test_client()


def card_text(body: dict) -> str:
    return "\n".join(c["summary"] + "\n" + c.get("detail", "") for c in body["cards"])


@pytest.mark.parametrize("mode", ["stall", "drip"])
def test_a_stalling_server_does_not_hold_the_hook_past_its_deadline(engine, mode):
    c = client(engine, fhir_deadline_seconds=1.0, fhir_read_timeout_seconds=5.0)
    with StubFhirServer(mode) as fhir:
        resp, took = elapsed(lambda: c.post(SELECT, json=order_select("p1", MRI_LUMBAR_W, fhir_server=fhir.base)))
    assert took < 1.0 + 0.2, f"hook took {took:.2f} s with a 1 s FHIR deadline"
    assert resp.status_code == 200
    # MRI with contrast is usually not appropriate in every LBP variant, so the order alone still rates it
    assert pama_ratings(resp.get_json()) == ["not-appropriate"]
    text = card_text(resp.get_json())
    for part in PARTS:
        assert f"{part} could not be read from the EHR's FHIR server" in text
    assert "no answer within the 1 s limit" in text


def test_a_read_timeout_shorter_than_the_deadline_is_named_as_such(engine):
    c = client(engine, fhir_deadline_seconds=2.0, fhir_read_timeout_seconds=0.3)
    with StubFhirServer("stall") as fhir:
        resp, took = elapsed(lambda: c.post(SELECT, json=order_select("p1", MRI_LUMBAR_W, fhir_server=fhir.base)))
    assert took < 0.3 + 0.5 and resp.status_code == 200
    text = card_text(resp.get_json())
    assert "0.3 s read timeout" in text and "2 s limit" not in text


def test_a_stalling_server_with_a_rating_that_needs_the_record_gives_412_in_time(engine):
    c = client(engine, fhir_deadline_seconds=0.5)
    with StubFhirServer("stall") as fhir:
        resp, took = elapsed(lambda: c.post(SELECT, json=order_select("p1", MRI_LUMBAR_WO, fhir_server=fhir.base)))
    assert took < 0.5 + 0.2
    assert resp.status_code == 412
    assert resp.get_json()["error"] == "precondition-failed"


@pytest.mark.parametrize("mode, reason", [
    ("500", "server error, HTTP 500"),
    ("html", "the answer was not FHIR JSON"),
    ("html-as-json", "the answer was not valid JSON"),
    ("401", "access was refused, HTTP 401"),
    ("404", "not found, HTTP 404"),
    ("wrong-type", "the server answered with a Bundle, not a Patient"),
    ("redirect", "the server redirected elsewhere, HTTP 302"),
])
def test_a_failing_server_degrades_the_answer_and_the_card_names_what_was_not_read(engine, mode, reason):
    c = client(engine)
    with StubFhirServer(mode) as fhir:
        resp = c.post(SELECT, json=order_select("p1", MRI_LUMBAR_W, fhir_server=fhir.base, token="tok-123"))
        asked = [r["path"] for r in fhir.requests]
    assert resp.status_code == 200
    assert pama_ratings(resp.get_json()) == ["not-appropriate"]
    text = card_text(resp.get_json())
    assert reason in text
    for part in PARTS:
        assert f"{part} could not be read from the EHR's FHIR server" in text
    assert len(asked) == 5  # one request per prefetch key: no retries, redirects not followed


@pytest.mark.parametrize("mode", ["500", "html", "401"])
def test_with_nothing_read_a_rating_that_needs_the_record_is_412_not_5xx(engine, mode):
    with StubFhirServer(mode) as fhir:
        resp = client(engine).post(SELECT, json=order_select("p1", MRI_LUMBAR_WO, fhir_server=fhir.base))
    assert resp.status_code == 412


def test_only_template_paths_under_fhir_server_are_requested_with_the_bearer_token(engine):
    with StubFhirServer("ok") as fhir:
        resp = client(engine).post(SELECT, json=order_select("p1", MRI_LUMBAR_WO, fhir_server=fhir.base + "/",
                                                             token="tok-123"))
        seen = fhir.requests
    assert resp.status_code == 200
    assert sorted(r["path"] for r in seen) == sorted([
        "/fhir/Patient/p1", "/fhir/Condition?patient=p1", "/fhir/Procedure?patient=p1",
        "/fhir/MedicationRequest?patient=p1", "/fhir/MedicationStatement?patient=p1"])
    assert {r["authorization"] for r in seen} == {"Bearer tok-123"}
    assert {r["accept"] for r in seen} == {"application/fhir+json"}


def test_null_prefetch_is_not_refetched_and_an_operation_outcome_is(engine):
    record = lbp_record("LBP-1", "p1")
    prefetch = {"patient": record[0], "conditions": None,
                "procedures": {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}}
    with StubFhirServer("ok") as fhir:
        client(engine).post(SELECT, json=order_select("p1", MRI_LUMBAR_WO, prefetch=prefetch, fhir_server=fhir.base))
        paths = sorted(r["path"] for r in fhir.requests)
    assert paths == ["/fhir/MedicationRequest?patient=p1", "/fhir/MedicationStatement?patient=p1",
                     "/fhir/Procedure?patient=p1"]


@pytest.mark.parametrize("patient_id", ["../../admin", "p1?_format=xml&patient=p2", "p1/../../x", "..", "a b"])
def test_context_values_cannot_steer_requests_off_the_template(engine, patient_id):
    with StubFhirServer("ok") as fhir:
        resp = client(engine).post(SELECT, json=order_select(patient_id, MRI_LUMBAR_W, fhir_server=fhir.base))
        asked = fhir.requests
    assert asked == []
    assert resp.status_code == 200
    assert "the hook context lacks a usable id for its query" in card_text(resp.get_json())


def test_a_next_link_off_the_server_is_not_followed_and_the_part_counts_as_partly_read(engine):
    with StubFhirServer("next-outside") as fhir:
        resp = client(engine).post(SELECT, json=order_select("p1", MRI_LUMBAR_W, fhir_server=fhir.base))
        asked = [r["path"] for r in fhir.requests]
    assert len(asked) == 5
    assert ("problem list (Conditions) was only partly read from the EHR's FHIR server (Condition search: "
            "a next-page link pointed outside the FHIR server)") in card_text(resp.get_json())


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/fhir", "file:///etc/passwd", "gopher://x", "not a url", "http://",
                                 "http://user:pw@127.0.0.1/fhir", "http://127.0.0.1/fhir?x=1", "http://127.0.0.1/fhir#",
                                 "http://[::1", "http://127.0.0.1:99999/fhir", "http://127.0.0.1:port/fhir", 42])
def test_a_fhir_server_that_is_not_a_plain_http_base_url_is_400(engine, url):
    body = order_select("p1", MRI_LUMBAR_WO)
    body["fhirServer"] = url
    resp = client(engine).post(SELECT, json=body)
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "fhirServer"


def test_the_fhir_server_allowlist_is_enforced_by_path_segment(engine):
    c = client(engine, fhir_server_allowlist=("https://ehr.example.org/fhir",))
    with StubFhirServer("ok") as fhir:
        for url in (fhir.base, "https://ehr.example.org/fhir-evil", "https://ehr.example.org.evil.net/fhir"):
            resp = c.post(SELECT, json=order_select("p1", MRI_LUMBAR_WO, fhir_server=url))
            assert resp.status_code == 400, url
            assert "not one of the FHIR servers" in resp.get_json()["message"]
        assert fhir.requests == []


def test_no_token_or_patient_id_in_logs_or_notes(engine, caplog):
    caplog.set_level(logging.DEBUG)
    with StubFhirServer("401") as fhir:
        resp = client(engine).post(SELECT, json=order_select("pat-secret-77", MRI_LUMBAR_W, fhir_server=fhir.base,
                                                             token="tok-very-secret"))
    notes = [line for line in card_text(resp.get_json()).splitlines() if "FHIR server" in line]
    assert len(notes) == 5
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "not read (access was refused, HTTP 401)" in logged
    for secret in ("tok-very-secret", "pat-secret-77", fhir.base):
        assert secret not in logged
        assert not any(secret in n for n in notes)


def test_prefetch_tokens():
    ctx = {"patientId": "p1", "userId": "Practitioner/dr-9", "encounterId": "e.1", "draftOrders": {}}
    assert expand("Patient/{{context.patientId}}", ctx) == "Patient/p1"
    assert expand("Encounter/{{ context.encounterId }}", ctx) == "Encounter/e.1"
    assert expand("Practitioner/{{userPractitionerId}}", ctx) == "Practitioner/dr-9"
    assert expand("{{context.userId}}", ctx) == "Practitioner/dr-9"
    assert expand("PractitionerRole/{{userPractitionerRoleId}}", ctx) is None  # the user is a Practitioner
    assert expand("Bundle?x={{context.draftOrders}}", ctx) is None  # not a primitive
    assert expand("Patient/{{context.missing}}", ctx) is None
    assert expand("Patient/{{today()}}", ctx) is None  # CDS Hooks 3.0 FHIRPath tokens are not supported


def test_fhir_fallback_settings_from_the_environment():
    s = Settings.from_env({"FHIR_DEADLINE_SECONDS": "0.75", "FHIR_MAX_PAGES": "3",
                           "FHIR_SERVER_ALLOWLIST": "https://a.example/fhir, https://b.example/r4"})
    assert (s.fhir_deadline_seconds, s.fhir_max_pages) == (0.75, 3)
    assert s.fhir_server_allowlist == ("https://a.example/fhir", "https://b.example/r4")
    assert Settings.from_env({}).fhir_deadline_seconds == 2.0
    for bad in ({"FHIR_DEADLINE_SECONDS": "soon"}, {"FHIR_DEADLINE_SECONDS": "0"}, {"FHIR_DEADLINE_SECONDS": "nan"},
                {"FHIR_MAX_PAGES": "0"}):
        with pytest.raises(ConfigError):
            Settings.from_env(bad)
