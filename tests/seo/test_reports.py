"""SEO reports: history per URL, trend, diff between two reports, ignored findings.

The audits here are documents shaped as ``page_audit_to_dict`` makes them, stored the way the
worker stores them (``report_columns``); the worker itself is exercised in
test_reports_worker.py against real pages.
"""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.platform.access import Actor
from core.platform.database import Database
from core.platform.errors import NotFound, PermissionDenied, ValidationError
from core.scrape.urls import require_url
from core.seo import reports
from core.seo.diff import diff_issues, evidence_key, issues_of_audit
from db.models import SeoIgnoredFinding, SeoReport
from db.types import utcnow

URL = "https://Example.com:443/shop?x=1#top"


def audit_result(audit_id: str, verdict: str, evidence: list[Any] | None = None,
                 points: float = 0.0, weight: float = 1.0) -> dict[str, Any]:
    return {"id": audit_id, "title": audit_id.replace("-", " ").title(), "group": "content",
            "verdict": verdict, "weight": weight, "evidence": evidence or [],
            "recommendation": f"Fix {audit_id}.", "points_recoverable": points,
            "lighthouse": True}


def audit_doc(score: int, *results: dict[str, Any], error: str | None = None,
              not_checked: list[Any] | None = None) -> dict[str, Any]:
    return {"url": "https://example.com/shop?x=1", "final_url": "https://example.com/shop?x=1",
            "status_code": None if error else 200, "fetched_at": utcnow().isoformat(),
            "response_time_ms": 120.0, "page_bytes": 5120, "redirects": [],
            "title": "Shop <b>& more</b>", "meta_description": "All things", "score": score,
            "audits": list(results), "not_checked": not_checked or [], "error": error,
            "facts": {"headings": {"h1": ["Shop"]}}}


FIRST = audit_doc(
    70,
    audit_result("image-alt", "fail", [{"src": "/a.png"}, {"src": "/b.png"}], points=10, weight=1),
    audit_result("document-title", "pass"),
    audit_result("meta-description", "fail", [], points=7),
    audit_result("hreflang", "not_applicable"),
)
SECOND = audit_doc(
    85,
    audit_result("image-alt", "fail", [{"src": "/b.png"}, {"src": "/c.png"}], points=10),
    audit_result("document-title", "pass"),
    audit_result("meta-description", "pass"),
    audit_result("link-text", "fail", [{"href": "/more", "text": "click here"}], points=3),
)


def store_report(db: Database, actor: Actor, doc: dict[str, Any], minutes_ago: int = 0,
                 url: str = URL) -> uuid.UUID:
    """The id of a finished report of ``url`` holding ``doc``, stored as the worker stores it."""
    with db.transaction() as session:
        summary = reports.request_audit(session, actor, url, spawn=False)
        row = session.get(SeoReport, summary.id)
        for name, value in reports.report_columns(doc).items():
            setattr(row, name, value)
        row.created_at = utcnow() - timedelta(minutes=minutes_ago)
        return summary.id


@pytest.fixture
def store(db):  # type: ignore[no-untyped-def]
    """``store(actor, doc, minutes_ago)`` → the id of a finished report holding ``doc``."""
    return functools.partial(store_report, db)


def test_urls_are_normalised_for_history() -> None:
    # A URL's reports and ignored findings are kept under the URL policy's normal form.
    assert require_url(URL) == "https://example.com/shop?x=1"
    assert require_url("HTTP://a.example:8080") == "http://a.example:8080/"
    for bad in ("example.com", "ftp://example.com/", "https://", "http://a:port/"):
        with pytest.raises(ValidationError):
            require_url(bad)


def test_request_audit_queues_a_report_and_refuses_viewers(db, analyst, viewer) -> None:
    with db.transaction() as session:
        summary = reports.request_audit(session, analyst, URL, render=True, spawn=False)
    assert (summary.status, summary.score, summary.render) == ("queued", None, True)
    with db.transaction() as session, pytest.raises(PermissionDenied):
        reports.request_audit(session, viewer, URL, spawn=False)
    with db.transaction() as session, pytest.raises(ValidationError, match="http"):
        reports.request_audit(session, analyst, "not a url", spawn=False)


