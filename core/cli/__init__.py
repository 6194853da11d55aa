"""Command-line interface. Every command acts as a named user (``--user EMAIL``), prints plain
text or JSON, and exits with a readable message when something is wrong: status 2 for an error
(never a traceback), 1 when work it waited for did not complete (core/platform/commands.py).

    python -m core init
    python -m core --user admin@example.com schemas list
    python -m core --user admin@example.com users create ann@example.com --name Ann --role analyst

Each command group lives in its own module with a ``register(subparsers)`` function; a handler
is ``handler(session, actor, args)`` and runs in one transaction. A handler may return a callable
``(database, actor)`` to run after that transaction commits (to wait on a worker, say).

Command groups are imported only when used: ``python -m core seo audit URL`` loads the seo group
alone (not SQLAlchemy, pandas or the models), so a command that needs no database starts fast,
and ``python -m core --help`` lists every command from ``COMMANDS`` without importing any group.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from typing import TYPE_CHECKING, overload

from core.platform.commands import run_command
from core.platform.errors import NotFound, ValidationError

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from core.platform.access import Actor

# Every command: the module under core/cli/ that registers it (None: defined here) and its
# one-line help, the only copy of it. The top-level --help lists them all from this table
# without importing any module; a command's own module is imported once argparse needs it.
COMMANDS: dict[str, tuple[str | None, str]] = {
    "init": (None, "migrate the database and create the first admin"),
    "schemas": ("schemas", "extractor schemas"),
    "users": ("users", "user accounts (admins only)"),
    "jobs": ("jobs", "scraping jobs"),
    "runs": ("runs", "start, watch and cancel runs"),
    "worker": ("runs", "worker processes"),
    "results": ("results", "results of runs"),
    "builds": ("builds", "objective builder: build, show, confirm"),
    "extract": ("extract", "extract JSON from pages with a schema (no database, no model)"),
    "seo": ("seo", "SEO audits, crawls and reports"),
    "agents": ("agents", "the agent registry"),
    "agent-jobs": ("agents", "jobs dispatched to agents"),
    "advisor": ("advisor", "the architecture advisor"),
    "costs": ("costs", "spending, budgets and prices"),
    "credits": ("credits", "credit balance, packages and grants"),
    "plans": ("plans", "plans and who is on them"),
}


def command_help(name: str) -> str:
    """The one-line help of a top-level command (what ``python -m core --help`` lists)."""
    return COMMANDS[name][1]


def add_out_arguments(parser: argparse.ArgumentParser) -> None:
    """``--out PATH`` and ``--force``, as every command that writes a file takes them (the rule
    itself: ``core.platform.outfiles``)."""
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="file to write; its folder must exist")
    parser.add_argument("--force", action="store_true",
                        help="replace PATH if it is an existing file (never a folder, device or "
                        "link)")


def chosen_command(argv: list[str]) -> str | None:
    """The command named on the command line (after ``--user EMAIL``), or None: none given,
    an unknown one, or ``--help`` before any."""
    args = list(argv)
    while args[:1] == ["--user"]:
        args = args[2:]
    args = [a for a in args if not a.startswith("--user=")]
    return args[0] if args[:1] and args[0] in COMMANDS else None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the named command's module registers its commands in full;
    every other command is listed by name and help alone (enough for ``--help`` and for the
    "invalid choice" message), so nothing else is imported."""
    parser = argparse.ArgumentParser(prog="python -m core", description="ScrapeDeck command line.")
    parser.add_argument("--user", metavar="EMAIL", help="act as this user (needed by every "
                        "command except init, extract, seo audit and worker serve)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = chosen_command(sys.argv[1:] if argv is None else argv)
    wanted = COMMANDS[chosen][0] if chosen else None
    for name, (module, help_text) in COMMANDS.items():
        if name in commands.choices:  # registered by its module with the command named
            continue
        if module is not None and module == wanted:
            importlib.import_module(f"core.cli.{module}").register(commands)
        elif name == "init":
            commands.add_parser("init", help=help_text,
                                description="Bring the database to the latest schema; on an "
                                "empty database create the admin from ADMIN_EMAIL/ADMIN_PASSWORD.")
        else:  # listed, never parsed: argparse only reaches the command that was named
            commands.add_parser(name, help=help_text)
    return parser


def _acting_user(session: Session, email: str | None) -> Actor:
    from sqlalchemy import func, select

    from core.accounts.users import get_active_actor

    if not email:
        raise ValidationError("Say who you act as: python -m core --user EMAIL …")
    actor = get_active_actor(session, email)
    if actor is None:
        from db.models import User

        empty = session.scalar(select(func.count()).select_from(User)) == 0
        raise NotFound(f"No active user with email {email}."
                       + (" The database has no users yet: python -m core init makes the first "
                          "admin." if empty else ""))
    return actor


@overload
def user_id_of(session: Session, email: str) -> uuid.UUID: ...
@overload
def user_id_of(session: Session, email: None) -> None: ...


def user_id_of(session: Session, email: str | None) -> uuid.UUID | None:
    """The id of the active user an option names (``--for-user``, ``--email``); None when the
    option was left out."""
    from core.accounts.users import get_active_actor

    if email is None:
        return None
    found = get_active_actor(session, email)
    if found is None:
        raise NotFound(f"No active user {email!r}: check the email (python -m core users list).")
    return found.id


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any("\x00" in arg for arg in argv):  # only in-process: a real argv cannot hold one
        print("error: an argument contains a NUL character.", file=sys.stderr)
        return 2
    if not all(arg.isascii() or _utf8(arg) for arg in argv):
        # Python keeps bytes that are not UTF-8 as lone surrogates, which no stored text holds
        print("error: an argument is not UTF-8 text.", file=sys.stderr)
        return 2
    try:
        args = build_parser(argv).parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error, already printed (2)
        return exc.code if isinstance(exc.code, int) else 2
    return run_command(lambda: _run(args))


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _collect_again() -> None:
    """``python -m core`` holds the cyclic garbage collector off while it loads (see
    core/__main__.py). The command's modules are loaded now: freeze what exists and collect as
    usual from here on, for `worker serve` and `--wait` as for the rest. Called in-process
    (tests), where the collector is on, this does nothing."""
    if not gc.isenabled():
        from core.platform.processes import freeze_start_up_objects

        freeze_start_up_objects()


def _worker_main(args: list[str]) -> int:
    """``python -m core.worker *args``, in a worker forked from this command."""
    from core.worker import main as worker_main

    return worker_main(args)


def _prepare_worker(kind: str) -> None:
    """In a worker forked ahead of its work, while the command queues the work: load what
    ``core.worker`` loads first, the kind's modules and the database's driver (an engine that
    makes no connection: the worker opens its own database)."""
    from core.platform.database import open_database
    from core.platform.work import WorkName
    from core.worker import freeze_start_up

    freeze_start_up([WorkName(kind)])
    open_database(migrate=False).dispose()


def _worker_ahead(args: argparse.Namespace) -> str | None:
    """The kind of worker the command will ask for (its parser's ``worker`` default), when
    that work gets a worker of its own here (not with ``EXECUTOR=queue``, where a ``serve``
    takes it)."""
    kind: str | None = getattr(args, "worker", None)
    if kind is None:
        return None
    from core.platform.work import spawns_worker

    return kind if spawns_worker() else None


def _run(args: argparse.Namespace) -> int:
    _collect_again()
    if getattr(args, "no_database", False):  # `extract`: no database, no user
        args.handler(args)
        return 0
    from core.platform.processes import worker_standing_by

    needs_user = args.command != "init" and not getattr(args, "no_user", False)
    if needs_user and not args.user:  # before anything is created: no admin made for nothing
        raise ValidationError("Say who you act as: python -m core --user EMAIL … (the first "
                              "admin is made by: python -m core init)")
    # The worker the command will start is forked before the database is opened, and loads its
    # modules on the other core while this process opens the database and queues the work
    # (core/platform/processes.py), instead of after the commit.
    with worker_standing_by(_worker_ahead(args), _prepare_worker, _worker_main):
        return _run_on_database(args, needs_user)


def _run_on_database(args: argparse.Namespace, needs_user: bool) -> int:
    from core.accounts.setup import announce, initialise
    from core.platform.processes import forking_workers

    # The first admin is made by `init`, by `worker serve`, or by a command that acts as the
    # configured admin; acting as anyone else on an empty database makes nobody (and prints no
    # password beside the error that follows).
    from core.platform.settings import get_settings

    acts_as_admin = (args.user or "").strip().lower() == get_settings().admin_email.lower()
    database, admin = initialise(create_admin=not needs_user or acts_as_admin)
    message = announce(admin)
    if message:
        print(message, file=sys.stderr)
    if args.command == "init":
        print("Database is up to date.")
        return 0
    if getattr(args, "no_user", False):  # worker serve acts for nobody: it runs queued work
        args.handler(None, None, args)
        return 0
    # a worker its transaction asks for is forked from this process once that transaction is
    # over (or handed to the one standing by): it starts with the imports done
    with forking_workers(database, _worker_main), database.transaction() as session:
        actor = _acting_user(session, args.user)
        after_commit = args.handler(session, actor, args)
    if callable(after_commit):  # e.g. `runs start --wait`: watch once the run is committed
        after_commit(database, actor)
    return 0
