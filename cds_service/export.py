"""`imaging-cds export {feedback,audit} --since DATE --until DATE --format csv|json`: stored records of a UTC date
range, oldest first. A date alone means the whole day (--until 2026-11-30 includes the 30th)."""
from __future__ import annotations

import argparse
import csv
import json
from datetime import date, datetime, time, timedelta, timezone
from typing import TextIO

from cds_service.storage import EXPORTS, Storage


def _bound(text: str, end: bool) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.upper())
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a date or date-time: {text!r} (use YYYY-MM-DD)") from None
        return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
    return datetime.combine(day + timedelta(days=1) if end else day, time())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=sorted(EXPORTS))
    parser.add_argument("--since", type=lambda t: _bound(t, end=False), default=datetime(1970, 1, 1),
                        help="first day (UTC) or date-time to include (default: everything)")
    parser.add_argument("--until", type=lambda t: _bound(t, end=True), default=datetime(9999, 1, 1),
                        help="last day (UTC) to include, or an exclusive date-time (default: everything)")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    return value


def write_export(storage: Storage, kind: str, since: datetime, until: datetime, fmt: str, out: TextIO) -> int:
    rows = [{k: _plain(v) for k, v in row.items()} for row in storage.export(kind, since, until)]
    if fmt == "json":
        json.dump(rows, out, indent=1)
        out.write("\n")
    else:
        table, _ = EXPORTS[kind]
        writer = csv.DictWriter(out, fieldnames=[c.name for c in table.columns], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()})
    return len(rows)
