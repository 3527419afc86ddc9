"""Hook latency with the FHIR-server fallback against a real FHIR server (sekmet-fhir on 127.0.0.1).

Prints p50/p90/p99/max over N order-select calls with fhirServer and no prefetch (every key fetched), next to the
same calls with full prefetch. Usage: python bench/fhir_fallback_latency.py [N]  (default 200)
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the project (bench.server) and the test helpers (sekmet_server)

import sekmet_server  # noqa: E402
from cds_service.app import create_app  # noqa: E402
from cds_service.config import Settings  # noqa: E402
from builders import record_prefetch  # noqa: E402
from lbp_records import VARIANTS, MRI_LUMBAR_WO, lbp_record, order_select, transaction  # noqa: E402


def percentiles(samples: list[float]) -> str:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1000  # noqa: E731
    return (f"p50 {statistics.median(s) * 1000:6.1f} ms  p90 {pick(0.90):6.1f} ms  p99 {pick(0.99):6.1f} ms  "
            f"max {s[-1] * 1000:6.1f} ms")


def run(client, bodies: list[dict]) -> list[float]:
    took = []
    for body in bodies:
        started = time.perf_counter()
        resp = client.post("/cds-services/imaging-auc-select", json=body)
        took.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.get_json()
    return took


def main(n: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proc, fhir = sekmet_server.start(Path(tmp))
        try:
            records = {v: lbp_record(v) for v in VARIANTS}
            fhir.load(transaction([r for rec in records.values() for r in rec]))
            client = create_app(Settings()).test_client()
            variants = [VARIANTS[i % len(VARIANTS)] for i in range(n)]
            fetched = [order_select(records[v][0]["id"], MRI_LUMBAR_WO, fhir_server=fhir.base, token=fhir.token)
                       for v in variants]
            prefetched = [order_select(records[v][0]["id"], MRI_LUMBAR_WO, prefetch=record_prefetch(records[v]))
                          for v in variants]
            run(client, fetched[:20] + prefetched[:20])  # warm-up
            print(f"order-select, {n} calls, in-process Flask client, sekmet-fhir 0.1.1 on 127.0.0.1, 5 keys per call")
            print(f"  fhirServer fallback: {percentiles(run(client, fetched))}")
            print(f"  full prefetch:       {percentiles(run(client, prefetched))}")
        finally:
            sekmet_server.stop(proc)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
