"""The fast R4 check (a JSON Schema derived from the R4B models) is never more lenient than the models, and the
resources the service really receives take it.

Seeds: every resource of a type the service reads in tests/fixtures (HL7 R4 examples, IPS, replay orders and
synthetic records), the request shapes of the tests and benchmarks, and an order that uses every primitive kind.
Mutants of the seeds: wrong JSON types, bad dates, times, codes and ids, extra keys, nulls, two choice types at
once, missing fields, `_x` extension siblings, contained resources of odd types.
"""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import fhir_core.constraints
import pytest
from fhir_core.types import Code, Id

import bench.workload as workload
import builders
from fhir_mappings import parsing
from fhir_mappings.r4_schema import primitive_schema
from hook_requests import lbp_request

FIXTURES = Path(__file__).parent / "fixtures"
EXT = "http://example.org/fhir/StructureDefinition/"

KITCHEN_SINK = {   # a draft order with every primitive kind the read resources use, and the usual trimmings
    "resourceType": "ServiceRequest", "id": "sr-all.kinds-1", "status": "draft", "intent": "order",
    "meta": {"versionId": "3", "lastUpdated": "2024-06-15T09:30:00.123+02:00",
             "profile": ["http://hl7.org/fhir/StructureDefinition/ServiceRequest|4.0.1"],
             "tag": [{"system": "http://example.org/tags", "code": "imaging", "display": "Imaging"}]},
    "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">MRI lumbar spine</div>"},
    "language": "en-US",
    "implicitRules": "http://example.org/rules",
    "contained": [{"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                   "code": {"coding": [{"system": "http://snomed.info/sct", "code": "279039007",
                                        "display": "Low back pain"}]},
                   "onsetDateTime": "2024-06-01T08:00:00Z", "recordedDate": "2024-06-02"}],
    "extension": [
        {"url": EXT + "integer", "valueInteger": -12},
        {"url": EXT + "unsigned", "valueUnsignedInt": 0},
        {"url": EXT + "positive", "valuePositiveInt": 7},
        {"url": EXT + "decimal", "valueDecimal": 3.25},
        {"url": EXT + "boolean", "valueBoolean": False},
        {"url": EXT + "code", "valueCode": "in progress"},
        {"url": EXT + "id", "valueId": "a-1.b"},
        {"url": EXT + "oid", "valueOid": "urn:oid:2.16.840.1.113883"},
        {"url": EXT + "uri", "valueUri": "urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7"},
        {"url": EXT + "url", "valueUrl": "https://example.org/a/b?c=d"},
        {"url": EXT + "canonical", "valueCanonical": "http://example.org/Questionnaire/q|2"},
        {"url": EXT + "markdown", "valueMarkdown": "**urgent**\n"},
        {"url": EXT + "base64", "valueBase64Binary": "aGVsbG8="},
        {"url": EXT + "date", "valueDate": "2024-02-29"},
        {"url": EXT + "instant", "valueInstant": "2024-06-15T09:30:00Z"},
        {"url": EXT + "time", "valueTime": "09:30:00.5"},
        {"url": EXT + "string", "valueString": "Ünïcödé text"},
        {"url": EXT + "nested", "extension": [{"url": "part", "valueQuantity": {"value": 5, "unit": "mg"}}]},
    ],
    "identifier": [{"system": "urn:oid:1.2.3.4", "value": "A-123",
                    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC"}]},
                    "period": {"start": "2024-06-15"}}],
    "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "72148",
                         "display": "MRI lumbar spine without contrast"}], "text": "MRI L-spine"},
    "subject": {"reference": "Patient/p1", "display": "a patient"},
    "reasonReference": [{"reference": "#c1"}],
    "authoredOn": "2024-06-15T09:30:00-05:00",
    "priority": "routine",
    "_priority": {"extension": [{"url": EXT + "why", "valueString": "default"}]},
    "occurrenceTiming": {"repeat": {"timeOfDay": ["08:00:00"], "count": 1, "frequency": 2, "period": 1.5,
                                    "periodUnit": "d", "offset": 30}},
    "instantiatesCanonical": ["http://example.org/PlanDefinition/lbp"],
    "_instantiatesCanonical": [{"id": "ic1"}],
    "quantityQuantity": {"value": 1, "comparator": "<"},
    "note": [{"text": "Patient prefers mornings", "time": "2024-06-15T09:30:00Z"}],
    "patientInstruction": "Bring prior films",
}

