"""``python -m core schemas …``: list, show, import and export extractor schemas."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from core.scraping import schemas
from core.platform.access import Actor
from core.cli.output import print_json, print_table
from core.platform.commands import read_text_file
from core.platform.jsondoc import MAX_DOCUMENT_BYTES
from core.cli import command_help


def _list(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_table(schemas.list_schemas(session, actor, args.search))


def _show(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    detail = schemas.get_schema(session, actor, args.id)
    print_json({"id": detail.id, "family_id": detail.family_id, "version": detail.version,
                "versions": detail.versions, "owner": detail.owner_email,
                "used_by_jobs": detail.used_by_jobs, **schemas.export_document(
                    session, actor, args.id)})


def _import(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    text = read_text_file(args.file, "The schema file", MAX_DOCUMENT_BYTES)
    detail = schemas.import_document(session, actor, text)
    print(f"Imported schema '{detail.name}' as {detail.id}")


def _export(session: Session, actor: Actor, args: argparse.Namespace) -> None:
    print_json(schemas.export_document(session, actor, args.id))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sch = commands.add_parser("schemas", help=command_help("schemas"),
                              description="List, show, import and export extractor schemas.")
    actions = sch.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("list", help="schemas you can read (latest versions)")
    p.add_argument("--search", default="", help="only names containing this text")
    p.set_defaults(handler=_list)
    p = actions.add_parser("show", help="one schema as JSON")
    p.add_argument("id", help="schema id")
    p.set_defaults(handler=_show)
    p = actions.add_parser("import", help="create a schema from a file written by export")
    p.add_argument("file", help="JSON file with name and schema_definition")
    p.set_defaults(handler=_import)
    p = actions.add_parser("export", help="print a schema as an importable JSON document")
    p.add_argument("id", help="schema id")
    p.set_defaults(handler=_export)
