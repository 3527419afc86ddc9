"""The CDS Hooks protocol through HTTP: discovery, the public sandbox's request shapes, order-sign, every 4xx."""
import copy
import uuid

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from builders import (CPT, ICD10CM, SNOMED, condition, full_prefetch, hook_request, pama_rating, service_request)

LBP = {"system": SNOMED, "code": "279039007", "display": "Low back pain"}


def sandbox_request(cpt="72133", display="CT lumbar spine", reasons=(LBP,)):
    """Exactly what the sandbox's PAMA tab sends: Bundle without type, intent plan, SNOMED reasons, no prefetch."""
    return {
        "hookInstance": str(uuid.uuid4()), "hook": "order-select",
        "fhirServer": "http://127.0.0.1:9/fhir",  # the sandbox sends its (DSTU2) server; here one that refuses
        "context": {
            "patientId": "smart-1288992", "userId": "Practitioner/COREPRACTITIONER1",
            "selections": ["ServiceRequest/example-request-id"],
            "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": {
                "resourceType": "ServiceRequest", "id": "example-request-id", "status": "draft", "intent": "plan",
                "code": {"coding": [{"system": CPT, "code": cpt, "display": display}] if cpt else [{}], "text": display},
                "subject": {"reference": "Patient/smart-1288992"},
                "reasonCode": [{"coding": [r], "text": r["display"]} for r in reasons]}}]},
        },
    }


def apply_like_the_sandbox(order: dict, suggestion: dict) -> dict:
    """The sandbox PAMA tab keeps update actions only, then reads the rating, code.coding[0] and reasonCode codings."""
    (action,) = [a for a in suggestion["actions"] if a["type"] == "update"]
    res = action["resource"]
    rating = next(e for e in res["extension"] if e["url"].endswith("/pama-rating"))
    assert rating["valueCodeableConcept"]["coding"][0]["code"]
    assert res["code"]["coding"][0]["display"]
    assert [rc["coding"][0] for rc in res["reasonCode"]] == [rc["coding"][0] for rc in order["reasonCode"]]
    return res


def test_discovery_lists_one_service_per_hook_with_distinct_ids(client):
    services = client.get("/cds-services").json["services"]
    assert sorted(s["hook"] for s in services) == ["order-select", "order-sign"]
    assert len({s["id"] for s in services}) == 2
    for s in services:
        assert s["title"] and s["description"]
        assert set(s["prefetch"]) == {"patient", "conditions", "procedures", "medicationRequests",
                                      "medicationStatements"}
        assert all("{{context.patientId}}" in t for t in s["prefetch"].values())


def test_sandbox_ct_for_low_back_pain_is_warned_and_its_suggestion_applies(select):
    body = sandbox_request()
    out = select(body).json
    assert pama_rating(out) == "not-appropriate"
    assert out["systemActions"] == out["extension"]["systemActions"]
    (card,) = out["cards"]
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    updates = [s for s in card["suggestions"] if s["actions"][0]["type"] == "update"]
    assert updates, "the sandbox can only apply update suggestions"
    res = apply_like_the_sandbox(order, updates[0])
    ServiceRequest.model_validate(res)  # a valid R4 ServiceRequest
    assert res["code"]["coding"][0]["code"] == "72148"
    assert (res["id"], res["subject"], res["intent"]) == (order["id"], order["subject"], order["intent"])


def test_sandbox_first_call_with_empty_study_gets_no_cards(select):
    body = sandbox_request(cpt=None, display=None, reasons=())
    body["context"]["draftOrders"]["entry"][0]["resource"]["reasonCode"] = []
    del body["context"]["draftOrders"]["entry"][0]["resource"]["code"]["text"]
    resp = select(body)
    assert resp.status_code == 200
    assert resp.json == {"cards": []}


