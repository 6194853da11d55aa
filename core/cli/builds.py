"""``python -m core builds …``: the objective builder from the command line.

    python -m core --user ann@example.com builds create --objective "all products: name, price" \\
        https://shop.example/catalog?page=1 https://shop.example/catalog?page=2 --wait
    python -m core --user ann@example.com builds show BUILD_ID
    python -m core --user ann@example.com builds feedback BUILD_ID --field price --example "24.99"
    python -m core --user ann@example.com builds feedback BUILD_ID --field cost --rename price
    python -m core --user ann@example.com builds confirm BUILD_ID --make-job
    python -m core --user ann@example.com builds run BUILD_ID https://shop.example/other --wait

``feedback`` makes the same corrections as the Objective builder page (``--example``,
``--rename``, ``--retype``, ``--drop``, ``--wrong``), through the same service call, and by
default waits for the next iteration and prints what changed and the field's values.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.builder import builds
from core.timeline import GraphFormat
from core.platform.access import Actor
from core.cli.output import print_json, print_table, work_cost
from core.platform.database import Database
from core.platform.commands import count, read_file, seconds
from core.platform.errors import Unfinished, ValidationError
from core.platform.settings import get_settings
from core.cli import command_help


class BuildFailed(Unfinished):
    """``builds create --wait`` saw the build fail."""


def _read_files(paths: list[str]) -> list[tuple[str, bytes]]:
    cap = get_settings().build_sample_max_bytes  # the size is checked before the file is read
    return [(Path(path).name, read_file(path, "Sample page", cap)) for path in paths]


def _create(session: Session, actor: Actor,
            args: argparse.Namespace) -> Callable[..., None] | None:
    build = builds.create_build(session, actor, builds.BuildInput(
        objective=args.objective, urls=args.urls, files=_read_files(args.file),
        render=args.render, wait_for=args.wait_for))
    print(f"Build {build.id} created ({build.status})")
    if not args.wait:
        return None
    return lambda database, actor: _wait(database, actor, build.id, args.interval, args.timeout)


def _wait(database: Database, actor: Actor, build_id: uuid.UUID | str, interval: float,
          timeout: float) -> None:
    deadline, last = time.monotonic() + timeout, ""
    while True:
        with database.transaction() as session:
            build = builds.get_build(session, actor, build_id)
        if build.status != last:
            print(build.status, flush=True)
            last = build.status
        if not build.working:
            break
        if time.monotonic() > deadline:
            raise BuildFailed(f"Still {build.status} after {timeout:g} s; see builds show.")
        time.sleep(interval)
    if build.status == builds.BuildStatus.FAILED:
        raise BuildFailed(f"Build failed: {build.error_message}")
    _print(build)


def _print(build: builds.BuildDetail, cost: dict[str, Any] | None = None) -> None:
    fields = (build.report or {}).get("fields") or {}
    print_json({
        "id": build.id, "status": build.status, "objective": build.objective,
        "urls": build.urls, "uploads": build.uploads, "iteration": build.iteration,
        "error_message": build.error_message, "notes": build.notes,
        "started_from_knowledge_base": build.started_from_entry_id,
        "schema": build.schema, "package": build.final_package or build.package,
        "samples": {name: {"hit_rate": f"{f['hits']}/{f['total']}", "flagged": f["flagged"],
                           "values": f["values"]} for name, f in fields.items()},
        "next_page": (build.report or {}).get("next_page"),
        "detail_pages": (build.report or {}).get("detail"),
        "render": build.render, "wait_for": build.wait_for,
        "iterations": [{"number": i.number, "created_at": i.created_at, "changes": i.changes,
                        "hit_rates": i.hit_rates} for i in build.iterations],
        "schema_id": build.schema_id, "job_id": build.job_id,
        **({"cost": cost} if cost is not None else {}),
    })


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    build = builds.get_build(session, actor, args.build_id)
    _print(build, work_cost(session, actor, build_id=build.id))


def _list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_table(builds.list_builds(session, actor, args.limit))


def _graph(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print(builds.build_graph(session, actor, args.build_id).render(args.format))


def _confirm(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    build = builds.confirm_build(session, actor, args.build_id)
    print(f"Build {build.id} confirmed; remembered in the knowledge base.")
    if args.make_job:
        build = builds.create_schema_and_job(session, actor, build.id)
        print(f"Schema {build.schema_id} and job {build.job_id} created; start a run with: "
              f"python -m core --user {actor.email} runs start {build.job_id}")


def _operation(args: argparse.Namespace) -> dict[str, object]:
    """The one correction the flags ask for, as the page would send it."""
    chosen = [flag for flag, value in (("--example", args.example), ("--rename", args.rename),
                                       ("--retype", args.retype), ("--drop", args.drop),
                                       ("--wrong", args.wrong)) if value not in (None, False)]
    if len(chosen) != 1:
        raise ValidationError("Say one correction: --example VALUE, --rename NEW, --retype TYPE, "
                              "--drop or --wrong" + (f" (not {' and '.join(chosen)})"
                                                     if chosen else "") + ".")
    if args.example is not None:
        return {"op": "example", "name": args.field, "value": args.example}
    if args.rename is not None:
        return {"op": "rename", "field": args.field, "to": args.rename}
    if args.retype is not None:
        return {"op": "retype", "field": args.field, "type": args.retype}
    return {"op": "drop" if args.drop else "wrong", "field": args.field}


def _feedback(session: Session, actor: Actor,
              args: argparse.Namespace) -> Callable[..., None] | None:
    build = builds.submit_feedback(session, actor, args.build_id, [_operation(args)])
    print(f"Build {build.id}: feedback on iteration {build.iteration} sent ({build.status})")
    if args.no_wait:
        return None
    field = args.rename or args.field
    return lambda database, actor: _wait_feedback(database, actor, build.id, build.iteration,
                                                  field, args.interval, args.timeout)


def _wait_feedback(database: Database, actor: Actor, build_id: uuid.UUID | str, before: int, field: str,
                   interval: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with database.transaction() as session:
            build = builds.get_build(session, actor, build_id)
        if not build.working:
            break
        if time.monotonic() > deadline:
            raise BuildFailed(f"Still {build.status} after {timeout:g} s; see builds show.")
        time.sleep(interval)
    if build.iteration == before:  # the worker could not apply it: the build says why
        raise BuildFailed(build.error_message or "The feedback was not applied.")
    changes = build.iterations[-1].changes if build.iterations else []
    sample = ((build.report or {}).get("fields") or {}).get(field)
    print_json({"id": build.id, "status": build.status, "iteration": build.iteration,
                "changes": changes, "field": field,
                "spec": ((build.package or {}).get("fields") or {}).get(field),
                "hit_rate": f"{sample['hits']}/{sample['total']}" if sample else None,
                "values": sample["values"] if sample else None})


def _run(session: Session, actor: Actor, args: argparse.Namespace) -> Callable[..., None] | None:
    from core.cli import runs as runs_cli

    run = builds.run_build(session, actor, args.build_id, args.urls)
    print(f"Run {run.id} of job {run.job_id} queued on {len(args.urls)} URL(s)")
    if not args.wait:
        return None
    return lambda database, actor: runs_cli._wait(database, actor, run.id, args.interval)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("builds", help=command_help("builds"),
                                description="Turn an objective and sample pages into a "
                                "confirmed config package.")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("create", help="start a build from an objective and sample URLs")
    p.add_argument("--objective", required=True, help="what you want, in a sentence")
    p.add_argument("urls", nargs="*", metavar="URL", help="sample pages (1–10)")
    p.add_argument("--file", action="append", default=[], metavar="PAGE.html",
                   help="an HTML file as a sample (repeatable)")
    p.add_argument("--render", action="store_true",
                   help="render every sample URL in Chromium first")
    p.add_argument("--wait-for", metavar="CSS", help="rendering waits for this selector")
    p.add_argument("--wait", action="store_true",
                   help="wait for the samples, then print the build as JSON")
    p.add_argument("--interval", type=seconds(3600), default=0.5, help="seconds between checks")
    p.add_argument("--timeout", type=seconds(), default=300.0, help="give up waiting after this")
    p.set_defaults(handler=_create)
    p = actions.add_parser("show", help="one build as JSON: status, schema, package, samples")
    p.add_argument("build_id")
    p.set_defaults(handler=_show)
    p = actions.add_parser("list", help="your builds, newest first")
    p.add_argument("--limit", type=count(), default=50,
                   help="show at most this many builds (default 50)")
    p.set_defaults(handler=_list)
    p = actions.add_parser("graph", help="the build's workflow graph with each step's state "
                           "and the feedback loop's iteration")
    p.add_argument("build_id")
    p.add_argument("--format", choices=[f.value for f in GraphFormat], default="json",
                   help="json (default) or dot (Graphviz)")
    p.set_defaults(handler=_graph)
    p = actions.add_parser("feedback", help="correct one field (as on the page) and wait for "
                           "the next iteration")
    p.add_argument("build_id")
    p.add_argument("--field", required=True, help="the field to correct (or to add, with "
                   "--example)")
    p.add_argument("--example", metavar="VALUE", help="a value you see on a sample page: the "
                   "field is found (again) from it")
    p.add_argument("--rename", metavar="NEW", help="give the field a new name")
    p.add_argument("--retype", metavar="TYPE", help="give the field another kind: "
                   + ", ".join(builds.FIELD_KINDS))
    p.add_argument("--drop", action="store_true", help="remove the field")
    p.add_argument("--wrong", action="store_true", help="the values are wrong: look again")
    p.add_argument("--no-wait", action="store_true", help="send it and return at once")
    p.add_argument("--interval", type=seconds(3600), default=0.5, help="seconds between checks")
    p.add_argument("--timeout", type=seconds(), default=300.0, help="give up waiting after this")
    p.set_defaults(handler=_feedback)
    p = actions.add_parser("run", help="run a confirmed build's package on other URLs")
    p.add_argument("build_id")
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument("--wait", action="store_true", help="follow the run until it ends")
    p.add_argument("--interval", type=seconds(3600), default=0.5, help="seconds between checks")
    p.set_defaults(handler=_run)
    p = actions.add_parser("confirm", help="keep the current package (and remember it)")
    p.add_argument("build_id")
    p.add_argument("--make-job", action="store_true",
                   help="also create an extractor schema and a scraping job from it")
    p.set_defaults(handler=_confirm)
