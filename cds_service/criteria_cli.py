"""`imaging-cds criteria lint|show|import` and `imaging-cds docs` (the logic lives in criteria/ and cds_service/docs)."""
from __future__ import annotations

import argparse
import sys

from cds_service.config import Settings


def _engine(packs: tuple[str, ...]):
    from hooks.engine import Engine, EngineOptions

    return Engine.create(EngineOptions(criteria_packs=packs))


def criteria_lint(args: argparse.Namespace) -> int:
    from criteria.docs import cell_counts

    packs = (*Settings.from_env().criteria_packs, args.dir)
    criteria = _engine(packs).criteria
    pack = criteria.packs[-1]
    counts = [cell_counts(t, v) for t in criteria.topics.values() for v in t.variants]
    print(f"{args.dir}: pack {pack.name} {pack.version} is valid; with it the service has {len(criteria.topics)} "
          f"topics, {len(counts)} variants, {sum(k for k, _ in counts)} known and {sum(u for _, u in counts)} "
          "unknown cells")
    return 0


def criteria_show(args: argparse.Namespace) -> int:
    from criteria.docs import show

    try:
        print(show(_engine(Settings.from_env().criteria_packs).criteria, args.topic, args.variant))
    except KeyError as exc:
        print(f"imaging-cds: {exc.args[0]}", file=sys.stderr)
        return 1
    return 0


def criteria_import(args: argparse.Namespace) -> int:
    from criteria.importer import import_csv

    result = import_csv(args.csv, args.dir, name=args.name, version=args.version, licence=args.licence,
                        confidence=args.confidence, base_packs=Settings.from_env().criteria_packs)
    print(f"{result.pack_dir}: {result.overrides} cells for {', '.join(result.topics)}; "
          f"load it with CRITERIA_PACKS={result.pack_dir}")
    return 0


def docs(args: argparse.Namespace) -> int:
    from cds_service.docs import write

    for path in write(_engine(()), args.dir):
        print(f"wrote {path}")
    return 0


def add_parsers(sub) -> None:
    crit = sub.add_parser("criteria", help="check, show and import criteria packs").add_subparsers(
        dest="criteria_command", required=True)
    p = crit.add_parser("lint", help="validate a pack directory as the service would load it")
    p.add_argument("dir")
    p.set_defaults(func=criteria_lint)
    p = crit.add_parser("show", help="print a topic's variants and cells")
    p.add_argument("topic")
    p.add_argument("variant", nargs="?")
    p.set_defaults(func=criteria_show)
    p = crit.add_parser("import", help="turn a ratings CSV (topic, variant, procedure, category, rating, adult RRL, "
                                       "pediatric RRL) into a pack of cell overrides")
    p.add_argument("csv")
    p.add_argument("dir")
    p.add_argument("--name", default="imported")
    p.add_argument("--version", default="1")
    p.add_argument("--licence", default="")
    p.add_argument("--confidence", default="confirmed", choices=["confirmed", "secondary", "inferred"])
    p.set_defaults(func=criteria_import)
    p = sub.add_parser("docs", help="write criteria.md and mapping.md generated from the bundled data")
    p.add_argument("dir", nargs="?", default="docs")
    p.set_defaults(func=docs)
