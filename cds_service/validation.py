"""Hook request checks with the JSON Schema in schemas/: each failure names the field and the problem."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import best_match

from cds_service.errors import ApiError

SCHEMAS = Path(__file__).with_name("schemas")


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    """A schema file of schemas/, read once; the OpenAPI document embeds these same objects."""
    return json.loads((SCHEMAS / name).read_text())


@lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(name), format_checker=jsonschema.FormatChecker())


def field_path(err: jsonschema.ValidationError) -> str:
    path = ""
    for part in err.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if err.validator in ("required", "dependentRequired"):
        wanted = err.validator_value if err.validator == "required" else [
            dep for key, deps in err.validator_value.items() if key in err.instance for dep in deps]
        missing = next((p for p in wanted if p not in err.instance), None)
        if missing:
            path = f"{path}.{missing}" if path else missing
    return path or "(body)"


@lru_cache(maxsize=None)
def fast_validator(name: str):
    """Compiled (Rust) validator with formats enforced: it accepts nothing the reference validator rejects, so a
    body it accepts needs no second look; anything else is judged, and explained, by `validator`."""
    return jsonschema_rs.validator_for(schema(name), validate_formats=True)


def warm(name: str) -> None:
    """Read and compile a schema at start-up rather than on the first request."""
    validator(name)
    fast_validator(name)


def check(name: str, body: object) -> None:
    if fast_validator(name).is_valid(body):
        return
    err = best_match(validator(name).iter_errors(body))
    if err is None:
        return
    field = field_path(err)
    if err.validator == "required":
        message = "is required"
    elif err.validator == "dependentRequired":
        present = next(k for k in err.validator_value if k in err.instance)
        message = f"is required when {present} is sent"
    elif err.validator in ("type", "const", "enum", "pattern", "minItems", "minLength", "format"):
        message = f"is invalid: {err.message}" if len(err.message) < 200 else f"is invalid ({err.validator})"
    else:
        message = f"is invalid ({err.validator})"
    raise ApiError(400, f"{field} {message}", field)
