"""Start `imaging-cds serve` (gunicorn) on a free loopback port for a benchmark, and stop it afterwards."""
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

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli() -> list[str]:
    """The imaging-cds entry point of the interpreter running this script (the project's .venv under make)."""
    exe = Path(sys.executable).with_name("imaging-cds")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cds_service.cli"]


@contextmanager
def gunicorn(workers: int | None = None, timeout: float = 15.0):
    """Yields (base_url, start-up seconds: process start to the first discovery answer). Loopback only.

    Audit and feedback rows go to a throw-away SQLite file unless DATABASE_URL is set."""
    port = free_port()
    scratch = tempfile.TemporaryDirectory(prefix="imaging-cds-bench-")
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{scratch.name}/bench.sqlite3")
    cmd = cli() + ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"imaging-cds serve exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url + "/cds-services", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.perf_counter() - started > timeout:
                    raise RuntimeError("imaging-cds serve did not answer in time") from None
                time.sleep(0.01)
        yield url, time.perf_counter() - started
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        scratch.cleanup()


def wrk_path() -> str | None:
    return shutil.which("wrk")
