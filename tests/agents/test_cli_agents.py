"""``python -m core agents …`` and ``agent-jobs …`` as a user scripts them; --wait uses a real
worker process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.platform.settings import get_settings
from tests.fixtures.agent_server import agent_doc


@pytest.fixture
def files(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(name: str, doc: object) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        return str(path)
    return write


@pytest.fixture
def spawning(local_fetching, monkeypatch):  # type: ignore[no-untyped-def]
    """Jobs get a real ``python -m core.worker agent-job ID`` process, as in the app."""
    monkeypatch.setenv("EXECUTOR", "local")
    monkeypatch.setenv("AGENT_BACKOFF_SECONDS", "0.01")
    get_settings.cache_clear()


def test_register_list_and_dispatch_with_wait(cli, files, agent_server, spawning):
    code, out, err = cli("--user", "admin@example.com", "agents", "register",
                         files("agent.json", agent_doc(agent_server.base_url, "/good", "lister")))
    assert (code, err) == (0, "")
    agent_id = out.split("(")[1].rstrip(")\n")
    code, out, _ = cli("--user", "admin@example.com", "agents", "list")
    assert "lister" in out and "ScrapeDeck extractor" in out
    code, out, err = cli("--user", "admin@example.com", "agent-jobs", "create", "--wait",
                         files("job.json", {"name": "lamps", "agent": agent_id,
                                            "input": {"category": "lamps"},
                                            "acceptance_criteria": "at least 20 items"}))
    assert code == 0, err
    shown = json.loads(out[out.index("{"):])
    assert shown["status"] == "Completed"
    assert shown["logs"][0]["status"] == "success"
    code, out, _ = cli("--user", "admin@example.com", "agents", "show", agent_id)
    assert json.loads(out)["record"]["acceptance_rate"] == 1.0


def test_a_job_that_is_never_accepted_exits_1_with_its_reason(cli, files, agent_server,
                                                             spawning):
    cli("--user", "admin@example.com", "agents", "register",
        files("agent.json", agent_doc(agent_server.base_url, "/weak", "weak")))
    code, out, err = cli("--user", "admin@example.com", "agent-jobs", "create", "--wait",
                         files("job.json", {"name": "lamps", "input": {"category": "lamps"},
                                            "agent_name_hint": "ignored", "max_attempts": 1,
                                            "acceptance_criteria": "at least 20 items",
                                            "description": "list products of a catalog"}))
    assert code == 1
    assert "Re-submission Required" in err and "at least 20 items" in err


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON (line 1"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"name": "x", "input": {}, "acceptance_criteria": "every price >"}', "Cannot read"),
])
def test_bad_job_files_give_a_message_not_a_traceback(cli, tmp_path, content, message):
    path = tmp_path / "job.json"
    path.write_text(content, encoding="utf-8")
    code, _out, err = cli("--user", "admin@example.com", "agent-jobs", "create", str(path))
    assert code == 2 and message in err and "Traceback" not in err


def test_a_file_too_large_is_refused_before_it_is_read(cli, tmp_path):
    path = tmp_path / "agent.json"
    path.write_bytes(b" " * 1_000_001)
    code, _out, err = cli("--user", "admin@example.com", "agents", "register", str(path))
    assert code == 2 and "at most 1,000,000" in err