def test_seed_columns_are_filled_from_the_audit(db, analyst, store) -> None:
    report_id = store(analyst, FIRST)
    with db.transaction() as session:
        row = session.get(SeoReport, report_id)
        assert (row.status, row.score, row.title) == ("completed", 70, "Shop <b>& more</b>")
        assert row.failing_count == 3  # two images without alt, and the description
        assert row.headings == {"h1": ["Shop"]}
        assert row.performance["page_bytes"] == 5120
        assert [r["audit_id"] for r in row.recommendations] == ["image-alt", "meta-description"]


def test_a_failed_audit_keeps_the_reason_and_what_was_not_checked(db, analyst, store) -> None:
    doc = audit_doc(0, error="Could not connect to example.com (connection refused).",
                    not_checked=[{"id": "is-crawlable", "reason": "no response"}])
    report_id = store(analyst, doc)
    with db.transaction() as session:
        view = reports.report_view(session, analyst, report_id)
    assert view.summary.status == "failed" and view.summary.score is None
    assert "connection refused" in view.summary.error
    assert view.not_checked == ["is-crawlable: no response"]


def test_view_orders_what_to_fix_first_by_points_recoverable(db, analyst, store) -> None:
    report_id = store(analyst, FIRST)
    with db.transaction() as session:
        view = reports.report_view(session, analyst, report_id)
    assert [a.id for a in view.failing] == ["image-alt", "meta-description"]
    assert [a.id for a in view.passed] == ["document-title"]
    assert [a.id for a in view.not_applicable] == ["hreflang"]
    assert (view.failing_issues, view.open_issues) == (3, 3)


def test_history_and_trend_of_one_url(db, analyst, make_user, store) -> None:
    store(analyst, FIRST, minutes_ago=10)
    store(analyst, SECOND, minutes_ago=1)
    store(analyst, FIRST, url="https://other.example/")
    store(make_user("analyst"), FIRST)  # someone else's report of the same URL
    with db.transaction() as session:
        history = reports.list_reports(session, analyst, "https://example.com/shop?x=1")
        points = reports.trend(session, analyst, URL)
        urls = reports.audited_urls(session, analyst)
    assert history.score.tolist() == [85, 70]  # newest first
    assert points.score.tolist() == [70, 85]  # oldest first, for a chart
    assert points.failing_issues.tolist() == [3, 3]
    assert urls == ["https://other.example/", "https://example.com/shop?x=1"]


def test_diff_names_new_fixed_and_persisting_issues(db, analyst, store) -> None:
    before, after = store(analyst, FIRST, minutes_ago=5), store(analyst, SECOND)
    with db.transaction() as session:
        change = reports.diff_reports(session, analyst, before, after).issues
    as_keys = lambda issues: sorted((i.audit_id, i.key) for i in issues)  # noqa: E731
    assert as_keys(change.new) == [("image-alt", "src=/c.png"), ("link-text", "href=/more")]
    assert as_keys(change.fixed) == [("image-alt", "src=/a.png"), ("meta-description", "")]
    assert as_keys(change.persisting) == [("image-alt", "src=/b.png")]


def test_diff_refuses_reports_of_different_urls(db, analyst, store) -> None:
    one, other = store(analyst, FIRST), store(analyst, FIRST, url="https://other.example/")
    with db.transaction() as session, pytest.raises(ValidationError, match="same URL"):
        reports.diff_reports(session, analyst, one, other)


