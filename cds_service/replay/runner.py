"""`imaging-cds replay`: read the inputs, build the requests, send them, write rows, tally, report."""
from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable, Iterator

from cds_service.replay import report
from cds_service.replay.outcome import FAILED, UNRATED, Row, read_engine_result, read_response
from cds_service.replay.builder import Hook, prepare
from cds_service.replay.sources import Index, PatientGroup, Problem
from cds_service.replay.targets import Http, InProcess, TargetError
from cds_service.replay.writers import CsvWriter, JsonLinesWriter, Progress, TableWriter, Tally

BATCH = 16        # patients per task sent to a worker


@dataclass
class Job:
    target: InProcess | Http
    hooks: list[Hook]
    keep_response: bool


_JOB: Job | None = None   # set before workers start; forked processes inherit it (the engine is built once)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="PATH",
                   help="FHIR Bundle or resource .json files, Bulk Data .ndjson files, directories of them, or - "
                        "for standard input")
    p.add_argument("--sign", action="store_true", help="also send an order-sign request for every order")
    p.add_argument("--url", help="a CDS Hooks service's discovery endpoint (…/cds-services) instead of in-process")
    p.add_argument("--select-service", help="service id for order-select (default: the first one offered)")
    p.add_argument("--sign-service", help="service id for order-sign (default: the first one offered)")
    p.add_argument("--clock", choices=("shift", "service"), default="shift",
                   help="with --url: shift request dates so the service's today is the order date (default), or "
                        "send them as they are and let the service use its own today")
    p.add_argument("--jwt-key", help="with --url: sign each request with this private key file (PEM)")
    p.add_argument("--jwt-alg", default="ES384", help="JWT algorithm (default ES384)")
    p.add_argument("--jwt-iss", default="imaging-cds-replay", help="JWT issuer (iss)")
    p.add_argument("--jwt-kid", help="JWT key id (kid header)")
    p.add_argument("--timeout", type=float, default=30.0, help="with --url: seconds per request (default 30)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="workers: processes in-process, threads with --url")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON line per response instead of the table")
    fmt.add_argument("--csv", action="store_true", help="CSV instead of the table")
    p.add_argument("--report", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")


def run(args: argparse.Namespace, out=None, err=None) -> int:
    global _JOB
    out, err = out or sys.stdout, err or sys.stderr
    if args.jobs < 1:
        print("imaging-cds replay: -j must be at least 1", file=err)
        return 2
    try:
        target = (Http(args.url, args.clock, args.timeout, args.jwt_key, args.jwt_alg, args.jwt_iss, args.jwt_kid,
                       args.select_service, args.sign_service) if args.url else InProcess())
        hooks = target.hooks(args.sign)
    except (TargetError, OSError) as exc:
        print(f"imaging-cds replay: {exc}", file=err)
        return 2
    _JOB = Job(target, hooks, keep_response=args.json)
    started = time.monotonic()
    index = Index()
    for path in args.inputs:
        index.add_path(path)
    tally = Tally(skipped_types=index.skipped, keep_warned=bool(args.report))
    for problem in index.problems:
        _report_problem(tally, problem, err)
    writer = JsonLinesWriter(out) if args.json else CsvWriter(out) if args.csv else TableWriter(out)
    progress = Progress(index.order_count, err.isatty() if args.progress is None else args.progress, err)
    try:
        for rows, problems, seen in _results(index.groups(), args.jobs, args.url is not None):
            for problem in problems:
                _report_problem(tally, problem, err)
            for row in rows:
                writer.write(row)
                tally.add(row)
            progress.step(seen)
    finally:
        progress.finish()
        index.close()
    out.flush()
    elapsed = time.monotonic() - started
    if args.report:
        title = "Imaging appropriateness replay"
        Path(args.report).write_text(report.render(tally, title, args.inputs, args.url or "in-process"),
                                     encoding="utf-8")
    _summary(tally, elapsed, err)
    return 1 if tally.failed else 0


def _report_problem(tally: Tally, problem: Problem, err) -> None:
    tally.problems.append(problem)
    print(f"imaging-cds replay: {problem}", file=err)


def _summary(tally: Tally, elapsed: float, err) -> None:
    ratings = ", ".join(f"{n} {r}" for r, n in tally.by_rating.most_common()) or "none"
    rate = tally.orders / elapsed if elapsed > 0 else 0.0
    print(f"imaging-cds replay: {tally.orders} orders, {tally.responses} responses in {elapsed:.1f}s "
          f"({rate:,.0f} orders/s): {ratings}; {tally.warned_orders} warned; {tally.errors} failed requests; "
          f"{len(tally.problems)} input problems", file=err)


def _batches(groups: Iterable[PatientGroup], size: int) -> Iterator[list[PatientGroup]]:
    batch: list[PatientGroup] = []
    for g in groups:
        batch.append(g)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _results(groups: Iterable[PatientGroup], jobs: int, remote: bool) -> Iterator[tuple[list[Row], list[Problem], int]]:
    if jobs == 1:
        for g in groups:
            yield replay_group(g)
        return
    executor: Executor = (ThreadPoolExecutor(jobs) if remote
                          else ProcessPoolExecutor(jobs, mp_context=get_context("fork")))
    with executor:
        window: deque = deque()   # bounded, in input order: memory does not grow with the input
        for batch in _batches(groups, 1 if remote else BATCH):
            window.append(executor.submit(_replay_batch, batch))
            if len(window) >= jobs * 4:
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()


def _replay_batch(groups: list[PatientGroup]) -> list[tuple[list[Row], list[Problem], int]]:
    return [replay_group(g) for g in groups]


def replay_group(group: PatientGroup) -> tuple[list[Row], list[Problem], int]:
    job = _JOB
    tables = getattr(job.target, "engine", None)
    tables = tables.tables if tables else _tables()
    cases, problems, seen = prepare(group, tables, job.hooks)
    rows = []
    for case in cases:
        for service_id, body in case.requests.items():
            status, answer, result = job.target.call(service_id, body, case.clock)
            row = Row(case.order, case.patient, case.authored, service_id, case.procedure, UNRATED, hidden=case.hidden)
            if status != 200:
                row.rating = FAILED
                row.error = f"HTTP {status}: {answer.get('message', 'no message')}" if status else answer["message"]
                row.response = answer
            else:
                read_response(row, answer, job.target.topic_titles)
                if result is not None:
                    read_engine_result(row, result)
            if not job.keep_response:
                row.response = None
            rows.append(row)
    return rows, problems, seen


def _tables():
    from fhir_mappings.codes import code_tables
    return code_tables()
