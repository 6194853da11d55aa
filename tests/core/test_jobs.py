"""Scraping jobs: validation that names every problem, pagination, schema pinning, schedules,
the job file, and who may see or change a job."""

import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.scraping import jobs, runs, schemas
from core.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.scraping.jobs import JobInput, JobOptions
from core.scraping.jobspec import effective_pagination
from core.platform.schedule import next_run_utc
from core.scraping.schemas import SchemaInput
from core.scrape.dom import Selector
from core.scrape.package import NextButton, NoPagination, UrlPattern
from core.platform.settings import get_settings
from db.models import AuditLog, Run, ScrapingJob

PACKAGE = {"version": 1, "container": "div.product",
           "fields": {"name": {"selector": "h2", "required": True},
                      "price": {"selector": ".price", "transforms": ["price"]}}}
LAMPS = JobInput(name="Lamps", target_urls=["https://shop.example/lamps"], config_package=PACKAGE)
PRODUCT = {"type": "object", "properties": {"name": {"type": "string"}}}


def create(db, actor, **changes):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return jobs.create_job(session, actor, replace(LAMPS, **changes))


def update(db, actor, job_id, **changes):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return jobs.update_job(session, actor, job_id, replace(LAMPS, **changes))


def get(db, actor, job_id):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return jobs.get_job(session, actor, job_id)


def problems_of(db, actor, **changes) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        create(db, actor, **changes)
    assert str(err.value).startswith("The job was not saved:")
    return err.value.problems


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def make_schema(db, owner, name="Product", **flags):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return schemas.create_schema(session, owner, SchemaInput(name, PRODUCT, **flags))


