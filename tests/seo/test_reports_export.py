"""Exporting an SEO report: HTML from an autoescaped template, PDF printed by real Chromium."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pytest
from pypdf import PdfReader

from core.platform.errors import Conflict, NotFound, ValidationError
from core.seo import report_export, reports
from tests.seo.test_reports import audit_doc, audit_result, store_report

HOSTILE = '<script>alert("x")</script>'
DOC = audit_doc(
    62,
    audit_result("image-alt", "fail", [{"src": "/a.png", "html": f'<img src="/a.png">{HOSTILE}'}],
                 points=9.5),
    audit_result("meta-description", "fail", [], points=12.0),
    audit_result("document-title", "pass"),
    audit_result("hreflang", "not_applicable"),
    not_checked=[{"id": "robots-txt", "reason": "robots.txt answered HTTP 500"}],
)
DOC["title"] = f"Shop {HOSTILE}"


@pytest.fixture
def report(db, analyst):  # type: ignore[no-untyped-def]
    def make(doc: dict[str, Any] = DOC):  # type: ignore[no-untyped-def]
        return store_report(db, analyst, doc, url="https://example.com/")
    return make


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return unicodedata.normalize("NFKC", text)  # the font's "fi" ligature reads as "fi"


def test_html_escapes_page_text_and_orders_fixes(db, analyst, report) -> None:
    report_id = report()
    with db.transaction() as session:
        reports.ignore_finding(session, analyst, report_id, "image-alt", "src=/a.png",
                               "a <b>bold</b> reason")
        html = report_export.report_html(session, analyst, report_id)
    assert HOSTILE not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "a &lt;b&gt;bold&lt;/b&gt; reason" in html
    assert html.index("Meta Description") < html.index("Image Alt")  # 12 points before 9.5
    assert "+12.0 points" in html and "SEO score 62/100" in html
    assert "Robots-Txt: robots.txt answered HTTP 500" not in html  # id shown as given
    assert "robots-txt: robots.txt answered HTTP 500" in html
    assert "1 open issue in 2 failing audits · 1 ignored" in " ".join(html.split())


def test_html_says_where_the_score_can_still_differ_from_lighthouse(db, analyst, report) -> None:
    with db.transaction() as session:
        html = " ".join(report_export.report_html(session, analyst, report()).split())
    assert "How this compares with Lighthouse" in html
    assert "follow Lighthouse 12.8.2's SEO category rule by rule" in html
    # In words: scripts (read as served vs rendered), and the manual structured-data audit.
    assert "Lighthouse runs the page&#39;s scripts; ScrapeDeck reads the HTML as served" in html
    assert "Lighthouse&#39;s structured-data audit is manual" in html


def test_html_of_a_failed_audit_says_why(db, analyst, report) -> None:
    report_id = report(audit_doc(0, error="The page is not HTML (application/pdf).",
                                 not_checked=["every audit: no HTML to read"]))
    with db.transaction() as session:
        html = report_export.report_html(session, analyst, report_id)
    assert "The audit failed: The page is not HTML (application/pdf)." in html
    assert "every audit: no HTML to read" in html


def test_a_queued_report_cannot_be_exported(db, analyst) -> None:
    with db.transaction() as session:
        summary = reports.request_audit(session, analyst, "https://example.com/", spawn=False)
        with pytest.raises(ValidationError, match="still running"):
            report_export.report_html(session, analyst, summary.id)


def test_pdf_request_print_and_download(db, analyst, viewer, report, app_env) -> None:
    report_id = report()
    with db.transaction() as session:
        with pytest.raises(NotFound, match="no PDF yet"):
            report_export.pdf_file(session, analyst, report_id)
        requested = report_export.request_pdf(session, analyst, report_id)
        # a second request while it is made does not start a twin
        assert report_export.request_pdf(session, analyst, report_id).pdf_status == "processing"
    assert requested.pdf_status == "processing"
    with db.transaction() as session, pytest.raises(Conflict, match="being prepared"):
        report_export.pdf_file(session, analyst, report_id)

    assert report_export.perform_pdf(db, report_id) == "completed"
    with db.transaction() as session:
        path, name, mime = report_export.pdf_file(session, analyst, report_id)
        with pytest.raises(NotFound):  # someone else's report stays invisible
            report_export.pdf_file(session, viewer, report_id)
    text = pdf_text(path.read_bytes())
    assert "SEO score 62/100" in text and "Meta Description" in text
    assert '<script>alert("x")</script>' in text  # shown as text, never run
    assert name.startswith("seo-example-com-") and name.endswith(".pdf")
    assert mime == "application/pdf"


def test_cli_style_export_writes_either_format(db, analyst, report, tmp_path) -> None:
    report_id = report()
    html_path = report_export.export_report(db, analyst, report_id, "html", tmp_path / "r.html")
    pdf_path = report_export.export_report(db, analyst, report_id, "pdf", tmp_path / "r.pdf")
    assert "<!DOCTYPE html>" in html_path.read_text()
    assert "What to fix first" in pdf_text(pdf_path.read_bytes())
    with pytest.raises(ValidationError, match="html or pdf"):
        report_export.export_report(db, analyst, report_id, "docx", tmp_path / "r.docx")
    assert not list(tmp_path.glob("*.part"))
