"""The audit worker end to end: a report requested, a real worker process auditing real pages
served on 127.0.0.1, the outcome stored; and audits that fail, stored with the reason."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.seo import keywords, reports
from core.timeline import WorkflowRef
from core.timeline.view import log_page, workflow_view
from core.worker import execute_one
from db.models import SeoReport
from tests.fixtures.server import FixtureServer

POOR = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lamps for every room and every budget</title></head>
<body><h1>Lamps</h1><p>{body}</p>
<img src="/img/lamp.png"><img src="/img/shade.png" alt="A linen shade">
<a href="/lamps/more.html">click here</a></body></html>"""
FIXED = POOR.replace("<title>", '<meta name="description" content="Desk, floor and ceiling '
                     'lamps, shipped in two days.">\n<title>').replace(
    '<img src="/img/lamp.png">', '<img src="/img/lamp.png" alt="A brass desk lamp">')


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "site"
    (root / "lamps").mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "lamps" / "index.html").write_text(POOR.format(body="Lamps " * 40))
    (root / "lamps" / "more.html").write_text(FIXED.format(body="More lamps " * 40))
    (root / "notes.txt").write_text("plain text, not a page")
    with FixtureServer(root) as server:
        yield server.base_url, root


@pytest.fixture
def env(app_env, local_fetching):  # type: ignore[no-untyped-def]
    return app_env


def audit_now(db, report_id) -> str:  # type: ignore[no-untyped-def]
    """What `python -m core.worker seo-audit REPORT_ID` does, in this process; the final status."""
    execute_one(db, "seo-audit", report_id)
    with db.transaction() as session:
        return session.get(SeoReport, report_id).status


def wait_finished(db, actor, report_id, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as session:
            summary = reports.report_status(session, actor, report_id)
        if not summary.active:
            return summary
        time.sleep(0.2)
    raise AssertionError(f"the audit did not finish in {timeout} s")


def test_requested_audit_runs_in_a_worker_process(db, analyst, env, pages) -> None:
    base, _ = pages
    with db.transaction() as session:  # the worker is spawned when this commits
        queued = reports.request_audit(session, analyst, f"{base}/lamps/index.html")
    assert queued.status == "queued"
    done = wait_finished(db, analyst, queued.id)
    assert done.status == "completed", done.error
    assert 0 <= done.score < 100
    ref = WorkflowRef.audit(queued.id)
    with db.transaction() as session:
        view = reports.report_view(session, analyst, done.id)
    failing = {a.id: a for a in view.failing}
    assert {"image-alt", "meta-description", "link-text"} <= failing.keys()
    assert [e.key for e in failing["image-alt"].evidence] == ["src=/img/lamp.png"]
    assert view.failing[0].points_recoverable >= view.failing[-1].points_recoverable
    assert "document-title" in {a.id for a in view.passed}
    assert view.status_code == 200 and view.page_bytes
    with db.transaction() as session:  # each step of the audit says what it did
        steps = {n: [line.sentence for line in log_page(session, analyst, ref, node=n)]
                 for n in ("fetch", "check", "score", "store")}
        graph = workflow_view(session, analyst, ref)
    assert steps["fetch"][0].startswith(f"Fetched {base}/lamps/index.html (200, ")
    assert steps["check"] == [f"Run the checks: {done.failing_count} failing"]
    assert steps["score"] == [f"Score: {done.score}/100"]
    assert steps["store"] == [f"Store the report: 1 stored ({base}/lamps/index.html)"]
    assert graph.node("fetch").counts == {"pages": 1}
    assert graph.node("check").counts == {"failing": done.failing_count}
    with db.transaction() as session:  # the same page's keywords, from the same fetch
        found = keywords.keyword_table(session, analyst, queued.url)
    assert found.keyword.iloc[0] == "lamps" and found.in_title.iloc[0]


def test_second_audit_shows_the_trend_and_what_was_fixed(db, analyst, env, pages) -> None:
    base, root = pages
    url = f"{base}/lamps/index.html"
    ids = []
    for html in (POOR, FIXED):
        (root / "lamps" / "index.html").write_text(html.format(body="Lamps " * 40))
        with db.transaction() as session:
            ids.append(reports.request_audit(session, analyst, url, spawn=False).id)
        assert audit_now(db, ids[-1]) == "completed"
    with db.transaction() as session:
        points = reports.trend(session, analyst, url)
        change = reports.diff_reports(session, analyst, *ids).issues
    assert points.score.iloc[1] > points.score.iloc[0]
    assert points.failing_issues.iloc[1] < points.failing_issues.iloc[0]
    assert {(i.audit_id, i.key) for i in change.fixed} == {
        ("image-alt", "src=/img/lamp.png"), ("meta-description", "")}
    assert change.new == []
    assert ("link-text", "href=/lamps/more.html") in {(i.audit_id, i.key)
                                                        for i in change.persisting}


@pytest.mark.parametrize("path, reason", [
    ("/loop/a", "redirect"),
    ("/notes.txt", "HTML"),
    ("/missing.html", "404"),
])
def test_a_page_that_cannot_be_audited_gives_a_failed_report(db, analyst, env, pages, path,
                                                             reason) -> None:
    base, _ = pages
    with db.transaction() as session:
        report_id = reports.request_audit(session, analyst, base + path, spawn=False).id
    assert audit_now(db, report_id) == "failed"
    with db.transaction() as session:
        view = reports.report_view(session, analyst, report_id)
    assert view.summary.score is None and reason in view.summary.error
    assert view.not_checked  # and what could not be checked, audit by audit
    assert view.failing == []
    with db.transaction() as session:  # the fetch step failed, with why, on the graph
        graph = workflow_view(session, analyst, WorkflowRef.audit(report_id))
        fetch = log_page(session, analyst, WorkflowRef.audit(report_id), node="fetch")
    assert graph.node("fetch").state.value == "failed" and reason in graph.node("fetch").error
    assert [line.payload["url"] for line in fetch] == [base + path]


def test_an_unreachable_host_gives_a_failed_report(db, analyst, env) -> None:
    with db.transaction() as session:
        report_id = reports.request_audit(session, analyst, "http://127.0.0.1:9/",
                                          spawn=False).id
    assert audit_now(db, report_id) == "failed"
    with db.transaction() as session:
        summary = reports.get_report(session, analyst, report_id)
    assert "could not be audited" in summary.error


def test_a_report_is_audited_once(db, analyst, env, pages) -> None:
    base, _ = pages
    with db.transaction() as session:
        report_id = reports.request_audit(session, analyst, f"{base}/lamps/index.html",
                                          spawn=False).id
    assert audit_now(db, report_id) == "completed"
    assert audit_now(db, report_id) == "completed"  # not queued: left alone
