"""Selectors that heal: every run adds, per job and field, its attempts and which selector read
the value (primary or fallback) to ``element_selectors``; the success rate and last
verification follow."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.scraping import runs
from core.scraping.runner import claim, execute_run
from core.scraping.field_health import run_field_health
from core.scraping.selector_health import job_selectors
from db.models import ElementSelector

PACKAGE = {
    "version": 1,
    "container": "div.product",
    "fields": {
        "name": {"selector": "h2.name", "transforms": ["strip"], "required": True},
        # the site "changed": the primary selector finds nothing, the build's fallback does
        "price": {"selector": ".price-now", "transforms": ["price"],
                  "fallbacks": [{"selector": ".cost"}, {"selector": ".price",
                                                        "transforms": ["price"]}]},
        "colour": {"selector": ".colour"},  # on no page at all
    },
}


def _run(db, actor, job_id):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        run_id = runs.start_run(session, actor, job_id).id
    with db.transaction() as session:
        assert claim(session, run_id, "pytest")
    assert execute_run(db, run_id) == "completed"
    return run_id


@pytest.mark.usefixtures("local_fetching")
def test_each_run_adds_its_reads_per_field_and_says_which_selector_worked(db, analyst,
                                                                           make_job) -> None:
    job_id = make_job(analyst, package=PACKAGE, pagination={"type": "none"})
    _run(db, analyst, job_id)
    with db.transaction() as session:
        first = {s.field: s for s in job_selectors(session, analyst, job_id)}

    assert set(first) == {"name", "price", "colour"}
    price = first["price"]
    assert (price.primary, price.fallbacks) == (".price-now", [".cost", ".price"])
    assert price.attempts == 4 and price.primary_hits == 0 and price.fallback_hits == {"2": 4}
    assert price.success_rate == 1.0 and price.last_verified is not None
    assert price.page_path == "/catalog/page1.html"
    assert first["name"].primary_hits == 4 and first["name"].success_rate == 1.0
    colour = first["colour"]
    assert colour.attempts == 4 and colour.success_rate == 0.0 and colour.last_verified is None

    run_id = _run(db, analyst, job_id)
    with db.transaction() as session:
        health = {h.field: h for h in run_field_health(session, analyst, run_id)}
        second = {s.field: s for s in job_selectors(session, analyst, job_id)}
        rows = session.scalars(select(ElementSelector)
                               .where(ElementSelector.job_id == job_id)).all()
    assert second["price"].attempts == 8 and second["price"].fallback_hits == {"2": 8}
    assert second["price"].last_verified >= price.last_verified
    assert len(rows) == 3 and {r.user_id for r in rows} == {analyst.id}
    assert rows[0].meta.keys() >= {"primary_hits", "fallback_hits", "empty"}
    # the Results page's view of the run: the price is read by a fallback only
    assert health["price"].fallback_hits == 8 and health["price"].success_rate == 1.0
    assert "its primary selector finds nothing any more" in health["price"].reason
    assert health["name"].reason == "" and health["name"].attempts == 8
