"""The Site crawl page: start a crawl, see it queued and cancel it; read a finished crawl's
findings, pages, trend and changes since the previous crawl; a crawl a budget stopped."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core import budgets
from core.ledger import prices
from core.seo import crawls
from core.platform.settings import get_settings
from core.worker import execute_one
from tests.pages.conftest import by_label, shown, texts

PAGE = "pages/seo_crawl.py"


@pytest.fixture
def queue_only(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Crawls are only queued; the tests run the worker when they need one."""
    for name, value in {"EXECUTOR": "queue", "ALLOW_PRIVATE_ADDRESSES": "1",
                        "FETCH_DELAY_SECONDS": "0", "FETCH_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def crawled(db, actor, url, max_pages=100):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        crawl = crawls.start_crawl(session, actor, url, max_pages, {"delay": 0})
    execute_one(db, "seo-crawl", crawl.id)
    return crawl


def open_page(app, who):  # type: ignore[no-untyped-def]
    return app(who.email).switch_page(PAGE).run()


def test_no_crawls_yet(app, analyst, queue_only) -> None:
    at = open_page(app, analyst)
    assert not at.exception
    assert "No crawls yet. Start one with New crawl above." in texts(at, "info")


def test_start_a_crawl_then_cancel_it(app, analyst, seo_site, queue_only) -> None:
    at = open_page(app, analyst)
    by_label(at.text_input, "Start URL").input(seo_site.base_url + "/")
    by_label(at.number_input, "Max pages").set_value(20)
    at = by_label(at.button, "Start crawl").click().run()
    assert not at.exception
    assert f"Crawl of {seo_site.base_url}/ started." in texts(at, "success")
    assert at.dataframe[0].value.status.tolist() == ["Queued"]
    at = by_label(at.button, "Cancel crawl").click().run()
    assert "Cancel requested." in texts(at, "success")
    assert at.run().dataframe[0].value.status.tolist() == ["Canceled"]


def test_bad_input_shows_every_problem(app, analyst, queue_only) -> None:
    at = open_page(app, analyst)
    by_label(at.text_input, "Start URL").input("ftp://files.example/")
    at = by_label(at.button, "Start crawl").click().run()
    assert "only http and https" in texts(at, "error")[0]


def test_a_finished_crawl_shows_findings_pages_trend_and_changes(app, db, analyst, seo_site,
                                                                 queue_only) -> None:
    crawled(db, analyst, seo_site.base_url + "/", max_pages=5)
    crawled(db, analyst, seo_site.base_url + "/")
    at = open_page(app, analyst)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pages crawled"] == "38" and metrics["Findings"] == "18"
    labels = [shown(e.label) for e in at.expander]
    assert "Broken pages linked in /* · 3 URLs" in labels
    assert "Duplicate titles in /product/* · 3 URLs" in labels
    broken = next(e for e in at.expander if e.label.startswith("Broken pages"))
    items = broken.dataframe[0].value
    assert sorted(items.url.str.removeprefix(seo_site.base_url)) == ["/error", "/es/", "/missing"]
    pages = next(d.value for d in at.dataframe if "indexable" in d.value.columns)
    assert len(pages) == 38
    assert metrics["New issues"] != "0" and metrics["Persisting issues"] != "0"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the trend


def test_viewers_see_no_start_form(app, viewer, queue_only) -> None:
    at = open_page(app, viewer)
    assert not [e for e in at.expander if "New crawl" in e.label]
    assert "No crawls yet." in texts(at, "info")


def test_a_crawl_stopped_by_the_budget_says_so_not_canceled(app, db, admin, analyst, seo_site,
                                                            queue_only, monkeypatch) -> None:
    monkeypatch.setenv("RUN_HEARTBEAT_SECONDS", "0.1")
    get_settings.cache_clear()
    with db.transaction() as session:  # requests at $1: a $3 daily budget stops it early
        prices.set_price(session, admin, prices.read_new_price(
            "requests", "1", effective_from=datetime(2001, 1, 1, tzinfo=timezone.utc)))
        budgets.set_budget(session, analyst, daily="3")
        crawl = crawls.start_crawl(session, analyst, seo_site.base_url + "/", 100,
                                   {"delay": 0.1, "concurrency": 1})
    execute_one(db, "seo-crawl", crawl.id)
    at = open_page(app, analyst)
    assert not at.exception
    assert at.dataframe[0].value.status.tolist() == ["Stopped: budget reached"]
    assert any(s.startswith("Stopped: a spending limit was reached") for s in texts(at, "warning"))
    assert ("Not checked: stopped: budget reached; findings cover the pages fetched so far"
            in texts(at, "caption"))
    assert not [t for kind in ("caption", "warning", "markdown", "subheader")
                for t in texts(at, kind) if "cancel" in t.lower()]
