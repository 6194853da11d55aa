"""List → detail in one job: a package with ``detail`` follows each record's link to its own
page and adds the fields read there (one level, each detail page fetched once, a page that
cannot be fetched leaves its fields empty and says why)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Result, RunEvent
from tests.core.test_runs import execute, start

BOOKS = {
    "version": 1,
    "container": "li.book",
    "fields": {
        "title": {"selector": "a", "transforms": ["strip"], "required": True},
        "price": {"selector": ".price", "transforms": ["price"]},
        "url": {"selector": "a", "take": "attr", "attribute": "href",
                "transforms": ["absolute_url"]},
    },
    "detail": {
        "link": "url",
        "fields": {"isbn_13": {
            "selector": ".//strong[normalize-space()='ISBN-13']/following-sibling::text()[1]",
            "selector_type": "xpath", "transforms": [{"regex": r"(\d{13})"}]}},
    },
}
pytestmark = pytest.mark.usefixtures("local_fetching")


def stored(db, run_id) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return {r.data["title"]: r.data
                for r in session.scalars(select(Result).where(Result.run_id == run_id))}


def detail_events(db, run_id) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    """The run's events about detail pages (their payload says ``"detail": true``)."""
    with db.transaction() as session:
        return [(e.event_type, e.payload) for e in session.scalars(
            select(RunEvent).where(RunEvent.run_id == run_id).order_by(RunEvent.occurred_at))
            if (e.payload or {}).get("detail")]


def test_title_and_price_on_the_listing_isbn_on_each_book_s_page(
        db, analyst, make_job, site) -> None:
    run = start(db, analyst, make_job(analyst, url="/books/index.html", package=BOOKS,
                                      pagination={"type": "none"}))
    assert execute(db, run.id) == "completed_errors"  # one detail page 404s (below)
    books = stored(db, run.id)
    assert books["The Quiet Harbour"] == {
        "title": "The Quiet Harbour", "price": 12.99,
        "url": f"{site}/books/item/quiet-harbour.html", "isbn_13": "9780000000017"}
    # two records point at the same page (one with a #fragment): it is fetched once
    assert books["Winter Lines"]["isbn_13"] == books["Winter Lines (reviews)"]["isbn_13"] == \
        "9780000000024"
    events = detail_events(db, run.id)
    fetched = [p["url"] for e, p in events if e == "page_fetched"]
    assert sorted(fetched) == [f"{site}/books/item/quiet-harbour.html",
                               f"{site}/books/item/winter-lines.html"]
    # a detail link that 404s: the record is kept without the detail field, and the run says so
    assert "isbn_13" not in books["A Book That Was Withdrawn"]
    [(_, failure)] = [(e, p) for e, p in events if e == "failure"]
    assert failure["url"] == f"{site}/books/item/gone.html" and "404" in failure["error"]


def test_the_detail_page_limit_is_kept_and_reported(db, analyst, make_job, site) -> None:
    package = {**BOOKS, "detail": {**BOOKS["detail"], "max_pages": 1}}
    run = start(db, analyst, make_job(analyst, url="/books/index.html", package=package,
                                      pagination={"type": "none"}))
    assert execute(db, run.id) == "completed"
    books = stored(db, run.id)
    assert books["The Quiet Harbour"]["isbn_13"] == "9780000000017"
    assert len(books) == 4 and sum("isbn_13" in b for b in books.values()) == 1
    limits = [p for e, p in detail_events(db, run.id)
              if e == "failure" and "detail.max_pages" in p["error"]]
    assert [p["url"] for p in limits] == [f"{site}/books/item/winter-lines.html",
                                          f"{site}/books/item/winter-lines.html#reviews",
                                          f"{site}/books/item/gone.html"]
