"""The SEO audit and Keywords pages (AppTest): requesting an audit, reading a report, ignoring a
finding, comparing, exporting, keyword research and CSV imports."""

from __future__ import annotations

import functools

import pytest

from core.seo import keywords
from core.platform.settings import get_settings
from tests.pages.conftest import by_label, shown, texts
from tests.seo.test_imports import GSC_DAILY
from tests.seo.test_keywords import LAMP_PAGE
from tests.seo.test_reports import FIRST, SECOND, audit_doc, audit_result, store_report

URL = "https://lumen.example/lamps"


@pytest.fixture
def no_workers(monkeypatch):  # type: ignore[no-untyped-def]
    """Requests stay queued: the page only shows intent (workers are tested elsewhere)."""
    monkeypatch.setenv("EXECUTOR", "queue")  # audits wait for a `serve` that never comes
    get_settings.cache_clear()


@pytest.fixture
def stored(db, analyst):  # type: ignore[no-untyped-def]
    """``stored(doc, minutes_ago)`` → the id of the analyst's finished report of URL."""
    return functools.partial(store_report, db, analyst, url=URL)


def open_page(app, who, page="pages/seo_audit.py"):  # type: ignore[no-untyped-def]
    return app(who.email).switch_page(page).run()


def test_empty_page_invites_an_audit(app, analyst) -> None:
    at = open_page(app, analyst)
    assert not at.exception
    assert "No audits yet. Enter a page URL above." in texts(at, "info")


def test_requesting_an_audit_shows_it_queued(app, analyst, no_workers) -> None:
    at = open_page(app, analyst)
    by_label(at.text_input, "Page URL").input("https://lumen.example/lamps")
    at = by_label(at.button, "Audit").click().run()
    assert not at.exception
    assert "Audit of https://lumen.example/lamps started." in texts(at, "success")
    assert any("Queued: fetching and auditing" in t for t in texts(at, "info"))


def test_an_invalid_url_is_refused_with_a_message(app, analyst) -> None:
    at = open_page(app, analyst)
    by_label(at.text_input, "Page URL").input("lumen.example")
    at = by_label(at.button, "Audit").click().run()
    assert any("full http:// or https:// address" in t for t in texts(at, "error"))


def test_a_report_shows_score_fixes_and_other_audits(app, analyst, stored) -> None:
    stored(FIRST)
    at = open_page(app, analyst)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["SEO score"] == "70/100" and metrics["Open issues"] == "3"
    labels = [shown(e.label) for e in at.expander]
    assert labels[0].startswith("**Image Alt** — +10 points · 2 items")
    assert labels[1].startswith("**Meta Description** — +7 points")
    # the page says in words where the score can still differ from Lighthouse's
    compare = [e for e in at.expander if e.label == "How this compares with Lighthouse"][0]
    words = " ".join(m.value for m in compare.markdown).replace("\\", "")  # unescaped
    assert "Lighthouse 12.8.2" in words and "Lighthouse's structured" in words
    assert "audit is manual" in words  # (weight 0: it never changes the score)


SCRIPT_NOTE = ("This page runs scripts (3 script files), and this audit read its HTML as served. "
               "Lighthouse runs a page's scripts before it counts… Render with JavaScript. "
               "<b>not markup</b>")


def test_audits_scripts_can_change_say_so_in_words(app, analyst, stored) -> None:
    stored(audit_doc(80, {**audit_result("image-alt", "fail", [{"src": "/a.png"}], points=10),
                          "note": SCRIPT_NOTE},
                     {**audit_result("crawlable-anchors", "pass"), "note": SCRIPT_NOTE},
                     audit_result("document-title", "pass")))
    at = open_page(app, analyst)
    assert not at.exception
    notes = [t for t in texts(at, "info") if "This page runs scripts" in t]
    # on the failing audit, and on the passed one (named), as text: the markup is not rendered
    assert notes[0] == SCRIPT_NOTE
    assert notes[1] == f"**Crawlable Anchors** — {SCRIPT_NOTE}"
    assert len(notes) == 2  # document-title has no note

def test_ignoring_a_finding_from_the_page(app, analyst, stored) -> None:
    stored(FIRST)
    at = open_page(app, analyst)
    form_reason = [t for t in at.text_input if t.label == "Reason"][0]
    form_reason.input("Spacer image")
    # the first form is the audit's own; "Ignore" buttons follow in report order
    at = [b for b in at.button if b.label == "Ignore"][0].click().run()
    assert not at.exception
    assert "Ignored for this URL" in " ".join(texts(at, "success"))
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Open issues"], metrics["Ignored"]) == ("1", "2")  # the whole image-alt


def test_history_trend_and_compare(app, analyst, stored) -> None:
    stored(FIRST, minutes_ago=10)
    stored(SECOND)
    at = open_page(app, analyst)
    assert not at.exception
    assert at.get("plotly_chart")  # the trend chart
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["New issues"], metrics["Fixed"], metrics["Persisting"]) == ("2", "2", "1")


def test_a_failed_audit_says_why(app, analyst, stored) -> None:
    from tests.seo.test_reports import audit_doc

    stored(audit_doc(0, error="The page could not be audited: connection refused.",
                     not_checked=["is-crawlable: connection refused"]))
    at = open_page(app, analyst)
    assert any("connection refused" in t for t in texts(at, "error"))
    assert not at.exception


def test_viewers_read_but_cannot_audit(app, viewer) -> None:
    at = open_page(app, viewer)
    assert not [t for t in at.text_input if t.label == "Page URL"]
    assert "No audits yet." in texts(at, "info")


def test_keyword_research_of_an_audited_page(app, db, analyst, stored) -> None:
    stored(FIRST)
    with db.transaction() as session:
        keywords.save_keywords(session, analyst.id, URL, keywords.extract_keywords(LAMP_PAGE))
    at = open_page(app, analyst, "pages/seo_keywords.py")
    assert not at.exception
    table = at.dataframe[0].value
    assert table.keyword.iloc[0] == "brass desk lamps"


def test_rankings_and_backlinks_tabs_render_imported_data(app, db, analyst) -> None:
    from core.seo import imports
    from tests.seo.test_imports import SEMRUSH_BACKLINKS

    with db.transaction() as session:
        imports.import_rankings(session, analyst, GSC_DAILY.encode())
        imports.import_backlinks(session, analyst, SEMRUSH_BACKLINKS.encode())
    at = open_page(app, analyst, "pages/seo_keywords.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2  # clicks and position over time
    assert {m.label: m.value for m in at.metric}["Referring domains"] == "1"


def test_choosing_another_page_shows_its_reports(app, db, analyst, stored) -> None:
    stored(FIRST, minutes_ago=5)
    store_report(db, analyst, SECOND, url="https://other.example/")
    at = open_page(app, analyst)
    assert {m.label: m.value for m in at.metric}["SEO score"] == "85/100"  # newest first
    at = by_label(at.selectbox, "Page").select(URL).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["SEO score"] == "70/100"
