"""Replay against services over HTTP: our own under gunicorn (same ratings as in-process) and another vendor's
(its own prefetch templates, JWT-signed requests, the order date moved to the service's today)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from replay_support import FIXTURES, by_order, json_rows, replay

from bench.server import free_port, gunicorn
from fhir_mappings.dates import today_utc


@pytest.fixture(scope="module")
def gunicorn_url():
    with gunicorn(workers=2) as service:
        yield service.url + "/cds-services"


def test_same_orders_in_process_and_through_the_running_service(gunicorn_url):
    inputs = [str(FIXTURES / "synthetic"), str(FIXTURES / "orders"), str(FIXTURES / "hl7-r4-examples"),
              str(FIXTURES / "hl7-ips")]
    local = by_order(json_rows(replay(*inputs, "--json", "--sign")))
    remote_proc = replay(*inputs, "--json", "--sign", "--url", gunicorn_url, "-j", "2")
    assert remote_proc.returncode == 0, remote_proc.stderr.decode()
    remote = by_order(json_rows(remote_proc))
    assert set(local) == set(remote) and len(local) == 26
    for key, row in local.items():
        assert remote[key]["rating"] == row["rating"], key
        assert remote[key]["cards"] == row["cards"], key
    assert {r["rating"] for r in local.values()} == {"appropriate", "not-appropriate"}


def test_without_the_clock_shift_the_service_judges_as_of_its_own_today(gunicorn_url):
    """The acute-pain patient (10 days before a 2024 order) is no longer acute when the service's today is used:
    the warning card then names the subacute/chronic scenario instead."""
    shifted = json_rows(replay(str(FIXTURES / "synthetic" / "lbp-1.json"), "--json", "--url", gunicorn_url))
    unshifted = json_rows(replay(str(FIXTURES / "synthetic" / "lbp-1.json"), "--json", "--url", gunicorn_url,
                                 "--clock", "service"))
    assert "variant 1.**" in shifted[0]["detail"] and "variant 2.**" not in shifted[0]["detail"]
    assert "variant 2.**" in unshifted[0]["detail"] and "variant 1.**" not in unshifted[0]["detail"]


class Vendor(BaseHTTPRequestHandler):
    """Another vendor's CDS service: one order-select service with its own prefetch, no ratings."""
    seen: list[tuple[dict, dict]] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send({"services": [{"hook": "order-select", "id": "vendor-x", "description": "x",
                                  "prefetch": {"pt": "Patient/{{context.patientId}}",
                                               "probs": "Condition?patient={{context.patientId}}&category=x"}}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Vendor.seen.append((dict(self.headers), body))
        if body["context"]["patientId"] == "lbp3":
            self._send({"message": "overloaded"}, 503)
            return
        self._send({"cards": [{"summary": "Vendor says hello", "indicator": "info", "source": {"label": "x"}}]})


def test_other_vendor_with_jwt_signing(tmp_path):
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    (tmp_path / "key.pem").write_bytes(pem)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Vendor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/cds-services"
    try:
        Vendor.seen.clear()
        proc = replay(str(FIXTURES / "synthetic"), "--json", "--url", base, "--jwt-key", str(tmp_path / "key.pem"),
                      "--jwt-iss", "https://replay.example.org")
    finally:
        server.shutdown()
    assert proc.returncode == 1  # one request failed
    rows = {r["patient"]: r for r in json_rows(proc)}
    assert len(rows) == len(Vendor.seen) == 8
    failed = rows.pop("lbp3")
    assert failed["rating"] == "error" and failed["error"] == "HTTP 503: overloaded"
    assert {r["rating"] for r in rows.values()} == {"unknown"}  # the vendor attached no rating: never guessed
    assert rows["lbp0"]["cards"] == ["Vendor says hello"]
    assert b"1 failed requests" in proc.stderr
    jtis = set()
    for headers, body in Vendor.seen:
        token = headers["Authorization"].removeprefix("Bearer ")
        assert jwt.get_unverified_header(token)["alg"] == "ES384"
        claims = jwt.decode(token, key.public_key(), algorithms=["ES384"], audience=f"{base}/vendor-x",
                            issuer="https://replay.example.org")
        assert claims["exp"] > claims["iat"]
        jtis.add(claims["jti"])
        # the vendor's own templates: the read is filled, the search with an unsupported parameter is left out
        assert set(body["prefetch"]) == {"pt"}
        # the order date moved to the service's today
        assert body["context"]["draftOrders"]["entry"][0]["resource"]["authoredOn"] == today_utc().isoformat()
    assert len(jtis) == 8


def test_unreachable_service_is_a_clear_error():
    proc = replay(str(FIXTURES / "synthetic"), "--url", f"http://127.0.0.1:{free_port()}/cds-services")
    assert proc.returncode == 2
    assert b"cannot read the discovery document" in proc.stderr
