"""The compiled validity check of flat extractor schemas says exactly what jsonschema says, on
every schema it compiles, for values of every JSON type; schemas outside its subset are left to
jsonschema."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from core.platform.jsondoc import (InstanceValidator, _pattern_found, _short_search_limit,
                                   _timed_pattern_found, effective_schema)

VALUES: list[Any] = [None, True, False, 0, 1, -3, 2.5, 1.0, 5, 5.0, 6, 1e300, "", "a", "abc",
                     "SKU-12", "sku-12", "SKU-12\n", "SKU-١٢", "https://x.example/a", "not a uri", "ftp://x",
                     "2024-05-01T10:00:00Z", "2024-13-01", "a@b.example", "plain", [], [1],
                     {}, {"a": 1}]

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "required": ["name", "price"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 3},
        "price": {"type": "number", "minimum": 0, "maximum": 5},
        "sku": {"type": "string", "pattern": "^SKU-[0-9]+$"}}},
    {"properties": {
        "name": {"type": ["string", "null"]},
        "price": {"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 6},
        "sku": {"format": "uri"}},
     "additionalProperties": False, "title": "t", "$schema":
        "https://json-schema.org/draft/2020-12/schema"},
    {"type": "object", "properties": {
        "name": {"format": "date-time", "description": "when"},
        "price": {"type": "boolean"},
        "sku": {"minimum": 2, "pattern": "b"}}},
    {"type": "object", "required": ["sku"], "properties": {
        "name": {"type": "array"}, "price": {"type": "object"},
        "sku": {"format": "email", "minLength": 2}}},
    {"type": "object", "properties": {"name": True, "price": {}, "sku": {"type": "null"}}},
    {"type": "object", "required": ["price"], "properties": {
        "name": {"type": "string", "format": "date-time", "pattern": "^(2024|2025)"},
        "price": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 6},
        "sku": {"type": "string", "format": "email", "minLength": 2, "maxLength": 12}}},
]


def jsonschema_says(schema: dict[str, Any], instance: Any) -> bool:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return not list(validator.iter_errors(instance))


@pytest.mark.parametrize("number", range(len(SCHEMAS)))
@pytest.mark.parametrize("extra", [True, False])
def test_compiled_check_agrees_with_jsonschema(number: int, extra: bool) -> None:
    schema = effective_schema(SCHEMAS[number], extra)
    checker = InstanceValidator(schema)
    assert checker.compiled
    items: list[Any] = [{}, [], "text", {"other": 1}]
    prices = [None, True, 0, 2.5, 5.0, 6, 1e300, "", [], {}]
    for name, price, sku in itertools.product(VALUES[::2] + ["a"], prices,
                                              VALUES[1::3] + ["SKU-12", "a@b.example"]):
        items.append({"name": name, "price": price, "sku": sku})
        items.append({"name": name, "sku": sku, "more": price})
    disagreements = [item for item in items
                     if checker.is_valid(item) != jsonschema_says(schema, item)]
    assert disagreements == []
    assert any(checker.is_valid(item) for item in items)
    assert not all(checker.is_valid(item) for item in items)


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"enum": [1, 2]}}},
    {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}},
    {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
    {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {}}},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"type": "array"},
])
def test_other_schemas_are_left_to_jsonschema(schema: dict[str, Any]) -> None:
    checker = InstanceValidator(schema)
    assert not checker.compiled
    for item in ({"a": 1}, {"a": ["x"]}, {"a": [1]}, {"x1": 2}, {"b": 3}, []):
        assert checker.is_valid(item) == jsonschema_says(schema, item)


def test_failing_items_are_worded_by_jsonschema() -> None:
    checker = InstanceValidator(SCHEMAS[0])
    item = {"name": "", "price": 9}
    assert not checker.is_valid(item)
    assert sorted(e.message for e in checker.iter_errors(item)) == [
        "'' should be non-empty", "9 is greater than the maximum of 5"]


def test_a_pattern_that_backtracks_for_ever_fails_the_item_within_its_time_limit() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^(a|a)*$"}}}
    checker = InstanceValidator(schema)
    item = {"name": "a" * 40 + "!"}  # ~2^40 steps for a backtracking engine
    assert checker.compiled and not checker.is_valid(item)
    [violation] = checker.iter_errors(item)
    assert "could not be checked against '^(a|a)*$' within 1 s" in violation.message
    assert checker.is_valid({"name": "aaaa"})
    assert [e.message for e in checker.iter_errors({"name": "b"})] == [
        "'b' does not match '^(a|a)*$'"]


@pytest.mark.parametrize(("pattern", "text"), [
    ("a{0,63}a{1000}b", "a" * 10_000),  # no group, no alternative: still 3.4 s without a limit
    ("a?a?a?a?a?a?a{2000}b", "a" * 10_000)])
def test_a_pattern_that_looks_harmless_is_still_searched_within_the_time_limit(
        pattern: str, text: str) -> None:
    checker = InstanceValidator({"type": "object", "properties": {"name": {
        "type": "string", "pattern": pattern}}})
    assert checker.compiled and not checker.is_valid({"name": text})
    [violation] = checker.iter_errors({"name": text})
    assert f"could not be checked against {pattern!r} within 1 s" in violation.message


@pytest.mark.parametrize(("pattern", "limit"), [
    ("^SKU-[0-9]+$", 54),  # (n+1) starts × (n+1) lengths of [0-9]+ × (n + 13) steps ≤ 200,000
    ("^https?://", 310),
    ("x|y+z", 55),
    ("(ab)+c", 55),
    ("a{0,63}a{1000}b", 52),  # on 52 characters a{1000} cannot even begin
])
def test_a_flat_pattern_is_searched_without_the_clock_on_texts_short_enough(
        pattern: str, limit: int) -> None:
    assert _short_search_limit(pattern) == limit


@pytest.mark.parametrize("pattern", [
    "^(a|a)*$",  # a repeat of a branch: exponential
    "(a+)+b",  # a repeat of a repeat: exponential
    "^[a-z]+(-[a-z]+)*$",  # the same shape, harmless here, still searched with the clock
    r"(\d)\1",  # a back-reference
    "(?=a)b",  # a look-around
    r"\p{L}+",  # the regex package's own syntax
])
def test_a_pattern_without_a_bound_on_its_backtracking_is_always_searched_with_the_clock(
        pattern: str) -> None:
    assert _short_search_limit(pattern) == -1


@pytest.mark.parametrize("pattern", ["^SKU-[0-9]+$", "^https?://", "x|y+z", "(ab)+c", "b$"])
def test_searches_with_and_without_the_clock_agree(pattern: str) -> None:
    texts = ["", "SKU-1", "SKU-12x", "https://a.example/", "http:/x", "xyyz", "abababc", "ac",
             "ab\n", "nothing here"]
    for text in texts:
        assert _pattern_found(pattern, text) is _timed_pattern_found(pattern, text), text
