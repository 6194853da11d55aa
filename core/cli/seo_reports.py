"""``python -m core seo report ID --format html|pdf --out PATH``: write a stored SEO report.

    python -m core --user ann@example.com seo report 3f1c… --format pdf --out lamp.pdf

The PDF is printed by Chromium in this process (the CLI may wait; the app uses a worker).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.cli import add_out_arguments
from vocabularies import ReportFormat

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.platform.access import Actor
    from core.platform.database import Database

SubParsers = argparse._SubParsersAction


def _report(session: Session, actor: Actor,
            args: argparse.Namespace) -> Callable[[Database, Actor], None]:
    from core.seo.reports import get_report

    get_report(session, actor, args.report_id)  # an unknown id fails before Chromium starts

    def write(database: Database, actor: Actor) -> None:
        from core.seo.report_export import export_report

        path = export_report(database, actor, args.report_id, args.format, args.out,
                             force=args.force)
        print(f"Wrote {path} ({path.stat().st_size:,} bytes).")

    return write


def add_report(actions: SubParsers) -> None:
    p = actions.add_parser(
        "report", help="write a stored SEO report as HTML or PDF",
        description="Write one SEO report (an id from the SEO audit page) as a self-contained "
        "HTML page or a PDF printed by Chromium.")
    p.add_argument("report_id", metavar="ID", help="the report's id")
    p.add_argument("--format", choices=[f.value for f in ReportFormat],
                   default=ReportFormat.PDF.value,
                   help="html (a self-contained page) or pdf (default)")
    add_out_arguments(p)
    p.set_defaults(handler=_report)
