"""HTTP benchmark: a realistic order-select (1 selected order, Patient, 20 Conditions, 5 Procedures) at 8 concurrent
clients against gunicorn. Prints requests/s and p50/p99 latency, twice: for the same request repeated, and for
2,000 different patients of that shape sent in turn (nothing learnt from one request helps the next: the honest
figure, and the one held to the budget).

    python bench/http_order_select.py                 # starts `imaging-cds serve` on a free 127.0.0.1 port
    python bench/http_order_select.py --url http://127.0.0.1:8080 --duration 10
Uses wrk (`wrk -t2 -c8`) when installed, else 8 Python client threads. Budget: >= 1,500 req/s, p99 < 15 ms.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402

from bench.server import gunicorn, wrk_path  # noqa: E402
from bench.workload import bench_request, distinct_requests  # noqa: E402

PATH = "/cds-services/imaging-auc-select"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
DISTINCT_PATIENTS = 2000


def run_wrk(url: str, bodies: list[bytes], duration: int, connections: int, threads: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".ndjson") as f:
        f.write(b"\n".join(bodies))
        f.flush()
        out = subprocess.run([wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{duration}s",
                              "-s", str(Path(__file__).with_name("bench.lua")), url],
                             env={"BENCH_BODIES": f.name, "BENCH_PATH": PATH}, capture_output=True, text=True,
                             check=True).stdout
    m = dict(re.findall(r"(\w+)=(\d+)", out.splitlines()[-1] if "WRK" in out else ""))
    secs = int(m["duration_us"]) / 1e6
    return {"client": f"wrk -t{threads} -c{connections} -d{duration}s", "requests": int(m["requests"]),
            "rps": int(m["requests"]) / secs, "p50_ms": int(m["p50_us"]) / 1e3, "p99_ms": int(m["p99_us"]) / 1e3,
            "errors": int(m["non2xx"]) + int(m["socket_errors"])}


def run_threads(url: str, bodies: list[bytes], duration: int, connections: int) -> dict:
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + duration

    def client(start: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine = []
        turn = itertools.islice(itertools.cycle(bodies), start % len(bodies), None)
        while time.perf_counter() < stop:
            body = next(turn)
            t = time.perf_counter()
            try:
                conn.request("POST", PATH, body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
                if resp.will_close:
                    conn.close()
            except OSError:
                ok = False
                conn.close()
            mine.append(time.perf_counter() - t)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(n * 997,)) for n in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    secs = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {"client": f"{connections} Python threads, {duration}s", "requests": len(latencies),
            "rps": len(latencies) / secs, "p50_ms": q[49] * 1e3, "p99_ms": q[98] * 1e3, "errors": errors[0]}


def measure(url: str, bodies: list[bytes], args: argparse.Namespace) -> dict:
    if urlsplit(url).hostname not in LOOPBACK:
        raise SystemExit("load is only ever sent to this machine (127.0.0.1)")
    if wrk_path() and not args.threads:
        run_wrk(url, bodies, 2, args.connections, 2)  # warm-up: lazy imports, connection set-up
        return run_wrk(url, bodies, args.duration, args.connections, 2)
    run_threads(url, bodies, 2, args.connections)
    return run_threads(url, bodies, args.duration, args.connections)


def report(title: str, result: dict) -> None:
    print(f"\n{title}")
    print(f"  client: {result['client']}")
    print(f"  requests/s: {result['rps']:.0f}   (budget >= 1500)")
    print(f"  latency p50: {result['p50_ms']:.2f} ms   p99: {result['p99_ms']:.2f} ms   (budget p99 < 15 ms)")
    print(f"  requests: {result['requests']}   errors (non-2xx or socket): {result['errors']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running service (default: start gunicorn on a free loopback port)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", action="store_true", help="Python client threads even if wrk is installed")
    args = parser.parse_args()
    same = [orjson.dumps(bench_request())]
    distinct = [orjson.dumps(b) for b in distinct_requests("order-select", DISTINCT_PATIENTS, 20, 5)]
    startup = None
    if args.url:
        repeated, different = (measure(args.url.rstrip("/"), bodies, args) for bodies in (same, distinct))
    else:
        with gunicorn() as service:
            startup = service.startup
            repeated, different = (measure(service.url, bodies, args) for bodies in (same, distinct))
    print(f"bench request: order-select, 1 order, Patient + 20 Conditions + 5 Procedures ({len(same[0])} bytes)")
    if startup is not None:
        print(f"start-up (process start to first answer): {startup * 1000:.0f} ms   (budget < 1000 ms)")
    report("the same request repeated", repeated)
    report(f"{DISTINCT_PATIENTS:,} different patients in turn (held to the budget)", different)


if __name__ == "__main__":
    main()
