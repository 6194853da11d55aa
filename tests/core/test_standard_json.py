"""JSON read from outside is kept to standard JSON (core.platform.standard_json): what a user
types is refused with words, what a page wrote reads its non-standard numbers as null."""

import pytest

from core.platform import standard_json
from core.platform.errors import ValidationError
from core.platform.jsondoc import parse_json
from core.scrape.package import parse_package

NOT_JSON_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999")


@pytest.mark.parametrize("number", NOT_JSON_NUMBERS)
def test_numbers_json_cannot_store_are_refused_or_read_as_null(number: str) -> None:
    with pytest.raises(ValueError, match="is not a JSON value|beyond what JSON stores"):
        standard_json.loads(f'{{"price": {number}}}')

    assert standard_json.loads(f'{{"price": {number}, "name": "Rug"}}',
                               nonstandard_as_null=True) == {"price": None, "name": "Rug"}


def test_standard_numbers_read_as_ever() -> None:
    text = '{"a": 1.5e300, "b": -0.0, "c": 12345678901234567890, "d": [1, 2.25]}'
    assert standard_json.loads(text) == {"a": 1.5e300, "b": -0.0, "c": 12345678901234567890,
                                         "d": [1, 2.25]}


def test_an_integer_past_pythons_digit_limit_is_not_json_either_way() -> None:
    for lenient in (False, True):
        with pytest.raises(ValueError, match="4300 digits"):
            standard_json.loads("1" * 5000, nonstandard_as_null=lenient)


def test_a_typed_document_with_nan_is_refused_with_words() -> None:
    with pytest.raises(ValidationError, match="The schema is not valid JSON: NaN is not a JSON"):
        parse_json('{"type": "number", "maximum": NaN}', "The schema")


def test_a_package_with_infinity_is_refused_with_words() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_package('{"version": 1, "fields": {"n": {"selector": "p", "weight": Infinity}}}')
    assert "not valid JSON" in str(refused.value)
    assert refused.value.problems == ["Infinity is not a JSON value"]


def test_advisor_constraints_with_nan_are_refused_and_a_models_nan_is_not_json() -> None:
    from core.advisor.model import _problem
    from core.advisor.query import parse_constraints_json

    with pytest.raises(ValidationError, match="The constraints are not JSON: NaN is not a JSON"):
        parse_constraints_json('{"budget_usd_month": NaN}')
    schema = {"type": "object", "properties": {"score": {"type": "number"}}}
    assert _problem('{"score": Infinity}', schema, None) == ("the answer is not JSON", None)
    assert _problem('{"score": 0.5}', schema, None) == (None, {"score": 0.5})


def test_half_a_utf16_pair_reads_as_the_replacement_character_and_a_whole_pair_as_ever() -> None:
    text = r'{"a\udfff": ["x\ud800y", {"b": "\ud83d\ude00"}], "c": "\\ud800"}'
    for lenient in (False, True):
        assert standard_json.loads(text, nonstandard_as_null=lenient) == {
            "a\ufffd": ["x\ufffdy", {"b": "\U0001f600"}], "c": "\\ud800"}  # an escaped backslash


def test_a_document_another_reader_parsed_is_made_standard_in_place() -> None:
    deep: list = ["\ud800"]
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = [deep]
    document = {"price": float("nan"), "big": float("inf"), "n": 2.5, "k\udc00": deep}

    mended = standard_json.standard(document)
    innermost = mended.pop("k\ufffd")
    assert mended == {"price": None, "big": None, "n": 2.5}
    while isinstance(innermost[0], list):
        innermost = innermost[0]
    assert innermost == ["\ufffd"]