def test_ignored_finding_is_remembered_for_the_url(db, analyst, store) -> None:
    first = store(analyst, FIRST, minutes_ago=5)
    with db.transaction() as session:
        reports.ignore_finding(session, analyst, first, "image-alt", "src=/b.png",
                               "Decorative spacer, alt is empty on purpose")
    later = store(analyst, SECOND)  # a later report of the same URL
    with db.transaction() as session:
        view = reports.report_view(session, analyst, later)
        points = reports.trend(session, analyst, URL)
    image_alt = next(a for a in view.failing if a.id == "image-alt")
    assert [(e.key, e.ignored_reason) for e in image_alt.evidence] == [
        ("src=/b.png", "Decorative spacer, alt is empty on purpose"), ("src=/c.png", None)]
    assert (view.failing_issues, view.open_issues, view.ignored_issues) == (3, 2, 1)
    assert view.summary.score == 85  # the score stays Lighthouse's
    assert points.open_issues.tolist() == [2, 2]


def test_ignoring_a_whole_audit_and_taking_it_back(db, analyst, store) -> None:
    report_id = store(analyst, FIRST)
    with db.transaction() as session:
        reports.ignore_finding(session, analyst, report_id, "meta-description", "",
                               "Search engines write their own for this page")
    with db.transaction() as session:
        assert reports.report_view(session, analyst, report_id).open_issues == 2
        assert reports.unignore_finding(session, analyst, report_id, "meta-description", "")
    with db.transaction() as session:
        assert reports.report_view(session, analyst, report_id).open_issues == 3
        assert not reports.unignore_finding(session, analyst, report_id, "meta-description", "")


def test_ignore_needs_a_reason_a_real_finding_and_the_right_to_change(
        db, analyst, viewer, admin, store) -> None:
    report_id = store(analyst, FIRST)
    with db.transaction() as session, pytest.raises(ValidationError, match="why"):
        reports.ignore_finding(session, analyst, report_id, "image-alt", "src=/a.png", "  ")
    with db.transaction() as session, pytest.raises(ValidationError, match="no failing item"):
        reports.ignore_finding(session, analyst, report_id, "document-title", "", "passes")
    with db.transaction() as session, pytest.raises(NotFound):
        reports.ignore_finding(session, viewer, report_id, "image-alt", "src=/a.png", "x")
    with db.transaction() as session:  # an admin may, and it is kept under the owner's URL
        reports.ignore_finding(session, admin, report_id, "image-alt", "src=/a.png", "known")
        kept = session.scalars(select(SeoIgnoredFinding)).one()
    assert (kept.user_id, kept.url) == (analyst.id, "https://example.com/shop?x=1")


def test_unknown_or_foreign_report_ids_are_not_found(db, analyst, make_user, store) -> None:
    report_id = store(make_user("analyst"), FIRST)
    with db.transaction() as session:
        for bad in ("nope", "00000000-0000-0000-0000-000000000000", report_id):
            with pytest.raises(NotFound, match="Report not found"):
                reports.get_report(session, analyst, bad)


def test_stale_running_audits_are_failed(db, analyst) -> None:
    with db.transaction() as session:
        summary = reports.request_audit(session, analyst, URL, spawn=False)
        row = session.get(SeoReport, summary.id)
        row.status, row.heartbeat_at = "running", utcnow() - timedelta(minutes=5)
    with db.transaction() as session:
        assert reports.reap_stale_reports(session) == 1
        status = reports.report_status(session, analyst, summary.id)
    assert status.status == "failed" and "stopped responding" in status.error


# --- The pure diff, usable for crawl findings too ------------------------------------------------

def test_evidence_keys_prefer_identifying_fields() -> None:
    assert evidence_key({"snippet": "<img src=a>", "src": "/a.png"}) == "src=/a.png"
    assert evidence_key({"key": "dup-title:/a"}) == "dup-title:/a"
    assert evidence_key("X-Robots-Tag: noindex") == "X-Robots-Tag: noindex"
    assert evidence_key({"count": 3}) == '{"count": 3}'


def test_diff_issues_works_on_anything_with_audit_id_and_key() -> None:
    before, after = issues_of_audit(FIRST), issues_of_audit(SECOND)
    change = diff_issues(before, after)
    assert len(change.new) + len(change.persisting) == len(after)
    assert len(change.fixed) + len(change.persisting) == len(before)
    assert diff_issues(after, after).new == [] and diff_issues(after, after).fixed == []
