"""A real FHIR R4 server for the tests: sekmet-fhir in its own virtualenv (its dependencies clash with ours),
on 127.0.0.1 and a free port, simulator off, data in a temporary directory, bearer-token auth on.

The virtualenv is created once under .venv-fhir/ (override with SEKMET_VENV). Tests using it are skipped with
the reason when sekmet cannot be installed, except on CI (CI set), where that is a failure.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bench.server import free_port

SEKMET = "sekmet-fhir==0.1.1"
ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("SEKMET_VENV") or ROOT / ".venv-fhir")
STAMP = VENV / f".installed-{SEKMET}"
TOKEN = "sekmet-test-token-7d1f"  # the only bearer token the test server accepts


@dataclass(frozen=True)
class FhirTestServer:
    base: str
    token: str = TOKEN

    def load(self, resources_bundle: dict) -> None:
        """POST a transaction Bundle; every entry must succeed."""
        r = requests.post(self.base, json=resources_bundle, timeout=30,
                          headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/fhir+json"})
        assert r.status_code == 200, r.text[:500]
        statuses = [e["response"]["status"] for e in r.json()["entry"]]
        assert all(s.startswith(("200", "201")) for s in statuses), statuses


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"sekmet FHIR server required on CI: {reason}")
    pytest.skip(f"sekmet FHIR server not available: {reason}")


_install_failure: list[str] = []  # remembered, so a failed install is tried once per session


def install() -> Path:
    """The sekmet executable, installing it into its own virtualenv the first time."""
    exe = VENV / "bin" / "sekmet"
    if STAMP.exists() and exe.exists():
        return exe
    if _install_failure:
        _unavailable(_install_failure[0])
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, capture_output=True,
                       timeout=120)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", SEKMET],
                       check=True, capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        _install_failure.append(f"could not install {SEKMET} into {VENV}: {exc} "
                                f"{detail.decode(errors='replace')[-300:]}")
        _unavailable(_install_failure[0])
    STAMP.touch()
    return exe


def start(workdir: Path):
    """Start sekmet in workdir; returns (process, FhirTestServer). Stop it with stop(process)."""
    exe = install()
    port = free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    (workdir / "settings.yaml").write_text(
        f"base_url: {base}\nhost: 127.0.0.1\nport: {port}\ndata_dir: {workdir / 'data'}\n"
        "simulator: {enabled: false}\nvalidation: {inbound: strict}\nlog_inbound: false\n"
        f"server_auth: {{types: [bearer], tokens: [{TOKEN}]}}\n")
    log = open(workdir / "sekmet.log", "wb")
    proc = subprocess.Popen([str(exe), "serve", "--config", str(workdir / "settings.yaml"), "--host", "127.0.0.1",
                             "--port", str(port)], cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if requests.get(f"{base}/metadata", timeout=1).status_code == 200:
                return proc, FhirTestServer(base)
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop(proc)
    tail = (workdir / "sekmet.log").read_text(errors="replace")[-1000:]
    raise RuntimeError(f"sekmet did not start on {base} within 30 s:\n{tail}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
