"""Per-field evidence, confidence and flags: a build's fields (samples) and a run's fields
(fill rate against the job's previous runs)."""

from __future__ import annotations

from core.builder.field_evidence import field_evidence
from core.scrape.evidence import spec_source
from core.scraping.field_health import run_field_health
from db.models import ScrapingJob
from tests.core.test_results import add_run

PACKAGE = {"version": 1, "fields": {
    "name": {"selector": "h1"},
    "price": {"selector": "Product.offers.price", "selector_type": "jsonld"},
    "isbn": {"selector": ".//b[normalize-space()='ISBN-13:']/following-sibling::text()[1]",
             "selector_type": "xpath"},
    "note": {"selector": "div > span"},
}}


def test_each_kind_of_selector_is_named_as_its_evidence():
    kinds = {name: spec_source(spec).kind for name, spec in PACKAGE["fields"].items()}
    assert kinds == {"name": "main heading", "price": "structured data (JSON-LD)",
                     "isbn": "label beside the value", "note": "position in the page"}
    assert spec_source({"selector": "span[itemprop=price]"}).kind == "microdata (itemprop)"
    assert spec_source({"selector": ".price"}).kind == "class or attribute"


def test_a_build_flags_fields_found_on_some_samples_the_same_everywhere_or_by_position():
    report = {"fields": {
        "name": {"hits": 3, "total": 3, "values": ["Game Over", "Bree", "Window"]},
        "price": {"hits": 2, "total": 3, "values": [9.99, None, 12.5]},
        "isbn": {"hits": 3, "total": 3, "values": ["978031", "978142", "978143"]},
        "note": {"hits": 3, "total": 3, "values": ["Browse", "Browse", "Browse"]},
    }}

    found = {e.field: e for e in field_evidence(PACKAGE, report, {"price": "price"})}

    assert not found["name"].low and found["name"].confidence == 0.85
    assert not found["isbn"].low and found["isbn"].source == "label beside the value"
    assert found["price"].low and found["price"].reason == "found on 2 of 3 samples"
    assert found["price"].confidence == round(0.95 * 2 / 3, 2)
    assert found["note"].low and found["note"].confidence <= 0.5
    assert "the same text on every sample ('Browse')" in found["note"].reason
    assert "position only" in found["note"].reason


def test_a_field_whose_fill_rate_falls_against_the_jobs_previous_runs_is_flagged(db, analyst):
    full = [{"name": f"lamp {n}", "price": 10 + n} for n in range(10)]
    job_id, first = add_run(db, analyst, full)
    with db.transaction() as session:
        session.get(ScrapingJob, job_id).config_package = {
            "version": 1, "fields": {"name": PACKAGE["fields"]["name"], "price": {
                "selector": ".price"}}}
    _, second = add_run(db, analyst, full, job_id=job_id)
    later = [{"name": f"lamp {n}", "price": 10 + n if n < 4 else None} for n in range(10)]
    _, third = add_run(db, analyst, later, job_id=job_id)

    with db.transaction() as session:
        before = {h.field: h for h in run_field_health(session, analyst, second)}
        now = {h.field: h for h in run_field_health(session, analyst, third)}

    assert not before["price"].flagged and before["price"].before == 1.0
    assert now["price"].dropped and now["price"].share == 0.4 and now["price"].before == 1.0
    assert now["price"].reason.startswith("price empty on 60% of pages since this run")
    assert "the site changed?" in now["price"].reason
    assert not now["name"].flagged and now["name"].confidence == 0.85
