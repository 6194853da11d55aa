"""The Results page: the table with search, filters, threshold, sorting and paging; a result's
detail; the charts; an export from request to download button."""

import json

import pytest

from core.scraping import exports
from db.models import Export
from tests.core.test_results import add_run
from tests.pages.conftest import by_label, runs_of_one_job, texts

LAMPS = [{"name": f"lamp {n}", "price": n, "colour": "red" if n % 3 else "blue"}
         for n in range(30)]


def open_page(app, who):  # type: ignore[no-untyped-def]
    return app(who.email).switch_page("pages/results.py").run()


@pytest.fixture
def lamps(db, analyst):  # type: ignore[no-untyped-def]
    """30 lamps; confidence 0.0, 0.1, … 0.9, 0.0, …; two per page."""
    return add_run(db, analyst, LAMPS, confidences=[n % 10 / 10 for n in range(30)])[1]


def count_caption(at) -> str:  # type: ignore[no-untyped-def]
    return next(c for c in texts(at, "caption") if " · page " in c)


def shown_names(at) -> list[str]:  # type: ignore[no-untyped-def]
    return at.dataframe[0].value["name"].tolist()


def test_without_runs_the_page_says_where_results_come_from(app, analyst) -> None:
    assert "No runs yet" in texts(open_page(app, analyst), "info")[0]


def test_another_analysts_runs_are_not_offered(app, analyst, make_user, lamps) -> None:
    assert "No runs yet" in texts(open_page(app, make_user("analyst")), "info")[0]


def test_the_table_shows_the_newest_results_first(app, analyst, lamps) -> None:
    at = open_page(app, analyst)
    assert not at.exception
    assert count_caption(at) == "30 results · page 1 of 1"
    assert shown_names(at)[:3] == ["lamp 29", "lamp 28", "lamp 27"]
    assert by_label(at.selectbox, "Run").options[0].endswith("· completed · 30 items")


def test_an_empty_run_says_so_instead_of_a_table_and_has_no_charts(app, db, analyst) -> None:
    add_run(db, analyst, [])
    at = open_page(app, analyst)
    assert "No results in this run yet." in texts(at, "info") and not at.dataframe
    at.session_state["results_tab"] = "Charts"
    at = at.run()
    assert not at.exception
    assert texts(at, "caption").count("No results in this run yet.") == 2
    assert not at.selectbox(key="results_run").disabled  # no "Open a result" box: rows are clicked
    assert [s.label for s in at.selectbox] == ["Run", "Sort by", "Rows per page"]


def test_search_filters_and_threshold_change_the_count(app, analyst, lamps) -> None:
    at = open_page(app, analyst)
    at = by_label(at.text_input, "Search").input("LAMP 1").run()
    assert count_caption(at) == "11 results · page 1 of 1"  # lamp 1, lamp 10 … lamp 19
    at = by_label(at.text_input, "Search").input("").run()
    at = by_label(at.multiselect, "Filter by field").select("colour").run()
    at = by_label(at.text_input, "colour contains").input('"blue"').run()
    assert count_caption(at) == "10 results · page 1 of 1"
    at = by_label(at.slider, "Minimum confidence").set_value(0.9).run()
    assert shown_names(at) == ["lamp 9"]  # blue (n % 3 == 0) with confidence 0.9


def test_a_search_that_finds_nothing_says_so_instead_of_an_empty_table(app, analyst,
                                                                       lamps) -> None:
    at = by_label(open_page(app, analyst).text_input, "Search").input("no such lamp").run()
    assert not at.exception
    assert "No results match the search and filters." in texts(at, "info")
    assert not at.dataframe and not [c for c in texts(at, "caption") if " · page " in c]
    at = by_label(at.text_input, "Search").input("").run()
    assert count_caption(at) == "30 results · page 1 of 1"


def test_paging_sorting_and_back_to_page_one(app, analyst, lamps) -> None:
    at = open_page(app, analyst)
    at = by_label(at.selectbox, "Rows per page").set_value(25).run()
    at = at.number_input(key="results_page").set_value(2).run()
    assert count_caption(at) == "30 results · page 2 of 2"
    assert shown_names(at) == [f"lamp {n}" for n in range(4, -1, -1)]
    at = by_label(at.selectbox, "Sort by").set_value("price").run()
    at = by_label(at.toggle, "Descending").set_value(False).run()
    assert count_caption(at) == "30 results · page 1 of 2"  # a new order starts on page 1
    assert shown_names(at)[:3] == ["lamp 0", "lamp 1", "lamp 2"]  # as numbers: 2 before 10


