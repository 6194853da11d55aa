"""``python -m core runs …`` and ``python -m core worker serve``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from core import runs
from core.access import Actor
from core.cli.output import print_json, print_table
from core.database import Database
from core.errors import ScrapeDeckError


class RunFailed(ScrapeDeckError):
    """``runs start --wait`` saw the run end as failed or canceled."""


def _start(session: Session, actor: Actor, args: argparse.Namespace) -> Callable[..., None] | None:
    run = runs.start_run(session, actor, args.job_id, args.key)
    print(f"Run {run.id} queued for '{run.job_name}'")
    if not args.wait:
        return None
    return lambda database, actor: _wait(database, actor, run.id, args.interval)


def _progress_line(run: runs.RunSummary) -> str:
    return (f"{run.status:<9} {run.progress_percent:>3}%  pages {run.pages_fetched}  "
            f"found {run.items_found}  stored {run.items_extracted}  errors {run.errors_count}")


def _wait(database: Database, actor: Actor, run_id: object, interval: float) -> None:
    last = ""
    while True:
        with database.transaction() as session:
            run = runs.get_run(session, actor, run_id)
        line = _progress_line(run)
        if line != last:
            print(line, flush=True)
            last = line
        if not run.active:
            break
        time.sleep(interval)
    if run.status != "completed":
        raise RunFailed(f"Run {run.status}: {run.error_message or 'see runs show'}")


def _list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_table(runs.list_runs(session, actor, args.job, args.limit))


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    detail = runs.run_detail(session, actor, args.run_id, events_limit=args.events)
    run = detail.run
    print_json({"id": run.id, "job": run.job_name, "status": run.status,
                "progress_percent": run.progress_percent, "pages_fetched": run.pages_fetched,
                "items_found": run.items_found, "items_stored": run.items_extracted,
                "errors": run.errors_count, "error_message": run.error_message,
                "created_at": run.created_at, "started_at": run.started_at,
                "finished_at": run.finished_at,
                "url_errors": detail.url_errors.to_dict("records"),
                "events": detail.events.to_dict("records")})


def _cancel(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    run = runs.cancel_run(session, actor, args.run_id)
    print(f"Run {run.id}: {'canceled' if run.status == 'canceled' else 'cancel requested'}")


def _serve(_session: Session, _actor: Actor, args: argparse.Namespace) -> None:
    from core.worker import main as worker_main

    sys.exit(worker_main(["serve", *(["--max-runs", str(args.max_runs)] if args.max_runs else []),
                          *(["--idle-exit", str(args.idle_exit)] if args.idle_exit else [])]))


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("runs", help="start, watch and cancel runs",
                                description="Start, list, show and cancel runs of jobs.")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("start", help="queue a run of a job (and start its worker)")
    p.add_argument("job_id")
    p.add_argument("--wait", action="store_true",
                   help="print progress until the run ends; exit 1 unless it completed")
    p.add_argument("--key", default=None, help="idempotency key: the same key starts one run")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between progress lines")
    p.set_defaults(handler=_start)
    p = actions.add_parser("list", help="runs, newest first")
    p.add_argument("--job", default=None, help="only this job's runs")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=_list)
    p = actions.add_parser("show", help="one run as JSON, with its errors and events")
    p.add_argument("run_id")
    p.add_argument("--events", type=int, default=50, help="how many recent events")
    p.set_defaults(handler=_show)
    p = actions.add_parser("cancel", help="stop a run (it keeps what it found)")
    p.add_argument("run_id")
    p.set_defaults(handler=_cancel)

    worker = commands.add_parser("worker", help="worker processes",
                                 description="Run a worker: `serve` claims queued work (runs, "
                                 "builds, SEO crawls and audits) and starts due schedules (same "
                                 "as `python -m core.worker serve`).")
    w_actions = worker.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = w_actions.add_parser("serve", help="claim queued work and start due schedules")
    p.add_argument("--max-runs", type=int, default=None)
    p.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS")
    p.set_defaults(handler=_serve, no_user=True)
