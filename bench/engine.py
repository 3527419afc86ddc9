"""Engine cost without HTTP: mapping + criteria + cards per order, and how it grows with orders and Conditions.

    python bench/engine.py            # budget: <= 100 us per order, 50 Conditions + 20 Procedures
Prints microseconds per order, mean, median and 99th percentile of single calls: for 2,000 different patients in turn
(the budget line: nothing learnt from one record helps the next, except what any running service has learnt from
earlier traffic), for one record sent again and again, and for the first record after start-up (every per-process
memo emptied before each call). Each request is parsed from its JSON bytes just before the call, as the HTTP layer
does (the parse is not timed). The figures include reading the prefetch, validating the orders, facts, matcher,
cards and rating actions (order_sign.handle).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workload import TODAY, distinct_requests  # noqa: E402
from fhir_mappings.record import record_from_prefetch  # noqa: E402
from hooks import order_sign  # noqa: E402
from hooks.engine import Engine  # noqa: E402

PATIENTS = 2000


def forget(engine: Engine) -> None:
    """Empty every per-process memo (code lookups, assessments): a service just started."""
    engine.tables.remembered.clear()
    engine.assessments.clear()


def per_order_us(engine: Engine, bodies: list[dict], passes: int = 3, min_calls: int = 2000,
                 first_sight: bool = False) -> tuple[float, float, float]:
    """(mean, median, p99) of single order_sign.handle calls over the bodies in turn, per order."""
    raw = [orjson.dumps(b) for b in bodies]
    n_orders = len(bodies[0]["context"]["draftOrders"]["entry"])
    clock = time.perf_counter

    def one_pass() -> list[float]:
        took = []
        for data in raw:
            body = orjson.loads(data)
            if first_sight:
                forget(engine)
            t = clock()
            order_sign.handle(engine, body["context"], record_from_prefetch(body["prefetch"]), TODAY)
            took.append(clock() - t)
        return took

    one_pass()  # what a running service has already learnt from earlier traffic
    samples: list[float] = []
    while len(samples) < max(min_calls, passes * len(raw)):
        samples += one_pass()
    q = statistics.quantiles(samples, n=100)
    return tuple(x / n_orders * 1e6 for x in (statistics.fmean(samples), q[49], q[98]))


def patients(n_conditions: int, n_procedures: int, n_orders: int = 1, n: int = PATIENTS) -> list[dict]:
    return distinct_requests("order-sign", n, n_conditions, n_procedures, n_orders)


def main() -> None:
    engine = Engine.create()
    budget_record = patients(50, 20)
    print("engine, 1 order, 50 Conditions + 20 Procedures, us per order (budget <= 100 us):")
    print("                                              mean  median     p99")
    for label, bodies, first in ((f"{PATIENTS:,} different patients in turn", budget_record, False),
                                 ("one record sent again and again", budget_record[:1], False),
                                 ("first record after start-up (no memo)", budget_record, True)):
        print(f"  {label:40s}" + "{:7.1f} {:7.1f} {:7.1f}".format(*per_order_us(engine, bodies, first_sight=first)))
    print(f"\nConditions  us/order, mean (1 order, 5 Procedures, {PATIENTS:,} different patients; 200 for 1,000)")
    for n in (1, 10, 100, 1000):
        print(f"{n:>10}  {per_order_us(engine, patients(n, 5, n=PATIENTS if n < 1000 else 200))[0]:9.1f}")
    print(f"\nOrders  us/order, mean (50 Conditions + 20 Procedures, {PATIENTS // 4:,} different patients)")
    for n in (1, 5, 20, 50):
        print(f"{n:>6}  {per_order_us(engine, patients(50, 20, n, PATIENTS // 4))[0]:9.1f}")

if __name__ == "__main__":
    main()
