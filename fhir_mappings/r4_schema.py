"""A JSON Schema derived from the fhir.resources R4B models: a fast first check that is never more lenient.

Soundness rule: a resource the schema accepts is one the models accept. Fields, aliases, nesting, required
fields and choice groups ([x]) come from the model classes (`model_fields`); each fhir_core primitive kind is
translated by hand, exactly or more strictly (no nulls, no unknown keys, only the JSON types FHIR allows, a
required primitive must carry its value, dates checked as calendar dates). A primitive kind, a validator or a
rule the translation does not know becomes `false`: the resource is then judged by the models alone, slower but
never wrongly. `fhir_mappings.parsing` runs the models whenever the schema says no.
"""
from __future__ import annotations

import datetime
import decimal
import types
import typing

from annotated_types import GroupedMetadata
from fhir_core.constraints import FHIR_TYPES_MAPS
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from fhir_core.types import FhirBase, FhirElementOrResourceBase
from pydantic import AnyUrl, Base64Bytes
from pydantic._internal._validators import import_string

# Resource types a contained resource may have and still pass the fast check (any other: the models decide). Each
# type costs start-up time (its module and those of its parts are imported): Observation, for one, is left out.
CONTAINED_TYPES = ("Condition", "Medication", "MedicationRequest", "MedicationStatement", "Organization", "Patient",
                   "Practitioner", "PractitionerRole", "Procedure", "Provenance", "ServiceRequest")

# pydantic validators the schema reproduces; a model with any other one is not checked here (`false`).
KNOWN_VALIDATORS = {"reject_null_complex_elements",          # no nulls anywhere in the schema
                    "validate_after_model_construction",     # required primitives and choice groups, below
                    "validate_extension_or_fhir_comment_required"}  # FHIRPrimitiveExtension: minProperties 1

# Unicode White_Space, what `\s` means to pydantic's (Rust) regex engine; spelt out so that the schema's regex
# engine, whatever its own idea of `\s`, excludes at least these.
WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# The parts of fhir_core's date and time patterns, spelt as fhir_core spells them.
YEAR = "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
MONTH = "(0[1-9]|1[0-2])"
DAY = "(0[1-9]|[1-2][0-9]|3[0-1])"
CLOCK = "([01][0-9]|2[0-3]):[0-5][0-9]:"
FRACTION = r"(\.[0-9]+)?"
ZONE = r"(Z|([+\-])((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
SECONDS = "([0-5][0-9]|60)"                      # fhir_core keeps a leap second as text; the schema refuses it
TIME = CLOCK + "[0-5][0-9]" + FRACTION
PARTIAL_DATE = {"pattern": f"^{YEAR}(-{MONTH})?$"}
CALENDAR_DATE = {"pattern": f"^{YEAR}-{MONTH}-{DAY}$", "format": "date"}
DATE_TIME = {"pattern": f"^{YEAR}-{MONTH}-{DAY}T{TIME}{ZONE}$", "format": "date-time"}

BASE64 = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# http(s), no port, host labels that start with a letter (never read as an IPv4 address) and have no "--" (no
# punycode to decode), plain path, query and fragment characters
LABEL = "[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*"
URL_CHARS = "[A-Za-z0-9._~!$&'()*+,;=:@%/?-]"
ABSOLUTE_URL = f"^https?://{LABEL}(\\.{LABEL})*(/{URL_CHARS}*)?(\\?{URL_CHARS}*)?(#{URL_CHARS}*)?$"

