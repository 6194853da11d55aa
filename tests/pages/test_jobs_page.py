"""The Jobs page: create, bad input, the live schedule preview, edit, duplicate, delete, rights."""

from core.scraping import jobs, schemas
from core.scraping.jobs import JobInput
from core.scraping.schemas import SchemaInput
from tests.pages.conftest import by_label, texts

PACKAGE = {"version": 1, "fields": {"title": {"selector": "h1"}}}
PRODUCT = {"type": "object", "properties": {"title": {"type": "string"}}}


def open_page(app, who):  # type: ignore[no-untyped-def]
    return app(who.email).switch_page("pages/jobs.py").run()


def make_job(db, owner, name="Lamps", **changes):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return jobs.create_job(session, owner, JobInput(
            name=name, target_urls=["https://shop.example/lamps"], config_package=PACKAGE,
            **changes))


def fill_new_job(at, name: str, urls: str):  # type: ignore[no-untyped-def]
    at.text_input(key="jobs_new_0_name").input(name)
    at.text_area(key="jobs_new_0_urls").input(urls)
    return at


def listed(db, who) -> list[str]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return jobs.list_jobs(session, who).name.tolist()


def test_creating_a_job_lists_and_opens_it(app, db, analyst) -> None:
    at = fill_new_job(open_page(app, analyst), "Lamps",
                      "https://shop.example/lamps\n\nhttps://shop.example/desks\n")
    at.radio(key="jobs_new_0_pagination").set_value("next_button").run()
    at.text_input(key="jobs_new_0_next_selector").input("a.next")
    at = by_label(at.button, "Create job").click().run()
    assert not at.exception
    assert texts(at, "success") == ["Created 'Lamps'."]
    assert at.dataframe[0].value[["name", "targets", "pagination"]].values.tolist() == [
        ["Lamps", 2, "next_button"]]
    with db.transaction() as session:
        [row] = jobs.list_jobs(session, analyst).itertuples()
        detail = jobs.get_job(session, analyst, row.id)
    assert at.text_input(key=f"jobs_edit_{detail.id}_name").value == "Lamps"  # opened
    assert detail.pagination == {"selector": "a.next"}
    assert detail.config_package["fields"]  # the pre-filled example package


def test_bad_input_lists_every_problem_and_saves_nothing(app, db, analyst) -> None:
    at = fill_new_job(open_page(app, analyst), "", "ftp://files.example/x")
    at.text_area(key="jobs_new_0_package").input('{"version": 1, "fields": {}}')
    at.text_input(key="jobs_new_0_cron").input("61 * * * *")
    at.radio(key="jobs_new_0_pagination").set_value("url_pattern").run()
    at.text_input(key="jobs_new_0_pattern").input("https://shop.example/p")
    at = by_label(at.button, "Create job").click().run()
    error = texts(at, "error")[0]
    assert error.startswith("The job was not saved:")
    for expected in ("name: is empty", "target_urls: 'ftp://files.example/x'",
                     "config_package.fields: must name at least one field",
                     'pagination.pattern: must contain "{page}"',
                     "schedule_cron: '61 * * * *' is not a valid cron expression"):
        assert expected in error
    assert listed(db, analyst) == []
    assert texts(at, "info")[-1].startswith("No jobs yet.")


def test_the_schedule_preview_follows_the_cron_field_and_zone(app, analyst) -> None:
    at = open_page(app, analyst)
    assert "No schedule: the job runs only when started." in texts(at, "caption")
    at.text_input(key="jobs_new_0_cron").input("30 2 * * *")
    at = at.selectbox(key="jobs_new_0_zone").set_value("Europe/Berlin").run()
    preview = at.table[0].value["Next 5 runs"].tolist()
    assert len(preview) == 5
    assert all(" 02:30 CE" in t or " 03:00 CEST" in t for t in preview)
    at = at.text_input(key="jobs_new_0_cron").input("0 9 * * 8").run()
    assert "the day-of-week field '8' is out of range" in texts(at, "warning")[0]
    assert not at.table


def test_a_job_pins_the_schema_version_chosen(app, db, analyst) -> None:
    with db.transaction() as session:
        schema = schemas.create_schema(session, analyst, SchemaInput("Product", PRODUCT))
    at = fill_new_job(open_page(app, analyst), "Products", "https://shop.example/p")
    at.selectbox(key="jobs_new_0_schema").set_value(schema.id)
    at = by_label(at.button, "Create job").click().run()
    assert not at.exception and texts(at, "success") == ["Created 'Products'."]
    assert at.dataframe[0].value.schema.tolist() == ["Product v1"]


def test_editing_saves_and_shows_the_next_run(app, db, analyst) -> None:
    job = make_job(db, analyst)
    at = open_page(app, analyst)
    at.text_input(key=f"jobs_edit_{job.id}_name").input("Lamps nightly")
    at.text_input(key=f"jobs_edit_{job.id}_cron").input("0 3 * * *")
    at = by_label(at.button, "Save changes").click().run()
    assert not at.exception
    assert at.dataframe[0].value.name.tolist() == ["Lamps nightly"]
    assert at.dataframe[0].value.schedule.tolist() == ["0 3 * * * (UTC)"]
    assert by_label(at.metric, "Next run (UTC)").value.endswith(", 03:00")


def test_duplicate_and_delete_with_confirmation(app, db, analyst) -> None:
    make_job(db, analyst, schedule_cron="0 6 * * *")
    at = by_label(open_page(app, analyst).button, "Duplicate").click().run()
    assert texts(at, "success") == ["Copied as 'Copy of Lamps', without its schedule."]
    assert sorted(listed(db, analyst)) == ["Copy of Lamps", "Lamps"]
    at = at.run()
    assert by_label(at.button, "Delete").disabled
    by_label(at.checkbox, "I want to delete this job, its runs and their results").check().run()
    at = by_label(at.button, "Delete").click().run()
    assert not at.exception
    assert len(listed(db, analyst)) == 1


def test_analysts_see_only_their_jobs_and_viewers_get_no_forms(app, db, analyst, viewer,
                                                               make_user) -> None:
    make_job(db, make_user("analyst"), "Someone else's")
    assert texts(open_page(app, analyst), "info")[-1].startswith("No jobs yet.")
    at = open_page(app, viewer)
    labels = {b.label for b in at.button}
    assert not labels & {"Create job", "Save changes", "Duplicate", "Delete"}
    assert texts(at, "info") == ["No jobs yet."]


def test_start_run_from_the_job_queues_a_run(app, db, analyst, monkeypatch) -> None:
    from core.scraping import runs
    from core.platform.settings import get_settings
    from db.models import ScrapingJob

    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    with db.transaction() as session:
        session.add(ScrapingJob(user_id=analyst.id, name="Lamps", target_url="https://x.io/",
                                target_urls=["https://x.io/"],
                                config_package={"version": 1, "fields": {"t": {"selector": "h1"}}}))
    at = app(analyst.email).switch_page("pages/jobs.py").run()
    at = [b for b in at.button if b.label == "Start run"][0].click().run()
    assert "Run started." in texts(at, "success")
    with db.transaction() as session:
        assert runs.list_runs(session, analyst).job.tolist() == ["Lamps"]
