"""Start `imaging-cds serve` (gunicorn) on a free loopback port, for benchmarks and the tests that need a real
server, and stop it afterwards."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent


class Running(NamedTuple):
    url: str                    # http://127.0.0.1:PORT
    startup: float              # seconds from process start to the first discovery answer
    proc: subprocess.Popen      # the gunicorn master, leader of its own process group


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli() -> list[str]:
    """The imaging-cds entry point of the interpreter running this script (the project's .venv under make)."""
    exe = Path(sys.executable).with_name("imaging-cds")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cds_service.cli"]


@contextmanager
def gunicorn(workers: int | None = None, timeout: float = 30.0, env: dict[str, str] | None = None):
    """Yields a Running service on loopback; `env` is added to this process's environment.

    Audit and feedback rows go to a throw-away SQLite file unless DATABASE_URL is set. The server's output is
    kept in a scratch log and shown when it fails to start."""
    port = free_port()
    scratch = tempfile.TemporaryDirectory(prefix="imaging-cds-server-")
    env = {**os.environ, **(env or {})}
    env.setdefault("DATABASE_URL", f"sqlite:///{scratch.name}/server.sqlite3")
    cmd = cli() + ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    log_path = Path(scratch.name) / "server.log"
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"imaging-cds serve exited with {proc.returncode}:\n{_tail(log_path)}")
            try:  # any failure (refused, reset, read timeout while workers boot) means "not up yet"
                with urllib.request.urlopen(url + "/cds-services", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"imaging-cds serve did not answer within {timeout:.0f} s:\n{_tail(log_path)}")
            time.sleep(0.01)
        yield Running(url, time.perf_counter() - started, proc)
    finally:
        stop(proc)
        scratch.cleanup()


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group (master and workers), SIGKILL after 10 s; a group already gone is fine."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, None)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def wrk_path() -> str | None:
    return shutil.which("wrk")
