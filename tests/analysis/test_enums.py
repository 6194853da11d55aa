import pytest

from core.analysis.enums import availability, to_enum

ENUM = ["InStock", "OutOfStock", "PreOrder"]


@pytest.mark.parametrize(("text", "state"), [
    ("http://schema.org/InStock", "InStock"),
    ("  https://schema.org/OutOfStock ", "OutOfStock"),
    ("instock", "InStock"),
    ("In stock! Order now!", "InStock"),
    ("Auf Lager – Lieferung in 2–3 Werktagen", "InStock"),
    ("Nicht auf Lager", "OutOfStock"),
    ("Currently unavailable", "OutOfStock"),
    ("Sold out", "SoldOut"),
    ("Ausverkauft", "SoldOut"),
    ("Pre-order now", "PreOrder"),
    ("preorder", "PreOrder"),
    ("Lorem ipsum", None),
])
def test_availability_reads_urls_names_and_shop_texts(text: str, state: str | None) -> None:
    assert availability(text) == state


@pytest.mark.parametrize(("value", "member"), [
    ("InStock", "InStock"),
    ("http://schema.org/InStock", "InStock"),
    ("Sold out", "OutOfStock"),  # SoldOut is not in the enum: its nearest state is
    ("Discontinued", "OutOfStock"),
    ("LimitedAvailability", "InStock"),
    ("Vorbestellen", "PreOrder"),
    ("something else", None),
])
def test_values_are_mapped_onto_the_schema_enum(value: str, member: str | None) -> None:
    assert to_enum(value, ENUM) == member


def test_enums_written_as_shop_texts_or_snake_case() -> None:
    assert to_enum("https://schema.org/InStock", ["in_stock", "out_of_stock"]) == "in_stock"
    assert to_enum("Ausverkauft", ["in stock", "sold out"]) == "sold out"
    assert to_enum("red", ["Red", "Blue"]) == "Red"
