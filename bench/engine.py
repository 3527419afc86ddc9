"""Engine cost without HTTP: mapping + criteria + cards per order, and how it grows with orders and Conditions.

    python bench/engine.py            # budget: <= 100 us per order, 50 Conditions + 20 Procedures
Prints microseconds per order (median of repeats): for one record sent again and again, for 2,000 different
patients in turn (the budget line: nothing learnt from one record helps the next, except what any running service
has learnt from earlier traffic), and for the first record after start-up (every per-process memo emptied before
each call). The figures include reading the prefetch, validating the orders, facts, matcher, cards and rating
actions (order_sign.handle).
"""
from __future__ import annotations

import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workload import TODAY, distinct_requests  # noqa: E402
from fhir_mappings.record import record_from_prefetch  # noqa: E402
from hooks import order_sign  # noqa: E402
from hooks.engine import Engine  # noqa: E402

PATIENTS = 2000


def forget(engine: Engine) -> None:
    """Empty every per-process memo (code lookups, assessments): a service just started."""
    engine.tables._memo.clear()
    engine.assessments.clear()


def per_order_us(engine: Engine, bodies: list[dict], repeats: int = 7, min_time: float = 0.3,
                 first_sight: bool = False) -> float:
    """Median time of order_sign.handle over the bodies in turn, divided by the orders per body."""
    turn = itertools.cycle(bodies)
    n_orders = len(bodies[0]["context"]["draftOrders"]["entry"])

    def once() -> None:
        body = next(turn)
        if first_sight:
            forget(engine)
        order_sign.handle(engine, body["context"], record_from_prefetch(body["prefetch"]), TODAY)

    for _ in range(len(bodies)):  # one pass: what a running service has already learnt from earlier traffic
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


def patients(n_conditions: int, n_procedures: int, n_orders: int = 1, n: int = PATIENTS) -> list[dict]:
    return distinct_requests("order-sign", n, n_conditions, n_procedures, n_orders)


def main() -> None:
    engine = Engine.create()
    budget_record = patients(50, 20)
    print("engine, 1 order, 50 Conditions + 20 Procedures (us per order; budget <= 100 us):")
    print(f"  {PATIENTS:,} different patients in turn:       {per_order_us(engine, budget_record):7.1f}   <- budget")
    print(f"  one record sent again and again:         {per_order_us(engine, budget_record[:1]):7.1f}")
    print(f"  first record after start-up (no memo):   {per_order_us(engine, budget_record, first_sight=True):7.1f}")
    print(f"\nConditions  us/order (1 order, 5 Procedures, {PATIENTS:,} different patients; 200 for 1,000)")
    for n in (1, 10, 100, 1000):
        print(f"{n:>10}  {per_order_us(engine, patients(n, 5, n=PATIENTS if n < 1000 else 200)):9.1f}")
    print(f"\nOrders  us/order (50 Conditions + 20 Procedures, {PATIENTS // 4:,} different patients)")
    for n in (1, 5, 20, 50):
        print(f"{n:>6}  {per_order_us(engine, patients(50, 20, n, PATIENTS // 4)):9.1f}")


if __name__ == "__main__":
    main()
