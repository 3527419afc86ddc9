"""The `database_url` fixture: each storage test runs against SQLite and against a real PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (.ci/run starts one with `.ci/postgres up`); without it a local server is
started the same way when PostgreSQL is installed, else those tests are skipped (never on CI, where they fail).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cds_service.storage import Storage, metadata

ROOT = Path(__file__).resolve().parent.parent
PG_SCRIPT = ROOT / ".ci" / "postgres"


@pytest.fixture(scope="session")
def postgres_url():
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("TEST_POSTGRES_URL is not set on CI: .ci/run must start PostgreSQL with `.ci/postgres up`")
    proc = subprocess.run(["bash", str(PG_SCRIPT), "up"], env={**os.environ, "PG_NO_INSTALL": "1"},
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        pytest.skip("PostgreSQL storage tests skipped: TEST_POSTGRES_URL is unset and no local PostgreSQL server "
                    f"could be started ({proc.stderr.strip()[-300:]})")
    started = dict(part.split("=", 1) for part in proc.stdout.split()[1:])
    try:
        yield started["TEST_POSTGRES_URL"]
    finally:
        subprocess.run(["bash", str(PG_SCRIPT), "down", started["TEST_POSTGRES_DIR"]], timeout=120)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/imaging-cds.sqlite3"
    url = request.getfixturevalue("postgres_url")
    storage = Storage(url)
    metadata.drop_all(storage.engine)
    storage.engine.dispose()
    return url
