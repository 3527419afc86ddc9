"""Helpers shared by the replay tests: run the console script, read its JSON lines."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "replay"
ROOT = Path(__file__).parent.parent


def replay(*args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`imaging-cds replay ...` as a user runs it (a separate process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cds_service.cli", "replay", *args], input=stdin,
                          capture_output=True, timeout=timeout, cwd=ROOT, env=env)


def json_rows(proc: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]


def by_order(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["order"], r["service"]): r for r in rows}
