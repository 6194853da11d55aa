"""The Model provider page (AppTest): set up a provider, test it, prices, recent costs."""

from __future__ import annotations

import time

import pytest

from core.llm import prices, providers
from core.llm.client import Usage
from core.llm.usage import record_usage
from core.platform.settings import get_settings
from tests.llm.conftest import API_KEY
from tests.pages.conftest import by_label, texts

ADMIN = "admin@example.com"
PAGE = "pages/model_provider.py"


@pytest.fixture
def page(app, secret_key, monkeypatch, db):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "1")  # the test model server is on 127.0.0.1
    get_settings.cache_clear()
    with db.transaction() as session:
        prices.seed_default_prices(session)

    def open_as(email: str):  # type: ignore[no-untyped-def]
        return app(email).switch_page(PAGE).run()
    return open_as


def fill_and_save(at, openai, key: str = API_KEY):  # type: ignore[no-untyped-def]
    by_label(at.text_input, "Name").input("Test AI")
    by_label(at.text_input, "Base URL").input(openai.base_url)
    by_label(at.text_input, "Model").input("gpt-4o-mini")
    by_label(at.text_input, "API key").input(key)
    return by_label(at.button, "Save provider").click().run()


def everything_shown(at) -> str:  # type: ignore[no-untyped-def]
    kinds = ("markdown", "caption", "success", "error", "info", "warning", "text")
    shown = [str(v) for kind in kinds for v in texts(at, kind)]
    shown += [str(w.value) + str(w.placeholder) for w in at.text_input]
    return "\n".join(shown)


def test_set_up_a_provider_the_key_never_comes_back(page, openai, analyst) -> None:
    at = page(analyst.email)
    assert "Not tested yet." not in everything_shown(at)  # nothing set up yet
    at = fill_and_save(at, openai)
    assert not at.exception
    assert texts(at, "success") == ["Saved Test AI (gpt-4o-mini). Test the connection to check it."]
    assert "API key: set (ends in …WXYZ) · timeout 60 s" in texts(at, "caption")
    assert by_label(at.text_input, "API key").value == ""  # the form starts empty again
    assert API_KEY not in everything_shown(at)


def test_a_bad_base_url_is_refused_with_a_message(page, openai, analyst) -> None:
    at = page(analyst.email)
    by_label(at.text_input, "Base URL").input("file:///etc/passwd")
    at = by_label(at.button, "Save provider").click().run()
    assert texts(at, "error")[0].startswith("The model provider was not saved.\n- base URL:")


def test_test_connection_runs_in_a_worker_and_the_page_shows_the_outcome(page, openai, db,
                                                                       analyst) -> None:
    at = fill_and_save(page(analyst.email), openai)
    at = by_label(at.button, "Test connection").click().run()
    assert "Testing the connection…" in texts(at, "info")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.transaction() as session:
            if not providers.get_provider(session, analyst).testing:
                break
        time.sleep(0.2)
    at = at.run()
    assert texts(at, "success")[0].startswith("Connected: gpt-4o-mini answered in ")
    # The test's tokens are in the ledger, and in this user's recent costs.
    assert at.dataframe[-1].value[["model", "input_tokens", "output_tokens"]].values.tolist() \
        == [["gpt-4o-mini", 50, 10]]


def test_delete_the_provider(page, openai, analyst) -> None:
    at = fill_and_save(page(analyst.email), openai)
    at = by_label(at.button, "Delete provider").click().run()
    assert texts(at, "success") == ["Model provider deleted; the builder works without a model."]
    assert by_label(at.button, "Save provider")


def test_admins_edit_prices_others_read_them(page, analyst) -> None:
    at = page(analyst.email)
    assert not at.get("arrow_data_editor") and "Save prices" not in [b.label for b in at.button]
    assert "gpt-4o*" in at.dataframe[0].value.model_pattern.tolist()
    at = page(ADMIN)
    assert by_label(at.button, "Save prices")
    at = by_label(at.button, "Save prices").click().run()
    assert texts(at, "success") == ["No changes."]


def test_recent_costs_sum_the_users_calls(page, db, analyst) -> None:
    with db.transaction() as session:
        record_usage(session, analyst.id, Usage("OpenAI", "gpt-4o", 1_000_000, 100_000))
        record_usage(session, analyst.id, Usage("Local", "llama3", 10, 5))
    at = page(analyst.email)
    assert "Latest 2 calls: 1,000,010 input and 100,005 output tokens, $3.5000." in \
        texts(at, "caption")
    assert "Some models have no price: their tokens are counted, not their cost." in \
        texts(at, "caption")[-1]


def test_viewers_see_the_page_read_only(page, viewer) -> None:
    at = page(viewer.email)
    assert not at.exception and texts(at, "title") == ["Model provider"]
    assert "Save provider" not in [b.label for b in at.button]
