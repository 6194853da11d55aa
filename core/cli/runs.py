"""``python -m core runs …`` and ``python -m core worker serve``."""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from core.scraping import runs
from core.timeline import GraphFormat
from core.platform.access import Actor
from core.cli.output import print_json, print_table, work_cost
from core.platform.database import Database
from core.platform.doorbell import Bell, Doorbell, folder
from core.platform.commands import count, seconds
from core.platform.errors import Unfinished
from core.platform.work import WorkName
from core.cli import command_help


WAIT_POLL_SECONDS = 0.1  # `runs start --wait` looks at the run this often (one indexed read)


class RunFailed(Unfinished):
    """``runs start --wait`` saw the run end as failed or canceled."""


def _start(session: Session, actor: Actor, args: argparse.Namespace) -> Callable[..., None] | None:
    run = runs.start_run(session, actor, args.job_id, args.key)
    print(f"Run {run.id} queued for '{run.job_name}'")
    if not args.wait:
        return None
    return lambda database, actor: _wait(database, actor, run.id, args.interval)


def _progress_line(run: runs.RunSummary) -> str:
    """One line of ``--wait``: the status, the same progress words as the Runs page's bar, and
    the counters."""
    return (f"{run.status}: {run.progress_words()} · fetched {run.pages_fetched}, "
            f"found {run.items_found}, stored {run.items_extracted}, errors {run.errors_count}")


def _wait(database: Database, actor: Actor, run_id: uuid.UUID | str,
          interval: float) -> None:
    """Print progress every ``interval`` seconds (when it changed) until the run ends. The run is
    looked at every ``WAIT_POLL_SECONDS``, and at once when a worker on this machine finishes
    work (core/platform/doorbell.py), so the command returns as soon as the run has ended, not
    up to an interval later."""
    last, printed = "", float("-inf")
    with Doorbell(folder(Bell.WAITERS)) as doorbell:  # rung by a worker that finished work
        while True:
            with database.transaction() as session:
                run = runs.get_run(session, actor, run_id)
            line = _progress_line(run)
            if line != last and (not run.active or time.monotonic() - printed >= interval):
                print(line, flush=True)
                last, printed = line, time.monotonic()
            if not run.active:
                break
            doorbell.wait(min(interval, WAIT_POLL_SECONDS))
    if run.status != runs.WorkStatus.COMPLETED:
        raise RunFailed(f"Run {run.status}: {run.error_message or 'see runs show'}")


def _list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_table(runs.list_runs(session, actor, args.job, args.limit))


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    detail = runs.run_detail(session, actor, args.run_id, events_limit=args.events)
    run = detail.run
    print_json({"id": run.id, "job": run.job_name, "status": run.status,
                # what the Runs page's bar says: a canceled run is never 100 %
                "progress_percent": round(100 * run.done_share),
                "progress": run.progress_words(), "pages_fetched": run.pages_fetched,
                "items_found": run.items_found, "items_stored": run.items_extracted,
                "errors": run.errors_count, "error_message": run.error_message,
                "created_at": run.created_at, "started_at": run.started_at,
                "finished_at": run.finished_at, "credits_charged": run.credits_charged,
                "cost": work_cost(session, actor, run_id=run.id),
                "url_errors": detail.url_errors.to_dict("records"),
                "events": [] if detail.events is None else detail.events.to_dict("records")})


def _graph(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print(runs.run_graph(session, actor, args.run_id).render(args.format))


def _cancel(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    run = runs.cancel_run(session, actor, args.run_id)
    print(f"Run {run.id}: {'canceled' if run.status == runs.WorkStatus.CANCELED else 'cancel requested'}")


def _serve(_session: Session, _actor: Actor, args: argparse.Namespace) -> None:
    from core.platform.processes import forking_allowed
    from core.worker import main as worker_main

    sys.exit(worker_main(["serve", *(["--max-runs", str(args.max_runs)] if args.max_runs else []),
                          *(["--idle-exit", str(args.idle_exit)] if args.idle_exit else [])],
                         answer_commands=forking_allowed()))  # `python -m core`, not a test


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("runs", help=command_help("runs"),
                                description="Start, list, show and cancel runs of jobs.")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("start", help="queue a run of a job (and start its worker)")
    p.add_argument("job_id")
    p.add_argument("--wait", action="store_true",
                   help="print progress until the run ends; exit 1 unless it completed")
    p.add_argument("--key", default=None, help="idempotency key: the same key starts one run")
    p.add_argument("--interval", type=seconds(3600), default=1.0, help="seconds between progress lines")
    # its worker is forked ahead, before the database is opened (core.cli._run)
    p.set_defaults(handler=_start, worker=WorkName.RUN.value)
    p = actions.add_parser("list", help="runs, newest first")
    p.add_argument("--job", default=None, help="only this job's runs")
    p.add_argument("--limit", type=count(), default=50,
                   help="show at most this many runs (default 50)")
    p.set_defaults(handler=_list)
    p = actions.add_parser("show", help="one run as JSON, with its errors and events")
    p.add_argument("run_id")
    p.add_argument("--events", type=count(), default=50, help="how many recent events")
    p.set_defaults(handler=_show)
    p = actions.add_parser("graph", help="the run's workflow graph with each step's state")
    p.add_argument("run_id")
    p.add_argument("--format", choices=[f.value for f in GraphFormat], default="json",
                   help="json (default) or dot (Graphviz)")
    p.set_defaults(handler=_graph)
    p = actions.add_parser("cancel", help="stop a run (it keeps what it found)")
    p.add_argument("run_id")
    p.set_defaults(handler=_cancel)

    worker = commands.add_parser("worker", help=command_help("worker"),
                                 description="Run a worker: `serve` claims queued work (runs, "
                                 "builds, SEO crawls and audits) and starts due schedules (same "
                                 "as `python -m core.worker serve`).")
    w_actions = worker.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = w_actions.add_parser("serve", help="claim queued work and start due schedules")
    p.add_argument("--max-runs", type=count(), default=None,
                   help="exit after this many pieces of work (runs, builds, crawls, audits)")
    p.add_argument("--idle-exit", type=seconds(), default=None, metavar="SECONDS",
                   help="exit after this long with nothing to do")
    p.set_defaults(handler=_serve, no_user=True)
