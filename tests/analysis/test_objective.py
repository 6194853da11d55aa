from core.analysis import WantedField, wanted_fields
from core.analysis.objective import snake_case


def test_an_objective_lists_the_fields_it_names_in_order() -> None:
    fields = wanted_fields("all products on these pages: name, price, rating, image, link")
    assert fields == [
        WantedField("name", "string", "name"), WantedField("price", "price", "price"),
        WantedField("rating", "rating", "rating"), WantedField("image", "image", "image"),
        WantedField("url", "url", "link"),
    ]


def test_synonyms_fold_onto_one_name() -> None:
    names = [f.name for f in wanted_fields("cost, photo, stars, href, EAN, number of reviews")]
    assert names == ["price", "image", "rating", "url", "gtin", "review_count"]


def test_a_sentence_without_a_list_is_scanned_for_field_words() -> None:
    fields = wanted_fields("I want the product cost and photo and stars for each item")
    assert [f.name for f in fields] == ["price", "image", "rating"]


def test_unknown_names_become_snake_case_with_a_kind_from_their_words() -> None:
    [shipping, code] = wanted_fields("Shipping Date, warehouseCode")
    assert shipping == WantedField("shipping_date", "date", "Shipping Date")
    assert code == WantedField("warehouse_code", "string", "warehouseCode")
    assert snake_case("priceCurrency") == "price_currency"


def test_duplicates_and_empty_objectives() -> None:
    assert [f.name for f in wanted_fields("price, cost, price")] == ["price"]
    assert wanted_fields("all products on these pages") == []


def test_plurals_and_field_words_inside_phrases() -> None:
    assert [(f.name, f.type) for f in wanted_fields("titles and prices of all books")] == \
        [("title", "string"), ("price", "price")]
    assert [f.name for f in wanted_fields(
        "headlines, authors and publication dates of the articles")] == ["title", "author", "date"]
    assert [f.name for f in wanted_fields("sale price, old price")] == ["price", "old_price"]
