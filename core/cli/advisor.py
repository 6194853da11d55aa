"""``python -m core advisor …``: ask the architecture advisor, show a query and its runs."""

from __future__ import annotations

import argparse
import dataclasses
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from core.advisor import records
from core.advisor.export import AdviceFormat, to_markdown, write
from core.cli.output import print_json
from core.platform.access import Actor
from core.platform.commands import identifier, read_text_file, seconds
from core.platform.database import Database
from core.platform.errors import Unfinished
from core.cli import add_out_arguments, command_help
from db.models.advisor import Priority

MAX_CONSTRAINTS_BYTES = 65_536


class AdviceUnfinished(Unfinished):
    """``advisor ask --wait`` saw a run end without an accepted design."""


def _doc(view: records.QueryView) -> dict[str, Any]:
    doc = dataclasses.asdict(view)
    for run in doc["runs"]:
        run["explanation"] = records.explain(run["terminal_reason"], run["status"])
    return doc


def _ask(session: Session, actor: Actor, args: argparse.Namespace) -> Callable[..., None] | None:
    constraints = (read_text_file(args.constraints, "The constraints file", MAX_CONSTRAINTS_BYTES)
                   if args.constraints else None)
    asked = records.ask(session, actor, args.text, args.providers, constraints, args.prefer)
    if not args.json:
        print(f"Query {asked.query_id} asked; runs: "
              + ", ".join(f"{p} {r}" for p, r in asked.run_ids.items()))
    if not args.wait:
        if args.json:
            print_json({"query_id": asked.query_id, "runs": asked.run_ids})
        return None
    return lambda database, actor: _wait(database, actor, asked.query_id, args)


def _wait(database: Database, actor: Actor, query_id: uuid.UUID, args: argparse.Namespace) -> None:
    last = ""
    while True:
        with database.transaction() as session:
            view = records.show(session, actor, query_id)
        line = "  ".join(f"{r.provider} {r.status} (iteration {r.iteration_count})"
                         for r in view.runs)
        if line != last and not args.json:
            print(line, flush=True)
            last = line
        if not view.active:
            break
        time.sleep(args.interval)
    if args.json:
        print_json(_doc(view))
    else:
        print(to_markdown(view))
    if not all(r.accepted for r in view.runs):
        raise AdviceUnfinished("; ".join(
            f"{r.provider}: {records.explain(r.terminal_reason, r.status)}"
            for r in view.runs if not r.accepted))


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    view = records.show(session, actor, args.id)
    costs = {run.id: records.run_costs(session, actor, run.id) for run in view.runs}
    if args.json:
        doc = _doc(view)
        for run in doc["runs"]:
            run["model_costs"] = [dataclasses.asdict(c) for c in costs[run["id"]]]
        print_json(doc)
        return
    print(to_markdown(view))
    for run in view.runs:
        if costs[run.id]:
            print(f"\nModel calls by node, {run.provider} (from the cost ledger; "
                  "\"no price\": not in the price table, which is not free):")
            for c in costs[run.id]:
                print(f"  {c.node:<10} {c.input_tokens:>8,} in  {c.output_tokens:>8,} out  "
                      f"{c.cost_text}")


def _export(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    view = records.show(session, actor, args.id)
    print(f"Wrote {write(view, args.format, args.out, force=args.force)}")


def _cancel(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    stopped = records.request_cancel(session, actor, args.id)
    print("Canceled." if stopped else "Asked to stop; it stops at its next step.")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("advisor", help=command_help("advisor"),
                                description="Describe a system; get an AWS and/or Azure design "
                                "checked against your constraints, with official evidence.")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("ask", help="ask for a design")
    p.add_argument("text", help="what the system must do, in words")
    p.add_argument("--providers", default="both", metavar="aws,azure",
                   help="aws, azure, both or aws,azure (default both)")
    p.add_argument("--constraints", metavar="FILE.json",
                   help="constraints as a JSON object (budget_usd_month, availability, "
                   "residency, rps, engine, latency_ms, compliance, multi_region, storage_gb)")
    p.add_argument("--prefer", choices=[p.value for p in Priority], default=Priority.COST.value,
                   help="what to optimise for among designs that meet the constraints "
                   "(default cost)")
    p.add_argument("--wait", action="store_true", help="wait for the runs and print the result "
                   "(exit 1 unless every run is accepted)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--interval", type=seconds(60), default=0.5, help=argparse.SUPPRESS)
    p.set_defaults(handler=_ask)
    p = actions.add_parser("show", help="a query and its runs (id of the query or of a run)")
    p.add_argument("id", type=identifier)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_show)
    p = actions.add_parser("export", help="write the final designs with their evidence")
    p.add_argument("id", type=identifier)
    p.add_argument("--format", choices=[f.value for f in AdviceFormat],
                   default=AdviceFormat.MARKDOWN.value, help="md (Markdown, default) or pdf")
    add_out_arguments(p)
    p.set_defaults(handler=_export)
    p = actions.add_parser("cancel", help="stop a provider run")
    p.add_argument("id", type=identifier)
    p.set_defaults(handler=_cancel)