def click_row(at, n: int):  # type: ignore[no-untyped-def]
    """What a click on the table's row ``n`` does: the dataframe's selection state."""
    at.session_state["results_table"] = {"selection": {"rows": [n], "columns": [], "cells": []}}
    return at.run()


def test_a_click_on_a_row_opens_that_result(app, analyst, lamps) -> None:
    at = open_page(app, analyst)
    assert "Tick a row (its box on the left) to see that result in full." in texts(at, "caption")
    assert not at.json
    at = click_row(at, 2)
    assert json.loads(at.json[0].value) == LAMPS[27]
    assert at.code[0].value == "https://shop.example/page/14"
    assert "Fetched at 2025-03-01 12:00:27 UTC" in texts(at, "text")


def test_charts_show_fill_rates_and_items_per_page(app, analyst, lamps) -> None:
    at = open_page(app, analyst)
    at.session_state["results_tab"] = "Charts"
    at = at.run()
    assert not at.exception
    assert texts(at, "subheader") == ["Fields filled", "Items per page"]
    captions = texts(at, "caption")
    assert "Share of results in which each field has a value, over all 30 results." in captions
    assert "Results extracted per page, over 15 pages." in captions
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    items_axis = json.loads(charts[1].proto.spec)["encoding"]["x"]["axis"]
    assert items_axis == {"format": "d", "tickMinStep": 1}  # whole items, never 3.8


def test_export_then_download(app, db, analyst, lamps, monkeypatch) -> None:
    spawned: list[list[str]] = []
    monkeypatch.setattr("core.platform.work.spawn_worker", spawned.append)  # the worker is run below
    at = open_page(app, analyst)
    at.session_state["results_tab"] = "Exports"
    at = by_label(at.run().selectbox, "Format").set_value("parquet").run()
    at = by_label(at.button, "Export").click().run()
    assert "Parquet export started; it appears below when ready." in texts(at, "success")
    assert any(line.endswith("· preparing…") for line in texts(at, "text"))
    assert not at.download_button
    with db.transaction() as session:
        [export_id] = [row.id for row in session.query(Export)]
    assert spawned == [["export", str(export_id)]]  # after the request was committed

    assert exports.perform_export(db, export_id).status == "completed"
    at = at.run()
    assert [b.label for b in at.download_button] == ["Download"]
    assert any("Parquet" in line and "30 rows" in line for line in texts(at, "text"))


def test_a_failed_export_says_why(app, db, analyst, lamps, monkeypatch) -> None:
    monkeypatch.setattr("core.platform.work.spawn_worker", lambda args: None)
    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 10)
    at = open_page(app, analyst)
    at.session_state["results_tab"] = "Exports"
    at = by_label(at.run().selectbox, "Format").set_value("xlsx").run()
    at = by_label(at.button, "Export").click().run()
    with db.transaction() as session:
        exports.perform_export(db, session.query(Export.id).scalar())
    at = at.run()
    assert "Excel holds at most 10 rows and this export has 30 results" in texts(at, "error")[0]
    assert not at.download_button


def test_all_runs_of_the_job(app, db, analyst) -> None:
    job_id, _ = add_run(db, analyst, LAMPS[:10])
    add_run(db, analyst, LAMPS[10:], job_id=job_id)
    at = open_page(app, analyst)
    assert count_caption(at) == "20 results · page 1 of 1"  # the newest run
    at = by_label(at.toggle, "All runs of this job").set_value(True).run()
    assert count_caption(at) == "30 results · page 1 of 1"


def rerun_of_lamps(db, analyst):  # type: ignore[no-untyped-def]
    """A job whose second run found the 30 lamps again and stored none: the first run had them."""
    from db.models import Run
    job_id, first = add_run(db, analyst, LAMPS)
    _, second = add_run(db, analyst, [], job_id=job_id)
    with db.transaction() as session:
        run = session.get(Run, second)
        run.items_found, run.meta = 30, {"already_stored_by": {str(first): 30}}
        return first, session.get(Run, first).created_at


def test_a_rerun_that_stored_nothing_says_where_its_items_are(app, db, analyst) -> None:
    first, started = rerun_of_lamps(db, analyst)
    at = open_page(app, analyst)
    assert not at.dataframe
    assert texts(at, "info")[0].startswith(
        f"30 found, all already stored by the run of {started:%Y-%m-%d %H:%M:%S}.")
    at = by_label(at.button, f"Open the run of {started:%Y-%m-%d %H:%M:%S}").click().run()
    assert at.session_state["results_run"] == first
    assert count_caption(at) == "30 results · page 1 of 1"


