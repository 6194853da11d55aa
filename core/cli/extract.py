"""``python -m core extract PATH_OR_URL --schema SCHEMA.json [--url URL] [--config PACKAGE.json]``

Extract from one page with no database, no user and no model: straight from the analysis
(``core.analysis.extract_with_schema``) or, with ``--config``, by running that package. Prints
JSON: one object for a detail page, a list for a list page. Reads ``.html`` and ``.html.gz`` files
and http(s) URLs (fetched by the engine's fetcher, under its rules: private addresses are refused
unless ALLOW_PRIVATE_ADDRESSES).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

from core.errors import ScrapeDeckError, ValidationError



def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "extract", help="extract JSON from one page with a schema (no database, no model)",
        description="Extract structured data from an HTML file (.html, .html.gz) or URL, "
        "following a JSON Schema; prints one object for a detail page, a list for a list page.")
    parser.add_argument("source", metavar="PATH_OR_URL")
    parser.add_argument("--schema", required=True, metavar="SCHEMA.json",
                        help="JSON Schema of one record (its properties name the fields)")
    parser.add_argument("--url", metavar="ORIGINAL_URL",
                        help="the page's original address (resolves relative links)")
    parser.add_argument("--config", metavar="PACKAGE.json",
                        help="run this config package instead of analysing the page")
    parser.set_defaults(handler=run, no_database=True)


def run(args: argparse.Namespace) -> None:
    schema = _read_json(args.schema, "schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise ValidationError(f"{args.schema}: the schema needs an object of \"properties\".")
    html, fetched_url = _read_page(args.source)
    url = args.url or fetched_url
    if args.config:
        result: Any = _run_package(_read_json(args.config, "config package"), html, url)
    else:
        from core.analysis.direct import extract_with_schema

        result = extract_with_schema(html, url, schema)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such {what} file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: cannot read the {what} ({exc}).") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path}: the {what} is not valid JSON (line {exc.lineno}, "
                              f"column {exc.colno}: {exc.msg}).") from None


def _read_page(source: str) -> tuple[str, str]:
    """The page's HTML and the URL it came from ("" for a file without --url)."""
    if source.startswith(("http://", "https://")):
        return _fetch(source)
    path = Path(source)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError(f"{source}: no such file.") from None
    except OSError as exc:
        raise ValidationError(f"{source}: cannot read it ({exc}).") from None
    if source.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValidationError(f"{source}: not a readable gzip file ({exc}).") from None
    html = _decode(raw)
    if not _looks_like_html(html):
        raise ValidationError(f"{source}: not an HTML page.")
    return html, ""


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lower()
    return "\x00" not in head and any(mark in head for mark in
                                      ("<html", "<!doctype html", "<head", "<body", "<div",
                                       "<meta", "<title", "<p", "<span"))


def _fetch(url: str) -> tuple[str, str]:
    import asyncio

    from core.scrape.fetch import Fetcher
    from core.scrape.options import FetchOptions

    async def fetch():
        async with Fetcher(FetchOptions()) as fetcher:
            return await fetcher.fetch(url)

    result = asyncio.run(fetch())
    if not result.ok:
        raise ValidationError(f"{url}: {result.error}")
    return result.text, result.final_url


def _run_package(doc: Any, html: str, url: str) -> dict | list[dict]:
    from core.scrape.extract import extract_records
    from core.scrape.package import parse_package

    package = parse_package(doc)
    records = [record.data for record in extract_records(package, html, url)]
    if package.container is None:
        return records[0] if records else {}
    return records


def main(argv: list[str]) -> int:
    """``python -m core extract …`` on its own (core/__main__.py calls it without loading the
    rest of the CLI); the same command as registered in ``core.cli``."""
    parser = argparse.ArgumentParser(prog="python -m core")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["extract", *argv])
    try:
        args.handler(args)
    except ScrapeDeckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
