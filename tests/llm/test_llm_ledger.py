"""The price table and the cost ledger rows every model call leaves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select

from core.platform import audit
from core.platform.errors import PermissionDenied, ValidationError
from core.llm import prices
from core.llm.client import Usage
from core.ledger import prices as ledger_prices, recent_model_calls
from core.ledger.prices import PriceRow
from core.llm.usage import record_usage
from db.models import Build, CostEvent, ModelPrice
from db.models.costs import PriceKind
from db.types import utcnow


@pytest.fixture
def priced(db) -> None:
    """The default prices (PostgreSQL tests empty every table after each test)."""
    with db.transaction() as session:
        prices.seed_default_prices(session)


def test_the_migration_seeds_the_default_prices(fresh_database_url) -> None:
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(ModelPrice.provider, ModelPrice.model_pattern,
                                   ModelPrice.input_per_million, ModelPrice.output_per_million,
                                   ModelPrice.currency)).all()
    engine.dispose()
    assert sorted((p, m, Decimal(i), Decimal(o)) for p, m, i, o, _ in rows) == sorted(
        (p, m, Decimal(i), Decimal(o)) for p, m, i, o in prices.DEFAULT_PRICES)
    assert {row.currency for row in rows} == {"USD"}


def price_for(session, provider: str, model: str,  # type: ignore[no-untyped-def]
              kind: PriceKind = PriceKind.LLM_OUTPUT_TOKENS) -> PriceRow | None:
    """The price a call's tokens of ``kind`` are charged at now: the ledger's own match (the
    price table's edits reach it), as ``record_usage`` prices a call."""
    in_force = ledger_prices.prices_in_force(session, [kind], utcnow())
    return ledger_prices.match(in_force, kind, provider, model)[0]


@pytest.mark.parametrize(("provider", "model", "pattern"), [
    ("OpenAI", "gpt-4o", "gpt-4o*"), ("OpenAI", "gpt-4o-2024-08-06", "gpt-4o*"),
    ("OpenAI", "gpt-4o-mini", "gpt-4o-mini*"),
    ("OpenAI", "GPT-4o-mini-2024-07-18", "gpt-4o-mini*"),
    ("OpenAI", "gpt-4.1-mini", "gpt-4.1-mini*"),
    ("Anthropic", "claude-3-5-sonnet-latest", "claude-*sonnet*"),
    ("OpenRouter", "openai/gpt-4o-mini", "openai/gpt-4o-mini*"),
    ("OpenRouter", "meta-llama/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct*"),
])
def test_the_longest_matching_pattern_prices_a_model(db, priced, provider, model,
                                                     pattern) -> None:
    with db.transaction() as session:
        assert price_for(session, provider, model).model_pattern == pattern


def test_an_unknown_model_has_no_price(db, priced) -> None:
    with db.transaction() as session:
        assert price_for(session, "OpenAI", "my-local-llama") is None


def test_a_call_becomes_two_ledger_rows_with_their_cost(db, priced, analyst) -> None:
    usage = Usage("OpenAI", "gpt-4o-mini", input_tokens=12_000, output_tokens=800)
    with db.transaction() as session:
        total = record_usage(session, analyst.id, usage)
    with db.transaction() as session:
        rows = session.execute(select(CostEvent.kind, CostEvent.quantity, CostEvent.unit,
                                      CostEvent.provider, CostEvent.model, CostEvent.cost_usd,
                                      CostEvent.build_id)
                               .order_by(CostEvent.kind)).all()
    # 12,000 × $0.15/M = $0.0018; 800 × $0.60/M = $0.00048
    assert [tuple(r) for r in rows] == [
        ("llm_input_tokens", Decimal(12_000), "tokens", "OpenAI", "gpt-4o-mini",
         Decimal("0.001800"), None),
        ("llm_output_tokens", Decimal(800), "tokens", "OpenAI", "gpt-4o-mini",
         Decimal("0.000480"), None)]
    assert total == Decimal("0.002280")


def test_an_unpriced_model_keeps_its_tokens_without_a_cost(db, priced, analyst) -> None:
    with db.transaction() as session:
        assert record_usage(session, analyst.id, Usage("Ollama", "llama3", 500, 40)) is None
    with db.transaction() as session:
        rows = session.execute(select(CostEvent.quantity, CostEvent.cost_usd)).all()
    assert sorted(rows) == [(Decimal(40), None), (Decimal(500), None)]


def test_usage_can_point_at_a_build(db, priced, analyst) -> None:
    with db.transaction() as session:
        build = Build(user_id=analyst.id, user_objective="products")
        session.add(build)
        session.flush()
        record_usage(session, analyst.id, Usage("OpenAI", "gpt-4o", 10, 10), build_id=build.id)
        build_id = build.id
    with db.transaction() as session:
        assert set(session.scalars(select(CostEvent.build_id))) == {build_id}


def test_recent_costs_show_one_line_per_call_for_that_user_only(db, priced, analyst,
                                                                make_user) -> None:
    other = make_user("analyst")
    with db.transaction() as session:
        record_usage(session, analyst.id, Usage("OpenAI", "gpt-4o", 1_000_000, 100_000))
        record_usage(session, analyst.id, Usage("Local", "llama3", 5, 6))
        record_usage(session, other.id, Usage("OpenAI", "gpt-4o", 1, 1))
    with db.transaction() as session:
        recent = recent_model_calls(session, analyst)
    table = recent.table()
    assert table[["model", "input_tokens", "output_tokens"]].values.tolist() == [
        ["llama3", 5, 6], ["gpt-4o", 1_000_000, 100_000]]
    assert table.cost_usd.isna().tolist() == [True, False]
    assert table.cost_usd.iloc[1] == pytest.approx(2.5 + 1.0)
    # The ledger adds them up: the page only shows its figures.
    assert (recent.input_tokens, recent.output_tokens) == (1_000_005, 100_006)
    assert (recent.cost_usd, recent.unpriced) == (Decimal("3.5"), 1)


def test_admins_edit_the_price_table(db, priced, admin) -> None:
    with db.transaction() as session:
        rows = prices.price_table(session, admin).to_dict("records")
    gpt4o = next(r for r in rows if r["model_pattern"] == "gpt-4o*")
    gpt4o["output_per_million"] = 12.5
    rows = [r for r in rows if r["model_pattern"] != "o3-mini*"]
    rows.append({"provider": "Local", "model_pattern": "llama3*", "input_per_million": 0,
                 "output_per_million": 0})
    with db.transaction() as session:
        assert prices.save_prices(session, admin, rows) == 3
    with db.transaction() as session:
        assert price_for(session, "OpenAI", "gpt-4o").usd == Decimal("12.5")  # per million
        assert price_for(session, "OpenAI", "o3-mini") is None
        assert price_for(session, "Local", "llama3:8b", PriceKind.LLM_INPUT_TOKENS).usd == 0
        table = prices.price_table(session, admin)
        entry = audit.list_entries(session, admin).iloc[0]
    assert table.set_index("model_pattern").loc["gpt-4o*", "updated_by"] == admin.email
    assert entry.action == "model_prices.save"
    assert {"changed": "gpt-4o*", "input": "2.500000 → 2.500000",
            "output": "10.000000 → 12.500000"} in entry.new_values["changes"]


def test_a_bad_price_table_lists_every_problem_and_saves_nothing(db, priced, admin) -> None:
    rows = [{"provider": "X", "model_pattern": "a*", "input_per_million": -1,
             "output_per_million": 1},
            {"provider": "X", "model_pattern": "", "input_per_million": 1,
             "output_per_million": 1},
            {"provider": "X", "model_pattern": "A*", "input_per_million": "cheap",
             "output_per_million": None},
            {"provider": None, "model_pattern": None, "input_per_million": None,
             "output_per_million": None}]  # the empty row the table editor adds: ignored
    with db.transaction() as session, pytest.raises(ValidationError) as refused:
        prices.save_prices(session, admin, rows)
    assert refused.value.problems == [
        "row 1: input price must be from 0 to 100000 USD per million tokens",
        "row 2: the model pattern is empty",
        "row 3: 'A*' is listed twice",
        "row 3: input price must be a number, not 'cheap'",
        "row 3: output price is missing (USD per million tokens)"]
    with db.transaction() as session:
        assert len(prices.price_table(session, admin)) == len(prices.DEFAULT_PRICES)


def test_only_admins_change_prices_and_anyone_can_reset_nothing(db, priced, analyst,
                                                                admin) -> None:
    with db.transaction() as session, pytest.raises(PermissionDenied):
        prices.save_prices(session, analyst, [])
    with db.transaction() as session:
        assert len(prices.price_table(session, analyst)) == len(prices.DEFAULT_PRICES)
        prices.save_prices(session, admin, [])
    with db.transaction() as session:
        assert prices.price_table(session, admin).empty
        assert prices.reset_default_prices(session, admin) == len(prices.DEFAULT_PRICES)
    with db.transaction() as session:
        assert len(prices.price_table(session, analyst)) == len(prices.DEFAULT_PRICES)
