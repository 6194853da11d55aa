"""``python -m core plans …``: list plans, define one, assign one to a user (admins)."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from core import credits
from core.cli import user_id_of
from core.cli.credits import show_standing
from core.platform.access import Actor
from core.cli import command_help


def _list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    for p in credits.list_plans(session):
        print(f"{p.slug:<16} {p.name:<20} {p.monthly_execution_limit:>8,} runs/month "
              f"{p.max_concurrent_runs:>4} at once {p.max_execution_duration_minutes:>6,} min "
              f"{p.credits_included:>10,} credits  {p.users} users")


def _set(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    p = credits.save_plan(session, actor, args.slug, name=args.name, executions=args.runs,
                          concurrent=args.concurrent, max_minutes=args.max_minutes,
                          credits=args.credits, price_cents=args.price_cents,
                          description=args.description)
    print(f"Plan '{p.slug}' saved: {p.monthly_execution_limit:,} runs a month, "
          f"{p.max_concurrent_runs} at once, {p.max_execution_duration_minutes} min, "
          f"{p.credits_included:,} credits included.")


def _assign(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    slug = None if args.slug == "none" else args.slug
    whom = user_id_of(session, args.email)
    show_standing(credits.assign_plan(session, actor, whom, slug), False)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grp = commands.add_parser("plans", help=command_help("plans"),
                              description="Plans: runs a month, runs at once, longest run and "
                              "credits included; admins define and assign them.")
    actions = grp.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("list", help="every plan")
    p.set_defaults(handler=_list)
    p = actions.add_parser("set", help="create or change a plan (admins)")
    p.add_argument("slug")
    p.add_argument("--name", default="", help="display name (default: the slug, capitalised)")
    p.add_argument("--runs", required=True, metavar="N", help="runs a month (1 or more)")
    p.add_argument("--concurrent", required=True, metavar="N", help="runs at once (1 or more)")
    p.add_argument("--max-minutes", default="60", metavar="N", help="longest run (default 60)")
    p.add_argument("--credits", default="0", metavar="N", help="credits included a month")
    p.add_argument("--price-cents", default="0", metavar="N", help="informative (default 0)")
    p.add_argument("--description", default="", help="free text about the plan")
    p.set_defaults(handler=_set)
    p = actions.add_parser("assign", help="put a user on a plan (admins)")
    p.add_argument("email", metavar="USER")
    p.add_argument("slug", metavar="PLAN", help="a plan's slug, or 'none'")
    p.set_defaults(handler=_assign)
