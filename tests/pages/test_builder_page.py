"""The Objective builder page: start a build, see its samples, correct it, confirm, make a job."""

from __future__ import annotations

import pytest

from core.builder import builds
from core.platform.settings import get_settings
from tests.core.test_builds import OBJECTIVE, catalog, create, wait
from tests.pages.conftest import by_label, texts


def open_page(app, who):  # type: ignore[no-untyped-def]
    return app(who.email).switch_page("pages/builder.py").run()


def frame(at, column: str):  # type: ignore[no-untyped-def]
    """The first table on the page with this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.fixture
def proposed(db, analyst, site, local_fetching) -> builds.BuildDetail:
    return create(db, analyst, urls=catalog(site, 1, 2))


def test_no_builds_yet_points_to_the_form(app, analyst) -> None:
    at = open_page(app, analyst)
    assert "No builds yet. Start one with New build above." in texts(at, "info")[0]


def test_starting_a_build_from_the_form(app, analyst, monkeypatch, local_fetching) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")  # nothing executes: the page shows the intent
    get_settings.cache_clear()
    at = open_page(app, analyst)
    by_label(at.text_area, "What do you want?").input(OBJECTIVE)
    by_label(at.text_area, "Sample URLs (one per line, up to 10)").input("ftp://x.example/")
    at = by_label(at.button, "Start build").click().run()
    assert "URL 1 (ftp://x.example/)" in texts(at, "error")[0]  # what was typed is kept
    by_label(at.text_area, "Sample URLs (one per line, up to 10)").input(
        "https://shop.example.com/catalog?page=1\nhttps://shop.example.com/catalog?page=2")
    at = by_label(at.button, "Start build").click().run()
    assert "Build started: the samples are being fetched." in texts(at, "success"), \
        texts(at, "error")
    assert at.dataframe[0].value.status.tolist() == ["Pending analysis"]  # read, not a code
    assert "Fetching the samples and analysing them…" in texts(at, "info")


def test_samples_corrections_confirm_and_job(app, db, analyst, proposed) -> None:
    at = open_page(app, analyst)
    assert not at.exception
    table = frame(at, "hit_rate").set_index("field")
    assert table.loc["name", "hit_rate"] == "2/2"
    assert table.loc["name", "1. page1.html"] == "Aurora Desk Lamp"
    assert table.loc["name", "2. page2.html"] == "Elm Dining Table"
    assert "Free-text feedback needs a language model" in " ".join(texts(at, "caption"))
    records = frame(at, "image")  # every record of the first sample
    assert len(records) == 4 and records.name.tolist()[1] == "Beacon Floor Lamp"

    by_label(at.text_input, "Field name").input("title")  # rename name → title
    at = by_label(at.button, "Apply corrections").click().run()
    assert "Feedback sent: a new iteration is on its way." in texts(at, "success")
    assert wait(db, analyst, proposed.id).iteration == 2
    at = at.run()
    assert "title" in frame(at, "hit_rate").field.tolist()
    assert frame(at, "changes").changes.tolist()[-1] == "renamed name to title"
    diff = frame(at, "hits_after").set_index("field")  # iteration 1 → 2
    assert diff.loc["name", "change"] == "removed" and diff.loc["title", "change"] == "added"

    at = by_label(at.button, "Confirm this package").click().run()
    assert "Confirmed and remembered in the knowledge base." in texts(at, "success")
    at = by_label(at.button, "Create schema and job").click().run()
    assert "Created an extractor schema and a job from this build." in texts(at, "success")
    with db.transaction() as session:
        assert builds.get_build(session, analyst, proposed.id).job_id is not None
    assert by_label(at.button, "Start a run of the job")


def test_the_knowledge_base_page_lists_shares_and_forgets(app, db, analyst) -> None:
    from core.builder import knowledge
    from db.models import Build

    at = app(analyst.email).switch_page("pages/knowledge_base.py").run()
    assert "Nothing yet: confirm a build" in texts(at, "info")[0]
    with db.transaction() as session:
        build = Build(user_id=analyst.id, user_objective=OBJECTIVE, status="confirmed",
                      initial_target_urls=["https://www.shop.example.com/c"],
                      final_config_package={"version": 1, "fields": {"name": {"selector": "h2"}}},
                      output_schema={"type": "object"})
        session.add(build)
        session.flush()
        knowledge.remember(session, build)
    at = at.run()
    table = frame(at, "sites")
    assert table.sites.tolist() == ["example.com"] and table.fields.tolist() == ["name"]
    at = by_label(at.button, "Share with everyone").click().run()
    assert "Shared: every user's builds can start from it." in texts(at, "success")
    assert frame(at, "sites").is_public.tolist() == [True]
    at = by_label(at.checkbox, "I want to forget this entry").check().run()
    at = by_label(at.button, "Forget").click().run()
    assert "Forgotten." in texts(at, "success")
    assert "Nothing yet" in texts(at, "info")[0]


def test_the_form_s_render_switch_reaches_the_build(app, db, analyst, monkeypatch,
                                                               local_fetching) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")  # nothing executes: the build keeps what was asked
    get_settings.cache_clear()
    at = open_page(app, analyst)
    by_label(at.text_area, "What do you want?").input(OBJECTIVE)
    by_label(at.text_area, "Sample URLs (one per line, up to 10)").input(
        "https://shop.example.com/catalog?page=1")
    by_label(at.toggle, "Render JavaScript").set_value(True)  # no wait-for: the switch alone
    at = by_label(at.button, "Start build").click().run()
    assert "Build started: the samples are being fetched." in texts(at, "success"), \
        texts(at, "error")
    from sqlalchemy import select

    from db.models import Build
    with db.transaction() as session:
        (build,) = session.scalars(select(Build).where(Build.user_id == analyst.id))
        assert (build.render_javascript, build.wait_for) == (True, None)
