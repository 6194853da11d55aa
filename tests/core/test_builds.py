"""Builds end to end: the service writes intent, a real worker process (``core.worker build``)
fetches the fixture site, analyses it and runs the samples; feedback makes new iterations;
confirming remembers the package and a second build starts from it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from core import ledger, timeline
from core.builder import builds

from core.scraping import runs
from core.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.timeline import WorkflowRef
from core.worker import serve_once
from db.models import Build, CostKind, KnowledgeBaseEntry, Result
from db.types import utcnow
from tests.fixtures.server import SITES

OBJECTIVE = "all products on these pages: name, price, rating, image, link"
pytestmark = pytest.mark.usefixtures("app_env", "local_fetching")


def catalog(site: str, *pages: int) -> list[str]:
    return [f"{site}/catalog/page{n}.html" for n in pages]


def wait(db, actor, build_id, timeout: float = 120) -> builds.BuildDetail:
    """Poll until the worker is done with the build (it runs in its own process)."""
    deadline = time.monotonic() + timeout
    while True:
        with db.transaction() as session:
            build = builds.get_build(session, actor, build_id)
        if not build.working or time.monotonic() > deadline:
            return build
        time.sleep(0.2)


def create(db, actor, objective: str = OBJECTIVE, urls=(), files=(),
           **options) -> builds.BuildDetail:
    with db.transaction() as session:
        build = builds.create_build(session, actor, builds.BuildInput(
            objective=objective, urls=list(urls), files=list(files), **options))
    return wait(db, actor, build.id)


def feedback(db, actor, build_id, *operations) -> builds.BuildDetail:
    with db.transaction() as session:
        builds.submit_feedback(session, actor, build_id, list(operations))
    return wait(db, actor, build_id)


def events(db, actor, build_id) -> list[tuple[str, dict]]:
    with db.transaction() as session:
        build = builds.get_build(session, actor, build_id)
        table = timeline.events_table(session, WorkflowRef.build(build.id))
    return list(zip(table.event, table.payload))[::-1]  # oldest first


@pytest.fixture
def proposed(db, analyst, site) -> builds.BuildDetail:
    build = create(db, analyst, urls=catalog(site, 1, 2))
    assert build.status == "pending_user_feedback", build.error_message
    return build


def test_an_objective_and_two_catalog_pages_become_a_package_with_samples(
        db, analyst, proposed, site) -> None:
    fields = proposed.report["fields"]
    for name in ("name", "price", "rating", "image", "url"):
        assert fields[name]["hits"] == 2 and not fields[name]["flagged"], name
    assert fields["name"]["values"] == ["Aurora Desk Lamp", "Elm Dining Table"]
    assert fields["price"]["values"][0] == 1299.0
    assert fields["url"]["values"][0] == f"{site}/catalog/items/lmp-101.html"
    assert proposed.package["container"] and proposed.iteration == 1
    assert set(proposed.schema["properties"]) >= {"name", "price", "rating", "image", "url"}
    timeline = events(db, analyst, proposed.id)
    # the two samples, then page 2 again: the preview of the next page the package follows
    assert [p["url"] for e, p in timeline if e == "page_fetched"] == catalog(site, 1, 2, 2)
    assert [p.get("to") for e, p in timeline if e == "state_transition"] == [
        "pending_analysis", "generating_samples", "pending_user_feedback"]
    table = builds.sample_table(proposed)
    assert list(table.columns[:4]) == ["field", "kind", "hit_rate", "flagged"]
    assert table.set_index("field").loc["price", "kind"] == "price"


def test_bad_input_is_refused_before_anything_is_written(db, analyst, viewer) -> None:
    cases = [
        (builds.BuildInput("  ", ["https://example.com/"]), "Describe what you want"),
        (builds.BuildInput("products"), "Give at least one sample"),
        (builds.BuildInput("products", ["ftp://example.com/x"]), "URL 1 (ftp://example.com/x)"),
        (builds.BuildInput("products", [f"https://example.com/{n}" for n in range(11)]),
         "At most 10 samples"),
        (builds.BuildInput("products", files=[("notes.txt", b"<p>hi</p>")]), ".html or .htm"),
        (builds.BuildInput("products", files=[("empty.html", b"just words")]), "no HTML"),
    ]
    for data, message in cases:
        with pytest.raises(ValidationError) as caught, db.transaction() as session:
            builds.create_build(session, analyst, data)
        assert message in str(caught.value)
    with pytest.raises(PermissionDenied), db.transaction() as session:
        builds.create_build(session, viewer, builds.BuildInput("products", ["https://a.com/"]))
    with db.transaction() as session:
        assert builds.list_builds(session, analyst).empty


def test_a_sample_that_fails_is_named_and_the_others_carry_on(db, analyst, site) -> None:
    build = create(db, analyst, urls=[*catalog(site, 1), f"{site}/nowhere.html",
                                      f"{site}/data.json"])
    assert build.status == "pending_user_feedback", build.error_message
    assert any(f"{site}/nowhere.html could not be used: HTTP 404" in n for n in build.notes)
    assert any(f"{site}/data.json could not be used: not an HTML page" in n for n in build.notes)
    failures = [p["url"] for e, p in events(db, analyst, build.id) if e == "failure"]
    assert failures == [f"{site}/nowhere.html", f"{site}/data.json"]
    assert build.report["fields"]["name"]["total"] == 1


def test_no_usable_sample_fails_the_build_with_what_to_try(db, analyst, site) -> None:
    build = create(db, analyst, urls=[f"{site}/nowhere.html", f"{site}/data.json"])
    assert build.status == "failed"
    assert "nowhere.html could not be used: HTTP 404" in build.error_message
    assert "upload them" in build.error_message
    assert build.package is None and build.iteration == 0


def test_uploaded_html_files_are_samples_too(db, analyst, site) -> None:
    page3 = (SITES / "catalog" / "page3.html").read_bytes()
    build = create(db, analyst, urls=catalog(site, 1), files=[("page3.html", page3)])
    assert build.status == "pending_user_feedback", build.error_message
    assert build.uploads == ["page3.html"]
    assert build.report["fields"]["name"]["hits"] == 2
    assert [p["label"] for p in build.report["pages"]] == ["1. page1.html",
                                                           "2. page3.html (uploaded)"]


def test_rename_retype_and_drop_make_a_new_iteration_with_a_diff(db, analyst, proposed) -> None:
    build = feedback(db, analyst, proposed.id,
                     {"op": "rename", "field": "name", "to": "title"},
                     {"op": "retype", "field": "rating", "type": "string"},
                     {"op": "drop", "field": "image"})
    assert build.status == "pending_user_feedback" and build.iteration == 2
    assert "title" in build.package["fields"] and "name" not in build.package["fields"]
    assert "image" not in build.package["fields"] and "image" not in build.schema["properties"]
    assert build.schema["properties"]["rating"]["type"] == "string"
    assert build.report["fields"]["rating"]["values"][0] == "4.5 out of 5"  # title="…"
    assert build.iterations[-1].changes == ["renamed name to title", "rating is now a string",
                                           "dropped image"]
    with db.transaction() as session:
        diff = builds.diff_iterations(session, analyst, build.id, 1, 2).set_index("field")
    assert diff.loc["name", "change"] == "removed" and diff.loc["title", "change"] == "added"
    assert diff.loc["image", "change"] == "removed"
    assert diff.loc["rating", "change"].startswith("changed") and "transforms" in \
        diff.loc["rating", "change"]
    assert diff.loc["title", "hits_after"] == "2/2"
    with pytest.raises(ValidationError, match="no iteration 7"), db.transaction() as session:
        builds.diff_iterations(session, analyst, build.id, 1, 7)


def test_a_field_read_from_the_record_itself_says_so_in_the_diff() -> None:
    from db.models import BuildIteration

    spec = {"selector": None, "take": "attr", "attribute": "data-product-id",
            "transforms": ["strip"]}
    before, after = (BuildIteration(package={"fields": fields}, output_schema={},
                                    sample_report={}) for fields in ({}, {"sku": spec}))
    [row] = builds.compare(before, after)
    assert row[:4] == ["sku", "added", "", "(the record) @data-product-id | strip"]


def test_a_field_from_a_pasted_example_value_is_checked_on_the_other_samples(
        db, analyst, proposed) -> None:
    build = feedback(db, analyst, proposed.id,
                     {"op": "example", "name": "added", "value": "Added March 3, 2024"})
    assert "added" in build.package["fields"]
    assert build.report["fields"]["added"]["hits"] == 2
    assert "it finds a value on 2 of 2 samples" in build.iterations[-1].changes[0]
    # a value on no sample is refused at once: nothing is queued, nothing taken from elsewhere
    with pytest.raises(ValidationError) as refused:
        feedback(db, analyst, build.id,
                 {"op": "example", "name": "colour", "value": "Ultraviolet Unicorn"})
    assert refused.value.problems == ["colour: 'Ultraviolet Unicorn' is on no sample page; copy "
                                      "the value exactly as a sample page shows it"]
    build = wait(db, analyst, build.id)
    assert "colour" not in build.package["fields"] and build.iteration == 2


def test_feedback_is_checked_and_free_text_needs_a_model(db, analyst, proposed) -> None:
    bad = [({"op": "rename", "field": "nope", "to": "x"}, "there is no field 'nope'"),
           ({"op": "rename", "field": "name", "to": "Bad Name"}, "is not a field name"),
           ({"op": "rename", "field": "name", "to": "price"}, "already is a field 'price'"),
           ({"op": "retype", "field": "name", "type": "colour"}, "choose one of"),
           ({"op": "example", "name": "x", "value": " "}, "paste a value"),
           ({"op": "text", "text": "prices are wrong"}, "needs a language model")]
    for op, message in bad:
        with pytest.raises(ValidationError, match=message), db.transaction() as session:
            builds.submit_feedback(session, analyst, proposed.id, [op])
    with db.transaction() as session:
        assert builds.get_build(session, analyst, proposed.id).status == "pending_user_feedback"


def test_marking_a_field_wrong_finds_it_again_or_says_what_to_do(db, analyst, proposed) -> None:
    build = feedback(db, analyst, proposed.id, {"op": "wrong", "field": "rating"})
    assert build.status == "pending_user_feedback" and build.iteration == 2
    change = build.iterations[-1].changes[0]
    assert change.startswith("rating found again") or "paste a value" in change
    if "rating" in build.package["fields"]:
        assert build.package["fields"]["rating"] != proposed.package["fields"]["rating"]


def test_confirm_remembers_the_package_and_makes_a_job_that_runs(
        db, analyst, proposed, site) -> None:
    with pytest.raises(Conflict, match="Confirm the build first"), db.transaction() as session:
        builds.create_schema_and_job(session, analyst, proposed.id)
    with db.transaction() as session:
        confirmed = builds.confirm_build(session, analyst, proposed.id)
    assert confirmed.status == "confirmed" and confirmed.final_package == proposed.package
    with db.transaction() as session:
        entry = session.query(KnowledgeBaseEntry).one()
        assert entry.platform_identifiers == ["127.0.0.1"] and entry.usage_count == 0
        assert entry.source_build_id == proposed.id and len(entry.output_schema_hash) == 64
        made = builds.create_schema_and_job(session, analyst, proposed.id)
        again = builds.create_schema_and_job(session, analyst, proposed.id)
        assert (again.job_id, again.schema_id) == (made.job_id, made.schema_id)
        run = runs.start_run(session, analyst, made.job_id)
    with pytest.raises(Conflict), db.transaction() as session:
        builds.submit_feedback(session, analyst, proposed.id, [{"op": "drop", "field": "name"}])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.transaction() as session:
            if not runs.get_run(session, analyst, run.id).active:
                break
        time.sleep(0.2)
    with db.transaction() as session:
        assert runs.get_run(session, analyst, run.id).status == "completed"
        names = {r.data["name"] for r in session.query(Result).filter_by(run_id=run.id)}
    assert "Aurora Desk Lamp" in names and len(names) >= 8  # page 1 and 2 (and paging on)


def test_a_confirmed_build_run_is_audited_and_holds_to_the_budget(db, analyst, admin, proposed,
                                                                  site) -> None:
    from core import budgets
    from core.budgets import BudgetReached
    from core.ledger import Charge, Owner, prices
    from core.platform import audit

    with db.transaction() as session:
        builds.confirm_build(session, analyst, proposed.id)
        run = builds.run_build(session, analyst, proposed.id, catalog(site, 1))
    with db.transaction() as session:
        runs.cancel_run(session, analyst, run.id)
        prices.seed_starting_prices(session)
        prices.set_price(session, admin, prices.read_new_price("requests", "1"))
        budgets.set_budget(session, analyst, monthly="5")
    with db.transaction() as session:
        ledger.record(session, Owner(analyst.id), [Charge(CostKind.REQUESTS, 5)])
    with pytest.raises(BudgetReached, match="monthly budget"), db.transaction() as session:
        builds.run_build(session, analyst, proposed.id, catalog(site, 1))
    with db.transaction() as session:
        log = audit.list_entries(session, admin, audit.AuditFilter())
    assert [a for a in log.action.tolist() if a.startswith(("build", "run"))] == [
        "run.cancel", "run.start", "build.confirm", "build.create"]
    start = log[log.action == "run.start"].iloc[0]
    assert sorted(str(c) for c in start.changes) == [  # PostgreSQL's JSONB orders the keys
        f"job: {run.job_name}", "trigger: build", "urls: 1"]


def test_a_second_build_on_the_same_site_starts_from_the_knowledge_base(
        db, analyst, proposed, site) -> None:
    with db.transaction() as session:
        builds.confirm_build(session, analyst, proposed.id)
    second = create(db, analyst, "all products: name and price", urls=catalog(site, 3))
    assert second.status == "pending_user_feedback", second.error_message
    assert second.notes[0] == ("Started from the knowledge base: a confirmed package for "
                               "the same site (127.0.0.1).")
    assert second.iterations[0].changes[0].startswith("started from the knowledge base")
    assert ("handoff", "the same site (127.0.0.1)") in [
        (e, p.get("reason")) for e, p in events(db, analyst, second.id)]
    with db.transaction() as session:
        assert session.query(KnowledgeBaseEntry).one().usage_count == 1
        assert session.get(Build, second.id).started_from_entry_id is not None


def test_a_similar_objective_on_another_domain_reuses_the_entry(db, analyst, proposed,
                                                                site) -> None:
    with db.transaction() as session:
        builds.confirm_build(session, analyst, proposed.id)
    other_host = site.replace("127.0.0.1", "localhost")  # another registered "domain"
    second = create(db, analyst, "every product with its name, price and rating",
                    urls=catalog(other_host, 2))
    assert second.status == "pending_user_feedback", second.error_message
    assert second.notes[0].startswith("Started from the knowledge base: a confirmed package "
                                      "for a similar objective (similarity 0.")


def test_an_objective_with_nothing_to_find_fails_clearly(db, analyst) -> None:
    page = b"<html><body><p>Closed for the holidays.</p></body></html>"
    build = create(db, analyst, "zzz qqq", files=[("closed.html", page)])
    assert build.status == "failed"
    assert build.error_message.startswith("Nothing in the objective could be found")


def test_builds_are_private_and_queue_mode_is_served(db, analyst, make_user, site,
                                                     monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")
    from core.platform.settings import get_settings

    get_settings.cache_clear()
    with db.transaction() as session:
        build = builds.create_build(session, analyst, builds.BuildInput(
            OBJECTIVE, catalog(site, 1)))
    with pytest.raises(NotFound), db.transaction() as session:
        builds.get_build(session, make_user("analyst"), build.id)
    with db.transaction() as session:
        assert builds.get_build(session, analyst, build.id).status == "pending_analysis"
    assert serve_once(db, "test-worker") is True
    with db.transaction() as session:
        served = builds.get_build(session, analyst, build.id)
    assert served.status == "pending_user_feedback" and served.iteration == 1


def test_a_build_whose_worker_died_keeps_its_last_iteration(db, analyst, proposed) -> None:
    with db.transaction() as session:
        row = session.get(Build, proposed.id)
        row.status, row.worker_id = "processing_feedback", "gone"
        row.heartbeat_at = utcnow() - timedelta(minutes=5)
        assert builds.reap_stale_builds(session) == 1
    with db.transaction() as session:
        build = builds.get_build(session, analyst, proposed.id)
    assert build.status == "pending_user_feedback" and build.iteration == 1
    assert "Send the feedback again" in build.error_message
    with db.transaction() as session:  # the page's live view notices it too
        row = session.get(Build, proposed.id)
        row.status, row.worker_id = "processing_feedback", "gone"
        row.heartbeat_at = utcnow() - timedelta(minutes=5)
    with db.transaction() as session:
        assert builds.live_build(session, analyst, proposed.id).status == "pending_user_feedback"


def test_correcting_a_field_by_pasting_an_example_value(db, analyst, proposed) -> None:
    build = feedback(db, analyst, proposed.id,
                     {"op": "example", "name": "rating", "value": "Rated 4.5 out of 5"})
    assert build.iterations[-1].changes[0].startswith("corrected rating from the example")
    assert build.report["fields"]["rating"]["hits"] == 2
    assert build.package["fields"]["rating"] != proposed.package["fields"]["rating"]
    # It is still a rating: the element's text, read as a number.
    assert build.report["fields"]["rating"]["values"] == [4.5, 4.6]
    assert builds.field_kind(build.schema, build.package, "rating") == "rating"


# --- With a language model (a real OpenAI-compatible server on 127.0.0.1) -------------------

@pytest.fixture
def model(db, analyst, monkeypatch):  # type: ignore[no-untyped-def]
    """The analyst's provider is the local test server; the worker reads its key."""
    from core import llm
    from core.llm.providers import save_provider
    from core.platform.settings import get_settings
    from tests.fixtures.openai_server import OpenAIServer

    monkeypatch.setenv("SCRAPEDECK_SECRET_KEY", "test-secret-key-for-api-keys-0123456789")
    get_settings.cache_clear()
    with OpenAIServer(api_key="sk-test-builds-0123") as server:
        with db.transaction() as session:
            save_provider(session, analyst, name="Test AI", base_url=server.base_url,
                          model="gpt-4o-mini", api_key="sk-test-builds-0123", timeout_seconds=5)
            assert llm.has_provider(session, analyst.id)
        yield server


