"""Benchmark: in-process replay of a synthetic Bulk Data NDJSON export. Prints orders/s and peak memory.

    python bench/replay_ndjson.py [--patients 20000] [--jobs 1 2]

Each run is a fresh `imaging-cds replay` process (the whole command: start-up, index, replay, CSV to /dev/null);
peak memory is the largest resident set of that process and of its worker processes.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cds_service.replay.synthetic import write_export  # noqa: E402

CHILD = """
import resource, sys, time
from cds_service.cli import main
t = time.monotonic()
code = main(sys.argv[1:])
wall = time.monotonic() - t
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{code} {wall} {me} {kids}", file=sys.stderr)
"""


def run(export: Path, jobs: int) -> dict:
    with open(os.devnull, "w") as devnull:
        proc = subprocess.run([sys.executable, "-c", CHILD, "replay", str(export), "--csv", "-j", str(jobs)],
                              stdout=devnull, stderr=subprocess.PIPE, cwd=ROOT, text=True)
    code, wall, me, kids = proc.stderr.strip().splitlines()[-1].split()
    summary = next(line for line in proc.stderr.splitlines() if "orders/s" in line)
    return {"jobs": jobs, "exit": int(code), "seconds": float(wall), "peak_rss_mb": int(me) / 1024,
            "worker_peak_rss_mb": int(kids) / 1024, "summary": summary}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=20000)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as tmp:
        export = Path(tmp) / "export"
        t = time.monotonic()
        orders = write_export(export, args.patients)
        size = sum(f.stat().st_size for f in export.iterdir())
        print(f"export: {args.patients} patients, {orders} imaging orders, {size / 1e6:.1f} MB "
              f"(written in {time.monotonic() - t:.1f}s); {os.cpu_count()} CPUs")
        for jobs in args.jobs:
            r = run(export, jobs)
            print(f"-j {jobs}: {orders / r['seconds']:,.0f} orders/s end to end ({r['seconds']:.1f}s), "
                  f"peak RSS {r['peak_rss_mb']:.0f} MB (workers {r['worker_peak_rss_mb']:.0f} MB), exit {r['exit']}")
            print("   " + r["summary"])
        print(json.dumps({"patients": args.patients, "orders": orders, "bytes": size}))


if __name__ == "__main__":
    main()
