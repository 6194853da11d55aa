"""Worker processes.

    python -m core.worker run RUN_ID      execute one queued run (spawned by the app per run)
    python -m core.worker serve           claim queued runs, start due schedules, reap dead runs
    python -m core.worker export EXPORT_ID
    python -m core.worker build BUILD_ID  analyse a build or apply its feedback (objective builder)
    python -m core.worker seo-audit REPORT_ID       audit one queued SEO report's page
    python -m core.worker seo-report-pdf REPORT_ID  print one SEO report as PDF
    python -m core.worker llm-test PROVIDER_ID      test a model provider's connection
    python -m core.worker seo-crawl CRAWL_ID        crawl one queued SEO site crawl

``serve`` can run on any number of machines against one PostgreSQL: runs are claimed with
``FOR UPDATE SKIP LOCKED`` and scheduled runs carry an idempotency key (job + slot), so each run
executes exactly once.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import uuid

from core import runs
from core.database import Database, open_database
from core.runner import claim, claim_next, execute_run, worker_id
from core.settings import get_settings
from db.types import utcnow

log = logging.getLogger("scrapedeck.worker")


def run_one(database: Database, run_id: uuid.UUID) -> int:
    with database.transaction() as session:
        claimed = claim(session, run_id, worker_id())
    if not claimed:
        log.warning("run %s is not queued (already claimed or canceled)", run_id)
        return 0
    status = execute_run(database, run_id)
    log.info("run %s %s", run_id, status)
    return 0


def build_one(database: Database, build_id: uuid.UUID) -> int:
    from core import builds
    from core.build_runner import execute_build

    with database.transaction() as session:
        claimed = builds.claim(session, build_id, worker_id())
    if not claimed:
        log.warning("build %s is not waiting for a worker", build_id)
        return 0
    log.info("build %s %s", build_id, execute_build(database, build_id))
    return 0


def _serve_build(database: Database, worker: str) -> bool:
    """Claim and work on one waiting build (queued builds with ``EXECUTOR=queue``, or ones whose
    spawned worker never started)."""
    from core import builds
    from core.build_runner import execute_build

    with database.transaction() as session:
        builds.reap_stale_builds(session)
        build_id = builds.claim_next(session, worker)
    if build_id is None:
        return False
    log.info("build %s claimed by %s: %s", build_id, worker, execute_build(database, build_id))
    return True


def serve_once(database: Database, worker: str) -> bool:
    """One round: tidy up, schedule, claim and execute one run. True when a run was executed."""
    _housekeeping(database)
    _start_due_schedules(database)
    with database.transaction() as session:
        run_id = claim_next(session, worker)
    if run_id is None:
        return _serve_build(database, worker)
    log.info("run %s claimed by %s", run_id, worker)
    execute_run(database, run_id)
    return True


def _housekeeping(database: Database) -> None:
    """Fail runs whose worker died; delete export files whose time is up."""
    from core.exports import remove_expired  # only serve needs it: keep `run` workers light

    with database.transaction() as session:
        runs.reap_stale_runs(session)
        remove_expired(session, utcnow())


def _start_due_schedules(database: Database) -> None:
    with database.transaction() as session:
        runs.enqueue_due_runs(session)


def _parent_gone(parent: int | None) -> bool:
    return parent is not None and os.getppid() != parent


def serve(database: Database, max_runs: int | None, idle_exit: float | None,
          parent: int | None = None) -> int:
    worker, done, idle_since = worker_id(), 0, time.monotonic()
    poll = get_settings().worker_poll_seconds
    log.info("worker %s serving", worker)
    while (max_runs is None or done < max_runs) and not _parent_gone(parent):
        if serve_once(database, worker) or _serve_crawl(database, worker):
            done, idle_since = done + 1, time.monotonic()
            continue
        if idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
            break
        time.sleep(poll)
    return 0


def export(database: Database, export_id: uuid.UUID) -> int:
    from core.exports import perform_export

    perform_export(database, export_id)
    return 0


def seo_audit(database: Database, report_id: uuid.UUID) -> int:
    from core.seo.reports import execute_audit

    log.info("seo report %s %s", report_id, execute_audit(database, report_id))
    return 0


def seo_report_pdf(database: Database, report_id: uuid.UUID) -> int:
    from core.seo.report_export import perform_pdf

    log.info("seo report %s pdf %s", report_id, perform_pdf(database, report_id))
    return 0


def llm_test(database: Database, provider_id: uuid.UUID) -> int:
    from core.llm.providers import run_connection_test

    status = run_connection_test(database, provider_id)
    log.info("model provider %s test: %s", provider_id, status)
    return 0


def seo_crawl_one(database: Database, crawl_id: uuid.UUID) -> int:
    from core.seo.crawl_runner import claim_crawl, execute_crawl

    with database.transaction() as session:
        claimed = claim_crawl(session, crawl_id, worker_id())
    if not claimed:
        log.warning("seo crawl %s is not queued (already claimed or canceled)", crawl_id)
        return 0
    log.info("seo crawl %s %s", crawl_id, execute_crawl(database, crawl_id))
    return 0


def _serve_crawl(database: Database, worker: str) -> bool:
    """Fail SEO crawls whose worker died; claim and execute one queued crawl."""
    from core.seo.crawl_runner import claim_next_crawl, execute_crawl
    from core.seo.crawls import reap_stale_crawls

    with database.transaction() as session:
        reap_stale_crawls(session)
        crawl_id = claim_next_crawl(session, worker)
    if crawl_id is None:
        return False
    log.info("seo crawl %s claimed by %s: %s", crawl_id, worker, execute_crawl(database, crawl_id))
    return True


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.worker",
                                     description="ScrapeDeck worker processes.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser("run", help="execute one queued run")
    p.add_argument("run_id", type=uuid.UUID)
    p = commands.add_parser("serve", help="claim and execute queued runs; start due schedules")
    p.add_argument("--max-runs", type=int, default=None, help="exit after this many runs")
    p.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                   help="exit after this long with nothing to do")
    p.add_argument("--parent", type=int, default=None, metavar="PID",
                   help="exit when this process (the app that started us) is gone")
    p = commands.add_parser("export", help="write one requested export file")
    p.add_argument("export_id", type=uuid.UUID)
    p = commands.add_parser("build", help="analyse a build, or apply its feedback")
    p.add_argument("build_id", type=uuid.UUID)
    p = commands.add_parser("seo-audit", help="audit the page of one queued SEO report")
    p.add_argument("report_id", type=uuid.UUID)
    p = commands.add_parser("seo-report-pdf", help="print one SEO report as PDF")
    p.add_argument("report_id", type=uuid.UUID)
    p = commands.add_parser("llm-test", help="test a model provider's connection")
    p.add_argument("provider_id", type=uuid.UUID)
    p = commands.add_parser("seo-crawl", help="crawl one queued SEO site crawl")
    p.add_argument("crawl_id", type=uuid.UUID)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    database = open_database()
    try:
        if args.command == "run":
            return run_one(database, args.run_id)
        if args.command == "serve":
            return serve(database, args.max_runs, args.idle_exit, args.parent)
        if args.command == "build":
            return build_one(database, args.build_id)
        if args.command == "seo-audit":
            return seo_audit(database, args.report_id)
        if args.command == "seo-report-pdf":
            return seo_report_pdf(database, args.report_id)
        if args.command == "seo-crawl":
            return seo_crawl_one(database, args.crawl_id)
        if args.command == "llm-test":
            return llm_test(database, args.provider_id)
        return export(database, args.export_id)
    finally:
        database.dispose()


if __name__ == "__main__":
    sys.exit(main())
