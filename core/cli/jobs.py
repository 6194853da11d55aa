"""``python -m core jobs …``: create a job from a job file, list jobs, show one."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from core.scraping import jobs
from core.platform.access import Actor
from core.cli.output import print_json, print_table
from core.platform.commands import read_text_file
from core.platform.jsondoc import MAX_DOCUMENT_BYTES
from core.cli import command_help


def _create(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    text = read_text_file(args.file, "The job file", MAX_DOCUMENT_BYTES)
    job = jobs.create_job(session, actor, jobs.job_from_document(text))
    print(f"Created job '{job.name}' as {job.id}")
    if job.next_run_at:
        print(f"Next run: {job.next_runs[0]:%Y-%m-%d %H:%M %Z} ({job.schedule_timezone})")


def _list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_table(jobs.list_jobs(session, actor, args.search))


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    job = jobs.get_job(session, actor, args.id)
    schema = f"{job.schema_name} v{job.schema_version}" if job.schema_name else None
    print_json({"id": job.id, "owner": job.owner_email, "schema": schema,
                "next_run_at": job.next_run_at, "next_runs": [t.isoformat() for t in job.next_runs],
                "created_at": job.created_at, "updated_at": job.updated_at,
                **jobs.job_to_document(session, actor, job.id)})


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    job = commands.add_parser("jobs", help=command_help("jobs"),
                              description="Create scraping jobs from job files, list and show "
                              "them. The job file format is in the README (\"Job file\").")
    actions = job.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("create", help="create a job from a job file",
                           description="Create a job from a JSON job file; every problem in it "
                           "is listed and nothing is saved until there are none.")
    p.add_argument("--file", required=True, metavar="JOB.json", help="the job file")
    p.set_defaults(handler=_create)
    p = actions.add_parser("list", help="your jobs (every job for admins)")
    p.add_argument("--search", default="", help="only names containing this text")
    p.set_defaults(handler=_list)
    p = actions.add_parser("show", help="one job as JSON (a valid job file, plus read-only keys)")
    p.add_argument("id", help="job id")
    p.set_defaults(handler=_show)
