"""Readers for JSON as it arrives on the wire, where any member may have any shape: never raise, never trust."""
from __future__ import annotations


def dicts(value: object) -> list[dict]:
    """The object items of a JSON array; [] for anything that is not an array."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def codings(concept: object) -> list[dict]:
    """The Coding objects of a CodeableConcept."""
    return dicts(concept.get("coding")) if isinstance(concept, dict) else []
