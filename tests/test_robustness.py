"""Whatever shape the wire data takes, the hook answers 200 or a JSON 4xx: never a 500."""
import copy
import random

import pytest

from builders import SNOMED, full_prefetch, hook_request, medication_request, procedure, service_request, condition

JUNK = [None, 0, -1, 3.5, "", "x", [], [1], {}, {"a": 1}, True, [{}], [None], {"coding": "x"}, {"coding": [1]},
        {"coding": [{"system": {"a": 1}, "code": ["x"]}]}]


def _paths(node, path=()):
    yield path
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _paths(child, path + (key,))


def _set(node, path, value):
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _base():
    record = dict(conditions=[condition("M54.50", onset_days=90), condition("G83.4", onset_days=2)],
                  procedures=[procedure("97110", start_days=80, end_days=20)],
                  medications=[medication_request("8640", "prednisone", authored_days=200)])
    reasons = [{"system": SNOMED, "code": "279039007"}]
    return hook_request([service_request("72148", reasons=reasons)], prefetch=full_prefetch(**record))


@pytest.mark.parametrize("seed", range(4))
def test_random_corruption_of_a_realistic_request_never_500s(client, seed):
    rng = random.Random(seed)
    base = _base()
    for _ in range(150):
        body = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice([p for p in _paths(body) if p])
            _set(body, path, copy.deepcopy(rng.choice(JUNK)))
        resp = client.post("/cds-services/imaging-auc-select", json=body)
        assert resp.status_code < 500 and resp.is_json, (resp.status_code, body)


@pytest.mark.parametrize("extension,expected", [
    (5, None),
    ([{"url": "http://fhir.org/argonaut/Extension/pama-rating", "valueCodeableConcept": [1]}], None),
    ([{"url": "http://fhir.org/argonaut/Extension/pama-rating",
       "valueCodeableConcept": {"coding": ["x", {"system": "http://fhir.org/argonaut/CodeSystem/pama-rating",
                                                 "code": {"a": 1}}]}}], None),
    ([{"url": "http://fhir.org/argonaut/Extension/pama-rating",
       "valueCodeableConcept": {"coding": [{"system": "http://fhir.org/argonaut/CodeSystem/pama-rating",
                                            "code": "no-guidelines-apply"}]}}], "no-criteria-apply"),
])
def test_a_rating_read_from_another_service_tolerates_any_shape(extension, expected):
    from hooks.pama import existing_rating

    assert existing_rating({"resourceType": "ServiceRequest", "extension": extension}) == expected
