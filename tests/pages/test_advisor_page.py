"""The Architecture advisor page: ask with bad input (a clear message, nothing saved), ask the
done-when scenario, and read both finished runs side by side with evidence and the export."""

from __future__ import annotations

from core.advisor import records
from core.worker import execute_one
from tests.advisor.conftest import SCENARIO, docs  # noqa: F401 - the fixture
from tests.pages.conftest import by_label, texts

PAGE = "pages/advisor.py"


def open_page(app, who):  # type: ignore[no-untyped-def]
    return app(who.email).switch_page(PAGE).run()


def test_bad_constraints_are_refused_with_a_message(app, analyst, docs) -> None:
    at = open_page(app, analyst)
    assert not at.exception and "No questions yet." in texts(at, "info")
    by_label(at.text_area, "The system you need").input("an API")
    by_label(at.text_area, "Constraints (JSON, optional)").input("{budget")
    at = by_label(at.button, "Ask").click().run()
    assert not at.exception
    assert any("not JSON" in e for e in texts(at, "error"))
    assert "No questions yet." in texts(at, "info")


def test_a_finished_question_shows_both_runs_with_evidence(app, analyst, db, docs) -> None:
    at = open_page(app, analyst)
    by_label(at.text_area, "The system you need").input(SCENARIO)
    at = by_label(at.button, "Ask").click().run()
    assert not at.exception
    assert "Asked: the runs are on their way." in texts(at, "success")
    with db.transaction() as session:
        asked = records.recent(session, analyst)[0]
        runs = records.show(session, analyst, asked.id).runs
    for run in runs:
        execute_one(db, "advisor", run.id)
    at = at.run()
    assert not at.exception
    assert [h.value for h in at.subheader] == ["AWS", "AZURE"]
    captions = texts(at, "caption")
    assert sum("Accepted: every required check passes" in c for c in captions) == 2
    assert any(c.startswith("Evidence: High availability for Amazon Aurora") for c in captions)
    assert any("distribute the primary instance and reader instances" in t.value
               for t in at.text)
    assert len(at.get("graphviz_chart")) == 2
    assert at.get("download_button")
    cited = {b.proto.url for b in at.get("link_button")}
    assert cited and all(url.startswith((docs.base("aws"), docs.base("azure"))) for url in cited)
    assert "Optimised for cost." in captions
