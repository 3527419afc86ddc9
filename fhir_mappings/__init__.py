"""FHIR R4 -> clinical facts. Code tables are data (tables/*.json); nothing here knows about HTTP."""
