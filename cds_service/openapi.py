"""The OpenAPI 3.1 description served at /openapi.json, built from the JSON Schemas the service validates with.

Each schema file of schemas/ is embedded as it is read at start-up (its `$defs` hoisted into components so that
plain OpenAPI tooling resolves them); nothing is copied by hand. The feedback endpoint is described only when its
schema file (feedback.schema.json) is installed.
"""
from __future__ import annotations

import copy
from functools import lru_cache

from flask import Blueprint

from cds_service import discovery, validation
from cds_service.errors import json_response

bp = Blueprint("openapi", __name__)
FEEDBACK_SCHEMA = "feedback.schema.json"
_DEFS_PREFIX = "#/$defs/"


def _rewrite_refs(node: object, prefix: str) -> object:
    if isinstance(node, dict):
        out = {k: _rewrite_refs(v, prefix) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
            out["$ref"] = f"#/components/schemas/{prefix}.{ref[len(_DEFS_PREFIX):]}"
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, prefix) for v in node]
    return node


def _embed(components: dict, name: str, file: str) -> dict:
    """Put one schema file under components/schemas/<name> and return a $ref to it."""
    schema = copy.deepcopy(validation.schema(file))
    schema.pop("$id", None)
    schema.pop("$schema", None)
    for def_name, sub in schema.pop("$defs", {}).items():
        components[f"{name}.{def_name}"] = _rewrite_refs(sub, name)
    components[name] = _rewrite_refs(schema, name)
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict | None = None) -> dict:
    out: dict = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _errors(error: dict, *codes: int) -> dict:
    what = {400: "The request is not a valid hook call; `field` names the offending part",
            404: "No such endpoint or service id",
            412: "The rating needs record data that neither prefetch nor the FHIR server supplied",
            413: "The request is larger than a configured limit (body size, draft orders, prefetch entries)",
            500: "Unexpected failure; the request was not processed"}
    return {str(code): _json(what[code], error) for code in codes}


def _feedback_installed() -> bool:
    return (validation.SCHEMAS / FEEDBACK_SCHEMA).is_file()


@lru_cache(maxsize=1)
def document() -> dict:
    components: dict = {}
    request = _embed(components, "HookRequest", "hook-request.schema.json")
    response = _embed(components, "HookResponse", "hook-response.schema.json")
    services = _embed(components, "Discovery", "discovery.schema.json")
    error = _embed(components, "Error", "error.schema.json")
    service_id = {"name": "service_id", "in": "path", "required": True,
                  "schema": {"type": "string", "enum": list(discovery.SERVICE_IDS)}}
    paths = {
        "/cds-services": {"get": {
            "operationId": "discovery", "summary": "CDS Hooks discovery: the services and their prefetch templates",
            "responses": {"200": _json("The services", services), **_errors(error, 500)}}},
        "/cds-services/{service_id}": {"post": {
            "operationId": "callService",
            "summary": "Call a CDS service (imaging-auc-select: order-select; imaging-auc-sign: order-sign)",
            "parameters": [service_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
            "responses": {"200": _json("Cards and the PAMA rating system actions", response),
                          **_errors(error, 400, 404, 412, 413, 500)}}},
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document",
            "responses": {"200": _json("OpenAPI 3.1 document", {"type": "object"})}}},
    }
    if _feedback_installed():
        feedback = _embed(components, "Feedback", FEEDBACK_SCHEMA)
        paths["/cds-services/{service_id}/feedback"] = {"post": {
            "operationId": "feedback", "summary": "CDS Hooks feedback on the cards of a service",
            "parameters": [service_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": feedback}}},
            "responses": {"200": {"description": "Feedback recorded"}, **_errors(error, 400, 404, 413, 500)}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Imaging appropriateness CDS Hooks service", "version": "1.0.0",
                 "description": "CDS Hooks 2.0 services rating imaging orders against the ACR Appropriateness "
                                "Criteria. Every error answer is a JSON body naming what is wrong."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {"schemas": components},
    }


@bp.get("/openapi.json")
def openapi_json():
    return json_response(document())