@pytest.fixture
def private_addresses_allowed(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class TestCreating:
    def test_a_minimal_job_gets_defaults_and_is_listed(self, db, analyst) -> None:
        job = create(db, analyst, target_urls=["https://shop.example/lamps",
                                               "  https://shop.example/desks  ", "",
                                               "https://shop.example/lamps"])
        assert job.target_urls == ["https://shop.example/lamps", "https://shop.example/desks"]
        assert job.options == JobOptions()
        assert (job.options.max_pages, job.options.respect_robots) == (10, True)
        assert job.options.concurrency == get_settings().fetch_concurrency
        assert job.schedule_cron is None and job.next_run_at is None and job.next_runs == []
        with db.transaction() as session:
            row = session.get(ScrapingJob, job.id)
            table = jobs.list_jobs(session, analyst)
        assert row.target_url == "https://shop.example/lamps"
        assert table[["name", "owner", "targets", "schema", "pagination", "schedule"]
                     ].values.tolist() == [["Lamps", analyst.email, 2, "", "none", ""]]

    def test_the_package_may_be_given_as_json_text(self, db, analyst) -> None:
        job = create(db, analyst, config_package=json.dumps(PACKAGE, indent=2))
        assert job.config_package == PACKAGE

    @pytest.mark.parametrize("kind, pagination, expected", [
        ("none", {}, NoPagination()),
        ("next_button", {"selector": "a.next"}, NextButton(Selector("a.next"))),
        ("next_button", {"selector": "//a[@rel='next']", "selector_type": "xpath"},
         NextButton(Selector("//a[@rel='next']", "xpath"))),
        ("url_pattern", {"pattern": "https://shop.example/lamps?page={page}", "first_page": 2,
                         "last_page": 5},
         UrlPattern("https://shop.example/lamps?page={page}", 2, 5)),
        ("url_pattern", {"pattern": "?page={page}"}, UrlPattern("?page={page}", 1, None)),
    ])
    def test_each_kind_of_pagination(self, db, analyst, kind, pagination, expected) -> None:
        job = create(db, analyst, pagination_type=kind, pagination=pagination)
        assert (job.pagination_type, job.pagination) == (kind, pagination)
        assert effective_pagination(job) == expected

    def test_the_jobs_pagination_overrides_the_packages_and_none_keeps_it(self, db,
                                                                          analyst) -> None:
        package = PACKAGE | {"pagination": {"type": "next_button", "selector": "a.more"}}
        keeps = create(db, analyst, config_package=package)
        overrides = create(db, analyst, config_package=package, pagination_type="url_pattern",
                           pagination={"pattern": "/p/{page}", "last_page": 3})
        assert effective_pagination(keeps) == NextButton(Selector("a.more"))
        assert effective_pagination(overrides) == UrlPattern("/p/{page}", 1, 3)
        with db.transaction() as session:  # the worker reads rows: the same rule applies
            row = session.get(ScrapingJob, overrides.id)
            assert effective_pagination(row) == UrlPattern("/p/{page}", 1, 3)

    def test_options_are_stored_whole_and_map_onto_the_fetcher(self, db, analyst) -> None:
        job = create(db, analyst, options={"max_pages": 3, "delay_between_requests": 2,
                                           "concurrency": 4, "timeout": 12.5,
                                           "render_javascript": True, "wait_for": ".grid",
                                           "respect_robots": False, "user_agent": " "})
        assert job.options == JobOptions(max_pages=3, delay_between_requests=2.0, concurrency=4,
                                         timeout=12.5, render_javascript=True, wait_for=".grid",
                                         respect_robots=False)
        fetch = job.options.fetch_options()
        assert (fetch.delay, fetch.concurrency, fetch.domain_concurrency, fetch.timeout) == (
            2.0, 4, 4, 12.5)
        assert not fetch.respect_robots
        assert fetch.user_agent == get_settings().user_agent  # blank: the deployment's
        assert replace(job.options, user_agent="Bot/1").fetch_options().user_agent == "Bot/1"

    def test_creating_is_audited(self, db, analyst) -> None:
        job = create(db, analyst)
        with db.transaction() as session:
            entry = session.scalar(select(AuditLog))
        assert (entry.action, entry.entity_id, entry.user_id) == ("job.create", str(job.id),
                                                                  analyst.id)
        assert entry.new_values["target_urls"] == ["https://shop.example/lamps"]


class TestBadInput:
    def test_every_problem_is_named_at_once_and_nothing_is_saved(self, db, analyst) -> None:
        problems = problems_of(
            db, analyst, name=" ", target_urls=["ftp://files.example/a", "http://127.0.0.1/admin",
                                                "https://fine.example/"],
            extractor_schema_id=uuid.uuid4(),
            config_package={"version": 1, "fields": {"price": {"selector": "div["}}},
            pagination_type="url_pattern", pagination={"pattern": "https://shop.example/p"},
            options={"max_pages": 0, "concurrency": 65, "timeout": 0,
                     "delay_between_requests": -1, "colour": "red"},
            schedule_cron="61 * * * *", schedule_timezone="Mars/Olympus_Mons")
        text = "\n".join(problems)
        for expected in [
            "name: is empty",
            "target_urls: 'ftp://files.example/a': only http and https URLs are allowed",
            "target_urls: 'http://127.0.0.1/admin': 127.0.0.1 is a loopback address",
            "extractor_schema_id: there is no schema",
            "config_package.fields.price.selector: 'div[' is not a valid CSS selector",
            'pagination.pattern: must contain "{page}"',
            "options.max_pages: must be 1 or more, not 0",
            "options.concurrency: must be from 1 to 64, not 65",
            "options.timeout: must be more than 0 (seconds), not 0.0",
            "options.delay_between_requests: must be 0 or more (seconds), not -1.0",
            "options.colour: unknown key",
            "schedule_cron: '61 * * * *' is not a valid cron expression: the minute field '61'",
            "schedule_timezone: 'Mars/Olympus_Mons' is not a known IANA time zone",
        ]:
            assert expected in text, f"{expected!r} missing from:\n{text}"
        assert "fine.example" not in text
        assert (count(db, ScrapingJob), count(db, AuditLog)) == (0, 0)

    @pytest.mark.parametrize("changes, expected", [
        ({"name": "x" * 201}, "name: is longer than 200 characters (201)"),
        ({"name": 7}, "name: must be text, not 7"),
        ({"target_urls": []}, "target_urls: give at least one URL"),
        ({"target_urls": ["", "  "]}, "target_urls: give at least one URL"),
        ({"target_urls": "https://shop.example/"}, "target_urls: must be a list of URLs"),
        ({"target_urls": ["shop.example/lamps"]}, "only http and https URLs are allowed"),
        ({"target_urls": ["https:///path"]}, "has no host name"),
        ({"target_urls": ["https://shop.example:99999/"]}, "has an invalid port"),
        ({"target_urls": ["http://10.1.2.3/"]}, "10.1.2.3 is a private address"),
        ({"target_urls": ["http://169.254.169.254/latest/meta-data"]},
         "169.254.169.254 is a link-local address"),
        ({"target_urls": ["http://[::1]:8080/"]}, "::1 is a loopback address"),
        ({"target_urls": ["http://[::ffff:192.168.0.1]/"]}, "is a private address"),
        ({"target_urls": ["http://localhost:5432/"]}, "localhost is a loopback address"),
        ({"config_package": '{\n  "version": 1,\n  "fields": {,}\n}'},
         "config_package: the text is not valid JSON: line 3, column 14"),
        ({"config_package": ""}, "config_package: the text is empty"),
        ({"config_package": [PACKAGE]}, "config_package: must be a JSON object"),
        ({"config_package": {"version": 1}}, "config_package.fields: missing"),
        ({"pagination_type": "infinite_scroll"},
         "pagination_type: must be one of none, next_button, url_pattern, not 'infinite_scroll'"),
        ({"pagination": {"selector": "a.next"}},
         "pagination: only applies when pagination_type is next_button or url_pattern"),
        ({"pagination_type": "next_button", "pagination": {}}, "pagination.selector: missing"),
        ({"pagination_type": "next_button", "pagination": {"selector": "a["}},
         "pagination.selector: 'a[' is not a valid CSS selector"),
        ({"pagination_type": "url_pattern",
          "pagination": {"type": "url_pattern", "pattern": "/p/{page}"}},
         "pagination.type: give the type as pagination_type instead"),
        ({"pagination_type": "url_pattern",
          "pagination": {"pattern": "/p/{page}", "first_page": 5, "last_page": 2}},
         "pagination.last_page: must be at least first_page (5), not 2"),
        ({"pagination_type": "url_pattern", "pagination": {"pattern": "http://10.0.0.9/{page}"}},
         "pagination.pattern: 'http://10.0.0.9/1': 10.0.0.9 is a private address"),
        ({"options": {"max_pages": "10"}}, "options.max_pages: must be a whole number, not '10'"),
        ({"options": {"max_pages": 2.5}}, "options.max_pages: must be a whole number, not 2.5"),
        ({"options": {"concurrency": True}},
         "options.concurrency: must be a whole number, not True"),
        ({"options": {"timeout": float("nan")}}, "options.timeout: must be a finite number"),
        ({"options": {"delay_between_requests": float("inf")}}, "must be a finite number"),
        ({"options": {"render_javascript": "yes"}},
         "options.render_javascript: must be true or false, not 'yes'"),
        ({"options": {"max_page": 3}}, "options.max_page: unknown key; did you mean 'max_pages'?"),
        ({"options": {"wait_for": ".grid"}},
         "options.wait_for: only applies when render_javascript is on"),
        ({"options": {"render_javascript": True, "wait_for": "div["}},
         "options.wait_for: 'div[' is not a valid CSS selector"),
        ({"options": {"user_agent": "Bot\r\nX-Evil: 1"}}, "options.user_agent: must be one line"),
        ({"options": {"user_agent": "Böt/1"}}, "printable ASCII characters"),
        ({"options": [1]}, "options: must be an object"),
        ({"schedule_cron": "0 6 * *"}, "schedule_cron: '0 6 * *' is not a valid cron expression"),
        ({"schedule_cron": "0 6 * * *", "schedule_timezone": "Europe/Berln"},
         "schedule_timezone: 'Europe/Berln' is not a known IANA time zone. Did you mean "
         "'Europe/Berlin'?"),
        ({"description": "a\x00b"}, "description: contains a NUL character"),
    ])
    def test_each_bad_input_is_named(self, db, analyst, changes, expected) -> None:
        text = "\n".join(problems_of(db, analyst, **changes))
        assert expected in text
        assert count(db, ScrapingJob) == 0

    def test_private_targets_are_allowed_when_the_setting_says_so(
            self, db, analyst, private_addresses_allowed) -> None:
        job = create(db, analyst, target_urls=["http://127.0.0.1:8000/catalog"])
        assert job.target_urls == ["http://127.0.0.1:8000/catalog"]

    def test_host_names_are_not_resolved_when_saving(self, db, analyst) -> None:
        # The fetcher checks the addresses a name resolves to when it fetches; saving never
        # waits on DNS, and a name that does not resolve today may tomorrow.
        job = create(db, analyst, target_urls=["https://no-such-host.invalid/"])
        assert job.target_urls == ["https://no-such-host.invalid/"]

    def test_a_failed_edit_leaves_the_job_as_it_was(self, db, analyst) -> None:
        job = create(db, analyst, schedule_cron="0 6 * * *")
        with pytest.raises(ValidationError):
            update(db, analyst, job.id, name="Renamed", schedule_cron="0 6 * * 8")
        kept = get(db, analyst, job.id)
        assert (kept.name, kept.schedule_cron, kept.next_run_at) == (
            "Lamps", "0 6 * * *", job.next_run_at)
        assert count(db, AuditLog) == 1  # the create only


class TestSchemaPinning:
    def test_a_job_pins_the_version_it_was_given(self, db, analyst) -> None:
        schema = make_schema(db, analyst)
        job = create(db, analyst, extractor_schema_id=str(schema.id))
        assert (job.extractor_schema_id, job.schema_name, job.schema_version) == (
            schema.id, "Product", 1)
        with db.transaction() as session:
            outcome = schemas.update_schema(session, analyst, schema.id, SchemaInput(
                "Product", PRODUCT | {"required": ["name"]}))
        assert outcome.new_version
        assert get(db, analyst, job.id).schema_version == 1  # still the pinned version
        moved = update(db, analyst, job.id, extractor_schema_id=outcome.schema.id)
        assert (moved.extractor_schema_id, moved.schema_version) == (outcome.schema.id, 2)
        with db.transaction() as session:
            assert jobs.list_jobs(session, analyst).schema.tolist() == ["Product v2"]

    def test_only_schemas_the_owner_can_read_can_be_pinned(self, db, analyst,
                                                           make_user) -> None:
        other = make_user("analyst")
        private = make_schema(db, other, "Secret")
        public = make_schema(db, other, "Shared", is_public=True)
        assert "extractor_schema_id: there is no schema" in "\n".join(
            problems_of(db, analyst, extractor_schema_id=private.id))
        assert "extractor_schema_id" in problems_of(db, analyst,
                                                    extractor_schema_id="not-an-id")[0]
        assert create(db, analyst, extractor_schema_id=public.id).schema_name == "Shared"


class TestSchedule:
    def test_a_schedule_sets_next_run_at_in_utc_and_previews_five_runs(self, db,
                                                                       analyst) -> None:
        before = datetime.now(timezone.utc)
        job = create(db, analyst, schedule_cron=" 30  2 * * * ", schedule_timezone="Europe/Berlin")
        assert job.schedule_cron == "30 2 * * *"
        assert job.next_run_at == next_run_utc("30 2 * * *", "Europe/Berlin", before)
        assert len(job.next_runs) == 5
        assert {t.strftime("%H:%M") for t in job.next_runs} <= {"02:30", "03:00"}
        assert all(t.tzinfo.key == "Europe/Berlin" for t in job.next_runs)

    def test_removing_the_schedule_clears_next_run_at(self, db, analyst) -> None:
        job = create(db, analyst, schedule_cron="0 6 * * *")
        cleared = update(db, analyst, job.id, schedule_cron="  ")
        assert (cleared.schedule_cron, cleared.next_run_at, cleared.next_runs) == (None, None, [])

    def test_an_edit_that_keeps_the_schedule_keeps_a_due_run(self, db, analyst) -> None:
        job = create(db, analyst, schedule_cron="0 6 * * *")
        due = datetime.now(timezone.utc) - timedelta(minutes=5)
        with db.transaction() as session:
            session.get(ScrapingJob, job.id).next_run_at = due
        assert update(db, analyst, job.id, name="Renamed", schedule_cron="0 6 * * *").next_run_at \
            == due
        moved = update(db, analyst, job.id, schedule_cron="0 7 * * *")
        assert moved.next_run_at > datetime.now(timezone.utc)

    def test_preview_reports_cron_and_zone_problems_together(self) -> None:
        with pytest.raises(ValidationError) as err:
            jobs.preview_schedule("0 25 * * *", "Nowhere/City")
        assert [p.split(":")[0] for p in err.value.problems] == ["schedule_cron",
                                                                  "schedule_timezone"]
        assert jobs.preview_schedule("", "UTC") == []
        times = jobs.preview_schedule("0 9 * * 1", "Asia/Tokyo")
        assert len(times) == 5 and all(t.weekday() == 0 and t.hour == 9 for t in times)

    def test_due_schedules_queue_one_run_per_slot(self, db, analyst) -> None:
        job = create(db, analyst, schedule_cron="*/5 * * * *")
        slot = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)
        with db.transaction() as session:
            session.get(ScrapingJob, job.id).next_run_at = slot
        with db.transaction() as session:
            assert runs.enqueue_due_runs(session) == 1
        with db.transaction() as session:
            assert runs.enqueue_due_runs(session) == 0  # next slot is in the future now
            run = session.scalar(select(Run))
            next_run_at = session.get(ScrapingJob, job.id).next_run_at
        assert run.idempotency_key == f"schedule:{job.id}:2025-01-06T09:00:00+00:00"
        assert (run.status, run.meta["trigger"]) == ("queued", "schedule")
        assert next_run_at > datetime.now(timezone.utc)

    def test_a_slot_is_skipped_while_the_previous_run_is_active(self, db, analyst) -> None:
        job = create(db, analyst, schedule_cron="*/5 * * * *")
        with db.transaction() as session:
            session.get(ScrapingJob, job.id).next_run_at = datetime(2025, 1, 6, tzinfo=timezone.utc)
            session.add(Run(job_id=job.id, user_id=analyst.id, status="running",
                            idempotency_key="manual:busy"))
        with db.transaction() as session:
            assert runs.enqueue_due_runs(session) == 0
            assert session.get(ScrapingJob, job.id).next_run_at > datetime.now(timezone.utc)
        assert count(db, Run) == 1


