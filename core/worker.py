"""Worker processes.

    python -m core.worker run RUN_ID                execute one queued run
    python -m core.worker build BUILD_ID            analyse a build or apply its feedback
    python -m core.worker seo-crawl CRAWL_ID        crawl one queued SEO site crawl
    python -m core.worker seo-audit REPORT_ID       audit one queued SEO report's page
    python -m core.worker export EXPORT_ID          write one requested export file
    python -m core.worker seo-report-pdf REPORT_ID  print one SEO report as PDF
    python -m core.worker llm-test PROVIDER_ID      test a model provider's connection
    python -m core.worker agent-job JOB_ID          dispatch one agent job to its agent
    python -m core.worker advisor RUN_ID            run one architecture-advisor provider run
    python -m core.worker advisor-pdf QUERY_ID      print one advisor question's PDF export
    python -m core.worker serve                     claim queued work, start due schedules,
                                                    tidy up after dead workers

Every kind of work is a ``core.platform.work.WorkKind`` defined next to the code that does it; ``KINDS``
below says where. ``serve`` can run on any number of machines against one PostgreSQL: work is
claimed with ``FOR UPDATE SKIP LOCKED`` and scheduled runs carry an idempotency key (job + slot),
so each piece of work executes exactly once.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # A worker process: no garbage collection while it imports. What start-up makes (modules,
    # classes, the mapped models) lives as long as the process, so the collections it set off
    # found nothing to free (callgrind: 4 % of the imports' instructions); ``freeze_start_up``
    # moves it all out of the collector's way, then collections resume.
    gc.disable()

import argparse
import importlib
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterable

from core.scraping import runs
from core.platform.command_server import start_server, stop_server
from core.platform.commands import count, identifier, run_command, seconds
from core.platform.database import Database, open_database
from core.platform.doorbell import Bell, Doorbell, folder, ring
from core.platform.forks import (die_with_parent, flush_standard_streams, leave_fork,
                                 reap_exited_children)
from core.platform.processes import freeze_start_up_objects, only_thread
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, worker_id
from db.types import utcnow

log = logging.getLogger("scrapedeck.worker")
# How often `serve` looks for queued work (one short query per kind; tidying up after dead
# workers and due schedules: WORKER_POLL_SECONDS). A quarter second keeps an idle serve cheap.
CLAIM_POLL_SECONDS = 0.25

# Subcommand → (the module whose ``WORK`` does it, help). A module is imported only when its kind
# is needed, so a `run` worker never loads the builder or the SEO code. ``serve`` claims the
# queued kinds in this order: runs first, then builds, SEO crawls, SEO audits.
KINDS: dict[WorkName, tuple[str, str]] = {
    WorkName.RUN: ("core.scraping.runner", "execute one queued run"),
    WorkName.BUILD: ("core.builder.build_runner", "analyse a build, or apply its feedback"),
    WorkName.SEO_CRAWL: ("core.seo.crawl_runner", "crawl one queued SEO site crawl"),
    WorkName.SEO_AUDIT: ("core.seo.reports", "audit the page of one queued SEO report"),
    WorkName.EXPORT: ("core.scraping.exports", "write one requested export file"),
    WorkName.SEO_REPORT_PDF: ("core.seo.report_export", "print one SEO report as PDF"),
    WorkName.LLM_TEST: ("core.llm.providers", "test a model provider's connection"),
    WorkName.AGENT_JOB: ("core.agents.dispatch", "dispatch one agent job to its agent"),
    WorkName.ADVISOR: ("core.advisor.runner",
                       "execute one queued architecture-advisor provider run"),
    WorkName.ADVISOR_PDF: ("core.advisor.export",
                           "print one architecture-advisor question's PDF export"),
}


def work_kind(name: WorkName) -> WorkKind:
    kind: WorkKind = importlib.import_module(KINDS[name][0]).WORK
    return kind


def execute_one(database: Database, name: WorkName, item_id: uuid.UUID) -> int:
    """``python -m core.worker NAME ID``: claim the item (kinds that are queued) and work on it.
    An item another worker (or a cancel) got first is left alone."""
    kind = work_kind(name)
    if kind.claim is not None:
        with database.transaction() as session:
            claimed = kind.claim(session, item_id, worker_id())
        if not claimed:
            log.warning("%s %s is not waiting for a worker (taken or canceled)", name, item_id)
            return 0
    try:
        log.info("%s %s: %s", name, item_id, kind.execute(database, item_id))
    finally:
        ring(folder(Bell.WAITERS))  # `runs start --wait` learns at once that it ended
    return 0


def freeze_start_up(names: Iterable[WorkName], collect: bool = False) -> None:
    """Import the modules of these kinds of work, then move what start-up made (modules,
    classes, the mapped models: most of the heap, alive as long as the process) out of the
    garbage collector's generations, so that the collections during the work do not walk it
    again and again. For a worker process's entry point only (frozen objects are never
    collected)."""
    for name in names:
        work_kind(name)
    # the collector was off while a worker process imported (the top of this module)
    freeze_start_up_objects(collect)


def serve_once(database: Database, worker: str, tidy: bool = True,
               separate: bool = False) -> bool:
    """One round of ``serve``: with ``tidy``, tidy up after dead workers and start due
    schedules; then claim and execute one piece of queued work (the first kind that has some;
    ``separate``: see ``claim_and_execute``). True when something was executed."""
    if tidy:
        _housekeeping(database)
        _start_due_schedules(database)
    return claim_and_execute(database, worker, separate)


def claim_and_execute(database: Database, worker: str, separate: bool = False) -> bool:
    """Claim the oldest queued piece of the first kind that has some, and execute it: in a
    fork of this warm process (``separate``: ``serve`` as a process of its own), or here.
    Nothing to import either way, no process to start. True when something was executed."""
    for kind in map(work_kind, KINDS):
        if kind.claim_next is None:
            continue
        with database.transaction() as session:
            item_id = kind.claim_next(session, worker)
        if item_id is not None:
            log.info("%s %s claimed by %s", kind.name, item_id, worker)
            try:
                if not (separate and _execute_in_fork(database, kind, item_id)):
                    log.info("%s %s: %s", kind.name, item_id, kind.execute(database, item_id))
            finally:
                ring(folder(Bell.WAITERS))  # `runs start --wait` learns at once that it ended
            return True
    return False


def _execute_in_fork(database: Database, kind: WorkKind, item_id: uuid.UUID) -> bool:
    """Execute the claimed item in a child forked from this process, and wait for it; False
    (nothing done) where this process cannot fork (another thread runs, no fork).

    Why a child: what a piece of work allocates (a crawl's pages, queues and buffers) is the
    child's and goes with it, so a ``serve`` that ran a 5,000-page crawl holds what it held
    before instead of its high-water mark for ever; and a crash in the work (a parser's
    segfault, the kernel's OOM killer) ends the child, not the worker. The child dies with
    ``serve`` (as the work would have): killed or stopped, the item is then reaped as stale."""
    if not only_thread():
        return False
    parent = os.getpid()
    database.dispose()  # no connection (nor SQLite's lock state) crosses the fork
    flush_standard_streams()  # what serve printed is not printed again by the fork
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:
        status = 1
        try:
            die_with_parent(parent)
            log.info("%s %s: %s (process %s)", kind.name, item_id,
                     kind.execute(database, item_id), os.getpid())
            status = 0
        except KeyboardInterrupt:
            status = 130
        except BaseException:  # noqa: BLE001 - the child never returns into serve's loop
            log.exception("%s %s failed", kind.name, item_id)
        finally:
            leave_fork(status)
    _, wait_status = os.waitpid(pid, 0)
    if (code := os.waitstatus_to_exitcode(wait_status)) != 0:
        log.warning("%s %s: its process %s ended with %s", kind.name, item_id, pid,
                    f"signal {-code}" if code < 0 else f"status {code}")
    return True


def _housekeeping(database: Database) -> None:
    """Every kind tidies up after dead workers (and exports remove expired files)."""
    now = utcnow()
    for kind in map(work_kind, KINDS):
        if kind.reap_stale is not None:
            with database.transaction() as session:
                kind.reap_stale(session, now)


def _start_due_schedules(database: Database) -> None:
    with database.transaction() as session:
        runs.enqueue_due_runs(session)


def _parent_gone(parent: int | None) -> bool:
    return parent is not None and os.getppid() != parent


def serve(database: Database, max_runs: int | None, idle_exit: float | None,
          parent: int | None = None, separate: bool = False) -> int:
    """Look for queued work every ``CLAIM_POLL_SECONDS`` (one indexed query per kind, so a run
    started from the app or `runs start --wait` is taken within a fraction of a second), and at
    once when work queued on this machine rings the workers' doorbell; tidy up after dead workers
    and start due schedules every ``WORKER_POLL_SECONDS``. ``separate``: each piece of work in
    a fork of this process (``claim_and_execute``)."""
    with Doorbell(folder(Bell.WORKERS)) as doorbell:
        return _serve(database, max_runs, idle_exit, parent, doorbell, separate)


def _serve(database: Database, max_runs: int | None, idle_exit: float | None,
           parent: int | None, doorbell: Doorbell, separate: bool) -> int:
    worker, done, idle_since = worker_id(), 0, time.monotonic()
    poll = get_settings().worker_poll_seconds
    next_round = time.monotonic()
    log.info("worker %s serving", worker)
    while (max_runs is None or done < max_runs) and not _parent_gone(parent):
        tidy = time.monotonic() >= next_round
        if tidy:
            next_round = time.monotonic() + poll
            if separate:  # a process of its own: all its children are its own
                reap_exited_children()
        if serve_once(database, worker, tidy, separate):
            done, idle_since = done + 1, time.monotonic()
            continue
        if idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
            break
        doorbell.wait(min(poll, CLAIM_POLL_SECONDS))  # rung when work is queued here
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.worker",
                                     description="ScrapeDeck worker processes.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_module, help_text) in KINDS.items():
        command = commands.add_parser(name.value, help=help_text)
        command.add_argument("id", type=identifier, metavar="ID")
    p = commands.add_parser("serve", help="claim and execute queued work; start due schedules")
    p.add_argument("--max-runs", type=count(), default=None,
                   help="exit after this many pieces of work (runs, builds, crawls, audits)")
    p.add_argument("--idle-exit", type=seconds(), default=None, metavar="SECONDS",
                   help="exit after this long with nothing to do")
    p.add_argument("--parent", type=count(1, 2**31 - 1), default=None, metavar="PID",
                   help="exit when this process (the app that started us) is gone")
    return parser


def load_commands() -> None:
    """What every ``python -m core`` command loads, for the command server to have it ready:
    the CLI (named, not imported: the CLI imports this module) and the database driver. A
    command's own group loads in its child (milliseconds: its services are loaded already, as
    this worker's work needs them), and pandas where it prints a table."""
    importlib.import_module("core.cli")
    open_database(migrate=False).dispose()  # an engine that makes no connection


def main(argv: list[str] | None = None, *, answer_commands: bool = False) -> int:
    """``answer_commands``: a ``serve`` started as its own process (never inside a test's
    process) forks the command server (core/platform/command_server.py), and executes each
    piece of work in a fork of itself."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    def command() -> int:
        server = None
        if args.command == "serve":
            freeze_start_up(KINDS, collect=True)
            # forked before the database is opened: no connection of serve's crosses the fork
            server = start_server(load_commands) if answer_commands else None
        try:
            database = open_database()
            try:
                if args.command == "serve":
                    return serve(database, args.max_runs, args.idle_exit, args.parent,
                                 separate=answer_commands)
                freeze_start_up([WorkName(args.command)])
                return execute_one(database, WorkName(args.command), args.id)
            finally:
                database.dispose()
        finally:
            stop_server(server)
    status = run_command(command)
    if args.command != "serve":
        # The process exits now: what the work made is frozen too, so the interpreter's last
        # collection does not walk it (~0.15 s of CPU at the end of a run worker).
        gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(main(answer_commands=True))