TRICKY = [  # leaf values: right and wrong dates, times, codes, ids, whitespace, URLs, base64, numbers, JSON types
    "2020", "2020-02", "2020-02-29", "2021-02-29", "2020-02-30", "2020-13", "2020-00", "2020-1-1", "0000", "0001-01-01",
    "2020-01-01T10:00:00Z", "2020-01-01T10:00:00", "2020-01-01T10:00Z", "2020-01-01T24:00:00Z",
    "2016-12-31T23:59:60Z", "2020-01-01T10:00:00.123456789+14:00", "2020-01-01T10:00:00+14:01",
    "2020-01-01T10:00:00-00:00", "2020-01-01t10:00:00z", "2020-01-01 10:00:00Z", "2020-01-01T10:00:00.Z",
    "9999-12-31T23:59:59-13:59", "2020-01-01T10:00:61Z", "2020-01-01T10:60:00Z",
    "10:00:00", "23:59:60", "10:00:61", "10:60:00", "24:00:00", "10:00", "10:00:00Z", "10:00:00.1234567",
    "", " ", "x", " x", "x ", "a b", "a  b", "a\tb", "a\nb", "\t", "\u3000", "\x85", "\xa0", "\ufeff", "\x0b",
    "a\u00a0b", "é", "x" * 255, "y" * 256, "A-1.b", "a_b", "urn:oid:1.2.3", "urn:oid:3.1", "urn:oid:1.02",
    "http://example.org/x", "https://a.b-c.d/p?q=1", "http://1.2.3.999/", "http://a:99999/", "http://xn--zz/",
    "Binary/f006", "/Patient/1", "//x", "a%b", "é/x", "a b/c", "mailto:a@b", "aGVsbG8=", "aGVsbG8", "YQ", "Y===",
    "a b=",
    0, -1, 1, 1.0, 1.5, -0.0, 1e20, float("nan"), float("inf"), 2**31 - 1, 2**31, -2**31, -2**31 - 1, True, False,
    None,
    [], {}, [None], ["x"], {"x": 1}, {"extension": []}, {"id": "x"},
]
CHOICES = {  # a valid member of each choice group [x] in the seeds, to add as a second choice
    "onset": {"onsetString": "childhood", "onsetDateTime": "2020"},
    "abatement": {"abatementString": "gone", "abatementBoolean": True},
    "occurrence": {"occurrenceDateTime": "2024", "occurrencePeriod": {"start": "2024"}},
    "performed": {"performedString": "last year", "performedDateTime": "2024"},
    "effective": {"effectiveDateTime": "2024", "effectivePeriod": {"start": "2024"}},
    "medication": {"medicationCodeableConcept": {"text": "x"}, "medicationReference": {"reference": "#m"}},
    "deceased": {"deceasedBoolean": False, "deceasedDateTime": "2024"},
    "multipleBirth": {"multipleBirthBoolean": True, "multipleBirthInteger": 2},
    "value": {"valueString": "x", "valueBoolean": True},
    "quantity": {"quantityQuantity": {"value": 1}, "quantityRange": {"low": {"value": 1}}},
    "reported": {"reportedBoolean": True, "reportedReference": {"reference": "Patient/p"}},
    "asNeeded": {"asNeededBoolean": True},
}
ODD_CONTAINED = [{"resourceType": "NoSuchType"}, {"resourceType": 5}, {"id": "x"}, {"resourceType": "Condition"},
                 {"resourceType": "Medication", "id": "m1", "code": {"text": "x"}}, "x", None]


