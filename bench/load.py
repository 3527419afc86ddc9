"""Load test for `make load`: gunicorn on a free 127.0.0.1 port, driven by wrk with a realistic mix (scenario
variants, record sizes, both hooks, bad inputs). Prints requests/s, p50, p99 and the count of answers that are
not the status expected for their request (2xx, or the 4xx a bad input deserves); exits 1 if there is any.

    python bench/load.py [--duration 20] [--connections 8] [--url http://127.0.0.1:8080]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402

from bench.server import gunicorn, wrk_path  # noqa: E402
from bench.workload import mix  # noqa: E402

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def request_lines() -> list[str]:
    lines = [f"/cds-services/{sid}\t{status}\t{orjson.dumps(body).decode()}" for sid, body, status in mix()]
    lines.append("/cds-services/imaging-auc-select\t400\t{\"hook\": \"order-select\",")  # not JSON
    lines.append("/cds-services/imaging-auc-select\t400\t[]")                             # not an object
    return lines


def run(url: str, duration: int, connections: int) -> tuple[dict, str]:
    if urlsplit(url).hostname not in LOOPBACK:
        raise SystemExit("load is only ever sent to this machine (127.0.0.1)")
    with tempfile.NamedTemporaryFile("w", suffix=".tsv") as f:
        f.write("\n".join(request_lines()) + "\n")
        f.flush()
        out = subprocess.run([wrk_path(), f"-t{connections}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
                              "-s", str(Path(__file__).with_name("load.lua")), url],
                             env={"LOAD_REQUESTS": f.name}, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("LOAD "))
    statuses = next((x for x in out.splitlines() if x.startswith("STATUSES")), "STATUSES")[9:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--duration", type=int, default=int(os.environ.get("LOAD_SECONDS", "20")))
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not wrk_path():
        raise SystemExit("wrk is not installed (make load installs the Debian package)")
    if args.url:
        m, statuses = run(args.url.rstrip("/"), args.duration, args.connections)
    else:
        with gunicorn() as service:
            m, statuses = run(service.url, args.duration, args.connections)
    secs = m["duration_us"] / 1e6
    print(f"mix: {len(request_lines())} distinct requests (7 scenario variants x 4 record sizes, order-sign, "
          "bad inputs: wrong hook, missing field, unknown selection, invalid FHIR, no record, unknown service, "
          "too many orders, not JSON)")
    print(f"client: wrk -t{args.connections} -c{args.connections} -d{args.duration}s (one connection per thread)")
    print(f"requests: {m['requests']}   requests/s: {m['requests'] / secs:.0f}")
    print(f"latency p50: {m['p50_us'] / 1e3:.2f} ms   p99: {m['p99_us'] / 1e3:.2f} ms")
    print(f"statuses: {statuses}")
    errors = m["unexpected"] + m["socket_errors"]
    print(f"errors (not the expected 2xx/4xx, or socket errors): {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
