"""Figures for the storage and auth paths (in-process Flask client, so HTTP is excluded):
hook call with its audit write, feedback post, and a hook call with JWT verification.
usage: .venv/bin/python bench/storage_auth.py [DATABASE_URL]   (default: a temporary SQLite file)"""
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from auth_keys import JwksServer, ec_key, mint  # noqa: E402
from hook_requests import feedback_for, lbp_request  # noqa: E402

from cds_service.app import create_app  # noqa: E402
from cds_service.config import Settings  # noqa: E402

N = 300
SELECT = "/cds-services/imaging-auc-select"


def timed(label: str, call) -> None:
    samples = []
    for _ in range(N):
        t = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
    samples.sort()
    print(f"{label:<34} median {statistics.median(samples):6.2f} ms   p95 {samples[int(N * .95)]:6.2f} ms   (n={N})")


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    print(f"database: {url.split('@')[-1]}")
    client = create_app(Settings(database_url=url)).test_client()
    card = client.post(SELECT, json=lbp_request()).get_json()["cards"][0]
    timed("hook call + audit write", lambda: client.post(SELECT, json=lbp_request()).status_code)
    timed("feedback post (1 item)", lambda: client.post(SELECT + "/feedback", json=feedback_for(card)).status_code)
    key = ec_key()
    jwks = JwksServer({"/jwks.json": {"keys": [key.jwk()]}})
    env = {"AUTH_MODE": "required", "DATABASE_URL": url,
           "AUTH_ISSUERS": json.dumps({"https://ehr.example": {"jwks_url": jwks.url("/jwks.json")}})}
    secured = create_app(Settings.from_env(env)).test_client()
    timed("hook call + ES384 JWT + jti write", lambda: secured.post(
        SELECT, json=lbp_request(),
        headers={"Authorization": "Bearer " + mint(key, "https://ehr.example", "http://localhost" + SELECT)}).status_code)
    jwks.close()


if __name__ == "__main__":
    main()
