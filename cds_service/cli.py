"""Command line: `imaging-cds serve` (gunicorn), `imaging-cds criteria lint|show|import`, `imaging-cds docs`."""
from __future__ import annotations

import argparse
import sys

from cds_service.config import ConfigError, Settings
from criteria import CriteriaError
from fhir_mappings.codes import CodeTableError


def serve(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from cds_service.app import create_app

    settings = Settings.from_env()
    app = create_app(settings)  # fail fast (bad criteria pack, bad config) before forking workers

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host or settings.host}:{args.port or settings.port}")
            self.cfg.set("workers", args.workers or settings.workers)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 30)

        def load(self):
            return app

    Server().run()
    return 0


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


def _criteria_parser(sub) -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="imaging-cds", description="Imaging appropriateness CDS Hooks service")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve the CDS Hooks API with gunicorn")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.set_defaults(func=serve)
    _criteria_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"imaging-cds: configuration error: {exc}", file=sys.stderr)
        return 2
    except (CriteriaError, CodeTableError) as exc:
        print(f"imaging-cds: criteria pack error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
