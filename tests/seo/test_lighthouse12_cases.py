"""The differences found between ScrapeDeck and Lighthouse 12 on real pages, each reproduced by a
small page of our own (tests/fixtures/seo/lighthouse12) and ruled the way Lighthouse rules it.

Each page is served on 127.0.0.1 and audited as ``python -m core seo audit`` does; the expected
verdicts are Lighthouse 12.8.2's (its source, and what it gave on the real pages, see
bench/seo_lighthouse.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.seo import PageAudit, audit_response

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "fixtures" / "seo" / "lighthouse12"


@pytest.fixture(scope="module")
def audited(seo_server: Any, audit_served: Any) -> Any:
    found: dict[str, PageAudit] = {}

    def get(name: str) -> PageAudit:
        if name not in found:
            found[name] = audit_served(seo_server.url(f"/lighthouse12/{name}.html"))
        return found[name]

    return get


def verdicts(audit: PageAudit, *ids: str) -> dict[str, str]:
    return {i: audit.result(i).verdict for i in ids}


def test_a_noscript_pixel_in_the_head_does_not_end_the_head(audited: Any) -> None:
    audit = audited("noscript-pixel-in-head")
    assert verdicts(audit, "meta-description", "canonical", "image-alt") == {
        "meta-description": "pass", "canonical": "pass", "image-alt": "not_applicable"}
    assert audit.meta_description == "Lamps turned from a single piece of oak, made to order."
    assert audit.score == 100


def test_a_legacy_compat_doctype_is_audited_without_a_traceback(audited: Any) -> None:
    audit = audited("doctype-legacy-compat")
    assert audit.error is None and audit.not_checked == []
    assert verdicts(audit, "document-title", "meta-description") == {
        "document-title": "pass", "meta-description": "pass"}
    assert audit.facts["word_count"] > 5  # the text (which needs a copy of the tree) is read


def test_image_alt_counts_presence_and_only_the_images_a_reader_meets(audited: Any) -> None:
    result = audited("image-alt-cases").result("image-alt")
    assert result.verdict == "fail"
    assert sorted(e["src"] for e in result.evidence) == [
        "/desktop-hidden.jpg", "/missing.jpg", "/spaces.jpg"]


def test_visibility_hidden_by_a_style_rule_is_not_checked(audited: Any) -> None:
    audit = audited("visibility")
    images = audit.result("image-alt")
    # Hidden by a rule: left out. Shown again by a later rule of the same specificity, or
    # hidden only by a style sheet an inline script removes: checked.
    assert images.verdict == "fail"
    assert [e["src"] for e in images.evidence] == ["/shown.jpg", "/after-flicker.jpg"]


def test_crawlable_anchors_and_link_text_follow_lighthouse_12(audited: Any) -> None:
    audit = audited("anchors")
    crawlable = audit.result("crawlable-anchors")
    assert crawlable.verdict == "fail"
    assert [e["element"] for e in crawlable.evidence] == [
        '<a target="_blank">', '<a rel="noopener">',
        '<a onclick="window.open(\'/popup\')">', '<a href="javascript:void(0)">']
    link_text = audit.result("link-text")
    assert [(e["text"], e["textLang"]) for e in link_text.evidence] == [
        ("Learn More", "en"), ("hier", "de")]
    # window.open in an onclick is ScrapeDeck's own rule: reported, not scored.
    script_links = audit.result("script-links")
    assert (script_links.verdict, script_links.lighthouse) == ("fail", False)


def test_a_listener_on_a_parent_makes_a_placeholder_uncrawlable(audited: Any) -> None:
    crawlable = audited("parent-listeners").result("crawlable-anchors")
    # The <a> inside <div onclick> fails; the one outside does not, <body onload> being the
    # window's handler.
    assert crawlable.verdict == "fail"
    assert [(e["element"], e["text"]) for e in crawlable.evidence] == [("<a>", "Table lamps")]


def test_no_hreflang_passes_and_a_foreign_canonical_is_not_a_lighthouse_failure(
        audited: Any) -> None:
    audit = audited("no-hreflang")
    assert verdicts(audit, "hreflang", "canonical", "canonical-domain") == {
        "hreflang": "pass", "canonical": "pass", "canonical-domain": "fail"}
    assert audit.score == 100  # canonical-domain is beyond Lighthouse: not scored


def test_a_parser_failure_is_an_audit_that_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.seo import page as page_module

    class Refusing:
        def __init__(self, html: str) -> None:
            raise RuntimeError("Can't create a new document")

    monkeypatch.setattr(page_module, "LexborHTMLParser", Refusing)
    audit = audit_response("https://lamps.example/", "https://lamps.example/", 200,
                           {"content-type": "text/html"}, "<title>x</title>",
                           robots_txt="User-agent: *\n")
    assert audit.score is None
    assert "could not be read by the HTML parser" in audit.error
    assert all(r.verdict == "error" for r in audit.audits)


def test_the_cli_prints_json_for_the_legacy_doctype(seo_server: Any) -> None:
    url = seo_server.url("/lighthouse12/doctype-legacy-compat.html")
    done = subprocess.run([sys.executable, "-m", "core", "seo", "audit", url, "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "ALLOW_PRIVATE_ADDRESSES": "1"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["title"] == "Die Zukunft der Arbeit"


@pytest.mark.parametrize("html,expected", [
    ("<head><noscript><img src=p></noscript><meta name=description content=d></head>",
     "<head><noscript></noscript><meta name=description content=d></head>"),
    # a "<noscript>" inside a script's string, a comment or an attribute is not an element
    ("<script>w('<noscript><img></noscript>')</script><p>", None),
    ("<!-- <noscript><img></noscript> --><p>", None),
    ('<a title="<noscript>x">y</a><noscript>z</noscript>', '<a title="<noscript>x">y</a>'
     "<noscript></noscript>"),
    ("<!--><noscript><b>z</b></noscript>", "<!--><noscript></noscript>"),
    # unclosed: with scripting on, the rest of the page is its text
    ("<p>a<noscript><p>b", "<p>a<noscript>"),
])
def test_scripting_on_empties_noscript_elements_only(html: str, expected: str | None) -> None:
    from core.seo.page import scripting_on

    assert scripting_on(html) == (html if expected is None else expected)


@pytest.mark.parametrize("href,valid", [
    ("/a b", True), ("page.html", True), ("?q=1", True), ("#top", True),
    ("mailto:shop@lamps.example", True), ("tel:+41", True), ("//cdn.example/x", True),
    ("https://lamps.example:8080/", True), ("http://[::1]/", True), ("http://1.2.3.4/", True),
    ("https://", False), ("http://lamps.example:99999/", False), ("http://a b/", False),
    ("http://[::1/", False), ("http://1.2.3.999/", False), ("//", False),
])
def test_urls_parse_as_in_a_browser(href: str, valid: bool) -> None:
    from core.seo.urls import is_valid_url

    assert is_valid_url(href, "https://lamps.example/en/oak.html") is valid
