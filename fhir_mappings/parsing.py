"""Validation of wire resources with the fhir.resources R4B models (R4-compatible for the types we read)."""
from __future__ import annotations

from functools import lru_cache

import jsonschema_rs
import pydantic
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.servicerequest import ServiceRequest

from fhir_mappings.r4_schema import r4_schema

MODELS = {m.__name__: m for m in (Condition, MedicationRequest, MedicationStatement, Patient, Procedure, ServiceRequest)}


def r4_problem(resource: dict) -> str | None:
    """None when the resource validates as FHIR R4; otherwise 'field: problem' for the first error.

    A JSON Schema derived from the models answers first (r4_schema: what it accepts, the models accept); whatever
    it refuses is judged, and explained, by the models. The message names fields only, never values (values may
    be patient data).
    """
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or rtype not in MODELS:
        return "resourceType: not a resource type this service reads"
    try:
        if fast_validator().is_valid(resource):
            return None
    except ValueError:  # not JSON data (cannot come from a request body): the models decide
        pass
    return model_problem(resource)


def model_problem(resource: dict) -> str | None:
    """The models' answer alone (the judge r4_problem defers to)."""
    model = MODELS[resource["resourceType"]]
    try:
        model.model_validate(resource)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"]) or "(resource)"
        more = len(exc.errors()) - 1
        return f"{path}: {err['msg']}" + (f" (and {more} more)" if more else "")
    except (AttributeError, KeyError, TypeError):  # fhir_core uses some values before checking their type
        return ("(resource): the R4B models cannot read it (a value of the wrong type, or a contained resource "
                "of no FHIR resource type)")
    return None


@lru_cache(maxsize=1)
def fast_validator() -> jsonschema_rs.Validator:
    """The schema check, compiled once (formats on: dates are checked as calendar dates)."""
    return jsonschema_rs.validator_for(r4_schema(MODELS), validate_formats=True)


@lru_cache(maxsize=1)
def warm_r4_validation() -> None:
    """Build the schema check and the lazily-compiled pydantic models at start-up rather than on the first request."""
    fast_validator()
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
        model_problem({"resourceType": rtype, **body})
