"""A misbehaving 'FHIR server' on loopback: stalls, drips, errors, HTML, redirects. Records what it was asked."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML = b"<!doctype html><html><head><title>Sign in</title></head><body><form>Login</form></body></html>"


class StubFhirServer:
    """`mode` picks the behaviour for every request: stall, drip, 500, html, html-as-json, 401, 404, wrong-type,
    redirect, next-outside, ok (an empty but valid answer)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.requests: list[dict] = []  # {"path": ..., "authorization": ...}
        self.release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                stub.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                      "accept": self.headers.get("Accept")})
                getattr(stub, "_" + stub.mode.replace("-", "_"))(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "StubFhirServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- behaviours ------------------------------------------------------------------------------------------
    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "application/fhir+json",
              headers: dict | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    @staticmethod
    def _outcome(code: str) -> bytes:
        return json.dumps({"resourceType": "OperationOutcome",
                           "issue": [{"severity": "error", "code": code}]}).encode()

    def _stall(self, h):
        self.release.wait(30)

    def _drip(self, h):
        h.send_response(200)
        h.send_header("Content-Type", "application/fhir+json")
        h.end_headers()
        h.wfile.write(b'{"resourceType": "Bundle", "type": "searchset", "entry": [')
        while not self.release.wait(0.05):
            try:
                h.wfile.write(b" ")
                h.wfile.flush()
            except OSError:
                return

    def _500(self, h):
        self._send(h, 500, self._outcome("exception"))

    def _html(self, h):
        self._send(h, 200, HTML, "text/html; charset=utf-8")

    def _html_as_json(self, h):
        self._send(h, 200, HTML)

    def _401(self, h):
        self._send(h, 401, self._outcome("login"), headers={"WWW-Authenticate": "Bearer"})

    def _404(self, h):
        self._send(h, 404, self._outcome("not-found"))

    def _wrong_type(self, h):
        if "?" in h.path:
            self._send(h, 200, json.dumps({"resourceType": "Patient", "id": "p"}).encode())
        else:
            self._send(h, 200, json.dumps({"resourceType": "Bundle", "type": "searchset"}).encode())

    def _redirect(self, h):
        self._send(h, 302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    def _next_outside(self, h):
        if "?" in h.path:
            body = {"resourceType": "Bundle", "type": "searchset", "entry": [],
                    "link": [{"relation": "next", "url": "http://169.254.169.254/fhir/Condition?page=2"}]}
        else:
            body = {"resourceType": "Patient", "id": "p", "birthDate": "1970-01-01"}
        self._send(h, 200, json.dumps(body).encode())

    def _ok(self, h):
        if "?" in h.path:
            self._send(h, 200, json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []}).encode())
        else:
            self._send(h, 200, json.dumps({"resourceType": "Patient", "id": h.path.rsplit("/", 1)[-1],
                                           "birthDate": "1970-01-01"}).encode())


def elapsed(fn) -> tuple[object, float]:
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started
