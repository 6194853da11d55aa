"""``python -m core results …``: export a run's results to a file, synchronously."""

from __future__ import annotations

import argparse
from typing import cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.platform.words import counted
from core.scraping import exports
from core.platform.access import Actor
from core.platform.database import Database
from core.cli import add_out_arguments, command_help
from db.engine import make_session_factory


def _export(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    # The export streams on its own connection; it shares the command's engine, not its session.
    engine = cast(Engine, session.get_bind())
    database = Database(engine=engine, sessions=make_session_factory(engine))
    summary = exports.export_run_to_path(database, actor, args.run_id, args.format, args.out,
                                         raw_values=args.raw, force=args.force)
    print(f"Exported {counted(summary.row_count, 'result')} to {summary.path} "
          f"({counted(summary.size_bytes, 'byte')}).")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    res = commands.add_parser("results", help=command_help("results"),
                              description="Export the results of a run.")
    actions = res.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "export", help="write a run's results to a file",
        description="Write every result of a run to a file, now. CSV, Excel and Parquet have one "
        "column per key (nested keys flattened as a.b); JSON and JSON Lines keep nesting.")
    p.add_argument("run_id", help="run id")
    p.add_argument("--format", required=True, choices=[f.value for f in exports.ExportFormat],
                   help="file format")
    add_out_arguments(p)
    p.add_argument("--raw", action="store_true",
                   help="CSV: write cells exactly as scraped; by default a cell starting with =, "
                   "+, -, @, tab or CR gets a leading ' so spreadsheets do not run it as a formula")
    p.set_defaults(handler=_export)
