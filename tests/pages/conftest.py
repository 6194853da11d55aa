"""AppTest helpers: start the app, sign in, find widgets by label."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.platform.settings import PROJECT_ROOT
from tests.conftest import PASSWORD
from ui.text import SPLIT

APP = str(PROJECT_ROOT / "app.py")


def by_label(elements, label: str):  # type: ignore[no-untyped-def]
    matches = [e for e in elements if shown(e.label or "") == label]
    assert matches, f"no widget labelled {label!r}; have {[e.label for e in elements]}"
    return matches[0]


def sign_in(at: AppTest, email: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="signin_email").input(email)
    at.text_input(key="signin_password").input(password)
    return by_label(at.button, "Sign in").click().run()


def shown(markdown: str) -> str:
    """Markdown as the reader sees it, as far as what ui.text.plain adds goes: backslash escapes,
    and the empty span that keeps a URL from becoming a link."""
    unescaped = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown.replace(SPLIT, ""))
    return unescaped.replace("  \n", "\n")


def texts(at: AppTest, kind: str) -> list[str]:
    return [shown(e.value) for e in getattr(at, kind)]


@pytest.fixture
def app(app_env, make_user):  # type: ignore[no-untyped-def]
    """A fresh app run against the test database, with the admin admin@example.com."""
    make_user("admin", email="admin@example.com", name="Administrator")

    def start(email: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30).run()
        return sign_in(at, email) if email else at
    return start


def runs_of_one_job(db, owner, *batches: list[dict]) -> list:  # type: ignore[no-untyped-def]
    """One job with a completed run per batch of items, oldest first, its package naming the
    items' fields (what a fill-rate check compares); the runs' ids."""
    from db.models import ScrapingJob
    from tests.core.test_results import add_run

    job_id, first = add_run(db, owner, batches[0])
    with db.transaction() as session:
        session.get(ScrapingJob, job_id).config_package = {"version": 1, "fields": {
            field: {"selector": f".{field}"} for field in batches[0][0]}}
    return [first, *(add_run(db, owner, items, job_id=job_id)[1] for items in batches[1:])]
