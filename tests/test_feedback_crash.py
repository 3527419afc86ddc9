"""Acceptance (issue 4): the real server (gunicorn, 2 workers, SQLite) is killed with SIGKILL in the middle of a run
of concurrent feedback posts; every feedback that got a 200 is in the database afterwards."""
import os
import signal
import threading
import time
from datetime import datetime

import requests
from hook_requests import feedback_for, lbp_request

from bench.server import gunicorn
from cds_service.storage import Storage

CLIENTS = 8
ACKS_BEFORE_KILL = 400
TIME_LIMIT_S = 30


def test_every_acknowledged_feedback_survives_sigkill(tmp_path):
    url = f"sqlite:///{tmp_path}/cds.sqlite3"
    with gunicorn(workers=2, env={"DATABASE_URL": url}) as service:
        base, proc = service.url, service.proc
        hook = requests.post(base + "/cds-services/imaging-auc-select", json=lbp_request(), timeout=10)
        card = hook.json()["cards"][0]
        acked: list[str] = []
        sent = [0]
        lock = threading.Lock()
        killed = threading.Event()
        deadline = time.monotonic() + TIME_LIMIT_S

        def client(n: int):
            with requests.Session() as http:
                for k in range(10_000):
                    if time.monotonic() > deadline:
                        return
                    marker = f"probe-{n}-{k}"
                    body = feedback_for(card, "overridden", overrideReason={"userComment": marker})
                    with lock:
                        sent[0] += 1
                    try:
                        response = http.post(base + "/cds-services/imaging-auc-select/feedback", json=body, timeout=10)
                    except requests.RequestException:
                        if killed.is_set():
                            return
                        raise
                    if response.status_code == 200:
                        with lock:
                            acked.append(marker)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        while len(acked) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)  # master and workers, mid-run
        killed.set()
        for t in threads:
            t.join()
        proc.wait(timeout=10)

    stored = {row["user_comment"] for row in Storage.open(url).export("feedback", datetime(2000, 1, 1),
                                                                         datetime(2100, 1, 1))}
    assert len(acked) >= ACKS_BEFORE_KILL
    assert set(acked) <= stored, f"{len(set(acked) - stored)} acknowledged feedback lost"
    print(f"\nSIGKILL test: {sent[0]} posts sent, {len(acked)} acknowledged, {len(stored)} stored, "
          f"{len(stored) - len(acked)} stored but unacknowledged, {sent[0] - len(stored)} lost unacknowledged")