def read_resources(node: object, found: list[dict]) -> list[dict]:
    """Every resource of a type the service reads, anywhere in a JSON document (Bundles included)."""
    if isinstance(node, dict):
        if node.get("resourceType") in parsing.MODELS:
            found.append(node)
        for value in node.values():
            read_resources(value, found)
    elif isinstance(node, list):
        for value in node:
            read_resources(value, found)
    return found


def seeds() -> list[dict]:
    found: list[dict] = []
    for path in sorted(FIXTURES.rglob("*.json")):
        read_resources(json.loads(path.read_text()), found)
    read_resources(lbp_request("order-sign"), found)
    read_resources(workload.hook_request("order-sign", [workload.service_request("sr1")],
                                         workload.prefetch(12, 4, "red-flag:malignancy")), found)
    read_resources(builders.full_prefetch(conditions=[builders.condition("M54.5", onset_days=20)],
                                          procedures=[builders.procedure("97110", start_days=30)],
                                          medications=[builders.medication_request("197806", "ibuprofen",
                                                                                   authored_days=10)]), found)
    return found + [KITCHEN_SINK]


SEEDS = seeds()


def nodes(doc: object, path: tuple = ()):
    """(path, value) of every node below the root."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield path + (key,), value
        yield from nodes(value, path + (key,))


def parent(doc: object, path: tuple):
    for key in path[:-1]:
        doc = doc[key]
    return doc


def mutate(doc: dict, rng: random.Random) -> None:
    """One random change somewhere in doc (the root resourceType stays)."""
    paths = [p for p, _ in nodes(doc) if p != ("resourceType",)]
    objects = [doc] + [v for _, v in nodes(doc) if isinstance(v, dict)]
    op = rng.randrange(9)
    if op == 0 and paths:                                    # a wrong or odd value
        path = rng.choice(paths)
        parent(doc, path)[path[-1]] = copy.deepcopy(rng.choice(TRICKY))
    elif op == 1 and paths:                                  # a missing field or list item (often a top one)
        path = rng.choice(paths if rng.random() < 0.5 else [p for p in paths if len(p) == 1])
        del parent(doc, path)[path[-1]]
    elif op == 2:                                            # an extra key (a nested resourceType too)
        key = rng.choice(["foo", "_foo", "resourceType", "status__ext", "fhir_comments", "_text", "_code", "_id",
                          "resource_type"])
        targets = objects[1:] if key == "resourceType" else objects
        if targets:
            rng.choice(targets)[key] = rng.choice(["x", ["c"], {"id": "x"}])
    elif op == 3:                                            # a null in a list
        lists = [v for _, v in nodes(doc) if isinstance(v, list)]
        if lists:
            target = rng.choice(lists)
            target.insert(rng.randrange(len(target) + 1), None)
    elif op == 4:                                            # a second choice type, or none
        groups = [(o, k, p) for o in objects for k in list(o) for p in CHOICES
                  if k.startswith(p) and k[len(p):][:1].isupper()]
        if groups:
            obj, key, prefix = rng.choice(groups)
            if rng.random() < 0.5:
                obj.update(dict([rng.choice(list(CHOICES[prefix].items()))]))
            else:
                del obj[key]
    elif op == 5:                                            # an `_x` sibling, with or without its value
        obj = rng.choice(objects)
        keys = [k for k in obj if not k.startswith("_") and k != "resourceType"]
        if keys:
            key = rng.choice(keys)
            obj["_" + key] = rng.choice([{"extension": [{"url": EXT + "x", "valueCode": "masked"}]}, {}, {"id": "e"},
                                         [{"id": "e"}], {"extension": [None]}])
            if rng.random() < 0.5:
                del obj[key]
    elif op == 6:                                            # a contained resource of an odd type
        doc.setdefault("contained", []).append(copy.deepcopy(rng.choice(ODD_CONTAINED)))
    elif op == 7:                                            # an empty object or list in place of a value
        objects_or_lists = [p for p, v in nodes(doc) if isinstance(v, (dict, list))]
        if objects_or_lists:
            path = rng.choice(objects_or_lists)
            parent(doc, path)[path[-1]] = rng.choice([{}, [], [{}]])
    else:                                                    # another resource type's model
        doc["resourceType"] = rng.choice(sorted(parsing.MODELS))


def branch(doc: dict, path: tuple) -> dict:
    """The required fields of the kitchen sink and the branch down to path: lists keep the one item on path."""
    def thin(node: object, rest: tuple) -> object:
        if isinstance(node, dict):
            return {k: thin(v, rest[1:] if rest[:1] == (k,) else ()) for k, v in node.items()}
        if isinstance(node, list):
            return [thin(node[rest[0] if rest else 0], rest[1:])] if node else []
        return node
    return thin({k: v for k, v in doc.items() if k in ("resourceType", "status", "intent", "subject", path[0])}, path)


def mutants():
    rng = random.Random(20261123)
    for path, value in nodes(KITCHEN_SINK):                  # every leaf of every kind, with tricky values
        if isinstance(value, (dict, list)) or path == ("resourceType",):
            continue
        short_path = tuple(0 if isinstance(k, int) else k for k in path)
        for tricky in TRICKY:
            doc = branch(KITCHEN_SINK, path)
            parent(doc, short_path)[short_path[-1]] = copy.deepcopy(tricky)
            yield doc
    for seed in SEEDS:                                        # random changes to every real resource
        for _ in range(16):
            doc = copy.deepcopy(seed)
            for _ in range(rng.choice((1, 1, 2, 3))):
                mutate(doc, rng)
            yield doc


def test_schema_valid_implies_model_valid_and_r4_problem_answers_as_the_models(monkeypatch):
    fast_check, judge = parsing.fast_validator(), parsing.model_problem
    mismatches, tally = [], {"mutants": 0, "fast": 0, "invalid": 0}
    for doc in mutants():
        model = judge(doc)
        fast = fast_check.is_valid(doc)
        monkeypatch.setattr(parsing, "model_problem", lambda _: model)   # the models' answer, computed once
        tally["mutants"] += 1
        tally["fast"] += fast
        tally["invalid"] += model is not None
        if fast and model is not None:
            mismatches.append(f"schema accepts, models refuse ({model}): {json.dumps(doc)[:400]}")
        if (parsing.r4_problem(doc) is None) != (model is None):
            mismatches.append(f"r4_problem disagrees with the models ({model}): {json.dumps(doc)[:400]}")
    assert not mismatches, "\n".join(mismatches[:5])
    assert tally["fast"] > tally["mutants"] / 10 and tally["invalid"] > tally["mutants"] / 4, tally   # not vacuous


def test_real_resources_take_the_fast_path(monkeypatch):
    def slow_path(resource):
        raise AssertionError(f"{resource['resourceType']}/{resource.get('id')} needed the models")
    monkeypatch.setattr(parsing, "model_problem", slow_path)
    assert len(SEEDS) > 100
    for resource in SEEDS:
        assert parsing.r4_problem(resource) is None


def test_a_fhir_core_rule_the_generator_does_not_know_sends_the_kind_to_the_models(monkeypatch):
    assert primitive_schema(str, Id()) is not False and primitive_schema(str, Code()) is not False
    monkeypatch.setattr(fhir_core.constraints, "TYPES_ID_MAX_LENGTH", 64)   # fhir_core's documented knob
    assert primitive_schema(str, Id()) is False
    assert primitive_schema(int, Code()) is False                          # a marker on an unexpected type


@pytest.mark.parametrize("odd", [{"contained": [{"resourceType": "NoSuchType"}]},
                                 {"extension": [{"url": EXT + "u", "valueUrl": 5}]}])
def test_values_the_models_trip_over_are_a_400_not_a_500(select, odd):
    response = select(builders.hook_request([builders.service_request("72148", **odd)]))
    assert response.status_code == 400
    assert "not a valid FHIR R4 ServiceRequest" in response.json["message"]
