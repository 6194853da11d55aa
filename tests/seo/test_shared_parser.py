"""The page that made selectolax's ``clone()`` fail (``<!DOCTYPE html SYSTEM "about:legacy-compat">``,
which XSLT tools write) goes through everything that shares the parser without a traceback: the
SEO audit (tests/seo/test_lighthouse12_cases.py), ``python -m core extract`` and the extraction
engine's documents, which fall back to lxml if lexbor ever refuses a page.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.scrape import dom
from core.scrape.dom import Selector, parse_html

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "tests" / "fixtures" / "seo" / "lighthouse12" / "doctype-legacy-compat.html"


def test_extract_reads_the_legacy_compat_page(tmp_path: Path) -> None:
    schema = tmp_path / "article.json"
    schema.write_text(json.dumps({"type": "object", "properties": {
        "title": {"type": "string"}, "text": {"type": "string"}}}))
    done = subprocess.run([sys.executable, "-m", "core", "extract", "--schema", str(schema),
                           str(PAGE)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Die Zukunft der Arbeit" in json.loads(done.stdout)["title"]


def test_a_document_lexbor_refuses_is_parsed_by_lxml(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing:
        def __init__(self, html: str) -> None:
            raise RuntimeError("Can't create a new document")

    monkeypatch.setattr(dom, "LexborHTMLParser", Refusing)
    document = parse_html(PAGE.read_text(encoding="utf-8"))
    titles = document.select(document.root, Selector("h1"))
    assert [document.value(node, "text") for node in titles] == ["Die Zukunft der Arbeit"]


def test_the_builder_analyses_the_legacy_compat_page() -> None:
    from core.analysis.propose import propose
    from core.analysis.types import SamplePage

    page = SamplePage(url="https://radio.example/arbeit.html",
                      html=PAGE.read_text(encoding="utf-8"))
    proposal = propose("article title and text", [page])
    assert "title" in proposal.package["fields"]