def test_dstu2_conditions_are_skipped_and_the_card_says_so(select):
    body = sandbox_request()
    dstu2 = {"resourceType": "Condition", "id": "dstu2-1", "patient": {"reference": "Patient/smart-1288992"},
             "clinicalStatus": "active", "verificationStatus": "confirmed",
             "code": {"coding": [{"system": SNOMED, "code": "192970008"}]}}
    body["prefetch"] = {"conditions": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": dstu2}]}}
    out = select(body).json
    assert pama_rating(out) == "not-appropriate"
    assert "Condition/dstu2-1 was skipped: not valid FHIR R4" in out["cards"][0]["detail"]


def test_unreadable_red_flag_condition_blocks_a_warning_it_could_have_prevented(select):
    """A cauda equina Condition we cannot read leaves variant 4 possible, where MRI is usually appropriate."""
    body = hook_request([service_request("72148")], prefetch=full_prefetch(conditions=[condition("M54.50", onset_days=5)]))
    bad = condition("G83.4", onset_days=1)
    bad["clinicalStatus"] = "active"  # DSTU2 style string
    body["prefetch"]["conditions"]["entry"].append({"resource": bad})
    out = select(body).json
    assert out["cards"] == [] and pama_rating(out) is None


def test_icd10_international_system_uri_is_accepted(select):
    lbp = condition("M54.50", system="http://hl7.org/fhir/sid/icd-10", onset_days=8)
    out = select(hook_request([service_request("72148")], prefetch=full_prefetch(conditions=[lbp]))).json
    assert pama_rating(out) == "not-appropriate"


def test_only_the_selected_order_is_rated(select):
    a, b = service_request("72148", rid="a"), service_request("72133", rid="b")
    body = hook_request([a, b], selections=["ServiceRequest/b"],
                        prefetch=full_prefetch(conditions=[condition("M54.50", onset_days=5)]))
    out = select(body).json
    assert [x["resource"]["id"] for x in out["systemActions"]] == ["b"]
    assert len(out["cards"]) == 1


def test_order_sign_rates_every_imaging_order_and_ignores_others(client):
    orders = [service_request("72148", rid="a"), service_request("72100", rid="b"),
              service_request("2093-3", system="http://loinc.org", rid="lab"),
              {"resourceType": "MedicationRequest", "id": "m", "status": "draft", "intent": "order",
               "medicationCodeableConcept": {"text": "ibuprofen"}, "subject": {"reference": "Patient/pat-1"}}]
    body = hook_request(orders, hook="order-sign", prefetch=full_prefetch(age=80, conditions=[condition("M54.50", onset_days=5)]))
    out = client.post("/cds-services/imaging-auc-sign", json=body).json
    assert {x["resource"]["id"]: pama_rating(out, x["resource"]["id"]) for x in out["systemActions"]} == {
        "a": "appropriate", "b": "appropriate"}


def test_study_no_criteria_cover_is_rated_no_criteria_apply_without_card(select):
    out = select(hook_request([service_request("70450", display="CT head without contrast")],
                              prefetch=full_prefetch())).json
    assert out["cards"] == [] and pama_rating(out) == "no-criteria-apply"


def test_record_fitting_no_variant_is_no_criteria_apply(select):
    headache = {"system": SNOMED, "code": "25064002", "display": "Headache"}
    out = select(hook_request([service_request("72148", reasons=[headache])], prefetch=full_prefetch())).json
    assert out["cards"] == [] and pama_rating(out) == "no-criteria-apply"


def test_selected_medication_order_is_ignored(select):
    med = {"resourceType": "MedicationRequest", "id": "m1", "status": "draft", "intent": "order",
           "medicationCodeableConcept": {"text": "ibuprofen"}, "subject": {"reference": "Patient/pat-1"}}
    body = hook_request([med], selections=["MedicationRequest/m1"], prefetch=full_prefetch())
    assert select(body).json == {"cards": []}


def test_412_only_when_the_answer_needs_record_data_that_was_not_sent(select):
    mri = sandbox_request(cpt="72148", display="MRI lumbar spine")  # MRI: appropriate in some variants
    resp = select(mri)
    assert resp.status_code == 412 and resp.json["error"] == "precondition-failed"
    assert select(sandbox_request()).status_code == 200  # CT w/wo: reasonCode alone is enough


def test_suggestion_keeps_the_order_identity_and_carries_its_own_rating(select):
    order = service_request("72149", encounter={"reference": "Encounter/e1"},
                            reasons=[{"system": ICD10CM, "code": "M54.50"}])
    prefetch = full_prefetch(conditions=[condition("M54.50", onset_days=5), condition("G83.4", onset_days=1)])
    out = select(hook_request([order], prefetch=prefetch)).json
    res = out["cards"][0]["suggestions"][0]["actions"][0]["resource"]
    for key in ("id", "subject", "reasonCode", "encounter", "status", "intent"):
        assert res[key] == order[key]
    consult = [e["valueUri"] for e in res["extension"] if e["url"].endswith("consult-id")]
    rated = [e["valueUri"] for e in out["systemActions"][0]["resource"]["extension"] if e["url"].endswith("consult-id")]
    assert consult[0].startswith("urn:uuid:") and consult != rated


def test_card_follows_cds_hooks_rules(select):
    out = select(sandbox_request()).json
    for card in out["cards"]:
        uuid.UUID(card["uuid"])
        assert card["indicator"] in ("info", "warning", "critical")
        assert len(card["summary"]) < 140 and card["source"]["label"]
        assert card["selectionBehavior"] == "at-most-one"
        assert sum(bool(s.get("isRecommended")) for s in card["suggestions"]) <= 1
        for s in card["suggestions"]:
            uuid.UUID(s["uuid"])
            for a in s["actions"]:
                assert a["description"]
                if a["type"] == "delete":
                    assert "resource" not in a and a["resourceId"].startswith("ServiceRequest/")
        assert all(r["display"] and r["system"] and r["code"] for r in card["overrideReasons"])


def test_cors_preflight_allows_the_sandbox(client):
    for path in ("/cds-services", "/cds-services/imaging-auc-select"):
        resp = client.options(path, headers={"Origin": "https://sandbox.cds-hooks.org",
                                             "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "authorization,content-type"})
        assert resp.status_code == 200
        assert resp.headers["Access-Control-Allow-Origin"] in ("*", "https://sandbox.cds-hooks.org")
        allowed = resp.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed


def test_cors_origins_are_configurable(make_client):
    client = make_client(cors_origins=("https://ehr.example.org",))
    ok = client.get("/cds-services", headers={"Origin": "https://ehr.example.org"})
    other = client.get("/cds-services", headers={"Origin": "https://evil.example.com"})
    assert ok.headers.get("Access-Control-Allow-Origin") == "https://ehr.example.org"
    assert "Access-Control-Allow-Origin" not in other.headers


# ---- every 4xx: a JSON body naming the field and the problem ----------------------------------------------------

def _without(path):
    body = hook_request([service_request("72148")], prefetch=full_prefetch())
    *parents, last = path.split(".")
    target = body
    for p in parents:
        target = target[p]
    del target[last]
    return body


@pytest.mark.parametrize("path", ["hook", "hookInstance", "context", "context.userId", "context.patientId",
                                  "context.draftOrders", "context.selections"])
def test_missing_required_field_is_400_naming_it(select, path):
    resp = select(_without(path))
    assert resp.status_code == 400
    assert resp.json["field"] == path and path.split(".")[-1] in resp.json["message"]


def test_draft_orders_that_is_not_a_bundle_is_400(select):
    body = hook_request([service_request("72148")])
    body["context"]["draftOrders"] = {"resourceType": "ServiceRequest"}
    resp = select(body)
    assert resp.status_code == 400 and resp.json["field"] == "context.draftOrders.resourceType"


def test_selection_not_in_draft_orders_is_400(select):
    body = hook_request([service_request("72148")], selections=["ServiceRequest/nope"])
    resp = select(body)
    assert resp.status_code == 400 and resp.json["field"] == "context.selections[0]"
    assert "ServiceRequest/nope" in resp.json["message"]


def test_hook_that_does_not_match_the_service_is_400(select):
    body = hook_request([service_request("72148")], hook="order-sign")
    resp = select(body)
    assert resp.status_code == 400 and resp.json["field"] == "hook"


def test_selected_order_that_is_not_valid_r4_is_400_naming_resource_and_field(select):
    sr = service_request("72148")
    sr["status"] = 5
    resp = select(hook_request([sr]))
    assert resp.status_code == 400
    assert "ServiceRequest/sr-1" in resp.json["message"] and "status" in resp.json["message"]


@pytest.mark.parametrize("raw", [b"not json", b"{", b"", b"[1, 2]", b"null", b'"text"'])
def test_body_that_is_not_a_json_object_is_400(client, raw):
    resp = client.post("/cds-services/imaging-auc-select", data=raw, content_type="application/json")
    assert resp.status_code == 400 and resp.is_json and "message" in resp.json


def test_unknown_service_is_404(client):
    resp = client.post("/cds-services/nope", json=hook_request([service_request("72148")]))
    assert resp.status_code == 404 and resp.json["error"] == "not-found"


def test_body_over_5_mb_is_413(client):
    body = hook_request([service_request("72148")])
    body["context"]["padding"] = "x" * (5 * 1024 * 1024)
    resp = client.post("/cds-services/imaging-auc-select", json=body)
    assert resp.status_code == 413 and resp.is_json


@pytest.mark.parametrize("mutate", [
    lambda b: b["context"]["draftOrders"].__setitem__("entry", "oops"),
    lambda b: b["context"]["draftOrders"]["entry"].append(42),
    lambda b: b.__setitem__("prefetch", {"conditions": "a string"}),
    lambda b: b.__setitem__("prefetch", {"conditions": {"resourceType": "Bundle", "entry": "x"}}),
    lambda b: b.__setitem__("prefetch", {"patient": {"resourceType": "Patient", "birthDate": 19700101}}),
    lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].__setitem__("reasonCode", [{"coding": "x"}]),
])
def test_malformed_content_never_causes_a_500(select, mutate):
    body = hook_request([service_request("72148")], prefetch=full_prefetch())
    mutate(body)
    resp = select(body)
    assert resp.status_code < 500 and resp.is_json


def test_fhir_authorization_without_fhir_server_is_400(select):
    body = hook_request([service_request("72148")], prefetch=full_prefetch())
    body["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer", "expires_in": 300,
                                 "scope": "patient/*.read", "subject": "imaging-cds"}
    resp = select(body)
    assert resp.status_code == 400 and resp.json["field"] == "fhirServer"
