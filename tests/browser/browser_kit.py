"""Helpers for browser tests, importable from test modules (``from browser_kit import …``) and
re-exported by this folder's conftest.py. A separate module because ``from conftest import …``
picks whichever conftest.py pytest imported last.

    open_app(page)                       load the app, wait until it has settled
    sign_in(page, email, password)       submit the sign-in form, wait for the outcome
    go_to(page, "Page title")            open a page from the sidebar, as a person would
    follow(link)                         click a link to another page, wait for its address
    wait_idle(page)                      wait until no script run is in progress
    wait_settled(page)                   ... and none has started for a short while
    screenshot(page, "step_name")        tests/artifacts/screenshots/step_name.png
    metric(page, "Label")                the value an st.metric shows

Why "settled": one user action often means two script runs here. The sign-in cookie lives in a
component (streamlit-authenticator's CookieManager) that reports back after it has drawn, which
starts a second run a few hundred ms after the first ended. ``wait_idle`` can fall into that
gap; a screenshot taken then shows faded, stale widgets. ``track_runs(context)`` (the ``page``
fixture does it) records every run so ``wait_settled`` can wait for a quiet spell instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from core.platform.settings import PROJECT_ROOT, load_settings

SCREENSHOTS = PROJECT_ROOT / "tests" / "artifacts" / "screenshots"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1800}  # tall: full_page screenshots are cut off
# Bounds for "this should happen", never measurements: a loaded 2-core machine (CI beside other
# work) once took more than 15 s for an app's first script run.
TIMEOUT_MS = 30_000  # page actions (set on each context) and expect() assertions
COLD_START_MS = 90_000  # the app's first page: its first script run imports everything

expect.set_options(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class AppServer:
    """What the ``app_server`` fixture yields: the running app and how to reach it."""

    base_url: str
    admin_email: str
    admin_password: str
    data_dir: Path
    database_url: str
    log_path: Path  # the app's stdout and stderr

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def require_browser_tests() -> bool:
    """REQUIRE_BROWSER_TESTS=1 (or true/yes): a missing browser fails instead of skipping."""
    return os.environ.get("REQUIRE_BROWSER_TESTS", "").strip().lower() not in {
        "", "0", "false", "no", "off"}


def _playwright_chromium() -> str | None:
    """Playwright's own Chromium (after ``playwright install chromium``), if it is there."""
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # noqa: BLE001 - no driver or no browser: simply not available
        return None
    return path if path and Path(path).is_file() else None


_resolved: list[str | None] = []  # resolved once per process


def chromium_executable() -> str | None:
    """The ``CHROMIUM_PATH`` setting (default /usr/lib/chromium/chromium) when that binary
    exists, else Playwright's own Chromium, else None."""
    if not _resolved:
        configured = load_settings().chromium_path
        if configured and Path(configured).is_file() and os.access(configured, os.X_OK):
            _resolved.append(configured)
        else:
            _resolved.append(_playwright_chromium())
    return _resolved[0]


def missing_browser_reason() -> str:
    return (f"no Chromium binary: CHROMIUM_PATH={load_settings().chromium_path!r} does not exist "
            "and Playwright has no browser of its own (apt-get install chromium, or set "
            "CHROMIUM_PATH)")


RUN_TRACKER = """
(() => {
  const run = window.__scrapedeckRuns = {runs: 0, state: null, changed: performance.now()};
  const check = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    if (state === run.state) return;
    if (state === 'running') run.runs += 1;
    run.state = state;
    run.changed = performance.now();
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-test-script-state']});
})();
"""

SETTLED = """quiet => {
  const run = window.__scrapedeckRuns;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  return !run || performance.now() - run.changed >= quiet;
}"""


ANIMATIONS_DONE = """() => document.getAnimations().every(
  a => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity)"""


def track_runs(context: BrowserContext) -> None:
    """Record script runs in every page of ``context`` (needed by ``wait_settled``)."""
    context.add_init_script(RUN_TRACKER)


def wait_settled(page: Page, quiet_ms: int = 600, timeout: float = TIMEOUT_MS) -> None:
    """Wait until the app is idle, shows no stale element, and no run has started or ended
    for ``quiet_ms`` (without ``track_runs`` on the context: just idle and nothing stale)."""
    page.wait_for_function(SETTLED, arg=quiet_ms, polling=100, timeout=timeout)


def wait_idle(page: Page, timeout: float = TIMEOUT_MS) -> None:
    """Wait until no script run is in progress.

    Right after a click the rerun may not have started yet, so first wait for what the action
    should produce (``expect(...)``), then call this to let the run finish.
    """
    page.locator(IDLE).wait_for(state="attached", timeout=timeout)


def open_app(page: Page, path: str = "/") -> None:
    """Load the app (the context's base_url) and wait until it has settled."""
    page.goto(path, timeout=COLD_START_MS)
    page.get_by_test_id("stApp").wait_for(state="attached", timeout=COLD_START_MS)
    wait_idle(page, timeout=COLD_START_MS)
    wait_settled(page, timeout=COLD_START_MS)


