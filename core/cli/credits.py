"""``python -m core credits …``: a user's plan, usage and balance (``show``), credit packages
(``packages``, ``package``) and grants (``grant``; admins, no payment provider)."""

from __future__ import annotations

import argparse
import json

from sqlalchemy.orm import Session

from core import credits
from core.platform.access import Actor
from core.cli import command_help, user_id_of


def show_standing(found: credits.Standing, as_json: bool) -> None:
    plan = found.plan
    if as_json:
        print(json.dumps({
            "plan": None if plan is None else {
                "slug": plan.slug, "name": plan.name,
                "monthly_execution_limit": plan.monthly_execution_limit,
                "max_concurrent_runs": plan.max_concurrent_runs,
                "max_execution_duration_minutes": plan.max_execution_duration_minutes,
                "credits_included": plan.credits_included},
            "period_start": found.period_start.isoformat(),
            "period_end": found.period_end.isoformat(), "runs_started": found.runs_started,
            "runs_active": found.runs_active, "credits_used": str(found.credits_used),
            "balance": str(found.balance), "available": str(found.available)}))
        return
    if plan is None:
        print("Plan: none (no plan limits; budgets still apply)")
    else:
        print(f"Plan: {plan.name} ({plan.slug}): {plan.monthly_execution_limit:,} runs a month, "
              f"{plan.max_concurrent_runs:,} at once, {plan.max_execution_duration_minutes:,} "
              f"min each, {plan.credits_included:,} credits included")
        print(f"This month (since {found.period_start}): {found.runs_started:,} of "
              f"{plan.monthly_execution_limit:,} runs, {found.runs_active} active, "
              f"{found.credits_used:,.4f} credits used")
    print(f"Balance: {found.balance:,.4f} credits; available now: {found.available:,.4f}")


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    whom = user_id_of(session, args.for_user)
    show_standing(credits.standing(session, actor, whom), args.json)


def _grant(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    whom = user_id_of(session, args.email)
    found = credits.grant(session, actor, whom, args.credits, args.package, args.note)
    print(f"Granted to {args.email}: balance now {found.balance:,.4f} credits.")


def _packages(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    for p in credits.list_packages(session):
        print(f"{p.name:<30} {p.credit_amount:>12,} credits  {p.price_cents / 100:>10,.2f} $"
              f"  {p.description}")


def _package(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    p = credits.save_package(session, actor, args.name, args.credits, args.price_cents,
                             args.description)
    print(f"Package '{p.name}': {p.credit_amount:,} credits.")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grp = commands.add_parser("credits", help=command_help("credits"),
                              description="Your plan, this month's usage and your credit "
                              "balance; credit packages and grants (admins). The credit rule is "
                              "in the README (Costs and credits).")
    actions = grp.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("show", help="plan, usage and balance")
    p.add_argument("--for", dest="for_user", metavar="EMAIL", help="another user (admins)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_show)
    p = actions.add_parser("grant", help="add credits to a user's balance (admins)")
    p.add_argument("email", metavar="USER", help="the user's email")
    p.add_argument("--credits", metavar="N", help="how many (default: the package's)")
    p.add_argument("--package", metavar="NAME", help="a credit package, by name")
    p.add_argument("--note", default="", help="why (kept with the grant)")
    p.set_defaults(handler=_grant)
    p = actions.add_parser("packages", help="list the credit packages")
    p.set_defaults(handler=_packages)
    p = actions.add_parser("package", help="create or change a credit package (admins)")
    p.add_argument("name")
    p.add_argument("--credits", required=True, metavar="N", help="credits the package adds")
    p.add_argument("--price-cents", default="0", metavar="N", help="informative (default 0)")
    p.add_argument("--description", default="",
                   help="shown in the package list (empty: keep the current one)")
    p.set_defaults(handler=_package)
