"""In a real browser: sign in, create an extractor schema, be told about broken JSON, sign out."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from browser_kit import AppServer, go_to, open_app, open_expander, press, screenshot, sign_in, wait_idle, wait_settled

pytestmark = pytest.mark.browser

DEFINITION = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "price": {"type": "number"}},
    "required": ["title"],
}
# A trailing comma: the error must point at it.
BROKEN_DEFINITION = '{\n  "type": "object",\n  "properties": {"title": {"type": "string"},}\n}'


def _where(text: str) -> str:
    """"line L, column C" as the app words a JSON syntax error in ``text``."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}, column {exc.colno}"
    raise AssertionError("the broken definition parses")


def _listed_names(page: Page) -> Locator:
    """The "name" column of the schema table (a canvas; glide keeps an accessible copy)."""
    return page.get_by_test_id("stDataFrame").get_by_test_id(re.compile(r"^glide-cell-0-\d+$"))


def _new_schema_form(page: Page) -> Locator:
    return open_expander(page, "New schema")


def _edit_form(page: Page) -> Locator:
    return page.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Save changes"))


def _create_schema(page: Page, name: str) -> None:
    form = _new_schema_form(page)
    form.get_by_label("Name", exact=True).fill(name)
    press(form.get_by_role("button", name="Create schema"),
          page.get_by_test_id("stAlert").filter(has_text=f"Created '{name}'."))
    wait_settled(page, quiet_ms=300)


def test_admin_creates_a_schema_then_signs_out(page: Page, app_server: AppServer) -> None:
    name = f"Products {uuid.uuid4().hex[:8]}"
    bad_name = f"Broken {uuid.uuid4().hex[:8]}"

    open_app(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no page list before sign-in
    screenshot(page, "flow_01_sign_in")

    sign_in(page, app_server.admin_email, app_server.admin_password)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    wait_idle(page)
    screenshot(page, "flow_02_overview")

    go_to(page, "Extractor schemas")
    expect(page.get_by_role("heading", name="Extractor schemas")).to_be_visible()
    expect(page.get_by_label("Search by name")).to_be_visible()
    wait_idle(page)
    screenshot(page, "flow_03_schemas")

    # Create one.
    form = _new_schema_form(page)
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Description").fill("Product pages: title and price.")
    form.get_by_label("Schema definition (JSON Schema 2020-12)").fill(
        json.dumps(DEFINITION, indent=2))
    screenshot(page, "flow_04_new_schema_form")
    press(form.get_by_role("button", name="Create schema"),
          page.get_by_test_id("stAlert").filter(has_text=f"Created '{name}'."))
    wait_idle(page)
    expect(_listed_names(page).filter(has_text=name)).to_have_count(1)
    expect(_edit_form(page).get_by_label("Name", exact=True)).to_have_value(name)  # opened below
    listed = _listed_names(page).count()
    screenshot(page, "flow_05_created")

    # Broken JSON: refused with the place of the error, nothing saved.
    form = _new_schema_form(page)
    form.get_by_label("Name", exact=True).fill(bad_name)
    form.get_by_label("Schema definition (JSON Schema 2020-12)").fill(BROKEN_DEFINITION)
    error = page.get_by_test_id("stAlert").filter(has_text="not valid JSON")
    press(form.get_by_role("button", name="Create schema"), error)
    wait_idle(page)
    expect(error).to_contain_text(_where(BROKEN_DEFINITION))
    expect(page.get_by_text(f"Created '{bad_name}'.")).to_have_count(0)
    expect(_listed_names(page)).to_have_count(listed)
    expect(_listed_names(page).filter(has_text=bad_name)).to_have_count(0)
    screenshot(page, "flow_06_invalid_json")

    # Sign out: back to the sign-in form, and the pages are no longer listed.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # one sign-in form once the rerun has ended (until then the page before it may still show
    # its own, as Streamlit keeps an element until the run that replaces it is done)
    expect(page.get_by_label("Email", exact=True)).to_have_count(1)
    expect(page.get_by_label("Email", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    wait_settled(page)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    screenshot(page, "flow_07_signed_out")


def test_a_new_schema_is_the_one_opened_and_saved(page: Page, app_server: AppServer) -> None:
    first, second = (f"Opened {uuid.uuid4().hex[:8]}" for _ in range(2))
    sign_in(page, app_server.admin_email, app_server.admin_password)
    go_to(page, "Extractor schemas")
    expect(page.get_by_label("Search by name")).to_be_visible()
    _create_schema(page, first)
    _create_schema(page, second)  # while the first one is open
    expect(_edit_form(page).get_by_label("Name", exact=True)).to_have_value(second)

    _edit_form(page).get_by_label("Description").fill("Saved on the second one.")
    _edit_form(page).get_by_role("button", name="Save changes").click()
    wait_settled(page, quiet_ms=300)
    screenshot(page, "new_schema_then_save")
    expect(_edit_form(page).get_by_label("Name", exact=True)).to_have_value(second, timeout=1_000)
    expect(_edit_form(page).get_by_label("Description")).to_have_value(
        "Saved on the second one.", timeout=1_000)
    expect(page.get_by_role("combobox", name="Open schema")).to_have_value(
        f"{second} · v1 · {app_server.admin_email}", timeout=1_000)


def test_wrong_password_is_refused(page: Page, app_server: AppServer) -> None:
    sign_in(page, app_server.admin_email, "not-the-password")
    expect(page.get_by_test_id("stAlert")).to_contain_text("Wrong email or password.")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "wrong_password")


def test_a_url_or_address_a_user_wrote_is_shown_as_text_not_a_link(
        page: Page, app_server: AppServer) -> None:
    """Streamlit's Markdown makes a bare URL, ``www.`` name or email address a link; what a user
    wrote is quoted as text, with nothing added that a reader would copy or search for."""
    name = (f"See http://169.254.169.254/x, WWW.example.com or ops@example.com "
            f"{uuid.uuid4().hex[:6]}")
    sign_in(page, app_server.admin_email, app_server.admin_password)
    go_to(page, "Extractor schemas")
    expect(page.get_by_label("Search by name")).to_be_visible()
    _create_schema(page, name)

    created = page.get_by_test_id("stAlert").filter(has_text=f"Created '{name}'.")
    expect(created).to_have_count(1)
    expect(created.locator("a")).to_have_count(0)
    message = created.get_by_test_id("stMarkdownContainer")
    assert message.inner_text().strip() == f"Created '{name}'."  # what a reader copies
    assert page.get_by_text(name, exact=False).count() >= 1  # and finds
    screenshot(page, "url_as_text")
