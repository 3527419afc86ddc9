"""Command line: `imaging-cds serve` (gunicorn), `imaging-cds export {feedback,audit}`,
`imaging-cds criteria lint|show|import`, `imaging-cds docs`, `imaging-cds replay` (bundles and exports through a
CDS Hooks service)."""
from __future__ import annotations

import argparse
import gc
import sys

from cds_service import criteria_cli
from cds_service.config import ConfigError, Settings
from criteria import CriteriaError
from fhir_mappings.codes import CodeTableError


def serve(args: argparse.Namespace) -> int:
    # Start-up only builds what lives as long as the process (models, schemas, criteria): no collection passes
    # over it while it is built (a fifth of start-up), and frozen afterwards, so that the workers forked next never
    # scan it again (and share its memory pages).
    gc.disable()
    from gunicorn.app.base import BaseApplication

    from cds_service.app import create_app

    settings = Settings.from_env()
    app = create_app(settings)  # fail fast (bad criteria pack, bad config) before forking workers
    gc.freeze()
    gc.enable()

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


def export(args: argparse.Namespace) -> int:
    from cds_service.export import write_export
    from cds_service.storage import Storage, StorageUnavailable

    try:
        storage = Storage.open(Settings.from_env().database_url)
        write_export(storage, args.kind, args.since, args.until, args.format, sys.stdout)
    except StorageUnavailable as exc:
        print(f"imaging-cds: {exc}", file=sys.stderr)
        return 1
    return 0


def replay(args: argparse.Namespace) -> int:
    from cds_service.replay.runner import run

    return run(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="imaging-cds", description="Imaging appropriateness CDS Hooks service")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve the CDS Hooks API with gunicorn")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.set_defaults(func=serve)
    from cds_service.export import add_arguments
    p = sub.add_parser("export", help="list feedback or audit records of a date range as CSV or JSON (stdout)")
    add_arguments(p)
    p.set_defaults(func=export)
    criteria_cli.add_parsers(sub)
    from cds_service.replay.runner import add_arguments as replay_arguments
    p = sub.add_parser("replay", help="replay FHIR Bundles or Bulk Data NDJSON exports through a CDS Hooks service")
    replay_arguments(p)
    p.set_defaults(func=replay)
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