def test_a_link_from_the_runs_page_opens_results_on_that_run(app, db, analyst) -> None:
    first, _ = rerun_of_lamps(db, analyst)
    at = app(analyst.email).switch_page("pages/results.py")
    at.query_params["run"] = str(first)
    at = at.run()
    assert at.session_state["results_run"] == first
    assert count_caption(at) == "30 results · page 1 of 1"


def set_search_and_filter(at):  # type: ignore[no-untyped-def]
    at = by_label(at.text_input, "Search").input("lamp").run()
    at = by_label(at.multiselect, "Filter by field").select("colour").run()
    at = by_label(at.text_input, "colour contains").input('"blue"').run()
    at = by_label(at.selectbox, "Sort by").set_value("price").run()
    return by_label(at.toggle, "Descending").set_value(False).run()


def test_search_and_filters_survive_a_visit_to_the_charts(app, analyst, lamps) -> None:
    at = set_search_and_filter(open_page(app, analyst))
    assert count_caption(at) == "10 results · page 1 of 1"
    at.session_state["results_tab"] = "Charts"
    at = at.run()
    # The charts follow them too: 10 blue lamps, one per page (n = 0, 3, 6 … 27).
    assert "Share of results in which each field has a value, over all 10 results." in \
        texts(at, "caption")
    assert "Results extracted per page, over 10 pages." in texts(at, "caption")
    at.session_state["results_tab"] = "Table"
    at = at.run()
    assert not at.exception
    assert by_label(at.text_input, "Search").value == "lamp"
    assert by_label(at.text_input, "colour contains").value == '"blue"'
    assert by_label(at.selectbox, "Sort by").value == "price"
    assert count_caption(at) == "10 results · page 1 of 1"
    assert shown_names(at)[:3] == ["lamp 0", "lamp 3", "lamp 6"]


def export_rows(db, at, monkeypatch):  # type: ignore[no-untyped-def]
    """Click Export (CSV) on the Exports tab, run the worker's part, read the file back."""
    import csv
    monkeypatch.setattr("core.platform.work.spawn_worker", lambda args: None)
    at.session_state["results_tab"] = "Exports"
    at = by_label(at.run().button, "Export").click().run()
    with db.transaction() as session:
        [export_id] = [row.id for row in session.query(Export)]
    info = exports.perform_export(db, export_id)
    assert info.status == "completed", info.error_message
    with db.transaction() as session:
        path = session.get(Export, export_id).file_path
    with open(path, encoding="utf-8", newline="") as f:
        return at.run(), list(csv.DictReader(f))


def test_an_export_holds_what_the_table_shows(app, db, analyst, lamps, monkeypatch) -> None:
    at = set_search_and_filter(open_page(app, analyst))
    table = shown_names(at)
    at, rows = export_rows(db, at, monkeypatch)
    assert [row["name"] for row in rows] == table  # the filter and the sort, every page
    said = ("this run · search “lamp” · colour is “blue” · sorted by price, ascending")
    assert f"The file holds every result the table shows, on every page: {said}." in \
        texts(at, "caption")
    assert any(said in line and "10 rows" in line for line in texts(at, "text"))


def test_an_export_of_all_runs_of_the_job(app, db, analyst, monkeypatch) -> None:
    job_id, _ = add_run(db, analyst, LAMPS[:10])
    add_run(db, analyst, LAMPS[10:], job_id=job_id)
    at = open_page(app, analyst)
    at = by_label(at.toggle, "All runs of this job").set_value(True).run()
    at = by_label(at.selectbox, "Rows per page").set_value(25).run()
    at = by_label(at.selectbox, "Sort by").set_value("price").run()
    assert count_caption(at) == "30 results · page 1 of 2"
    at.session_state["results_tab"] = "Charts"
    at = at.run()
    assert "No results in this run yet." not in texts(at, "caption")
    assert "Share of results in which each field has a value, over all 30 results." in \
        texts(at, "caption")
    at, rows = export_rows(db, at, monkeypatch)
    assert [row["name"] for row in rows] == [f"lamp {n}" for n in range(29, -1, -1)]
    assert by_label(at.toggle, "All runs of this job").value


def test_a_field_whose_fill_rate_fell_is_flagged_above_the_table(app, db, analyst) -> None:
    full = [{"name": f"lamp {n}", "price": 10 + n} for n in range(10)]
    runs_of_one_job(db, analyst, full, full, [{"name": f"lamp {n}", "price": 10 + n if n < 4
                                               else None} for n in range(10)])

    at = open_page(app, analyst)  # the newest run

    warnings = texts(at, "warning")
    assert any(w.startswith("price empty on 60% of pages since this run") and
               "the site changed?" in w for w in warnings), warnings
    assert not any("name" in w.split(" ", 1)[0] for w in warnings)
