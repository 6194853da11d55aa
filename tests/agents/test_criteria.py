"""Acceptance criteria read like sentences and check like code."""

import pytest

from core.agents.criteria import Outcome, check, items_of, parse_criteria
from core.platform.errors import ValidationError

ITEMS = {"items": [{"title": "Lamp", "price": 12.5, "sku": "A1"},
                   {"title": "Lamp shade", "price": "3.00", "sku": None},
                   {"title": "Chair", "price": 40, "sku": "C9"}]}


def outcomes(text: str, output: object = ITEMS) -> list[tuple[str, str]]:
    return [(c.outcome.value, c.detail) for c in check(parse_criteria(text), output)]


def test_counts_in_two_spellings() -> None:
    assert outcomes("at least 3 items\nitems >= 4") == [("met", "3 items"), ("missed", "3 items")]


def test_every_compares_numbers_even_when_written_as_text() -> None:
    assert outcomes("every price > 0")[0][0] == "met"
    assert outcomes("every price > 5") == [("missed", "1 of 3 items does not (item 2)")]


def test_amounts_read_as_a_page_writes_them_and_words_are_not_numbers() -> None:
    prices = {"items": [{"price": "£51.77"}, {"price": "1.299,50 €"}, {"price": "USD 12"}]}
    assert outcomes("every price > 10", prices) == [("met", "all 3 items")]
    assert outcomes("every price > 10", {"items": [{"price": "£51.77"}]}) == [
        ("met", "the one item")]
    assert outcomes("every price > 10", {"items": [{"price": "12 left in stock"}]}) == [
        ("missed", "1 of 1 item does not (item 1)")]


def test_the_signs_people_type_for_operators() -> None:
    assert outcomes("items ≥ 3\nfill rate of sku ≥ 0.6\nitems ≤ 2\nevery sku ≠ A1") == [
        ("met", "3 items"), ("met", "sku filled on 2 of 3 items (67%)"), ("missed", "3 items"),
        ("missed", "2 of 3 items do not (item 1, 2)")]  # item 2 has no sku
    assert [c.text for c in parse_criteria("items ≥ 3")] == ["items ≥ 3"]  # as written


def test_fill_rate_as_a_fraction_or_a_percentage() -> None:
    assert outcomes("fill rate of sku >= 0.6")[0][0] == "met"
    assert outcomes("fill rate of sku >= 90%") == [
        ("missed", "sku filled on 2 of 3 items (67%)")]


def test_every_field_present_and_contains() -> None:
    assert outcomes("every sku is present")[0][0] == "missed"
    assert outcomes("every title contains lamp")[0][0] == "missed"
    assert outcomes("every title contains 'a'")[0][0] == "met"


def test_contains_on_a_single_object_output() -> None:
    assert outcomes("title contains Lamp", {"title": "Desk Lamp"})[0][0] == "met"
    assert outcomes("title contains Lamp", {"title": "Chair"})[0][0] == "missed"


def test_free_text_is_not_checked_without_a_judge_and_never_passes_silently() -> None:
    [result] = check(parse_criteria("the products are all furniture"), ITEMS)
    assert result.outcome is Outcome.NOT_CHECKED
    [judged] = check(parse_criteria("the products are all furniture"), ITEMS,
                     judge=lambda text, output: (False, "a lamp is lighting"))
    assert (judged.outcome, judged.detail) == (Outcome.MISSED, "a lamp is lighting")


@pytest.mark.parametrize("line", ["items >= many", "every price >", "fill rate of sku >= 3",
                                  "at least some items"])
def test_a_line_that_starts_like_a_check_but_does_not_parse_is_refused(line: str) -> None:
    with pytest.raises(ValidationError, match="Cannot read the criterion|fill rate is between"):
        parse_criteria(line)


def test_lines_and_semicolons_and_bullets_separate_criteria() -> None:
    parsed = parse_criteria("- at least 20 items; every price > 0\n\n* title contains x.")
    assert [c.kind for c in parsed] == ["count", "every", "contains"]


def test_where_records_are_found() -> None:
    assert items_of([1, 2]) == [1, 2]
    assert items_of({"results": [1], "total": 1}) == [1]
    assert items_of({"title": "x"}) == [{"title": "x"}]