class TestChanging:
    def test_update_changes_everything_and_is_audited(self, db, analyst) -> None:
        job = create(db, analyst)
        changed = update(db, analyst, job.id, name="Desks", description="Office desks",
                         target_urls=["https://shop.example/desks"],
                         pagination_type="next_button", pagination={"selector": "a.next"},
                         options={"max_pages": 2})
        assert (changed.name, changed.description, changed.target_urls) == (
            "Desks", "Office desks", ["https://shop.example/desks"])
        assert (changed.pagination_type, changed.options.max_pages) == ("next_button", 2)
        with db.transaction() as session:
            entry = session.scalar(select(AuditLog).where(AuditLog.action == "job.update"))
        assert (entry.old_values["name"], entry.new_values["name"]) == ("Lamps", "Desks")

    def test_duplicate_is_owned_by_the_caller_and_has_no_schedule(self, db, analyst,
                                                                  admin) -> None:
        job = create(db, analyst, schedule_cron="0 6 * * *", schedule_timezone="Asia/Tokyo",
                     pagination_type="next_button", pagination={"selector": "a.next"})
        with db.transaction() as session:
            copy = jobs.duplicate_job(session, admin, job.id)
        assert (copy.name, copy.owner_email) == ("Copy of Lamps", admin.email)
        assert (copy.schedule_cron, copy.next_run_at, copy.schedule_timezone) == (
            None, None, "Asia/Tokyo")
        assert (copy.pagination, copy.config_package) == ({"selector": "a.next"}, PACKAGE)

    def test_delete_removes_the_job_with_its_runs(self, db, analyst) -> None:
        job = create(db, analyst)
        with db.transaction() as session:
            session.add(Run(job_id=job.id, user_id=analyst.id, status="completed",
                            idempotency_key="manual:done"))
        with db.transaction() as session:
            jobs.delete_job(session, analyst, job.id)
        assert (count(db, ScrapingJob), count(db, Run)) == (0, 0)
        with db.transaction() as session:
            assert session.scalar(select(AuditLog.action).where(
                AuditLog.action == "job.delete")) == "job.delete"

    def test_delete_is_refused_while_a_run_is_in_progress(self, db, analyst) -> None:
        job = create(db, analyst)
        with db.transaction() as session:
            session.add(Run(job_id=job.id, user_id=analyst.id, status="queued",
                            idempotency_key="manual:waiting"))
        with pytest.raises(Conflict, match="has a run in progress"), db.transaction() as session:
            jobs.delete_job(session, analyst, job.id)
        assert count(db, ScrapingJob) == 1