def sign_in(page: Page, email: str, password: str) -> None:
    """Fill and submit the sign-in form (opening the app first if the page is blank), then wait
    for the outcome: the sidebar's "Sign out" button, or an alert saying why not."""
    if not page.url.startswith("http"):
        open_app(page)
    wait_idle(page)
    email_box = page.get_by_label("Email", exact=True)
    email_box.wait_for()
    email_box.fill(email)
    page.get_by_label("Password", exact=True).fill(password)  # exact: not "Show password"
    press(page.get_by_role("button", name="Sign in"),
          page.get_by_role("button", name="Sign out").or_(page.get_by_test_id("stAlert")))
    wait_settled(page, quiet_ms=450)  # signing in stores the cookie: a second run follows


def go_to(page: Page, title: str) -> None:
    """Open the page called ``title`` from the sidebar (see ``follow``). The sidebar folds
    long navigations behind "View N more", which is opened first."""
    nav = page.get_by_test_id("stSidebarNav")
    nav.wait_for()
    more = nav.get_by_text(re.compile(r"^View \d+ more$"))
    if more.count():
        more.click()
    follow(nav.get_by_role("link", name=title, exact=True))


def follow(link: Locator) -> None:
    """Click a link to another page of the app and wait until the address shows its target.

    A click that lands while a run is still finishing (the sign-in cookie's second run, say)
    can be dropped by Streamlit: the address then stays where it was. Clicking once more is
    what a person would do; a second lost click fails the test."""
    page = link.page
    target = link.evaluate("a => a.href")  # resolved: an st.page_link's href is relative
    address = re.compile("^" + re.escape(target) + r"(\?.*)?$")
    _quiet_or_idle(page)
    link.click()
    try:
        expect(page).to_have_url(address)
    except AssertionError:
        _quiet_or_idle(page)
        link.click()
        expect(page).to_have_url(address)
    wait_idle(page)


def _quiet_or_idle(page: Page) -> None:
    """Settled, or, on a page whose live view reruns every second, at least idle."""
    try:
        wait_settled(page, quiet_ms=300, timeout=5_000)
    except PlaywrightTimeoutError:
        wait_idle(page)


def press(button: Locator, outcome: Locator) -> None:
    """Press a form's submit button and wait for ``outcome`` to show.

    On a loaded machine a press can land while the page is still rerunning (after a page
    switch, or for the sign-in cookie), and Streamlit drops it: the form is then still there,
    filled and untouched. Pressing once more is what a person would do; a second loss still
    fails the test. A press that was taken never shows the form unchanged, so it is never
    repeated."""
    wait_idle(button.page)
    button.click()
    try:
        expect(outcome.first).to_be_visible()
    except AssertionError:
        wait_idle(button.page)
        button.click()
        expect(outcome.first).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    """Once the app has settled, save the (tall) viewport as
    ``tests/artifacts/screenshots/<name>.png``; return the path.

    A page with a live fragment (a run that is still going) reruns every second and, on a
    loaded machine, may never stay quiet for long: the picture is then taken anyway. It is a
    record for people to look at, never what a test asserts."""
    try:
        wait_settled(page, quiet_ms=250)
    except PlaywrightTimeoutError:
        pass
    try:  # an expander that is still opening, say; a few seconds at most, never fatal
        page.wait_for_function(ANIMATIONS_DONE, polling=100, timeout=3_000)
    except PlaywrightTimeoutError:
        pass
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), animations="disabled")
    return path


def open_expander(page: Page, title: str) -> Locator:
    """The expander titled ``title``, opened (a form inside it has a "Name" field)."""
    expander = page.get_by_test_id("stExpander").filter(has_text=title)
    name = expander.get_by_label("Name", exact=True)
    if not name.is_visible():
        expander.locator("summary").click()
    expect(name).to_be_visible()
    return expander


def choose(page: Page, box: str, option_text: str) -> None:
    """Pick the option of selectbox ``box`` whose label contains ``option_text``.

    A click that lands while the box is still moving (its expander opening, say) focuses it
    without opening its list, and a rerun can close an open list: the box is clicked again
    only while it says its list is closed (``aria-expanded``), since a click on an open list
    closes it."""
    combo = page.get_by_role("combobox", name=box)
    option = page.get_by_role("option").filter(has_text=option_text).first
    for _ in range(4):
        _quiet_or_idle(page)
        try:
            page.wait_for_function(ANIMATIONS_DONE, polling=100, timeout=3_000)
        except PlaywrightTimeoutError:
            pass
        if combo.get_attribute("aria-expanded") != "true":
            combo.click()
        try:
            option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            continue
    option.click()


def metric(page: Page, label: str) -> Locator:
    """The value shown by the ``st.metric`` labelled ``label``."""
    return page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    ).get_by_test_id("stMetricValue")
