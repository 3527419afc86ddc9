"""Row writers (terminal table, JSON lines, CSV), the run's tallies, and the stderr progress bar."""
from __future__ import annotations

import csv
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

import orjson

from cds_service.replay.outcome import Row
from cds_service.replay.sources import Problem

COLUMNS = (("order", 30), ("patient", 18), ("procedure", 34), ("variant", 24), ("rating", 17), ("card", 64))
CSV_FIELDS = ("order", "patient", "authored", "service", "procedure", "topic", "variants", "rating", "cards", "error",
              "hidden")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _clip_middle(text: str, width: int) -> str:
    """Identifiers differ at the end (uuids, numbered ids): keep both ends."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[-(width - 1 - head):]


class TableWriter:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.out.write("  ".join(name.upper().ljust(w) for name, w in COLUMNS).rstrip() + "\n")

    def write(self, row: Row) -> None:
        card = row.error or "; ".join(row.cards) or "(no card)"
        values = (row.order, row.patient, row.procedure, ", ".join(row.variants) or "-", row.rating, card)
        cells = [(_clip_middle if i < 2 else _clip)(v, w).ljust(w) for i, (v, (_, w)) in enumerate(zip(values, COLUMNS))]
        self.out.write("  ".join(cells).rstrip() + "\n")


class JsonLinesWriter:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, row: Row) -> None:
        self.out.write(orjson.dumps(row.as_json()).decode() + "\n")


class CsvWriter:
    def __init__(self, out: TextIO) -> None:
        self.w = csv.writer(out)
        self.w.writerow(CSV_FIELDS)

    def write(self, row: Row) -> None:
        self.w.writerow([row.order, row.patient, row.authored or "", row.service, row.procedure, row.topic,
                         "; ".join(row.variants), row.rating, " | ".join(row.cards), row.error or "", row.hidden])


DRILL_DOWN_LIMIT = 2000   # warned rows kept for the report's drill-down (memory stays bounded on huge runs)


@dataclass
class Tally:
    """Counts for the summary and the report; keeps the first warned rows (without raw responses) for drill-down."""
    responses: int = 0
    orders: int = 0
    warned_orders: int = 0
    by_rating: Counter = field(default_factory=Counter)
    by_topic: Counter = field(default_factory=Counter)
    by_variant: Counter = field(default_factory=Counter)
    by_service: Counter = field(default_factory=Counter)
    warned: list[Row] = field(default_factory=list)
    errors: int = 0
    problems: list[Problem] = field(default_factory=list)
    hidden: int = 0
    skipped_types: dict[str, int] = field(default_factory=dict)
    keep_warned: bool = True
    _current: str | None = None
    _current_warned: bool = False

    def add(self, row: Row) -> None:
        """Rows arrive grouped by order (one per service), so orders are counted without remembering them."""
        self.responses += 1
        new_order = row.order != self._current
        if new_order:
            self.orders += 1
            self._current, self._current_warned = row.order, False
        self.by_rating[row.rating] += 1
        self.by_service[row.service] += 1
        self.by_topic[row.topic or "(no topic)"] += 1
        for v in row.variants or ["(not reported)" if row.rating != "error" else "(error)"]:
            self.by_variant[v] += 1
        if row.error:
            self.errors += 1
        if row.warned and not self._current_warned:
            self._current_warned = True
            self.warned_orders += 1
            if self.keep_warned and len(self.warned) < DRILL_DOWN_LIMIT:
                row.response = None
                self.warned.append(row)

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.problems)


class Progress:
    """A one-line bar on stderr, redrawn at most five times a second; silent when disabled."""

    def __init__(self, total: int, enabled: bool, out: TextIO = sys.stderr) -> None:
        self.total, self.enabled, self.out = max(total, 1), enabled, out
        self.done, self.start, self.last = 0, time.monotonic(), 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self.last >= 0.2:
            self.last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        rate = self.done / max(now - self.start, 1e-9)
        self.out.write(f"\r[{bar:<30}] {self.done}/{self.total} orders  {rate:,.0f}/s ")
        self.out.flush()

    def finish(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.out.write("\n")
            self.out.flush()
