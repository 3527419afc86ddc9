"""/openapi.json describes what the service really does, with the very schemas it validates with."""
from __future__ import annotations

import copy
import json
import shutil

import jsonschema
import orjson
import pytest

from bench.workload import bench_request, hook_request, mix, prefetch, service_request
from cds_service import openapi, validation
from cds_service.app import create_app
from cds_service.config import Settings
from cds_service.discovery import SERVICE_IDS


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("openapi") / "cds.sqlite3"
    return create_app(Settings(database_url=f"sqlite:///{db}")).test_client()


def _validator(file: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(validation.schema(file), format_checker=jsonschema.FormatChecker())


def _post(client, service_id: str, body: object):
    return client.post(f"/cds-services/{service_id}", data=orjson.dumps(body), content_type="application/json")


def test_openapi_document_is_served_and_names_every_endpoint(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    doc = r.get_json()
    assert doc["openapi"].startswith("3.1")
    assert {"/cds-services", "/cds-services/{service_id}", "/openapi.json"} <= set(doc["paths"])
    param = doc["paths"]["/cds-services/{service_id}"]["post"]["parameters"][0]
    assert param["schema"]["enum"] == list(SERVICE_IDS) == ["imaging-auc-select", "imaging-auc-sign"]
    errors = doc["paths"]["/cds-services/{service_id}"]["post"]["responses"]
    assert {"400", "404", "412", "413"} <= set(errors)
    assert errors["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_request_schema_is_the_validation_schema_not_a_copy(client):
    served = client.get("/openapi.json").get_json()["components"]["schemas"]["HookRequest"]
    on_disk = json.loads((validation.SCHEMAS / "hook-request.schema.json").read_text())
    for key in ("$id", "$schema"):
        on_disk.pop(key)
    assert served == on_disk
    # and the validator the endpoint uses was built from the object the document embeds
    assert validation.validator("hook-request.schema.json").schema is validation.schema("hook-request.schema.json")


def test_response_defs_are_hoisted_and_every_ref_resolves(client):
    doc = client.get("/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)
    assert refs and all(r.startswith("#/components/schemas/") for r in refs)
    assert {r.rsplit("/", 1)[1] for r in refs} <= set(schemas)
    assert "HookResponse.card" in schemas


def test_discovery_matches_its_schema(client):
    body = client.get("/cds-services").get_json()
    _validator("discovery.schema.json").validate(body)


def test_every_response_of_the_realistic_mix_matches_the_documented_schemas(client):
    ok, err = _validator("hook-response.schema.json"), _validator("error.schema.json")
    statuses = []
    for service_id, body, expected in mix():
        r = _post(client, service_id, body)
        statuses.append(r.status_code)
        assert r.status_code == expected, (service_id, r.get_json())
        (ok if r.status_code == 200 else err).validate(r.get_json())
    assert statuses.count(200) > 20 and {400, 404, 412} <= set(statuses)


def test_warning_card_with_suggestions_conforms_and_is_caught_when_broken(client):
    r = _post(client, "imaging-auc-select", bench_request())
    body = r.get_json()
    card = body["cards"][0]
    assert card["indicator"] == "warning" and card["suggestions"]
    _validator("hook-response.schema.json").validate(body)
    broken = copy.deepcopy(body)
    del broken["cards"][0]["selectionBehavior"]          # suggestions without selectionBehavior
    assert not _validator("hook-response.schema.json").is_valid(broken)
    broken = copy.deepcopy(body)
    broken["cards"][0]["summary"] = "x" * 140            # summary must be < 140 characters
    assert not _validator("hook-response.schema.json").is_valid(broken)


def test_order_sign_response_conforms(client):
    orders = [service_request("a", "mri-lumbar-wo"), service_request("b", "xr-lumbar")]
    r = _post(client, "imaging-auc-sign", hook_request("order-sign", orders, prefetch(50, 20, "chronic")))
    assert r.status_code == 200
    body = r.get_json()
    _validator("hook-response.schema.json").validate(body)
    assert len(body["systemActions"]) == 2 and body["extension"]["systemActions"] == body["systemActions"]


def test_error_bodies_conform(client):
    err = _validator("error.schema.json")
    for r in (client.post("/cds-services/imaging-auc-select", data=b"{", content_type="application/json"),
              client.get("/nowhere"), client.put("/cds-services"), _post(client, "imaging-auc-select", [])):
        assert 400 <= r.status_code < 500
        err.validate(r.get_json())


def test_feedback_is_described_only_when_its_schema_file_is_installed(tmp_path, monkeypatch):
    if not (validation.SCHEMAS / openapi.FEEDBACK_SCHEMA).is_file():
        assert "/cds-services/{service_id}/feedback" not in openapi.document()["paths"]
    schemas = tmp_path / "schemas"
    shutil.copytree(validation.SCHEMAS, schemas)
    (schemas / openapi.FEEDBACK_SCHEMA).write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:test:feedback", "type": "object",
        "required": ["feedback"], "properties": {"feedback": {"type": "array", "items": {"$ref": "#/$defs/item"}}},
        "$defs": {"item": {"type": "object", "required": ["card", "outcome"]}}}))
    monkeypatch.setattr(validation, "SCHEMAS", schemas)
    validation.schema.cache_clear()
    openapi.document.cache_clear()
    try:
        doc = openapi.document()
        op = doc["paths"]["/cds-services/{service_id}/feedback"]["post"]
        assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Feedback"}
        assert doc["components"]["schemas"]["Feedback"]["properties"]["feedback"]["items"] == {
            "$ref": "#/components/schemas/Feedback.item"}
    finally:
        monkeypatch.undo()
        validation.schema.cache_clear()
        validation.validator.cache_clear()
        openapi.document.cache_clear()
