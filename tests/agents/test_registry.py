"""The agent registry: by hand, from a card, built-ins with their real schemas."""

from __future__ import annotations

import pytest

from core.agents import registry
from core.platform.errors import ValidationError
from tests.fixtures.agent_server import agent_doc

pytestmark = pytest.mark.usefixtures("agent_env")


def test_builtin_agents_are_listed_with_their_schemas(analyst, db):
    with db.transaction() as session:
        agents = registry.list_agents(session, analyst)
    builtins = {a.builtin: a for a in agents if a.builtin}
    assert set(builtins) == {"extract-pages", "seo-audit", "run-job", "crawl-site",
                             "ask-advisor"}
    assert builtins["extract-pages"].input_schema["required"] == ["urls"]


def test_an_agent_card_is_imported_from_its_well_known_address(analyst, db, agent_server):
    with db.transaction() as session:
        view = registry.register_agent(session, analyst,
                                       registry.fetch_card(agent_server.base_url))
    assert (view.name, view.endpoint_url) == ("Catalog agent", agent_server.base_url + "/good")
    assert view.keywords == ["catalog", "list products", "products"]
    assert view.output_schema["required"] == ["items"]


@pytest.mark.parametrize(("change", "message"), [
    ({"input_schema": {"type": "nonsense"}}, "input schema is not a valid JSON Schema"),
    ({"output_schema": {"$ref": "http://127.0.0.1:9/x.json"}}, "refers outside itself"),
    ({"endpoint_url": "ftp://example.com/agent"}, "only http and https"),
    ({"name": ""}, "needs a name"),
    ({"keywords": 5}, "Keywords are a list"),
])
def test_bad_registrations_are_refused_with_a_reason(analyst, db, agent_server, change, message):
    with db.transaction() as session, pytest.raises(ValidationError, match=message):
        registry.register_agent(session, analyst, {**agent_doc(agent_server.base_url, "/good"),
                                                   **change})


def test_a_private_address_is_refused_unless_allowed(analyst, db, monkeypatch):
    from core.platform.settings import get_settings

    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "0")
    get_settings.cache_clear()
    with db.transaction() as session, pytest.raises(ValidationError, match="link-local"):
        registry.register_agent(session, analyst,
                                agent_doc("http://169.254.169.254", "/latest"))
