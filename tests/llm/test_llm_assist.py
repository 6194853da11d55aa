"""The builder's three model calls: what they send, what they accept, what they refuse."""

from __future__ import annotations

import json

import pytest

from core.llm.assist import interpret_feedback, propose_fields, repair_field
from core.llm.errors import ModelAnswerInvalid
from tests.fixtures.openai_server import Reply

DIGEST = "List page: 4 records in div.product; each has h2.name, span.price '€12.99', a[href]"
PACKAGE = {"version": 1, "container": "div.product",
           "fields": {"name": {"selector": "h2.name"}, "cost": {"selector": ".price"}}}


def sent(openai, index: int = -1) -> tuple[str, str]:
    """(system prompt, user prompt) of a request the server received."""
    messages = openai.requests[index][1]["messages"]
    return messages[0]["content"], messages[1]["content"]


# -- propose_fields ---------------------------------------------------------------------------

def test_propose_fields_returns_the_checked_fields_and_usage(client, openai) -> None:
    openai.script(Reply.json({"fields": [
        {"name": "name", "type": "string", "description": "Product name"},
        {"name": "price", "type": "price"}]}, prompt_tokens=800, completion_tokens=60))
    fields, usage = propose_fields(client, "all products: name and price", DIGEST)
    assert fields == [{"name": "name", "type": "string", "description": "Product name"},
                      {"name": "price", "type": "price", "description": ""}]
    assert (usage.input_tokens, usage.output_tokens) == (800, 60)
    system, user = sent(openai)
    assert "string, number, integer" in system
    assert user.startswith("Objective: all products: name and price") and DIGEST in user
    assert openai.requests[-1][1]["response_format"] == {"type": "json_object"}


def test_the_builder_chooses_the_kinds_a_proposed_field_may_have(client, openai) -> None:
    openai.script(Reply.json({"fields": [{"name": "in_stock", "type": "boolean"}]}))
    with pytest.raises(ModelAnswerInvalid, match=r"fields\[0\]\.type: 'boolean' is not one of"):
        propose_fields(client, "stock", DIGEST, kinds=("string", "availability"))
    assert "TYPE is one of string, availability." in sent(openai)[0]


def test_a_fenced_json_answer_is_accepted(client, openai) -> None:
    answer = json.dumps({"fields": [{"name": "title", "type": "string"}]})
    openai.script(Reply.text(f"```json\n{answer}\n```"))
    assert propose_fields(client, "titles", DIGEST)[0][0]["name"] == "title"


@pytest.mark.parametrize(("content", "problem"), [
    ("Sure! Here are the fields: name, price", "not JSON: 'Sure! Here are the fields"),
    ('{"columns": ["name"]}', "answer: 'fields' is a required property"),
    ('{"fields": []}', "fields: [] should be non-empty"),
    ('{"fields": [{"name": "Price Now", "type": "price"}]}', "fields[0].name: 'Price Now' does "
                                                             "not match"),
    ('{"fields": [{"name": "price", "type": "money"}]}', "fields[0].type: 'money' is not one of"),
    ('{"fields": [{"name": "a", "type": "string"}, {"name": "a", "type": "url"}]}',
     "fields: a listed more than once"),
])
def test_garbage_proposals_are_refused_with_the_reason_and_the_usage(client, openai, content,
                                                                      problem) -> None:
    openai.script(Reply.text(content, prompt_tokens=300, completion_tokens=20))
    with pytest.raises(ModelAnswerInvalid) as invalid:
        propose_fields(client, "products", DIGEST)
    assert str(invalid.value).startswith("The model's answer is not the list of fields asked")
    assert problem in str(invalid.value)
    assert "go on without the model" in str(invalid.value)
    assert invalid.value.usage.input_tokens == 300  # spent all the same: the caller records it


def test_a_long_digest_is_cut_before_it_is_sent(client, openai) -> None:
    openai.script(Reply.json({"fields": [{"name": "a", "type": "string"}]}))
    propose_fields(client, "a", "x" * 50_000)
    assert len(sent(openai)[1]) < 12_200 and sent(openai)[1].endswith("the page goes on]")


# -- repair_field -----------------------------------------------------------------------------

SNIPPET = ('<div class="product"><h2 class="name">Lamp</h2>'
           '<span data-price="12.99">€12.99</span></div>')


