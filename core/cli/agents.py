"""``python -m core agents …`` and ``python -m core agent-jobs …``: the agent registry and agent
jobs (seed 004).

    agents register FILE [--public]        an agent (or an A2A agent card) from a JSON file
    agents import-card URL [--public]      an agent card from URL/.well-known/agent-card.json
    agents list | show ID
    agent-jobs create FILE [--wait]        a job: name, input, acceptance_criteria, agent…
    agent-jobs list | show ID | assign ID AGENT
"""

from __future__ import annotations

import argparse
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.agents import jobs, registry
from core.cli.output import print_json, print_rows
from core.platform.access import Actor
from core.platform.database import Database
from core.platform.commands import count, seconds
from core.platform import standard_json
from core.platform.errors import Unfinished, ValidationError
from core.cli import command_help

MAX_FILE_BYTES = 1_000_000


class JobNotAccepted(Unfinished):
    """``agent-jobs create --wait`` saw the job end without being accepted."""


def read_json_file(path: str, what: str) -> Any:
    """A JSON file, its size checked before it is read."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise ValidationError(f"{path}: not a regular file.")
        if size > MAX_FILE_BYTES:
            raise ValidationError(f"{path}: {size:,} bytes; a {what} file holds at most "
                                  f"{MAX_FILE_BYTES:,}.")
        return standard_json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: cannot read it ({exc}).") from None
    except RecursionError:
        raise ValidationError(f"{path}: the {what} is nested too deeply.") from None
    except ValueError as exc:
        raise ValidationError(f"{path}: not valid JSON ({standard_json.problem(exc)}).") from None


def _agent_doc(view: registry.AgentView) -> dict[str, Any]:
    doc = asdict(view)
    doc["record"]["acceptance_rate"] = view.record.acceptance_rate
    doc["kind"] = view.kind
    return doc


def _register(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    view = registry.register_agent(session, actor, read_json_file(args.file, "agent"),
                                   is_public=args.public)
    print(f"Registered agent {view.name} ({view.id})")


def _import_card(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    view = registry.register_agent(session, actor, registry.fetch_card(args.url),
                                   is_public=args.public)
    print(f"Registered agent {view.name} ({view.id}) from its card")


def _list_agents(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    rows = [{"id": a.id, "name": a.name, "kind": a.kind, "keywords": ", ".join(a.keywords),
             "calls": a.record.calls, "accepted": f"{a.record.jobs_accepted}/"
             f"{a.record.jobs_finished}"} for a in registry.list_agents(session, actor)]
    print_rows(rows)


def _show_agent(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_json(_agent_doc(registry.get_agent(session, actor, args.id)))


def _job_doc(view: jobs.JobView) -> dict[str, Any]:
    doc = asdict(view)
    doc["status"] = view.status.label
    doc["criteria"] = [c.text for c in view.criteria]
    return doc


def _create_job(session: Session, actor: Actor, args: argparse.Namespace) -> Any:
    view = jobs.create_job(session, actor, read_json_file(args.file, "job"))
    print(f"Created agent job {view.id}: {view.status.label}. {view.note or ''}".rstrip())
    if not args.wait:
        return None
    return lambda database, actor: _wait(database, actor, view.id, args.timeout)


def _wait(database: Database, actor: Actor, job_id: uuid.UUID, timeout: float) -> None:
    deadline, last = time.monotonic() + timeout, None
    while True:
        with database.transaction() as session:
            view = jobs.get_job(session, actor, job_id)
        if view.status != last:
            print(view.status.label, flush=True)
            last = view.status
        if view.finished or view.status == view.status.PENDING:
            break
        if time.monotonic() > deadline:
            raise JobNotAccepted(f"Still {view.status.label} after {timeout:g} s; see "
                                 f"agent-jobs show {job_id}.")
        time.sleep(0.2)
    print_json(_job_doc(view))
    if view.status != view.status.COMPLETED:
        raise JobNotAccepted(f"The job ended as {view.status.label}: {view.note}")


def _list_jobs(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    rows = [{"id": j.id, "name": j.name, "status": j.status.label, "agent": j.agent_name or "",
             "attempts": f"{j.attempts}/{j.max_attempts}", "created": j.created_at}
            for j in jobs.list_jobs(session, actor, args.limit)]
    print_rows(rows)


def _show_job(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_json(_job_doc(jobs.get_job(session, actor, args.id)))


def _assign(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    view = jobs.assign_job(session, actor, args.id, args.agent)
    print(f"{view.status.label}: {view.note}")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    agents = commands.add_parser("agents", help=command_help("agents"),
                                 description="Register agents (by hand or from an agent card), "
                                 "list them with their record, show one.")
    actions = agents.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("register", help="register an agent from a JSON file (an agent "
                           "description or an A2A agent card)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--public", action="store_true", help="let every user dispatch to it")
    p.set_defaults(handler=_register)
    p = actions.add_parser("import-card", help="register the agent whose card is published at "
                           "URL/.well-known/agent-card.json")
    p.add_argument("url", metavar="URL")
    p.add_argument("--public", action="store_true", help="let every user dispatch to it")
    p.set_defaults(handler=_import_card)
    actions.add_parser("list", help="every agent you can use, with its record"
                       ).set_defaults(handler=_list_agents)
    p = actions.add_parser("show", help="one agent: schemas, keywords, record (JSON)")
    p.add_argument("id", metavar="ID")
    p.set_defaults(handler=_show_agent)

    agent_jobs = commands.add_parser("agent-jobs", help=command_help("agent-jobs"),
                                     description="Create agent jobs with acceptance criteria, "
                                     "watch them, read their logs.")
    actions = agent_jobs.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("create", help="create a job from a JSON file (name, input, "
                           "acceptance_criteria, optional agent, output_schema, max_attempts)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--wait", action="store_true", help="wait until the job is accepted or "
                   "needs re-submission, then print it (exit 1 unless accepted)")
    p.add_argument("--timeout", type=seconds(), default=600.0, metavar="SECONDS",
                   help="with --wait: give up after this long (default 600)")
    p.set_defaults(handler=_create_job)
    p = actions.add_parser("list", help="recent jobs")
    p.add_argument("--limit", type=count(), default=50, help="at most this many (default 50)")
    p.set_defaults(handler=_list_jobs)
    p = actions.add_parser("show", help="one job with its checks and every call's log (JSON)")
    p.add_argument("id", metavar="ID")
    p.set_defaults(handler=_show_job)
    p = actions.add_parser("assign", help="give a Pending or Re-submission Required job to an "
                           "agent (an id or a built-in's key) and dispatch it again")
    p.add_argument("id", metavar="ID")
    p.add_argument("agent", metavar="AGENT")
    p.set_defaults(handler=_assign)
