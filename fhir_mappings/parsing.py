"""Validation of wire resources with the fhir.resources R4B models (R4-compatible for the types we read)."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import lru_cache

import orjson
import pydantic
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.servicerequest import ServiceRequest

MODELS = {m.__name__: m for m in (Condition, MedicationRequest, MedicationStatement, Patient, Procedure, ServiceRequest)}


VALIDATION_CACHE_SIZE = 4096
_results: OrderedDict[bytes, str | None] = OrderedDict()   # digest of canonical JSON -> r4_problem answer
_lock = threading.Lock()


def r4_problem(resource: dict) -> str | None:
    """None when the resource validates as FHIR R4; otherwise 'field: problem' for the first error.

    The message names fields only, never values (values may be patient data). Answers are kept in a bounded
    LRU keyed on a digest of the resource's canonical JSON (sorted keys; the cache holds no patient data): the
    same resource, sent again in the next hook call, is not validated again.
    """
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or rtype not in MODELS:
        return "resourceType: not a resource type this service reads"
    try:
        key = hashlib.blake2b(orjson.dumps(resource, option=orjson.OPT_SORT_KEYS), digest_size=20).digest()
    except TypeError:  # not JSON data (cannot come from a request body): validate without the cache
        return _problem(resource)
    with _lock:
        if key in _results:
            _results.move_to_end(key)
            return _results[key]
    problem = _problem(resource)
    with _lock:
        _results[key] = problem
        if len(_results) > VALIDATION_CACHE_SIZE:
            _results.popitem(last=False)
    return problem


def clear_validation_cache() -> None:
    with _lock:
        _results.clear()


def _problem(resource: dict) -> str | None:
    model = MODELS[resource["resourceType"]]
    try:
        model.model_validate(resource)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"]) or "(resource)"
        more = len(exc.errors()) - 1
        return f"{path}: {err['msg']}" + (f" (and {more} more)" if more else "")
    return None


@lru_cache(maxsize=1)
def warm_models() -> None:
    """Build the lazily-compiled pydantic models once, at start-up rather than on the first request."""
    samples = {
        "ServiceRequest": {"status": "draft", "intent": "order", "subject": {"reference": "Patient/x"},
                           "code": {"coding": [{"system": "http://loinc.org", "code": "x"}]}},
        "Condition": {"subject": {"reference": "Patient/x"}, "onsetPeriod": {"start": "2020-01-01"},
                      "clinicalStatus": {"coding": [{"code": "active"}]}},
        "Patient": {"birthDate": "1970-01-01"},
        "Procedure": {"status": "completed", "subject": {"reference": "Patient/x"}},
        "MedicationRequest": {"status": "active", "intent": "order", "subject": {"reference": "Patient/x"},
                              "medicationCodeableConcept": {"text": "x"}},
        "MedicationStatement": {"status": "active", "subject": {"reference": "Patient/x"},
                                "medicationCodeableConcept": {"text": "x"}},
    }
    for rtype, body in samples.items():
        r4_problem({"resourceType": rtype, **body})