def test_a_model_suggests_fields_and_its_tokens_are_billed_to_the_build(
        db, analyst, site, model) -> None:
    from tests.fixtures.openai_server import Reply

    model.script(Reply.json({"fields": [{"name": "name", "type": "string"},
                                        {"name": "tags", "type": "string"}]},
                            prompt_tokens=300, completion_tokens=40))
    build = create(db, analyst, "all products: name, price", urls=catalog(site, 1, 2))
    assert build.status == "pending_user_feedback", build.error_message
    assert "The language model suggested: tags" in build.notes
    with db.transaction() as session:
        spent = ledger.quantities(session, ledger.Scope(build_id=build.id))
    assert (spent[CostKind.LLM_INPUT_TOKENS], spent[CostKind.LLM_OUTPUT_TOKENS]) == (300, 40)
    # The sample fetches are billed to the build too: one request per sample page and one for
    # the preview of the list's next page, and their bytes.
    assert spent[CostKind.REQUESTS] == 3 and spent[CostKind.BYTES_FETCHED] > 3_000
    assert CostKind.RENDERS not in spent  # the catalog pages need no JavaScript


def test_free_text_feedback_is_read_by_the_model_and_applied(db, analyst, site, model) -> None:
    from tests.fixtures.openai_server import Reply

    model.script(Reply.json({"fields": [{"name": "name", "type": "string"}]}),
                 Reply.json({"operations": [{"op": "rename", "field": "name", "to": "title"},
                                            {"op": "drop", "field": "nope"}]}),
                 Reply.json({"operations": [{"op": "rename", "field": "name", "to": "title"}]}))
    build = create(db, analyst, "all products: name, price", urls=catalog(site, 1))
    build = feedback(db, analyst, build.id, {"op": "text", "text": "call the name a title"})
    # The first answer named a field that does not exist: refused as garbage, nothing changed.
    assert build.iteration == 2 and "name" in build.package["fields"]
    assert build.iterations[-1].changes == [
        "free-text feedback was not applied: the model could not read it"]
    build = feedback(db, analyst, build.id, {"op": "text", "text": "call the name a title"})
    assert build.iterations[-1].changes == [
        "the model read your feedback as: renamed name to title"]
    assert "title" in build.package["fields"]


