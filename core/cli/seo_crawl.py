"""``python -m core seo crawl URL --max-pages N [--wait] [--json]`` and ``seo crawl-show ID``.

Registered into the ``seo`` command group (``core.cli.seo``) by ``register(actions)``.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.cli.output import print_json, work_cost
from core.platform.commands import count, seconds
from core.platform.errors import Unfinished
from core.platform.words import counted
from vocabularies import GraphFormat

if TYPE_CHECKING:  # the database layer loads only when a crawl command runs
    from sqlalchemy.orm import Session

    from core.platform.access import Actor
    from core.platform.database import Database


class CrawlFailed(Unfinished):
    """``seo crawl --wait`` saw the crawl end as failed or canceled."""


def _options(args: argparse.Namespace) -> dict[str, Any]:
    chosen: dict[str, Any] = {"respect_robots": not args.ignore_robots, "render": args.render,
                              "audit": not args.no_audit}
    if args.delay is not None:
        chosen["delay"] = args.delay
    if args.concurrency is not None:
        chosen["concurrency"] = args.concurrency
    return chosen


def _start(session: Session, actor: Actor, args: argparse.Namespace) -> Callable[..., None] | None:
    from core.seo import crawls

    crawl = crawls.start_crawl(session, actor, args.url, args.max_pages, _options(args))
    if not args.json:
        print(f"Crawl {crawl.id} queued for {crawl.start_url} (up to {crawl.max_pages} pages)")
    if not args.wait:
        if args.json:
            print_json({"id": crawl.id, "status": crawl.status})
        return None
    return lambda database, actor: _wait(database, actor, crawl.id, args)


def _wait(database: Database, actor: Actor, crawl_id: uuid.UUID | str,
          args: argparse.Namespace) -> None:
    from core.seo import crawls

    last = ""
    while True:
        with database.transaction() as session:
            crawl = crawls.get_crawl(session, actor, crawl_id)
        line = (f"{crawl.status:<9} pages {crawl.pages_crawled}/{crawl.max_pages}  "
                f"errors {crawl.errors_count}")
        if line != last and not args.json:
            print(line, flush=True)
            last = line
        if not crawl.active:
            break
        time.sleep(args.interval)
    with database.transaction() as session:
        _report(session, actor, crawl_id, as_json=args.json)
    if crawl.status != crawls.WorkStatus.COMPLETED:
        ending, detail = _ending(crawl.status), crawl.error_message or "see seo crawl-show"
        # a budget's message starts with the ending already: "stopped: budget reached: your…"
        raise CrawlFailed(f"Crawl {detail}" if detail.startswith(ending)
                          else f"Crawl {ending}: {detail}")


def _ending(status: str) -> str:
    """How a crawl ended, in words: its status, or for a budget's stop "stopped: budget
    reached" (what the app's Site crawl page says too)."""
    from core.budgets import STOPPED_BY_BUDGET
    from vocabularies import WorkStatus

    return STOPPED_BY_BUDGET if status == WorkStatus.STOPPED_BUDGET else str(status)


def _report(session: Session, actor: Actor, crawl_id: uuid.UUID | str, *,
            as_json: bool) -> None:
    from core.seo import crawls

    crawl = crawls.get_crawl(session, actor, crawl_id)
    findings = crawls.crawl_findings(session, actor, crawl_id)
    if as_json:
        print_json({"id": crawl.id, "start_url": crawl.start_url, "status": crawl.status,
                    "pages_crawled": crawl.pages_crawled, "errors": crawl.errors_count,
                    "error_message": crawl.error_message, "summary": crawl.summary,
                    "cost": work_cost(session, actor, crawl_id=crawl.id),
                    "findings": findings.drop(columns=["evidence"]).to_dict("records"),
                    "pages": crawls.crawl_pages(session, actor, crawl_id).to_dict("records")})
        return
    print(f"{_ending(crawl.status).capitalize()}: {counted(crawl.pages_crawled, 'page')}, "
          f"{counted(len(findings), 'finding')} "
          f"({counted(crawl.summary.get('issues', 0), 'issue')})")
    for row in findings.itertuples():
        print(f"  {row.severity:<8} {row.title}: {counted(row.count, 'URL')}")
    for note in crawl.summary.get("not_checked", []):
        print(f"  not checked: {note}")


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    _report(session, actor, args.crawl_id, as_json=True)


def _graph(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    from core.timeline import WorkflowKind
    from core.timeline.view import workflow_graph

    kind = WorkflowKind.CRAWL if args.command_kind == "crawl" else WorkflowKind.AUDIT
    print(workflow_graph(session, actor, kind, args.workflow_id).render(args.format))


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = actions.add_parser("crawl", help="crawl a site breadth-first and report site findings",
                           description="Queue an SEO crawl of the site at URL (a worker runs "
                           "it); with --wait, print progress and the findings.")
    p.add_argument("url")
    p.add_argument("--max-pages", type=count(0), required=True, metavar="N",
                   help="URLs to request at most (up to SEO_CRAWL_MAX_PAGES)")
    p.add_argument("--delay", type=seconds(3600), default=None, metavar="SECONDS",
                   help="between two requests (default FETCH_DELAY_SECONDS)")
    p.add_argument("--concurrency", type=count(1, 1000), default=None, help="requests at once (default 4)")
    p.add_argument("--ignore-robots", action="store_true", help="do not obey robots.txt")
    p.add_argument("--render", action="store_true", help="render pages in Chromium")
    p.add_argument("--no-audit", action="store_true", help="skip the page audit per page")
    p.add_argument("--wait", action="store_true",
                   help="wait for the end; exit 1 unless the crawl completed")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--interval", type=seconds(3600), default=1.0, help="seconds between progress lines")
    p.set_defaults(handler=_start)
    p = actions.add_parser("crawl-show", help="one crawl's summary, findings and pages as JSON")
    p.add_argument("crawl_id")
    p.set_defaults(handler=_show)
    for what in ("crawl", "audit"):
        p = actions.add_parser(f"{what}-graph", help=f"the {what}'s workflow graph with each "
                               "step's state")
        p.add_argument("workflow_id", metavar=f"{what.upper()}_ID")
        p.add_argument("--format", choices=[f.value for f in GraphFormat],
                       default=GraphFormat.JSON.value,
                       help="json (default) or dot (Graphviz)")
        p.set_defaults(handler=_graph, command_kind=what)
