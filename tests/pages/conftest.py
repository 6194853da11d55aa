"""AppTest helpers: start the app, sign in, find widgets by label."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import PROJECT_ROOT
from tests.conftest import PASSWORD

APP = str(PROJECT_ROOT / "app.py")


def by_label(elements, label: str):  # type: ignore[no-untyped-def]
    matches = [e for e in elements if e.label == label]
    assert matches, f"no widget labelled {label!r}; have {[e.label for e in elements]}"
    return matches[0]


def sign_in(at: AppTest, email: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="signin_email").input(email)
    at.text_input(key="signin_password").input(password)
    return by_label(at.button, "Sign in").click().run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


@pytest.fixture
def app(app_env, make_user):  # type: ignore[no-untyped-def]
    """A fresh app run against the test database, with the admin admin@example.com."""
    make_user("admin", email="admin@example.com", name="Administrator")

    def start(email: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30).run()
        return sign_in(at, email) if email else at
    return start