class TestJobFile:
    def test_a_job_round_trips_through_its_file(self, db, analyst) -> None:
        schema = make_schema(db, analyst)
        job = create(db, analyst, extractor_schema_id=schema.id, pagination_type="url_pattern",
                     pagination={"pattern": "?page={page}", "first_page": 1, "last_page": 4},
                     options={"max_pages": 4}, schedule_cron="0 6 * * 1-5",
                     schedule_timezone="Europe/Berlin")
        with db.transaction() as session:
            document = jobs.job_to_document(session, analyst, job.id)
        assert document["extractor_schema_id"] == str(schema.id)
        again = create(db, analyst, **vars(jobs.job_from_document(json.dumps(document))))
        with db.transaction() as session:
            assert jobs.job_to_document(session, analyst, again.id) == document

    def test_the_shortest_file_needs_name_urls_and_package(self) -> None:
        data = jobs.job_from_document(json.dumps({"name": "Lamps", "target_urls": ["https://x.io"],
                                                  "config_package": PACKAGE}))
        assert data == replace(LAMPS, target_urls=["https://x.io"])

    def test_null_means_the_default_but_a_wrong_type_is_reported(self, db, analyst) -> None:
        doc = {"name": "Lamps", "target_urls": ["https://x.io"], "config_package": PACKAGE,
               "pagination": None, "options": None, "schedule_timezone": None}
        assert jobs.job_from_document(json.dumps(doc)) == replace(LAMPS,
                                                                  target_urls=["https://x.io"])
        with pytest.raises(ValidationError, match="pagination: must be an object"), \
                db.transaction() as session:
            jobs.create_job(session, analyst, jobs.job_from_document(json.dumps(
                doc | {"pagination": []})))

    def test_read_only_keys_from_jobs_show_are_ignored(self) -> None:
        doc = {"id": "x", "owner": "a@b.c", "next_runs": [], "name": "Lamps",
               "target_urls": ["https://x.io"], "config_package": PACKAGE}
        assert jobs.job_from_document(json.dumps(doc)).name == "Lamps"

    @pytest.mark.parametrize("text, expected", [
        ('{"name": "x",\n "target_urls": [}', "The job file is not valid JSON: line 2, column 18"),
        ("", "The job file is empty"),
        ("[1, 2]", "The job file must be a JSON object"),
        ('{"name": "x", "target_url": "https://x.io"}',
         "target_url: unknown key; did you mean 'target_urls'?"),
    ])
    def test_a_malformed_file_says_what_is_wrong(self, text, expected) -> None:
        with pytest.raises(ValidationError) as err:
            jobs.job_from_document(text)
        assert expected in str(err.value)

    def test_missing_keys_are_reported_with_the_other_problems(self, db, analyst) -> None:
        with pytest.raises(ValidationError) as err, db.transaction() as session:
            jobs.create_job(session, analyst, jobs.job_from_document('{"schedule_cron": "x"}'))
        text = str(err.value)
        assert all(key in text for key in ("name: is empty", "target_urls: give at least one",
                                           "config_package: the text is empty", "schedule_cron"))


