"""Command-line interface. Every command acts as a named user (``--user EMAIL``), prints plain
text or JSON, and exits non-zero with a readable message when something is wrong.

    python -m core init
    python -m core --user admin@example.com schemas list
    python -m core --user admin@example.com users create ann@example.com --name Ann --role analyst
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core import schemas, users
from core.access import Actor
from core.errors import NotFound, ScrapeDeckError, ValidationError
from core.setup import announce, initialise

Handler = Callable[[Session, Actor, argparse.Namespace], Any]


def _print_table(frame: pd.DataFrame) -> None:
    print("(none)" if frame.empty else frame.to_string(index=False))


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, default=str))


def _schemas_list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    _print_table(schemas.list_schemas(session, actor, args.search))


def _schemas_show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    detail = schemas.get_schema(session, actor, args.id)
    _print_json({"id": detail.id, "family_id": detail.family_id, "version": detail.version,
                 "versions": detail.versions, "owner": detail.owner_email,
                 "used_by_jobs": detail.used_by_jobs, **schemas.export_document(
                     session, actor, args.id)})


def _schemas_import(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Cannot read {args.file}: {exc}") from exc
    detail = schemas.import_document(session, actor, text)
    print(f"Imported schema '{detail.name}' as {detail.id}")


def _schemas_export(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    _print_json(schemas.export_document(session, actor, args.id))


def _users_list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    _print_table(users.list_users(session, actor).drop(columns=["id"]))


def _users_create(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    password = args.password or users.generate_password()
    created = users.create_user(session, actor, args.email, args.name or args.email.split("@")[0],
                                password, args.role)
    shown = "" if args.password else f" with password {password} (shown once)"
    print(f"Created {created.role} {created.email}{shown}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="ScrapeDeck command line.")
    parser.add_argument("--user", metavar="EMAIL", help="act as this user (required by every "
                        "command except init)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("init", help="migrate the database and create the first admin",
                        description="Bring the database to the latest schema; on an empty "
                        "database create the admin from ADMIN_EMAIL/ADMIN_PASSWORD.")

    sch = commands.add_parser("schemas", help="extractor schemas",
                              description="List, show, import and export extractor schemas.")
    sch_cmds = sch.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = sch_cmds.add_parser("list", help="schemas you can read (latest versions)")
    p.add_argument("--search", default="", help="only names containing this text")
    p.set_defaults(handler=_schemas_list)
    p = sch_cmds.add_parser("show", help="one schema as JSON")
    p.add_argument("id", help="schema id")
    p.set_defaults(handler=_schemas_show)
    p = sch_cmds.add_parser("import", help="create a schema from a file written by export")
    p.add_argument("file", help="JSON file with name and schema_definition")
    p.set_defaults(handler=_schemas_import)
    p = sch_cmds.add_parser("export", help="print a schema as an importable JSON document")
    p.add_argument("id", help="schema id")
    p.set_defaults(handler=_schemas_export)

    usr = commands.add_parser("users", help="user accounts (admins only)",
                              description="Create and list user accounts.")
    usr_cmds = usr.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = usr_cmds.add_parser("list", help="every account with its role and status")
    p.set_defaults(handler=_users_list)
    p = usr_cmds.add_parser("create", help="create an account")
    p.add_argument("email")
    p.add_argument("--name", default="", help="display name (default: the part before @)")
    p.add_argument("--role", default="analyst", choices=["admin", "analyst", "viewer"])
    p.add_argument("--password", default="", help="default: generate one and print it once")
    p.set_defaults(handler=_users_create)
    return parser


def _acting_user(session: Session, email: str | None) -> Actor:
    if not email:
        raise ValidationError("Say who you act as: python -m core --user EMAIL …")
    actor = users.get_active_actor(session, email)
    if actor is None:
        raise NotFound(f"No active user with email {email}.")
    return actor


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        database, admin = initialise()
        message = announce(admin)
        if message:
            print(message, file=sys.stderr)
        if args.command == "init":
            print("Database is up to date.")
            return 0
        with database.transaction() as session:
            args.handler(session, _acting_user(session, args.user), args)
        return 0
    except ScrapeDeckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
