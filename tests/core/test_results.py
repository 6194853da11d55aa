"""Browsing results: pagination, sorting (numbers as numbers), search, field filters, the
confidence threshold, totals, job-wide views, charts' figures, and who may see what.

``add_run`` is the one way these tests (and the export, CLI and page tests) make results: rows
inserted through the models, as the worker would store them."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from core.scraping import field_indexes, results
from core.platform.errors import NotFound, ValidationError
from core.scraping.results import CONFIDENCE, FETCHED_AT, SOURCE_URL, FieldFilter, ResultQuery
from db.models import Result, Run, ScrapingJob

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def add_run(db, owner, items: list[dict[str, Any]], *, job_id: uuid.UUID | None = None,
            confidences: list[float] | None = None, urls: list[str] | None = None,
            job_name: str = "Lamps") -> tuple[uuid.UUID, uuid.UUID]:  # type: ignore[no-untyped-def]
    """A completed run of ``owner`` (in a new job unless ``job_id``) whose results are ``items``,
    fetched one second apart in list order, two per page unless ``urls`` says otherwise, and
    counted in ``items_extracted`` as the worker does. Returns (job id, run id)."""
    with db.transaction() as session:
        if job_id is None:
            job = ScrapingJob(user_id=owner.id, name=job_name, target_url="https://shop.example/")
            session.add(job)
            session.flush()
            job_id = job.id
        run = Run(job_id=job_id, user_id=owner.id, status="completed",
                  idempotency_key=uuid.uuid4().hex, items_extracted=len(items))
        session.add(run)
        session.flush()
        for n, data in enumerate(items):
            session.add(Result(
                run_id=run.id, job_id=job_id, data=data, content_hash=uuid.uuid4().hex,
                source_url=urls[n] if urls else f"https://shop.example/page/{n // 2 + 1}",
                confidence_score=confidences[n] if confidences else 1.0,
                created_at=T0 + timedelta(seconds=n)))
        return job_id, run.id


def query(db, actor, **fields):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return results.query_results(session, actor, ResultQuery(**fields))


def names(page) -> list[Any]:  # type: ignore[no-untyped-def]
    return [None if value != value else value for value in page.frame["name"]]  # NaN → None


LAMPS = [{"name": f"lamp {n}"} for n in range(7)]


class TestPages:
    def test_newest_first_in_pages_with_totals(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, LAMPS)
        first = query(db, analyst, run_id=run_id, page_size=3)
        assert (first.total, first.pages, first.page) == (7, 3, 1)
        assert names(first) == ["lamp 6", "lamp 5", "lamp 4"]
        assert names(query(db, analyst, run_id=run_id, page_size=3, page=3)) == ["lamp 0"]

    def test_a_page_past_the_end_shows_the_last_page(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, LAMPS)
        page = query(db, analyst, run_id=run_id, page_size=3, page=99)
        assert (page.page, names(page)) == (3, ["lamp 0"])

    def test_equal_fetch_times_still_page_without_overlap(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, LAMPS)
        with db.transaction() as session:  # a worker may stamp a whole batch with one time
            for row in session.query(Result).filter_by(run_id=run_id):
                row.created_at = T0
        seen = [name for n in (1, 2, 3)
                for name in names(query(db, analyst, run_id=run_id, page_size=3, page=n))]
        assert sorted(seen) == sorted(item["name"] for item in LAMPS)

    def test_columns_are_the_data_keys_and_the_metadata(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, [{"name": "a", "spec": {"w": 2}, "tags": ["x"]},
                                          {"name": "b", "_source_url": "mine"}])
        frame = query(db, analyst, run_id=run_id).frame
        assert list(frame.columns) == ["_id", "_source_url", "_confidence", "_fetched_at", "name",
                                       "_source_url (data)", "spec", "tags"]
        assert frame.iloc[1][["spec", "tags"]].tolist() == ['{"w": 2}', '["x"]']
        assert frame.iloc[0]["_source_url (data)"] == "mine"
        assert frame.iloc[0][FETCHED_AT] == T0 + timedelta(seconds=1)

    def test_an_empty_run_has_one_empty_page(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, [])
        page = query(db, analyst, run_id=run_id)
        assert (page.total, page.pages, page.page, len(page.frame)) == (0, 1, 1, 0)


PRICES = [{"name": "ten", "price": 10}, {"name": "nine and a half", "price": 9.5},
          {"name": "hundred", "price": 100}, {"name": "unknown", "price": "n/a"},
          {"name": "null", "price": None}, {"name": "missing"}, {"name": "list", "price": [1]},
          {"name": "yes", "price": True}]


class TestSorting:
    def test_numbers_sort_as_numbers_then_booleans_text_lists_then_empty(self, db,
                                                                          analyst) -> None:
        _, run_id = add_run(db, analyst, PRICES)
        up = query(db, analyst, run_id=run_id, sort="price", descending=False)
        # As text, "100" would come before "9.5"; empty values stay last in both directions.
        assert names(up)[:6] == ["nine and a half", "ten", "hundred", "yes", "unknown", "list"]
        down = query(db, analyst, run_id=run_id, sort="price", descending=True)
        assert names(down)[:6] == ["hundred", "ten", "nine and a half", "yes", "unknown", "list"]
        assert set(names(up)[6:]) == set(names(down)[6:]) == {"null", "missing"}

    def test_text_fields_sort_alphabetically(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, [{"name": n} for n in ("pear", "apple", "fig")])
        assert names(query(db, analyst, run_id=run_id, sort="name", descending=False)) == [
            "apple", "fig", "pear"]

    def test_by_confidence_and_source_url(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                            confidences=[0.5, 0.9, 0.7],
                            urls=["https://x.io/b", "https://x.io/c", "https://x.io/a"])
        assert names(query(db, analyst, run_id=run_id, sort=CONFIDENCE)) == ["b", "c", "a"]
        assert names(query(db, analyst, run_id=run_id, sort=SOURCE_URL, descending=False)) == [
            "c", "a", "b"]

    def test_a_field_name_with_a_double_quote_is_refused(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, LAMPS)
        with pytest.raises(ValidationError, match="double quote"):
            query(db, analyst, run_id=run_id, sort='na"me')


CATALOG = [
    {"name": "Blue lamp", "colour": "Blue", "price": 9.5, "in_stock": True,
     "specs": {"bulb": "LED"}},
    {"name": "Navy lamp", "colour": "Blue Navy", "price": 19, "in_stock": False},
    {"name": "Red chair", "colour": "red", "price": 50, "note": "50% off"},
    {"name": "Café table", "colour": "oak", "price": 500, "note": 'a "quoted" word'},
]


class TestFilters:
    def test_search_is_case_insensitive_and_reaches_nested_values(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, CATALOG)
        assert query(db, analyst, run_id=run_id, search="LAMP").total == 2
        assert names(query(db, analyst, run_id=run_id, search="led")) == ["Blue lamp"]

    def test_search_takes_percent_quotes_and_accents_literally(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, CATALOG)
        assert names(query(db, analyst, run_id=run_id, search="50%")) == ["Red chair"]
        assert names(query(db, analyst, run_id=run_id, search='"quoted"')) == ["Café table"]
        assert names(query(db, analyst, run_id=run_id, search="Café")) == ["Café table"]

    def test_search_looks_in_the_source_url(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, CATALOG)
        assert query(db, analyst, run_id=run_id, search="page/2").total == 2

    def test_field_filter_contains_or_exact(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, CATALOG)
        contains = (FieldFilter("colour", "blue"),)
        assert query(db, analyst, run_id=run_id, filters=contains).total == 2
        exact = (FieldFilter("colour", "Blue", exact=True),)
        assert names(query(db, analyst, run_id=run_id, filters=exact)) == ["Blue lamp"]

    def test_contains_reads_the_field_only_whatever_the_document_holds(self, db,
                                                                       analyst) -> None:
        # A word of letters is first looked for in the whole JSON text (cheaper), then in the
        # field: the total is the field's.
        _, run_id = add_run(db, analyst, [
            {"name": "a", "colour": "Navy", "note": "navy"}, {"name": "b", "note": "navy"},
            {"name": "c", "colour": True}, {"name": "d", "colour": ["Navy", {"navy": 1}]},
            {"name": "e", "colour": "Crème"}])
        def matching(value: str) -> list[Any]:  # noqa: E306
            return sorted(names(query(db, analyst, run_id=run_id,
                                      filters=(FieldFilter("colour", value),))) or [])
        assert matching("NAVY") == ["a", "d"]
        assert matching("ru") == ["c"]  # true
        assert matching("rème") == ["e"]

    def test_rows_outside_the_search_indexes_are_found_alike(self, db, analyst) -> None:
        # A run's flush writes its rows outside PostgreSQL's trigram indexes (search_pending)
        # until the run indexes them: search and the contains filter's pre-check on the whole
        # document find them the same. (SQLite has no such index: the flag changes nothing.)
        job_id, run_id = add_run(db, analyst, CATALOG)

        def found() -> list[Any]:
            return [sorted(names(query(db, analyst, run_id=run_id, **fields)))
                    for fields in ({"search": "LAMP"}, {"search": "page/2"}, {"search": "Café"},
                                   {"filters": (FieldFilter("colour", "blue"),)},
                                   {"filters": (FieldFilter("colour", "NAVY"),)})
                    ] + [query(db, analyst, job_id=job_id, search="lamp").total]

        expected = [["Blue lamp", "Navy lamp"], ["Café table", "Red chair"], ["Café table"],
                    ["Blue lamp", "Navy lamp"], ["Navy lamp"], 2]
        assert found() == expected
        for pending in ({"Blue lamp", "Red chair"}, {name["name"] for name in CATALOG}):
            with db.transaction() as session:
                for row in session.query(Result).filter_by(run_id=run_id):
                    row.search_pending = row.data["name"] in pending
            assert found() == expected

    def test_numbers_and_booleans_filter_as_their_json_text(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, CATALOG)
        assert names(query(db, analyst, run_id=run_id,
                           filters=(FieldFilter("price", "9.5", exact=True),))) == ["Blue lamp"]
        assert names(query(db, analyst, run_id=run_id,
                           filters=(FieldFilter("in_stock", "false", exact=True),))) == [
            "Navy lamp"]

    def test_filters_search_and_threshold_combine_in_the_total(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, CATALOG, confidences=[0.95, 0.6, 0.9, 0.3])
        assert query(db, analyst, run_id=run_id, min_confidence=0.8).total == 2
        both = query(db, analyst, run_id=run_id, min_confidence=0.8, search="lamp")
        assert (both.total, names(both)) == (1, ["Blue lamp"])

    @pytest.mark.parametrize("fields, message", [
        ({"page_size": 0}, "Page size must be between 1 and 500"),
        ({"page": 0}, "Page numbers start at 1"),
        ({"min_confidence": 1.5}, "Confidence threshold must be between 0 and 1"),
    ])
    def test_bad_queries_say_what_is_wrong(self, db, analyst, fields, message) -> None:
        _, run_id = add_run(db, analyst, LAMPS)
        with pytest.raises(ValidationError, match=message):
            query(db, analyst, run_id=run_id, **fields)


class TestScope:
    def test_a_job_shows_the_results_of_all_its_runs(self, db, analyst) -> None:
        job_id, first = add_run(db, analyst, LAMPS[:3])
        add_run(db, analyst, LAMPS[3:], job_id=job_id)
        assert query(db, analyst, run_id=first).total == 3
        assert query(db, analyst, job_id=job_id).total == 7

    def test_choose_a_run_or_a_job(self, db, analyst) -> None:
        with pytest.raises(ValidationError, match="Choose either a run or a job"):
            query(db, analyst)

    def test_another_analyst_cannot_read_a_run_or_its_results(self, db, analyst,
                                                              make_user) -> None:
        job_id, run_id = add_run(db, analyst, LAMPS)
        other = make_user("analyst")
        with db.transaction() as session:
            result_id = session.query(Result.id).filter_by(run_id=run_id).first()[0]
        calls = [lambda s: results.query_results(s, other, ResultQuery(run_id=run_id)),
                 lambda s: results.query_results(s, other, ResultQuery(job_id=job_id)),
                 lambda s: results.result_detail(s, other, result_id),
                 lambda s: results.field_fill_rates(s, other, run_id),
                 lambda s: results.items_per_page(s, other, run_id)]
        for call in calls:
            with pytest.raises(NotFound), db.transaction() as session:
                call(session)

    def test_admins_read_every_run(self, db, analyst, admin) -> None:
        _, run_id = add_run(db, analyst, LAMPS)
        assert query(db, admin, run_id=run_id).total == 7

    def test_a_malformed_id_is_not_found(self, db, analyst) -> None:
        with pytest.raises(NotFound, match="Run not found"):
            query(db, analyst, run_id="not-a-uuid")



def every_value_kind(key: str) -> list[dict[str, Any]]:
    """Items whose ``key`` holds each kind of value, twice over (equal values tie): numbers
    (integers and decimals), booleans, text, lists, objects, null and missing."""
    values: list[Any] = [10, 9.5, 100, -3, True, False, "pear", "Apple", "fig", [1], [0, 2],
                         {"w": 1}, None]
    items = [{"name": f"#{n}", key: value} for n, value in enumerate(values * 2)]
    return items + [{"name": "missing 1"}, {"name": "missing 2"}]


class TestFieldIndexes:
    """From field_indexes.BUILD_AT results on, sorting or exactly filtering a run by a data field
    (on SQLite also filtering it by "contains") builds an index on it: the pages, their order and the totals are the ones the scan gave.
    Field names are new in each test: the PostgreSQL test database outlives a test, and so do
    its indexes."""

    @staticmethod
    def pages(db, actor, run_id, **fields):  # type: ignore[no-untyped-def]
        return [(page.total, names(page) if page.total else []) for page in (
            query(db, actor, run_id=run_id, page_size=4, page=n, **fields) for n in range(1, 9))]

    def test_sorted_pages_are_the_ones_the_scan_gave(self, db, analyst, monkeypatch) -> None:
        key = f"price it's: %s ? {uuid.uuid4().hex[:6]}"  # quotes and marks a driver might read
        _, run_id = add_run(db, analyst, every_value_kind(key))
        monkeypatch.setattr(field_indexes, "BUILD_AT", 10**9)
        scanned = [self.pages(db, analyst, run_id, sort=key, descending=d) for d in (False, True)]
        with db.transaction() as session:
            assert not field_indexes.has_index(session, key)
        monkeypatch.setattr(field_indexes, "BUILD_AT", 1)
        indexed = [self.pages(db, analyst, run_id, sort=key, descending=d) for d in (False, True)]
        with db.transaction() as session:
            assert field_indexes.has_index(session, key)
        assert indexed == scanned
        up = [name for _, page in indexed[0] for name in page]
        assert up[:8] == ["#3", "#16", "#1", "#14", "#0", "#13", "#2", "#15"]  # -3, 9.5, 10, 100
        assert up[8:12] == ["#5", "#18", "#4", "#17"]  # false, then true
        assert set(up[-4:]) == {"#12", "#25", "missing 1", "missing 2"}  # null and missing last

    def test_exact_filters_count_and_page_the_same(self, db, analyst, monkeypatch) -> None:
        key = f"colour {uuid.uuid4().hex[:6]}"
        _, run_id = add_run(db, analyst, [{"name": f"#{n}", key: value} for n, value in
                                          enumerate(["Blue", "blue", "Blue", 9.5, True, "9.5",
                                                     ["Blue"], None] * 3)])
        cases = ["Blue", "blue", "9.5", "true", "Red"]
        monkeypatch.setattr(field_indexes, "BUILD_AT", 10**9)
        scanned = [self.pages(db, analyst, run_id, filters=(FieldFilter(key, v, exact=True),))
                   for v in cases]
        monkeypatch.setattr(field_indexes, "BUILD_AT", 1)
        indexed = [self.pages(db, analyst, run_id, filters=(FieldFilter(key, v, exact=True),))
                   for v in cases]
        assert indexed == scanned
        assert [pages[0][0] for pages in indexed] == [6, 3, 6, 3, 0]  # "9.5": text and number

    def test_contains_filters_count_and_page_the_same(self, db, analyst, monkeypatch) -> None:
        # On SQLite a "contains" filter on an indexed field scans the index, not the documents:
        # booleans, numbers, lists and objects still read as their text, case-insensitively.
        key = f"colour {uuid.uuid4().hex[:6]}"
        _, run_id = add_run(db, analyst, [{"name": f"#{n}", key: value} for n, value in
                                          enumerate(["Navy blue", "BLUE", 9.5, True, False,
                                                     ["blue"], {"blue": 1}, None, "50%_x",
                                                     -3] * 3)] + [{"name": "missing"}])
        cases = ["blue", "Blu", "ru", "als", "9.", "-3", "%", "_x", '"', "e", "zz"]
        monkeypatch.setattr(field_indexes, "BUILD_AT", 10**9)
        scanned = [self.pages(db, analyst, run_id, filters=(FieldFilter(key, v),))
                   for v in cases]
        with db.transaction() as session:
            assert not field_indexes.has_index(session, key)
        monkeypatch.setattr(field_indexes, "BUILD_AT", 1)
        indexed = [self.pages(db, analyst, run_id, filters=(FieldFilter(key, v),))
                   for v in cases]
        assert indexed == scanned
        assert [pages[0][0] for pages in indexed] == [12, 12, 3, 3, 3, 3, 3, 3, 6, 18, 0]

    def test_a_small_run_or_a_job_builds_no_index(self, db, analyst, monkeypatch) -> None:
        key = f"size {uuid.uuid4().hex[:6]}"
        job_id, run_id = add_run(db, analyst, every_value_kind(key))
        monkeypatch.setattr(field_indexes, "BUILD_AT", 1000)
        query(db, analyst, run_id=run_id, sort=key)
        monkeypatch.setattr(field_indexes, "BUILD_AT", 1)
        query(db, analyst, job_id=job_id, sort=key)
        with db.transaction() as session:
            assert not field_indexes.has_index(session, key)

    @pytest.mark.backends("sqlite")
    @pytest.mark.parametrize("status", ["queued", "running"])
    def test_sqlite_builds_none_while_a_run_writes(self, db, analyst, database_url,
                                                  monkeypatch, status) -> None:
        # The build would hold SQLite's one write lock for seconds: the run's flush would fail.
        key = f"size {uuid.uuid4().hex[:6]}"
        _, run_id = add_run(db, analyst, every_value_kind(key))
        with db.transaction() as session:
            session.get_one(Run, run_id).status = status
        monkeypatch.setattr(field_indexes, "BUILD_AT", 1)
        assert query(db, analyst, run_id=run_id, sort=key).total == 28
        with db.transaction() as session:
            assert not field_indexes.has_index(session, key)

    @pytest.mark.parametrize("value, plain", [
        ("Acme", True), ("blue navy", True), ("N/A", True), ("", True), ("x1", True),
        ("9.5", False), ("-3", False), (".5", False), ("true", False), ("false", False),
        ("[1]", False), ('{"w": 1}', False), ("Inf", False), (" 7", False)])
    def test_only_text_no_number_or_boolean_spells_goes_through_the_index(self, value,
                                                                          plain) -> None:
        assert results._plain(value) is plain

class TestDetailAndCharts:
    def test_result_detail(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, CATALOG[:1], confidences=[0.75])
        row_id = query(db, analyst, run_id=run_id).frame["_id"][0]
        with db.transaction() as session:
            detail = results.result_detail(session, analyst, row_id)
        assert detail.data == CATALOG[0]
        assert (detail.source_url, detail.fetched_at, detail.confidence) == (
            "https://shop.example/page/1", T0, 0.75)

    def test_fill_rates_count_null_and_empty_values_as_missing(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, [
            {"name": "a", "price": 1, "tags": ["x"], "specs": {"w": 1}},
            {"name": "", "price": None, "tags": [], "specs": {}},
            {"name": "c", "price": 0},
            {"name": "d", "price": False}])
        with db.transaction() as session:
            fill = results.field_fill_rates(session, analyst, run_id)
        assert (fill.sampled, fill.total) == (4, 4)
        assert fill.frame.to_dict("records") == [  # fullest first, then by name
            {"field": "name", "filled": 3, "share": 0.75},
            {"field": "price", "filled": 3, "share": 0.75},
            {"field": "specs", "filled": 1, "share": 0.25},
            {"field": "tags", "filled": 1, "share": 0.25},
        ]

    def test_fill_rates_look_at_the_latest_results_only(self, db, analyst, monkeypatch) -> None:
        monkeypatch.setattr(results, "FILL_RATE_SAMPLE", 2)
        _, run_id = add_run(db, analyst, [{"old": 1}, {"new": 1}, {"new": 2}])
        with db.transaction() as session:
            fill = results.field_fill_rates(session, analyst, run_id)
        assert (fill.sampled, fill.total) == (2, 3)
        assert fill.frame.to_dict("records") == [{"field": "new", "filled": 2, "share": 1.0}]

    def test_items_per_page(self, db, analyst) -> None:
        _, run_id = add_run(db, analyst, LAMPS)
        with db.transaction() as session:
            items = results.items_per_page(session, analyst, run_id)
        assert items.to_dict("records") == [
            {"source_url": f"https://shop.example/page/{n}", "items": count}
            for n, count in ((1, 2), (2, 2), (3, 2), (4, 1))]

    def test_charts_follow_a_query_its_job_and_its_filters(self, db, analyst) -> None:
        job_id, _ = add_run(db, analyst, [{"name": "a", "size": 1}, {"name": "b"}])
        _, second = add_run(db, analyst, [{"name": "c", "size": 2}], job_id=job_id)
        with db.transaction() as session:
            whole = results.field_fill_rates(session, analyst, ResultQuery(job_id=job_id))
            narrowed = ResultQuery(job_id=job_id, filters=(FieldFilter("name", "b"),))
            only_b = results.field_fill_rates(session, analyst, narrowed)
            items = results.items_per_page(session, analyst, narrowed)
            run_only = results.field_fill_rates(session, analyst, second)
        assert (whole.total, run_only.total, only_b.total) == (3, 1, 1)
        assert whole.frame.to_dict("records")[1] == {"field": "size", "filled": 2,
                                                     "share": 2 / 3}
        assert only_b.frame.field.tolist() == ["name"]
        assert items.to_dict("records") == [{"source_url": "https://shop.example/page/1",
                                             "items": 1}]
        assert narrowed.narrowed and not ResultQuery(job_id=job_id).narrowed

    def test_a_query_as_json_and_back(self, db, analyst) -> None:
        job_id, _ = add_run(db, analyst, [{"name": "a"}])
        q = ResultQuery(job_id=str(job_id), search="x", filters=(FieldFilter("a", "b", True),),
                        min_confidence=0.5, sort="name", descending=False, page=7)
        with db.transaction() as session:
            checked = results.readable_query(session, analyst, q)
        doc = results.query_document(checked)
        assert json.loads(json.dumps(doc)) == doc and "page" not in doc
        assert results.query_from_document(doc) == replace(checked, page=1)
        assert checked.job_id == job_id

    def test_the_picker_lists_own_runs_newest_first_with_item_counts(self, db, analyst,
                                                                     make_user, admin) -> None:
        job_id, older = add_run(db, analyst, LAMPS[:2], job_name="Lamps")
        _, newer = add_run(db, analyst, LAMPS, job_name="Chairs")
        add_run(db, make_user("analyst"), LAMPS, job_name="Someone else's")
        with db.transaction() as session:
            mine = results.runs_for_picker(session, analyst)
            everyone = results.runs_for_picker(session, admin)
        assert mine[["id", "job", "status", "items"]].values.tolist() == [
            [newer, "Chairs", "completed", 7], [older, "Lamps", "completed", 2]]
        assert mine.job_id.tolist()[1] == job_id
        assert len(everyone) == 3
