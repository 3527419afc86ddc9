"""Cost of R4 validation per resource: the schema check r4_problem answers from, and the models it falls back to.

    python bench/r4_validation.py
Prints microseconds per call (median of repeats) for the bench workload's ServiceRequest, Condition and Patient,
and the start-up cost of deriving the schema from the models and compiling it (in a fresh interpreter).
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workload import LBP, condition, patient, service_request  # noqa: E402
from fhir_mappings.parsing import MODELS, fast_validator, r4_problem, warm_r4_validation  # noqa: E402

STARTUP = """
import time
import cds_service.app
from fhir_mappings.parsing import MODELS
from fhir_mappings.r4_schema import r4_schema
import jsonschema_rs
t = time.perf_counter(); schema = r4_schema(MODELS); t1 = time.perf_counter()
jsonschema_rs.validator_for(schema, validate_formats=True); t2 = time.perf_counter()
print((t1 - t) * 1e3, (t2 - t1) * 1e3)
"""


def per_call_us(fn, repeats: int = 7) -> float:
    timer = timeit.Timer(fn)
    loops, _ = timer.autorange()
    return statistics.median(timer.repeat(repeats, loops)) / loops * 1e6


def main() -> None:
    warm_r4_validation()
    check = fast_validator()
    print("resource        r4_problem (schema)   schema alone   models (model_validate)")
    for resource in (service_request("sr1"), condition("c1", LBP, 10), patient()):
        model = MODELS[resource["resourceType"]]
        assert r4_problem(resource) is None and check.is_valid(resource)
        print(f"{resource['resourceType']:<15} {per_call_us(lambda: r4_problem(resource)):>12.2f} us"
              f" {per_call_us(lambda: check.is_valid(resource)):>14.2f} us"
              f" {per_call_us(lambda: model.model_validate(resource)):>14.1f} us")
    runs = [subprocess.run([sys.executable, "-c", STARTUP], cwd=ROOT, capture_output=True, text=True, check=True)
            .stdout.split() for _ in range(5)]
    generate = statistics.median(float(r[0]) for r in runs)
    compile_ = statistics.median(float(r[1]) for r in runs)
    print(f"\nstart-up, fresh interpreter (median of 5): derive the schema {generate:.0f} ms (mostly importing the "
          f"R4B modules of the parts it reaches), compile {compile_:.0f} ms")


if __name__ == "__main__":
    main()
