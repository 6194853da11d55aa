"""``with_model``: a whole model call for a user, with its cost in the ledger either way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from core import llm
from core.llm import prices, providers
from core.platform.settings import get_settings
from db.models import Build, CostEvent
from tests.fixtures.openai_server import Reply
from tests.llm.conftest import API_KEY

DIGEST = "Detail page: h1 'Desk lamp', span.price '€12.99'"


@pytest.fixture
def provider(db, app_env, secret_key, monkeypatch, openai, analyst):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "1")
    get_settings.cache_clear()
    with db.transaction() as session:
        prices.seed_default_prices(session)
        providers.save_provider(session, analyst, name="OpenAI", base_url=openai.base_url,
                                model="gpt-4o-mini", api_key=API_KEY)
        build = Build(user_id=analyst.id, user_objective="desk lamps: name and price")
        session.add(build)
        session.flush()
        return build.id


def ledger(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return [tuple(r) for r in session.execute(
            select(CostEvent.kind, CostEvent.quantity, CostEvent.cost_usd, CostEvent.build_id)
            .order_by(CostEvent.kind))]


def test_a_call_returns_its_result_and_bills_the_build(db, provider, openai, analyst) -> None:
    openai.script(Reply.json({"fields": [{"name": "name", "type": "string"}]},
                             prompt_tokens=1000, completion_tokens=100))
    fields = llm.with_model(db, analyst.id, lambda c: llm.propose_fields(c, "lamps", DIGEST),
                            build_id=provider)
    assert fields == [{"name": "name", "type": "string", "description": ""}]
    assert [(k, int(q), Decimal(c), b) for k, q, c, b in ledger(db)] == [
        ("llm_input_tokens", 1000, Decimal("0.000150"), provider),
        ("llm_output_tokens", 100, Decimal("0.000060"), provider)]


def test_a_garbage_answer_raises_and_is_billed_all_the_same(db, provider, openai,
                                                            analyst) -> None:
    openai.script(Reply.text("I think the fields are name and price.", prompt_tokens=700,
                             completion_tokens=12))
    with pytest.raises(llm.ModelAnswerInvalid, match="not JSON"):
        llm.with_model(db, analyst.id, lambda c: llm.propose_fields(c, "lamps", DIGEST),
                       build_id=provider)
    assert [int(q) for _, q, _, _ in ledger(db)] == [700, 12]


def test_a_refused_call_raises_and_bills_nothing(db, provider, openai, analyst) -> None:
    openai.script(Reply.status(401, "Incorrect API key provided"))
    with pytest.raises(llm.ModelRefused):
        llm.with_model(db, analyst.id, lambda c: llm.propose_fields(c, "lamps", DIGEST))
    assert ledger(db) == []


def test_a_user_without_a_model_gets_none_and_no_call(db, openai, make_user) -> None:
    nobody = make_user("analyst")
    assert llm.with_model(db, nobody.id, lambda c: llm.propose_fields(c, "x", DIGEST)) is None
    assert openai.requests == []
