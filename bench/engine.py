"""Engine cost without HTTP: mapping + criteria + cards per order, and how it grows with orders and Conditions.

    python bench/engine.py            # budget: <= 100 us per order, 50 Conditions + 20 Procedures
Prints microseconds per order (median of repeats) and the curve for 1, 10, 100, 1,000 Conditions. The figures
include reading the prefetch, validating the order, facts, matcher, cards and rating actions (order_sign.handle).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workload import TODAY, hook_request, prefetch, service_request  # noqa: E402
from fhir_mappings.parsing import clear_validation_cache  # noqa: E402
from fhir_mappings.record import record_from_prefetch  # noqa: E402
from hooks import order_sign  # noqa: E402
from hooks.engine import Engine  # noqa: E402


def forget(engine: Engine) -> None:
    """Empty every per-process memo (R4 validation answers, code lookups, assessments): a never-seen record."""
    clear_validation_cache()
    engine.tables._memo.clear()
    engine.assessments.clear()


def per_order_us(engine: Engine, n_conditions: int, n_procedures: int, n_orders: int = 1,
                 variant: str = "chronic", repeats: int = 7, min_time: float = 0.2, cold: bool = False) -> float:
    """Median time of order_sign.handle (record reading, facts, matcher, cards) divided by the orders."""
    orders = [service_request(f"sr{i}", ("mri-lumbar-wo", "xr-lumbar", "ct-lumbar-wo")[i % 3]) for i in range(n_orders)]
    body = hook_request("order-sign", orders, prefetch(n_conditions, n_procedures, variant))

    def once() -> None:
        if cold:
            forget(engine)
        record = record_from_prefetch(body["prefetch"])
        order_sign.handle(engine, body["context"], record, TODAY)

    once()
    loops = 1
    while True:
        t = time.perf_counter()
        for _ in range(loops):
            once()
        if time.perf_counter() - t >= min_time / repeats:
            break
        loops *= 2
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(loops):
            once()
        samples.append((time.perf_counter() - t) / loops)
    return statistics.median(samples) / n_orders * 1e6


def main() -> None:
    engine = Engine.create()
    budget = per_order_us(engine, 50, 20)
    print(f"engine, 1 order, 50 Conditions + 20 Procedures: {budget:.1f} us/order (budget <= 100 us)")
    cold = per_order_us(engine, 50, 20, cold=True)
    print(f"  the same with every memo emptied before each call (a record never seen before): {cold:.1f} us/order")
    print("\nConditions  us/order (1 order, 5 Procedures)")
    for n in (1, 10, 100, 1000):
        print(f"{n:>10}  {per_order_us(engine, n, 5):9.1f}")
    print("\nOrders  us/order (50 Conditions + 20 Procedures)")
    for n in (1, 5, 20, 50):
        print(f"{n:>6}  {per_order_us(engine, 50, 20, n_orders=n):9.1f}")


if __name__ == "__main__":
    main()