RULE_NAMES = ("pattern", "path_pattern", "min_length", "max_length", "ge", "le")
INT32 = {"ge": -2147483648, "le": 2147483647}
# fhir_core primitive kind (`__visit_name__`) -> (Python type, the rule as read off its marker, the schema).
# Type and rule are compared with the field's at generation time: a fhir_core that changed a rule gets `false`.
PRIMITIVES: dict[str, tuple[type, dict, dict]] = {
    # pattern searched, not anchored: at least one character that is not other whitespace
    "string": (str, {"pattern": "[ \r\n\t\\S]+"}, {"type": "string", "pattern": f"[^{WHITESPACE}]"}),
    # the models also allow a tab or other single whitespace between the words; the schema a space only
    "code": (str, {"pattern": r"^[^\s]+(\s[^\s]+)*$"},
             {"type": "string", "pattern": f"^[^{WHITESPACE}]+( [^{WHITESPACE}]+)*$"}),
    "id": (str, {"pattern": r"^[A-Za-z0-9\-.]+$", "min_length": 1, "max_length": 255},
           {"type": "string", "pattern": "^[A-Za-z0-9.-]+$", "maxLength": 255}),
    "uri": (str, {"pattern": r"\S*"}, {"type": "string"}),    # searched: the empty prefix of any string matches
    "canonical": (str, {"pattern": r"\S*"}, {"type": "string"}),
    "markdown": (str, {"pattern": r"\s*(\S|\s)*"}, {"type": "string"}),
    "oid": (str, {"pattern": r"^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$"},
            {"type": "string", "pattern": r"^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$"}),
    "xhtml": (str, {}, {"type": "string"}),                   # a plain marker: pydantic checks only the type
    "integer": (int, INT32, {"type": "integer", "minimum": INT32["ge"], "maximum": INT32["le"]}),
    "unsignedInt": (int, {**INT32, "ge": 0}, {"type": "integer", "minimum": 0, "maximum": INT32["le"]}),
    "positiveInt": (int, {**INT32, "ge": 1}, {"type": "integer", "minimum": 1, "maximum": INT32["le"]}),
    # str() of any finite int or float matches; the schema's numbers exclude booleans, strings, NaN and infinities
    "decimal": (decimal.Decimal, {"pattern": r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"},
                {"type": "number"}),
    "date": (datetime.date, {"pattern": f"{YEAR}(-{MONTH}(-{DAY})?)?"},
             {"type": "string", "anyOf": [PARTIAL_DATE, CALENDAR_DATE]}),
    "dateTime": (datetime.datetime, {"pattern": f"{YEAR}(-{MONTH}(-{DAY}(T{CLOCK}{SECONDS}{FRACTION}{ZONE})?)?)?"},
                 {"type": "string", "anyOf": [PARTIAL_DATE, CALENDAR_DATE, DATE_TIME]}),
    "instant": (datetime.datetime, {"pattern": f"{YEAR}-{MONTH}-{DAY}T{CLOCK}{SECONDS}{FRACTION}{ZONE}"},
                {"type": "string", **DATE_TIME}),
    "time": (datetime.time, {"pattern": f"{CLOCK}{SECONDS}{FRACTION}"}, {"type": "string", "pattern": f"^{TIME}$"}),
    # decoded by base64.b64decode, which accepts canonical base64 (and more)
    "base64Binary": (Base64Bytes, {}, {"type": "string", "pattern": BASE64}),
    # an absolute URL pydantic's AnyUrl parses, or what fhir_core lets through as a relative one: a first path
    # segment of [A-Za-z0-9.#-] ending at "/", "?" or the end. (With pydantic 2.14 fhir_core validates the str
    # branch of the union and takes any string; the schema does not count on that.)
    "url": (typing.Union[AnyUrl, str], {"path_pattern": r"^/(?P<resourceType>[^\s?/]+)(/[^\s?/]+)*"},
            {"type": "string", "anyOf": [{"pattern": "^/?[A-Za-z0-9.#-]+([/?]|$)"}, {"pattern": ABSOLUTE_URL}]}),
    # uuid (pydantic's UUID4, no fhir_core marker): not translated (false)
}


def r4_schema(models: typing.Mapping[str, type[FHIRAbstractModel]]) -> dict:
    """One schema for a resource of any of `models` (resourceType -> model class), dispatched on resourceType."""
    generator = _Generator()
    root = generator.dispatch(models)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": generator.defs}


def marker_rule(marker: object) -> dict:
    """What pydantic enforces for a fhir_core primitive marker: the constraints a grouped marker yields, or the
    pattern a marker with its own validator checks first; nothing for plain metadata (pydantic ignores it)."""
    if isinstance(marker, GroupedMetadata):
        items = list(marker)
    elif hasattr(type(marker), "__get_pydantic_core_schema__"):
        items = [marker]
    else:
        return {}
    rule: dict = {}
    for item in items:
        found = {name: getattr(item, name) for name in RULE_NAMES if getattr(item, name, None) is not None}
        if not found:
            found = {"unknown": repr(item)}
        rule.update(found)
    return {name: getattr(value, "pattern", value) for name, value in rule.items()}   # patterns compiled or not


def primitive_schema(base: object, marker: object) -> dict | bool:
    known = PRIMITIVES.get(getattr(type(marker), "__visit_name__", None))
    if known is None or (base, marker_rule(marker)) != known[:2]:
        return False
    return known[2]


class _Generator:
    def __init__(self) -> None:
        self.defs: dict[str, dict | bool] = {}
        self.names: dict[type, str] = {}

    def dispatch(self, models: typing.Mapping[str, type[FHIRAbstractModel]]) -> dict:
        """A resource of one of `models`, chosen by its resourceType."""
        branches = [{"if": {"properties": {"resourceType": {"const": rtype}}}, "then": self.ref(klass)}
                    for rtype, klass in models.items()]
        return {"type": "object", "required": ["resourceType"],
                "properties": {"resourceType": {"enum": list(models)}}, "allOf": branches}

    def ref(self, klass: type[FHIRAbstractModel]) -> dict:
        name = self.names.get(klass)
        if name is None:
            name = klass.__name__ if klass.__name__ not in self.defs else f"{klass.__module__}.{klass.__name__}"
            self.names[klass] = name
            self.defs[name] = False            # placeholder while building: recursion refers to it by name
            self.defs[name] = self.model(klass)
        return {"$ref": f"#/$defs/{name}"}

    def model(self, klass: type[FHIRAbstractModel]) -> dict | bool:
        decorators = klass.__pydantic_decorators__
        validators = {*decorators.model_validators, *decorators.field_validators, *decorators.validators,
                      *decorators.root_validators}
        if not validators <= KNOWN_VALIDATORS:
            return False
        properties: dict[str, dict | bool] = {}
        required: list[str] = []
        groups: dict[str, list[str]] = {}
        required_groups: set[str] = set()
        for field in klass.model_fields.values():
            alias = field.alias
            extra = field.json_schema_extra or {}
            annotation = field.annotation
            if field.metadata:
                annotation = typing.Annotated[(annotation, *field.metadata)]
            properties[alias] = self.annotation(annotation)
            if field.is_required() or extra.get("element_required"):
                required.append(alias)          # a required primitive's _x extension alone is left to the models
            if "one_of_many" in extra:
                groups.setdefault(extra["one_of_many"], []).append(alias)
                if extra.get("one_of_many_required"):
                    required_groups.add(extra["one_of_many"])
        schema: dict = {"type": "object", "additionalProperties": False}
        if klass.has_resource_base():
            properties["resourceType"] = {"const": klass.get_resource_type()}
            required.append("resourceType")
        schema["properties"] = properties
        if required:
            schema["required"] = required
        if "validate_extension_or_fhir_comment_required" in validators:
            schema["minProperties"] = 1         # one of id, extension, fhir_comments (nulls are refused anyway)
        exclusive = {a: {"properties": {b: False for b in group if b != a}} for group in groups.values() for a in group}
        if exclusive:
            schema["dependentSchemas"] = exclusive   # a choice group [x]: at most one member ...
        one_required = [{"anyOf": [{"required": [a]} for a in groups[g]]} for g in sorted(required_groups)]
        if one_required:
            schema["allOf"] = one_required           # ... and exactly one when the element is required
        return schema

    def annotation(self, annotation: object) -> dict | bool:
        """The schema of a field's type; `None` is dropped from unions (a null is never accepted)."""
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *metadata = typing.get_args(annotation)
            markers = [m for m in metadata if hasattr(type(m), "__visit_name__")]
            if len(markers) != 1:
                return False
            others = [m for m in metadata if m is not markers[0]]     # e.g. Base64Bytes' encoder
            return primitive_schema(typing.Annotated[(base, *others)] if others else base, markers[0])
        if origin in (typing.Union, types.UnionType):
            options = [self.annotation(a) for a in typing.get_args(annotation) if a is not type(None)]
            return options[0] if len(options) == 1 else {"anyOf": options}
        if origin is list:
            (item,) = typing.get_args(annotation)
            return {"type": "array", "items": self.annotation(item)}
        if annotation is bool:
            return {"type": "boolean"}
        if annotation is str:
            return {"type": "string"}
        if isinstance(annotation, type) and issubclass(annotation, FhirElementOrResourceBase):
            if annotation.get_model_klass().__name__ == "Resource":   # resolved as fhir_core resolves it
                return self.dispatch({t: import_string(FHIR_TYPES_MAPS[f"{annotation._prefix}{t}Type"])
                                      for t in CONTAINED_TYPES})
            return False                         # "any Element": not checked here
        if isinstance(annotation, type) and issubclass(annotation, FhirBase):
            return self.ref(annotation.get_model_klass())
        return False