def test_a_model_that_answers_garbage_or_times_out_leaves_the_build_going(
        db, analyst, site, model) -> None:
    from tests.fixtures.openai_server import Reply

    model.script(Reply.text("Sure! Here are some fields: name, price"))
    build = create(db, analyst, "all products: name, price", urls=catalog(site, 1))
    assert build.status == "pending_user_feedback"
    assert any(n.startswith("The language model could not suggest fields (") for n in build.notes)
    assert ("failure", "model") in [(e, p.get("asked") and "model")
                                    for e, p in events(db, analyst, build.id)]
    model.script(Reply.slow(8))  # the provider's timeout is 5 s
    build = feedback(db, analyst, build.id, {"op": "wrong", "field": "price"})
    assert build.status == "pending_user_feedback" and build.iteration == 2
    assert any("could not repair price" in n for n in build.notes)


def test_a_page_that_needs_javascript_is_rendered_in_chromium(db, analyst, site) -> None:
    build = create(db, analyst, "all products: name, price", urls=[f"{site}/js/listing.html"])
    assert build.status == "pending_user_feedback", build.error_message
    fetched = [p for e, p in events(db, analyst, build.id) if e == "page_fetched"]
    assert fetched[0]["rendered"] is True
    with db.transaction() as session:  # the render is billed to the build
        spent = ledger.quantities(session, ledger.Scope(build_id=build.id))
    assert spent[CostKind.RENDERS] == 1 and spent[CostKind.BROWSER_SECONDS] > 0
    assert build.report["fields"]["name"]["values"] == ["Meridian Clock"]
    assert build.report["record_counts"][f"{site}/js/listing.html"] == 3
    # the records exist only after scripts ran: the build says so and the package renders
    assert any("only appear after JavaScript (3 in the rendered page, none in its HTML)" in n
               for n in build.notes)
    assert build.package["render"] == {"javascript": True,
                                       "wait_for": build.package["container"]}


