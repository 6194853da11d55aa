"""``python -m core extract PATH_OR_URL… --schema SCHEMA.json [--url URL…] [--config PACKAGE.json]
[--explain]``

Extract from pages with no database, no user and no model: straight from the analysis
(``core.analysis.extract_explained``) or, with ``--config``, by running that package. Prints
JSON: one object for a detail page or an article, a list for a list page. Several pages are read
in one process and printed as JSON Lines, one ``{"source": …, "data": …}`` (or ``"error"``) per
page. ``--explain`` prints ``{"data", "path", "evidence", "notes"}`` instead: per field where its
value came from (json-ld, microdata, meta, label, class, position, article) and a confidence.
Without it, notes (e.g. "no product on this page") go to stderr. Reads ``.html`` and ``.html.gz``
files and http(s) URLs (fetched by the engine's fetcher, under its rules: private addresses are
refused unless ALLOW_PRIVATE_ADDRESSES).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

from core.platform.commands import run_command
from core.platform import standard_json
from core.platform.errors import ScrapeDeckError, Unfinished, ValidationError
from core.cli import command_help


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "extract", help=command_help("extract"),
        description="Extract structured data from HTML files (.html, .html.gz) or URLs, "
        "following a JSON Schema; prints one object for a detail page or article, a list for a "
        "list page; several pages as JSON Lines.")
    parser.add_argument("sources", metavar="PATH_OR_URL", nargs="+")
    parser.add_argument("--schema", required=True, metavar="SCHEMA.json",
                        help="JSON Schema of one record (its properties name the fields)")
    parser.add_argument("--url", metavar="ORIGINAL_URL", action="append",
                        help="the page's original address (resolves relative links, tells the "
                        "country); once per page, in the pages' order")
    parser.add_argument("--config", metavar="PACKAGE.json",
                        help="run this config package instead of analysing the page")
    parser.add_argument("--explain", action="store_true",
                        help="print each field's evidence (where it came from, confidence), "
                        "the path taken and notes")
    parser.set_defaults(handler=run, no_database=True)


def run(args: argparse.Namespace) -> None:
    schema = _read_json(args.schema, "schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise ValidationError(f"{args.schema}: the schema needs an object of \"properties\".")
    urls = args.url or []
    if urls and len(urls) != len(args.sources):
        raise ValidationError(f"Give --url once per page ({len(args.sources)} pages, "
                              f"{len(urls)} --url).")
    package = _read_json(args.config, "config package") if args.config else None
    if len(args.sources) == 1:
        answer = _one(args.sources[0], urls[0] if urls else None, schema, package, args.explain)
        if not args.explain:
            for note in answer.get("notes", []):
                print(f"note: {note}", file=sys.stderr)
        # the whole text first: an answer that cannot be written leaves nothing half-printed
        text = json.dumps(answer if args.explain else answer["data"], ensure_ascii=False,
                          indent=2, allow_nan=False)
        sys.stdout.write(text + "\n")
        return
    failed = 0
    for index, source in enumerate(args.sources):
        try:
            answer = _one(source, urls[index] if urls else None, schema, package, args.explain)
            line = {"source": source, **(answer if args.explain else {"data": answer["data"]})}
        except ScrapeDeckError as exc:
            failed += 1
            line = {"source": source, "error": str(exc)}
        sys.stdout.write(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n")
        sys.stdout.flush()
    if failed:
        raise Unfinished(f"{failed} of {len(args.sources)} pages could not be read "
                              "(see their \"error\" lines).")


def _one(source: str, url: str | None, schema: dict, package: Any, explain: bool) -> dict:
    html, fetched_url = _read_page(source)
    url = url or fetched_url
    if package is not None:
        return {"data": _run_package(package, html, url), "path": "package", "evidence": {},
                "notes": []}
    from core.analysis.direct import extract_explained

    found = extract_explained(html, url, schema)
    return {"data": found.data, "path": found.kind, "evidence": found.evidence,
            "notes": found.notes}


def _read_json(path: str, what: str) -> Any:
    from core.platform.jsondoc import MAX_DOCUMENT_BYTES, MAX_NESTING, nesting_depth

    try:
        if Path(path).stat().st_size > MAX_DOCUMENT_BYTES:  # checked before the file is read
            raise ValidationError(f"{path}: the {what} is larger than {MAX_DOCUMENT_BYTES:,} "
                                  "bytes.")
        text = Path(path).read_text(encoding="utf-8")
        if nesting_depth(text) > MAX_NESTING:
            raise ValidationError(f"{path}: the {what} nests more than {MAX_NESTING} levels deep.")
        return standard_json.loads(text)
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such {what} file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: cannot read the {what} ({exc}).") from None
    except ValueError as exc:
        raise ValidationError(f"{path}: the {what} is not valid JSON "
                              f"({standard_json.problem(exc)}).") from None


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


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decode(raw: bytes) -> str:
    """The page's text: UTF-8, else the charset its ``<meta>`` declares (a few broken bytes
    replaced), else a guess from its bytes (charset-normalizer), else Windows-1252."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(raw[:8192])
    if declared:
        encoding = declared.group(1).decode("ascii", "ignore")
        try:
            text = raw.decode(encoding, errors="replace")
        except LookupError:
            text = None
        if text is not None and text.count("\ufffd") <= max(2, len(raw) // 1000):
            return text  # the declared charset, a few broken bytes replaced at most
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(raw[:20000]).best()
        guess = best.encoding if best is not None else None
    except ImportError:  # pragma: no cover - installed with requests and trafilatura
        guess = None
    for encoding in (guess, "cp1252"):
        if encoding:
            try:
                return raw.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return raw.decode("latin-1")


_HTML_MARKS = ("<html", "<!doctype html", "<head", "<body", "<div", "<meta", "<title", "<p",
               "<span", "<br", "<style", "<script", "<table", "<a ", "<h1", "<link")


def _looks_like_html(text: str) -> bool:
    head = text[:65536].lower()
    return "\x00" not in head[:4096] and any(mark in head for mark in _HTML_MARKS)


def _fetch(url: str) -> tuple[str, str]:
    import asyncio

    from core.scrape.fetch import Fetcher
    from core.scrape.options import FetchOptions
    from core.scrape.result import FetchResult

    async def fetch() -> FetchResult:
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

    def command() -> int:
        args.handler(args)
        return 0
    return run_command(command)
