"""The app shell: sign-in, navigation by role, every page renders."""

import pytest

from core.platform.settings import PROJECT_ROOT

from tests.pages.conftest import by_label, shown, sign_in, texts

ADMIN = "admin@example.com"
# Every page in pages/, so a new page is smoke-tested the day it is added.
PAGES = sorted(f"pages/{path.name}" for path in (PROJECT_ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_an_admin(app, page) -> None:
    at = app(ADMIN).switch_page(page).run()
    assert not at.exception
    assert texts(at, "title") and not texts(at, "error")


def test_signed_out_visitors_only_see_the_sign_in_form(app) -> None:
    at = app()
    assert texts(at, "title") == ["ScrapeDeck"]
    assert [b.label for b in at.button] == ["Sign in"]


def test_sign_in_shows_the_overview_with_a_sign_out_button(app) -> None:
    # Signing out is exercised in the browser test: AppTest re-runs only the page script after
    # the first navigation, so app.py's sign-out handling never runs there.
    at = app(ADMIN)
    assert texts(at, "title") == ["Overview"]
    assert by_label(at.metric, "Active users").value == "1"
    assert by_label(at.button, "Sign out")


def test_a_wrong_password_is_refused_with_a_message(app) -> None:
    at = sign_in(app(), ADMIN, "not-the-password")
    assert texts(at, "error") == ["Wrong email or password."]
    assert texts(at, "title") == ["ScrapeDeck"]


def test_five_failures_lock_the_account_in_the_page(app) -> None:
    at = app()
    for _ in range(5):
        sign_in(at, ADMIN, "not-the-password")
    at = sign_in(at, ADMIN)  # the right password, too late
    assert "Too many failed sign-ins" in texts(at, "error")[0]
    assert texts(at, "title") == ["ScrapeDeck"]


def test_analysts_do_not_get_admin_pages(app, analyst) -> None:
    at = app(analyst.email)
    assert texts(at, "title") == ["Overview"]
    assert by_label(at.metric, "My extractor schemas").value == "0"
    assert "Active users" not in [m.label for m in at.metric]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/users.py")  # the navigation does not even register it


def test_a_suspended_user_cannot_sign_in(app, db, admin, analyst) -> None:
    from core.accounts import users
    with db.transaction() as session:
        users.suspend(session, admin, analyst.id, "contract ended")
    at = app(analyst.email)
    assert "suspended: contract ended" in texts(at, "error")[0]


def test_the_overview_counts_my_jobs_and_runs(app, db, analyst) -> None:
    from db.models import Run, ScrapingJob

    with db.transaction() as session:
        job = ScrapingJob(user_id=analyst.id, name="Lamps", target_url="https://x.io/",
                          schedule_cron="0 6 * * *", config_package={})
        session.add(job)
        session.flush()
        session.add_all([Run(job_id=job.id, user_id=analyst.id, status="running",
                             idempotency_key="a", items_extracted=40),
                         Run(job_id=job.id, user_id=analyst.id, status="failed",
                             idempotency_key="b", items_extracted=2),
                         Run(job_id=job.id, user_id=analyst.id, status="completed_errors",
                             idempotency_key="c", items_extracted=0)])
    metrics = {m.label: m.value for m in app(analyst.email).metric}
    assert [metrics[k] for k in ("My jobs", "Scheduled jobs", "Runs in progress", "Items stored",
                                 "Runs (24 h)", "Failed runs (24 h)",
                                 "Completed with errors (24 h)")] == ["1", "1", "1", "42", "3",
                                                                      "2", "1"]


def test_day_one_sends_a_new_user_to_the_builder(app, analyst) -> None:
    at = app(analyst.email)
    assert texts(at, "info")[0].startswith("Start with the Objective builder")
    [link] = [p for p in at.get("page_link") if p.proto.page == "builder"]
    assert link.proto.label == "Open the Objective builder"
    assert "Recent work" not in texts(at, "subheader")


def test_the_overview_lists_recent_runs_builds_and_crawls_with_links(app, db, analyst,
                                                                     make_user) -> None:
    from db.models import Build, Run, ScrapingJob, SeoCrawl

    other = make_user("analyst")
    with db.transaction() as session:
        job = ScrapingJob(user_id=analyst.id, name="Lamps *bold*", target_url="https://x.io/",
                          config_package={})
        session.add(job)
        session.flush()
        run = Run(job_id=job.id, user_id=analyst.id, status="completed_errors",
                  idempotency_key="a")
        build = Build(user_id=analyst.id, user_objective="Chair prices", status="confirmed",
                      initial_target_urls=[], uploaded_samples=[], notes=[], iteration=1)
        crawl = SeoCrawl(user_id=analyst.id, start_url="https://x.io/", site_key="x.io",
                         max_pages=10, options={}, status="canceled", summary={})
        theirs = Build(user_id=other.id, user_objective="Not mine", status="confirmed",
                       initial_target_urls=[], uploaded_samples=[], notes=[], iteration=1)
        session.add_all([run, build, crawl, theirs])
        session.flush()
        ids = {"runs": str(run.id), "builder": str(build.id), "seo_crawl": str(crawl.id)}
    at = app(analyst.email)
    assert not texts(at, "info")  # no longer day one
    assert "Recent work" in texts(at, "subheader")
    links = {p.proto.page: p for p in at.get("page_link")}
    assert links["runs"].proto.query_string == f"run={ids['runs']}"
    assert shown(links["runs"].proto.label).startswith("Lamps *bold* · completed with errors · ")
    assert links["builder"].proto.query_string == f"build={ids['builder']}"
    assert shown(links["builder"].proto.label).startswith("Chair prices · confirmed · ")
    assert links["seo_crawl"].proto.query_string == f"crawl={ids['seo_crawl']}"
    assert "Not mine" not in " ".join(p.proto.label for p in at.get("page_link"))
