"""``python -m core builds …``: the objective builder from the command line.

    python -m core --user ann@example.com builds create --objective "all products: name, price" \\
        https://shop.example/catalog?page=1 https://shop.example/catalog?page=2 --wait
    python -m core --user ann@example.com builds show BUILD_ID
    python -m core --user ann@example.com builds confirm BUILD_ID --make-job
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from core import builds
from core.access import Actor
from core.cli.output import print_json, print_table
from core.database import Database
from core.errors import ScrapeDeckError, ValidationError


class BuildFailed(ScrapeDeckError):
    """``builds create --wait`` saw the build fail."""


def _read_files(paths: list[str]) -> list[tuple[str, bytes]]:
    files = []
    for path in paths:
        try:
            files.append((Path(path).name, Path(path).read_bytes()))
        except OSError as exc:
            raise ValidationError(f"Cannot read {path}: {exc.strerror}.") from exc
    return files


def _create(session: Session, actor: Actor,
            args: argparse.Namespace) -> Callable[..., None] | None:
    build = builds.create_build(session, actor, builds.BuildInput(
        objective=args.objective, urls=args.urls, files=_read_files(args.file)))
    print(f"Build {build.id} created ({build.status})")
    if not args.wait:
        return None
    return lambda database, actor: _wait(database, actor, build.id, args.interval, args.timeout)


def _wait(database: Database, actor: Actor, build_id: object, interval: float,
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
    if build.status == "failed":
        raise BuildFailed(f"Build failed: {build.error_message}")
    _print(build)


def _print(build: builds.BuildDetail) -> None:
    fields = (build.report or {}).get("fields") or {}
    print_json({
        "id": build.id, "status": build.status, "objective": build.objective,
        "urls": build.urls, "uploads": build.uploads, "iteration": build.iteration,
        "error_message": build.error_message, "notes": build.notes,
        "started_from_knowledge_base": build.started_from_entry_id,
        "schema": build.schema, "package": build.final_package or build.package,
        "samples": {name: {"hit_rate": f"{f['hits']}/{f['total']}", "flagged": f["flagged"],
                           "values": f["values"]} for name, f in fields.items()},
        "iterations": [{"number": i.number, "created_at": i.created_at, "changes": i.changes,
                        "hit_rates": i.hit_rates} for i in build.iterations],
        "schema_id": build.schema_id, "job_id": build.job_id,
    })


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    _print(builds.get_build(session, actor, args.build_id))


def _list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_table(builds.list_builds(session, actor, args.limit))


def _confirm(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    build = builds.confirm_build(session, actor, args.build_id)
    print(f"Build {build.id} confirmed; remembered in the knowledge base.")
    if args.make_job:
        build = builds.create_schema_and_job(session, actor, build.id)
        print(f"Schema {build.schema_id} and job {build.job_id} created; start a run with: "
              f"python -m core --user {actor.email} runs start {build.job_id}")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("builds", help="objective builder: build, show, confirm",
                                description="Turn an objective and sample pages into a "
                                "confirmed config package.")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("create", help="start a build from an objective and sample URLs")
    p.add_argument("--objective", required=True, help="what you want, in a sentence")
    p.add_argument("urls", nargs="*", metavar="URL", help="sample pages (1–10)")
    p.add_argument("--file", action="append", default=[], metavar="PAGE.html",
                   help="an HTML file as a sample (repeatable)")
    p.add_argument("--wait", action="store_true",
                   help="wait for the samples, then print the build as JSON")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between checks")
    p.add_argument("--timeout", type=float, default=300.0, help="give up waiting after this")
    p.set_defaults(handler=_create)
    p = actions.add_parser("show", help="one build as JSON: status, schema, package, samples")
    p.add_argument("build_id")
    p.set_defaults(handler=_show)
    p = actions.add_parser("list", help="your builds, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=_list)
    p = actions.add_parser("confirm", help="keep the current package (and remember it)")
    p.add_argument("build_id")
    p.add_argument("--make-job", action="store_true",
                   help="also create an extractor schema and a scraping job from it")
    p.set_defaults(handler=_confirm)
