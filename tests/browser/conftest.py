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

Helpers (in ``browser_kit``, re-exported here): ``wait_idle``, ``wait_settled``, ``open_app``,
``sign_in``, ``screenshot``.

Tests marked ``@pytest.mark.browser`` are skipped when no Chromium binary is found, unless
``REQUIRE_BROWSER_TESTS`` is set: then they fail (CI must not go green by skipping).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from browser_kit import (CHROMIUM_ARGS, SCREENSHOTS, TIMEOUT_MS, VIEWPORT, AppServer,  # noqa: F401
                         chromium_executable, missing_browser_reason, open_app,
                         require_browser_tests, screenshot, sign_in, track_runs, wait_idle,
                         wait_settled)
from core.settings import PROJECT_ROOT, documented_settings

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "browser-admin-pw-1"
STARTUP_TIMEOUT = 30.0

# App settings the developer's shell may hold: none leaks into the app under test, except the
# browser it should use.
_PASSED_THROUGH = {"CHROMIUM_PATH"}


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


# --------------------------------------------------------------------------- the app

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=1) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def app_environment(data_dir: Path, database_url: str) -> dict[str, str]:
    """The process environment with every app setting at its default, except these."""
    settings = {name for name, _default, _doc in documented_settings()} - _PASSED_THROUGH
    env = {k: v for k, v in os.environ.items() if k not in settings}
    env.update(
        DATABASE_URL=database_url, SCRAPEDECK_DATA_DIR=str(data_dir),
        ADMIN_EMAIL=ADMIN_EMAIL, ADMIN_PASSWORD=ADMIN_PASSWORD,
        AUTH_COOKIE_KEY="browser-tests-cookie-signing-key-0123456789",  # >= 32 bytes for HS256
        BCRYPT_ROUNDS="4", LOGIN_SLEEP_SECONDS="0",
        APP_STARTS_WORKER="false",  # no background worker: these tests start no runs
        PYTHONUNBUFFERED="1")
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_app(root: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[AppServer]:
    """``streamlit run app.py`` on a free port over a fresh database in ``root``; ``extra_env``
    adds to (or overrides) ``app_environment``."""
    data_dir = root / "data"
    data_dir.mkdir(parents=True)
    database_url = f"sqlite:///{data_dir / 'scrapedeck.db'}"
    env = app_environment(data_dir, database_url) | dict(extra_env or {})
    log_path = root / "streamlit.log"

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = AppServer(base_url, ADMIN_EMAIL, ADMIN_PASSWORD, data_dir, database_url, log_path)
    with log_path.open("wb") as log:  # the child keeps its own handle
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT)
    try:
        # While Streamlit boots (it touches no database before a browser connects): migrate
        # and create the admin, so a broken setup fails here with its own message and the
        # first page load does not pay for the migrations.
        init = subprocess.run([sys.executable, "-m", "core", "init"], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        if init.returncode != 0:
            pytest.fail(f"python -m core init failed ({init.returncode}):\n{init.stdout}"
                        f"{init.stderr}", pytrace=False)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(base_url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode} before it was healthy:"
                            f"\n{server.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {STARTUP_TIMEOUT:.0f} s:\n"
                            f"{server.log_tail()}", pytrace=False)
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


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
# fixture site on 127.0.0.1 at full speed.
SCRAPING_ENV = {"ALLOW_PRIVATE_ADDRESSES": "1", "FETCH_DELAY_SECONDS": "0", "EXECUTOR": "local"}


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