def test_the_render_switch_and_wait_for_come_from_the_form(db, analyst, site) -> None:
    with db.transaction() as session, pytest.raises(ValidationError) as refused:
        builds.create_build(session, analyst, builds.BuildInput(
            objective="all products: name, price", urls=[f"{site}/js/listing.html"],
            wait_for="div["))
    assert "Wait for: 'div[' is not a valid CSS selector" in str(refused.value)
    build = create(db, analyst, "all products: name, price", urls=[f"{site}/js/listing.html"], render=True,
                   wait_for="div.product")
    assert (build.render, build.wait_for) == (True, "div.product")
    assert build.package["render"] == {"javascript": True, "wait_for": "div.product"}
    assert "Samples rendered in Chromium as asked, waiting for 'div.product'." in build.notes


def test_fields_only_on_each_record_s_page_are_read_there_in_one_job(db, analyst, site) -> None:
    build = create(db, analyst, "all books: title, price, isbn_13",
                   urls=[f"{site}/books/index.html"])
    assert build.status == "pending_user_feedback", build.error_message
    detail = build.package["detail"]
    assert detail["link"] == "url" and list(detail["fields"]) == ["isbn_13"]
    assert build.report["detail"]["fields"]["isbn_13"][:2] == ["9780000000017", "9780000000024"]
    assert any("isbn_13: not on the listing; read on each record's own page" in n
               for n in build.notes)
    assert not any(n.startswith("Could not find 'isbn_13'") for n in build.notes)
    assert build.schema["properties"]["isbn_13"]["x-kind"] == "string"


