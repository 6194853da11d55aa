"""``python -m core users …``: create and list accounts (admins only)."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from core.accounts import users
from core.platform.access import Actor
from core.cli.output import print_table
from core.cli import command_help


def _list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_table(users.list_users(session, actor).drop(columns=["id"]))


def _create(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    password = args.password or users.generate_password()
    created = users.create_user(session, actor, args.email, args.name or args.email.split("@")[0],
                                password, args.role)
    shown = "" if args.password else f" with password {password} (shown once)"
    print(f"Created {created.role} {created.email}{shown}")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    usr = commands.add_parser("users", help=command_help("users"),
                              description="Create and list user accounts.")
    actions = usr.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("list", help="every account with its role and status")
    p.set_defaults(handler=_list)
    p = actions.add_parser("create", help="create an account")
    p.add_argument("email")
    p.add_argument("--name", default="", help="display name (default: the part before @)")
    p.add_argument("--role", default=users.Role.ANALYST.value,
                   choices=[role.value for role in users.Role],
                   help="admin manages users, analyst creates and runs, viewer reads "
                   "(default analyst)")
    p.add_argument("--password", default="", help="default: generate one and print it once")
    p.set_defaults(handler=_create)
