"""Browser tests: the real app (``streamlit run``) driven by headless Chromium.

Fixtures
    ``app_server``  session: the app on a free port over a fresh SQLite database and data
                    folder, with a known admin. An ``AppServer``: base_url, admin_email,
                    admin_password, data_dir, database_url, log_path (the app's output).
    ``fresh_app_server``      function: the same, but a new process for this test only.
    ``untouched_app_server``  function: an app no browser has talked to yet (the session's
                    while that holds, which saves a start when such a test runs first).
    ``scraping_app_server``   session: an app of its own that may scrape the local fixture site
                    (ALLOW_PRIVATE_ADDRESSES=1, FETCH_DELAY_SECONDS=0, EXECUTOR=local: starting
                    a run or an export spawns a worker, which inherits that environment).
    ``browser``     session: one headless Chromium (``CHROMIUM_PATH``, else Playwright's own).
    ``page``        function: a fresh context (signed out, no cookies) whose base_url is the
                    app, so ``page.goto("/")`` opens it.

Starting an app with settings of a test's own: ``from app_kit import running_app``.
Helpers (in ``browser_kit``, re-exported here): ``wait_idle``, ``wait_settled``, ``open_app``,
``sign_in``, ``screenshot``.

Tests marked ``@pytest.mark.browser`` are skipped when no Chromium binary is found, unless
``REQUIRE_BROWSER_TESTS`` is set: then they fail (CI must not go green by skipping).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app_kit import ADMIN_EMAIL, ADMIN_PASSWORD, app_environment, running_app  # noqa: F401
from browser_kit import (CHROMIUM_ARGS, SCREENSHOTS, TIMEOUT_MS, VIEWPORT, AppServer,  # noqa: F401
                         chromium_executable, missing_browser_reason, open_app,
                         require_browser_tests, screenshot, sign_in, track_runs, wait_idle,
                         wait_settled)

def pytest_runtest_setup(item: pytest.Item) -> None:
    """Runs before the test's fixtures, so no app is started for a test that cannot run."""
    if item.get_closest_marker("browser") is None or chromium_executable() is not None:
        return
    if require_browser_tests():
        pytest.fail(f"REQUIRE_BROWSER_TESTS is set but there is {missing_browser_reason()}",
                    pytrace=False)
    pytest.skip(missing_browser_reason())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore
    """Keep each phase's report on the item, so ``page`` can tell that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app for the whole session (tests share its database: use unique names)."""
    with running_app(tmp_path_factory.mktemp("browser_app")) as server:
        yield server


@pytest.fixture
def fresh_app_server(tmp_path: Path) -> Iterator[AppServer]:
    """An app of its own, just started: for what only a new process shows (a few s more)."""
    with running_app(tmp_path / "app") as server:
        yield server


# What the app (and every worker it spawns, which inherits its environment) needs to scrape the
# fixture site on 127.0.0.1 at full speed. The app starts its own `serve`, as it does by default:
# the workers it starts are forks of that serve's command server.
SCRAPING_ENV = {"ALLOW_PRIVATE_ADDRESSES": "1", "FETCH_DELAY_SECONDS": "0", "EXECUTOR": "local",
                "APP_STARTS_WORKER": "true"}


@pytest.fixture(scope="session")
def scraping_app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """An app of its own whose runs and exports really happen (see ``SCRAPING_ENV``)."""
    with running_app(tmp_path_factory.mktemp("scraping_app"), SCRAPING_ENV) as server:
        yield server


_visited: set[str] = set()  # base URLs some ``page`` has been pointed at


@pytest.fixture
def untouched_app_server(app_server: AppServer, tmp_path: Path) -> Iterator[AppServer]:
    """An app no browser has talked to yet: the session's app while that is still true (the
    test runs first), else one started for this test."""
    if app_server.base_url not in _visited:
        yield app_server
        return
    with running_app(tmp_path / "app") as server:
        yield server


# --------------------------------------------------------------------------- the browser

@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Module-scoped on purpose: Playwright's sync API keeps an asyncio loop running in this
    thread while it is open, and every ``asyncio.run`` in later (non-browser) tests would fail."""
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    assert executable is not None, "pytest_runtest_setup skips or fails without a browser"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True,
                                     args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):  # type: ignore
    """A tab in a fresh context (signed out, no cookies); ``page.goto("/")`` opens the app
    (``fresh_app_server``, ``untouched_app_server`` or ``scraping_app_server`` when the test
    asks for one, else ``app_server``).
    When the test fails: a FAILED_<test>.png screenshot, and the app's log (and its workers',
    if any ran) in the report."""
    fixture = next((name for name in ("fresh_app_server", "untouched_app_server",
                                      "scraping_app_server")
                    if name in request.fixturenames), "app_server")
    app_server: AppServer = request.getfixturevalue(fixture)
    _visited.add(app_server.base_url)
    context = browser.new_context(base_url=app_server.base_url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    track_runs(context)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        try:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(SCREENSHOTS / f"FAILED_{request.node.name}.png"))
        except Exception:  # noqa: BLE001 - the page may be gone; the failure itself matters
            pass
        report.sections.append(("app log (tail)", app_server.log_tail()))
        workers = app_server.data_dir / "logs" / "worker.log"
        if workers.is_file():
            tail = workers.read_text(errors="replace").splitlines()[-40:]
            report.sections.append(("worker log (tail)", "\n".join(tail)))
    context.close()
