"""Command-line interface. Every command acts as a named user (``--user EMAIL``), prints plain
text or JSON, and exits non-zero with a readable message when something is wrong.

    python -m core init
    python -m core --user admin@example.com schemas list
    python -m core --user admin@example.com users create ann@example.com --name Ann --role analyst

Each command group lives in its own module with a ``register(subparsers)`` function; a handler
is ``handler(session, actor, args)`` and runs in one transaction. A handler may return a callable
``(database, actor)`` to run after that transaction commits (to wait on a worker, say).
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.orm import Session

from core.access import Actor
from core.cli import builds as builds_cli
from core.cli import extract as extract_cli
from core.cli import jobs as jobs_cli
from core.cli import runs as runs_cli
from core.cli import results as results_cli
from core.cli import schemas as schemas_cli
from core.cli import seo as seo_cli
from core.cli import users as users_cli
from core.errors import NotFound, ScrapeDeckError, ValidationError
from core.setup import announce, initialise
from core.users import get_active_actor

COMMAND_GROUPS = [schemas_cli, users_cli, jobs_cli, runs_cli, results_cli, builds_cli,
                  extract_cli, seo_cli]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="ScrapeDeck command line.")
    parser.add_argument("--user", metavar="EMAIL", help="act as this user (required by every "
                        "command except init)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("init", help="migrate the database and create the first admin",
                        description="Bring the database to the latest schema; on an empty "
                        "database create the admin from ADMIN_EMAIL/ADMIN_PASSWORD.")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def _acting_user(session: Session, email: str | None) -> Actor:
    if not email:
        raise ValidationError("Say who you act as: python -m core --user EMAIL …")
    actor = get_active_actor(session, email)
    if actor is None:
        raise NotFound(f"No active user with email {email}.")
    return actor


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "no_database", False):  # `extract`: no database, no user
            args.handler(args)
            return 0
        database, admin = initialise()
        message = announce(admin)
        if message:
            print(message, file=sys.stderr)
        if args.command == "init":
            print("Database is up to date.")
            return 0
        if getattr(args, "no_user", False):  # worker serve acts for nobody: it runs queued work
            args.handler(None, None, args)
            return 0
        with database.transaction() as session:
            actor = _acting_user(session, args.user)
            after_commit = args.handler(session, actor, args)
        if callable(after_commit):  # e.g. `runs start --wait`: watch once the run is committed
            after_commit(database, actor)
        return 0
    except ScrapeDeckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
