"""``python -m core results …``: export a run's results to a file, synchronously."""

from __future__ import annotations

import argparse
from typing import cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core import exports
from core.access import Actor
from core.database import Database
from db.engine import make_session_factory
from db.models import EXPORT_FORMATS


def _export(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    # The export streams on its own connection; it shares the command's engine, not its session.
    engine = cast(Engine, session.get_bind())
    database = Database(engine=engine, sessions=make_session_factory(engine))
    summary = exports.export_run_to_path(database, actor, args.run_id, args.format, args.out)
    print(f"Exported {summary.row_count:,} results to {summary.path} "
          f"({summary.size_bytes:,} bytes).")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    res = commands.add_parser("results", help="results of runs",
                              description="Export the results of a run.")
    actions = res.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "export", help="write a run's results to a file",
        description="Write every result of a run to a file, now. CSV, Excel and Parquet have one "
        "column per key (nested keys flattened as a.b); JSON and JSON Lines keep nesting.")
    p.add_argument("run_id", help="run id")
    p.add_argument("--format", required=True, metavar="|".join(EXPORT_FORMATS),
                   help="file format")
    p.add_argument("--out", required=True, metavar="PATH", help="file to write (replaced if it "
                   "exists)")
    p.set_defaults(handler=_export)
