"""Each user's model provider: saved with the key encrypted, shown without it, tested by a
worker process against a real OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from core.platform import audit
from core.platform.errors import NotFound, PermissionDenied, ValidationError
from core.llm import providers
from core.llm.errors import ProviderKeyUnreadable
from core.platform.settings import get_settings
from db.models import CostEvent, LLMProvider
from tests.fixtures.openai_server import Reply
from tests.llm.conftest import API_KEY


@pytest.fixture
def local_models(app_env, secret_key, monkeypatch) -> None:
    """Settings for a model server on 127.0.0.1 (the test server) and workers that find it."""
    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def save(db, actor, openai, **changes):  # type: ignore[no-untyped-def]
    values = {"name": "Test AI", "base_url": openai.base_url, "model": "gpt-4o-mini",
              "api_key": API_KEY, "timeout_seconds": 10.0, **changes}
    with db.transaction() as session:
        return providers.save_provider(session, actor, **values)


def test_the_key_is_stored_encrypted_and_never_shown(db, local_models, openai, analyst,
                                                     admin) -> None:
    view = save(db, analyst, openai)
    assert view.key == "set (ends in …WXYZ)" and view.key_readable
    assert API_KEY not in repr(view)
    with db.transaction() as session:
        stored = session.scalar(select(LLMProvider.api_key_encrypted))
        entry = audit.list_entries(session, admin).iloc[0]
    assert stored and API_KEY not in stored and "0123456789" not in stored
    assert entry.action == "llm_provider.save" and entry.new_values["api_key"] == "changed"
    assert API_KEY not in str(entry.new_values)


def test_the_builder_gets_the_decrypted_config(db, local_models, openai, analyst) -> None:
    save(db, analyst, openai)
    with db.transaction() as session:
        config = providers.provider_for(session, analyst)
        assert providers.provider_for(session, analyst.id) == config
    assert (config.base_url, config.model, config.api_key, config.timeout) == (
        openai.base_url, "gpt-4o-mini", API_KEY, 10.0)


def test_a_user_without_a_provider_gets_none(db, analyst) -> None:
    with db.transaction() as session:
        assert providers.provider_for(session, analyst) is None
        assert providers.get_provider(session, analyst) is None
        assert not providers.has_provider(session, analyst.id)


def test_the_builder_can_ask_whether_a_user_has_a_model(db, local_models, openai,
                                                        analyst) -> None:
    save(db, analyst, openai)
    with db.transaction() as session:
        assert providers.has_provider(session, analyst.id)


def test_saving_again_with_an_empty_key_keeps_the_key(db, local_models, openai, analyst) -> None:
    save(db, analyst, openai)
    view = save(db, analyst, openai, api_key="", model="gpt-4.1-mini")
    assert view.model == "gpt-4.1-mini" and view.key == "set (ends in …WXYZ)"
    with db.transaction() as session:
        assert providers.provider_for(session, analyst).api_key == API_KEY
        assert session.query(LLMProvider).count() == 1  # one provider per user


def test_a_provider_for_a_local_server_may_have_no_key(db, local_models, openai, analyst) -> None:
    assert save(db, analyst, openai, api_key="").key == "not set"
    with db.transaction() as session:
        assert providers.provider_for(session, analyst).api_key is None


def test_bad_settings_are_all_listed_and_nothing_is_saved(db, local_models, analyst) -> None:
    with db.transaction() as session, pytest.raises(ValidationError) as refused:
        providers.save_provider(session, analyst, name=" ", base_url="ftp://models.example/v1",
                                model="", api_key="sk-with space", timeout_seconds=0)
    assert [p.split(":")[0] for p in refused.value.problems] == [
        "name", "base URL", "model", "API key", "timeout"]
    assert "only http and https" in refused.value.problems[1]
    assert "sk-with space" not in str(refused.value)
    with db.transaction() as session:
        assert providers.get_provider(session, analyst) is None


def test_a_key_inside_the_base_url_is_refused_without_repeating_it(db, local_models,
                                                                  analyst) -> None:
    with db.transaction() as session, pytest.raises(ValidationError) as refused:
        providers.save_provider(session, analyst, name="Proxy", model="m",
                                base_url="https://bob:s3cret-key@llm.example/v1")
    assert refused.value.problems == [
        "base URL: put the key in the API key field, not in the URL"]
    assert "s3cret-key" not in str(refused.value)


def test_private_addresses_need_the_setting(db, app_env, secret_key, analyst) -> None:
    with db.transaction() as session, pytest.raises(ValidationError, match="ALLOW_PRIVATE"):
        providers.save_provider(session, analyst, name="Local", base_url="http://127.0.0.1:9/v1",
                                model="llama3")


def test_viewers_cannot_set_a_provider(db, local_models, openai, viewer) -> None:
    with pytest.raises(PermissionDenied):
        save(db, viewer, openai)


def test_delete_forgets_the_provider_and_keeps_the_ledger(db, local_models, openai,
                                                          analyst) -> None:
    view = save(db, analyst, openai)
    assert providers.run_connection_test(db, view.id) == "ok"
    with db.transaction() as session:
        providers.delete_provider(session, analyst)
    with db.transaction() as session:
        assert providers.get_provider(session, analyst) is None
        assert session.query(CostEvent).count() == 2
    with db.transaction() as session, pytest.raises(NotFound):
        providers.delete_provider(session, analyst)


def test_a_changed_secret_asks_to_re_enter_the_key(db, local_models, openai, analyst,
                                                   monkeypatch) -> None:
    save(db, analyst, openai)
    monkeypatch.setenv("SCRAPEDECK_SECRET_KEY", "a-brand-new-secret-after-rotation")
    get_settings.cache_clear()
    with db.transaction() as session:
        view = providers.get_provider(session, analyst)
        assert (view.key, view.key_readable) == ("unreadable: enter it again", False)
        with pytest.raises(ProviderKeyUnreadable, match="Re-enter your API key"):
            providers.provider_for(session, analyst)
    assert providers.run_connection_test(db, view.id) == "failed"
    with db.transaction() as session:
        assert "Re-enter your API key" in providers.get_provider(session, analyst).test_message
    view = save(db, analyst, openai)  # entering it again fixes it
    assert view.key_readable


def test_the_connection_test_records_the_outcome_and_its_tokens(db, local_models, openai,
                                                                analyst) -> None:
    view = save(db, analyst, openai)
    openai.script(Reply.json({"ok": True}, prompt_tokens=31, completion_tokens=4))
    assert providers.run_connection_test(db, view.id) == "ok"
    with db.transaction() as session:
        view = providers.get_provider(session, analyst)
        ledger = session.execute(select(CostEvent.kind, CostEvent.quantity, CostEvent.model)
                                 .order_by(CostEvent.kind)).all()
    assert view.test_status == "ok"
    assert view.test_message.startswith("Connected: gpt-4o-mini answered in ")
    assert view.test_message.endswith("(31 + 4 tokens).")
    assert [(k, int(q), m) for k, q, m in ledger] == [("llm_input_tokens", 31, "gpt-4o-mini"),
                                                      ("llm_output_tokens", 4, "gpt-4o-mini")]
    assert openai.requests[-1][1]["max_tokens"] == 20


@pytest.mark.parametrize(("reply", "message"), [
    (Reply.status(401, "Incorrect API key provided"), "refused the API key (HTTP 401)"),
    (Reply.status(429, "slow down", headers={"Retry-After": "1"}), "rate limiting"),
    (Reply.raw("<h1>It works!</h1>"), "answer is not JSON"),
    (Reply.text("Hello! How can I help?"), "but not with the JSON asked for"),
])
def test_a_failed_connection_test_says_why(db, local_models, openai, analyst, reply,
                                           message) -> None:
    view = save(db, analyst, openai)
    openai.script(reply)
    assert providers.run_connection_test(db, view.id) == "failed"
    with db.transaction() as session:
        assert message in providers.get_provider(session, analyst).test_message
    assert len(openai.requests) == 1  # the test is never retried


def test_the_connection_test_is_bounded_by_its_own_timeout(db, local_models, openai, analyst,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("LLM_TEST_TIMEOUT_SECONDS", "0.3")
    get_settings.cache_clear()
    view = save(db, analyst, openai)  # the provider itself allows 10 s
    openai.script(Reply.slow(3))
    assert providers.run_connection_test(db, view.id) == "failed"
    with db.transaction() as session:
        message = providers.get_provider(session, analyst).test_message
    assert "did not answer within 0.3 s" in message


def test_requesting_a_test_runs_it_in_a_worker_process(db, local_models, openai, analyst) -> None:
    save(db, analyst, openai)
    with db.transaction() as session:
        assert providers.request_connection_test(session, analyst).testing
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.transaction() as session:
            view = providers.get_provider(session, analyst)
        if not view.testing:
            break
        time.sleep(0.2)
    assert view.test_status == "ok", view.test_message
    assert openai.requests[-1][0]["Authorization"] == f"Bearer {API_KEY}"


def test_a_test_whose_worker_died_ends_as_failed(db, local_models, openai, analyst) -> None:
    save(db, analyst, openai)
    with db.transaction() as session:
        row = session.scalar(select(LLMProvider))
        row.test_status = "testing"
        row.tested_at = row.updated_at.replace(year=2020)
    with db.transaction() as session:
        view = providers.get_provider(session, analyst)
    assert (view.test_status, view.test_message) == (
        "failed", "The test did not finish (its worker stopped). Try again.")
