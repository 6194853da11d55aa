"""The "ask the advisor" built-in agent: asks, waits for the provider runs (real worker
processes) and returns each provider's design or why it stopped."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from core.agents.builtin import BUILTINS, CallContext
from core.platform.settings import get_settings
from tests.advisor.conftest import SCENARIO


def test_the_builtin_agent_returns_both_designs(db, analyst, docs, app_env, monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "local")  # each provider run gets its worker process
    get_settings.cache_clear()
    agent = BUILTINS["ask-advisor"]
    job_input = {"text": SCENARIO, "providers": "both", "max_minutes": 2}
    assert not list(Draft202012Validator(agent.input_schema).iter_errors(job_input))
    answer = agent.call(job_input, CallContext(db, analyst))
    assert not list(Draft202012Validator(agent.output_schema).iter_errors(answer))
    runs = {r["provider"]: r for r in answer["runs"]}
    assert runs["aws"]["status"] == runs["azure"]["status"] == "accepted"
    assert "Aurora" in runs["aws"]["design"]["database"] and runs["aws"]["failing"] == []


def test_bad_input_is_refused_by_the_agents_schema() -> None:
    schema = BUILTINS["ask-advisor"].input_schema
    assert list(Draft202012Validator(schema).iter_errors({"text": ""}))
    assert list(Draft202012Validator(schema).iter_errors({"text": "x", "providers": "gcp"}))
    with pytest.raises(KeyError):
        BUILTINS["ask-the-oracle"]