def test_repair_field_returns_a_spec_in_the_package_form(client, openai) -> None:
    openai.script(Reply.json({"spec": {"selector": "span[data-price]", "take": "attr",
                                       "attribute": "data-price", "transforms": ["number"]},
                              "reason": "the price is in data-price"}))
    spec, usage = repair_field(client, "price", "price", SNIPPET, {"selector": ".price"},
                               container="div.product")
    assert spec == {"selector": "span[data-price]", "selector_type": "css", "take": "attr",
                    "attribute": "data-price", "all": False, "transforms": ["number"],
                    "required": False}
    assert usage.calls == 1
    system, user = sent(openai)
    assert "relative to one record element" in system
    assert 'Spec that failed: {"selector": ".price"}' in user and SNIPPET in user


def test_repair_field_says_none_when_the_model_finds_nothing(client, openai) -> None:
    openai.script(Reply.json({"spec": None, "reason": "no price in this HTML"}))
    assert repair_field(client, "price", "price", "<p>Sold out</p>", {"selector": ".price"})[0] \
        is None


@pytest.mark.parametrize(("spec", "problem"), [
    ({"selector": "div["}, "fields.price.selector: 'div[' is not a valid CSS selector"),
    ({"selector": ".p", "take": "attr"}, "fields.price.attribute: needed"),
    ({"selector": ".p", "transforms": ["uppercase"]}, "fields.price.transforms[0]"),
    ({"css": ".p"}, "spec: Additional properties are not allowed"),
])
def test_a_repaired_spec_that_would_not_work_is_refused(client, openai, spec, problem) -> None:
    openai.script(Reply.json({"spec": spec}))
    with pytest.raises(ModelAnswerInvalid) as invalid:
        repair_field(client, "price", "price", SNIPPET, {"selector": ".price"})
    assert "is not a field spec" in str(invalid.value)
    assert problem in str(invalid.value)


# -- interpret_feedback -----------------------------------------------------------------------

def test_feedback_becomes_operations_in_the_builders_shapes(client, openai) -> None:
    operations = [{"op": "rename", "field": "cost", "to": "price"},
                  {"op": "retype", "field": "cost", "type": "price"},
                  {"op": "wrong", "field": "name"},
                  {"op": "example", "name": "brand", "value": "Acme"},
                  {"op": "drop", "field": "name"}]
    openai.script(Reply.json({"operations": operations}))
    found, usage = interpret_feedback(client, PACKAGE, "cost should be called price; the name "
                                      "has the brand in front; add the brand, e.g. Acme", DIGEST)
    assert found == operations
    assert "Current fields: name, cost" in sent(openai)[1]
    assert "Feedback: cost should be called price" in sent(openai)[1]


def test_the_builder_chooses_the_kinds_a_field_may_take(client, openai) -> None:
    openai.script(Reply.json({"operations": [{"op": "retype", "field": "cost",
                                              "type": "boolean"}]}))
    with pytest.raises(ModelAnswerInvalid, match="not a valid operation"):
        interpret_feedback(client, PACKAGE, "cost is yes/no", DIGEST, kinds=("string", "price"))
    assert "TYPE is one of string, price;" in sent(openai)[0]


def test_feedback_with_nothing_to_do_gives_no_operations(client, openai) -> None:
    openai.script(Reply.json({"operations": []}))
    assert interpret_feedback(client, PACKAGE, "looks great", DIGEST)[0] == []


@pytest.mark.parametrize(("operations", "problem"), [
    ([{"op": "drop", "field": "rating"}], "drop names 'rating', which is not one of the fields "
                                          "(name, cost)"),
    ([{"op": "rename", "field": "cost", "to": "name"}], "cannot rename to 'name'"),
    ([{"op": "example", "name": "cost", "value": "12"}], "example would add 'cost', which is a "
                                                         "field already"),
    ([{"op": "explode", "field": "cost"}], "operations[0]: not a valid operation"),
    ([{"op": "retype", "field": "cost"}], "operations[0]: not a valid operation"),
    ([{"op": "mark_wrong", "field": "cost"}], "operations[0]: not a valid operation"),
    ("drop cost", "operations: 'drop cost' is not of type 'array'"),
])
def test_operations_that_do_not_fit_the_package_are_refused(client, openai, operations,
                                                            problem) -> None:
    openai.script(Reply.json({"operations": operations}))
    with pytest.raises(ModelAnswerInvalid) as invalid:
        interpret_feedback(client, PACKAGE, "fix it", DIGEST)
    assert problem in str(invalid.value)