class TestRights:
    """Jobs are private: their owner and admins see them; viewers change nothing."""

    def test_analysts_neither_see_nor_touch_another_analysts_job(self, db, analyst,
                                                                 make_user) -> None:
        job = create(db, analyst)
        other = make_user("analyst")
        with db.transaction() as session:
            assert jobs.list_jobs(session, other).empty
            for action in (lambda: jobs.get_job(session, other, job.id),
                           lambda: jobs.job_to_document(session, other, job.id),
                           lambda: jobs.update_job(session, other, job.id, LAMPS),
                           lambda: jobs.duplicate_job(session, other, job.id),
                           lambda: jobs.delete_job(session, other, job.id)):
                with pytest.raises(NotFound, match="Job not found"):
                    action()
        assert get(db, analyst, job.id).name == "Lamps"

    def test_viewers_cannot_create_and_only_read_their_own(self, db, viewer, admin) -> None:
        with pytest.raises(PermissionDenied, match="read-only"):
            create(db, viewer)
        with db.transaction() as session:  # a job from before they became a viewer
            session.add(ScrapingJob(user_id=viewer.id, name="Old", target_url="https://x.io",
                                    target_urls=["https://x.io"], config_package=PACKAGE))
        with db.transaction() as session:
            [job_id] = jobs.list_jobs(session, viewer).id.tolist()
            assert not jobs.get_job(session, viewer, job_id).can_change
            for action in (lambda: jobs.update_job(session, viewer, job_id, LAMPS),
                           lambda: jobs.duplicate_job(session, viewer, job_id),
                           lambda: jobs.delete_job(session, viewer, job_id)):
                with pytest.raises(PermissionDenied, match="read-only"):
                    action()

    def test_admins_see_and_change_every_job(self, db, analyst, admin) -> None:
        job = create(db, analyst)
        with db.transaction() as session:
            assert jobs.list_jobs(session, admin).owner.tolist() == [analyst.email]
            assert jobs.get_job(session, admin, job.id).can_change
        assert update(db, admin, job.id, name="Fixed by admin").name == "Fixed by admin"

    def test_an_unknown_or_malformed_id_is_not_found(self, db, analyst) -> None:
        with db.transaction() as session:
            for bad in (uuid.uuid4(), "not-a-uuid"):
                with pytest.raises(NotFound):
                    jobs.get_job(session, analyst, bad)