def test_a_list_s_next_page_is_carried_into_the_package_with_a_preview(
        db, analyst, proposed, site) -> None:
    assert proposed.package["pagination"] == {"type": "next_button", "selector": "a.next"}
    preview = proposed.report["next_page"]
    assert preview["url"] == f"{site}/catalog/page2.html" and preview["error"] is None
    assert preview["count"] == proposed.report["record_counts"][f"{site}/catalog/page2.html"]
    assert preview["records"][0]["name"] == "Elm Dining Table"
    assert f"Page 2 ({site}/catalog/page2.html): {preview['count']} records with this " \
        "package." in proposed.notes


def test_a_field_found_on_some_samples_only_is_flagged(db, analyst, site) -> None:
    page = (SITES / "catalog" / "page2.html").read_text()
    without_ratings = "\n".join(line for line in page.splitlines() if 'class="rating"' not in line)
    build = create(db, analyst, urls=catalog(site, 1),
                   files=[("no-ratings.html", without_ratings.encode())])
    assert build.status == "pending_user_feedback", build.error_message
    rating = build.report["fields"]["rating"]
    assert (rating["hits"], rating["total"], rating["flagged"]) == (1, 2, True)
    assert rating["values"] == [4.5, None]
    table = builds.sample_table(build).set_index("field")
    assert table.loc["rating", "flagged"] == "works on some samples only"
    assert table.loc["name", "flagged"] == ""
