"""JSON error bodies for every failure: what is wrong and where, never a stack trace."""
from __future__ import annotations

import logging

import orjson
from flask import Flask, Response
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def json_response(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def error_response(status: int, message: str, field: str | None = None) -> Response:
    body = {"status": status, "error": _REASONS.get(status, "error"), "message": message}
    if field:
        body["field"] = field
    return json_response(body, status)


_REASONS = {400: "bad-request", 401: "unauthorized", 404: "not-found", 405: "method-not-allowed",
            412: "precondition-failed", 413: "payload-too-large", 415: "unsupported-media-type",
            500: "internal-error", 503: "unavailable"}


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api(err: ApiError):
        return error_response(err.status, err.message, err.field)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        messages = {413: f"request body is larger than the {app.config['MAX_CONTENT_LENGTH']} byte limit",
                    404: "no such endpoint", 405: "method not allowed on this endpoint"}
        response = error_response(err.code or 500, messages.get(err.code, err.description or err.name))
        for name, value in err.get_headers():
            if name.lower() == "allow":  # RFC 9110: a 405 names the methods the endpoint does support
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):  # the last line of defence: logged by type only, no request content
        log.error("unhandled %s while serving a request", type(err).__name__)
        return error_response(500, "internal error; the request was not processed")
