"""propose(): from an objective and samples to a schema and a package that works on them."""

from core.analysis import SamplePage, WantedField, propose, run_samples
from core.scrape.package import parse_package
from tests.analysis.conftest import page

OBJECTIVE = "all products on these pages: name, price, rating, image, link"


def test_two_catalog_pages_give_a_package_that_extracts_every_product(catalog_pages) -> None:
    proposal = propose(OBJECTIVE, catalog_pages)

    assert proposal.page_kinds == {p.url: "list" for p in catalog_pages}
    assert proposal.package["container"] == "li.product-card"
    assert list(proposal.package["fields"]) == ["name", "price", "rating", "image", "url"]
    assert all("nth-" not in (spec["selector"] or "")
               for spec in proposal.package["fields"].values())
    parse_package(proposal.package)  # the engine accepts it

    report = run_samples(proposal.package, catalog_pages)
    first, second = (report.records[p.url] for p in catalog_pages)
    assert len(first) == 6 and len(second) == 5
    assert first[0] == {
        "name": "Trailblazer Hiking Boot", "price": 129.95, "rating": 4.6,
        "image": "https://shop.example/media/tr-100.jpg",
        "url": "https://shop.example/outdoor/p/trailblazer-hiking-boot"}
    # the current price, not the struck-out one; a thousands separator read right
    assert [r["price"] for r in second] == [24.95, 59.0, 44.9, 27.5, 1249.0]
    assert [r["name"] for r in second][-1] == "Pathfinder GPS Watch"
    assert all(not sample.flagged and sample.hits == 2 for sample in report.fields.values())


def test_the_schema_has_snake_case_names_and_sensible_types(catalog_pages) -> None:
    schema = propose(OBJECTIVE, catalog_pages).schema
    assert schema["type"] == "object"
    assert {name: prop["type"] for name, prop in schema["properties"].items()} == {
        "name": "string", "price": "number", "rating": "number", "image": "string",
        "url": "string"}
    assert schema["properties"]["url"]["format"] == "uri"
    assert schema["required"] == ["name"]


def test_sources_and_notes_say_how_fields_were_found(catalog_pages) -> None:
    proposal = propose(OBJECTIVE + ", warranty", catalog_pages)
    assert proposal.field_sources["price"] == "class .price-current + price-parser"
    assert proposal.field_sources["rating"] == "data-rating of .product-card__rating"
    assert "Records: 'li.product-card' (6, 5 per sample)." in proposal.notes
    assert any("Could not find 'warranty'" in note for note in proposal.notes)
    assert "warranty" not in proposal.package["fields"]


def test_extra_fields_and_an_enum_for_availability(catalog_pages) -> None:
    proposal = propose("name", catalog_pages,
                       extra_fields=[WantedField("availability", "availability")])
    assert proposal.schema["properties"]["availability"]["enum"][:3] == \
        ["InStock", "OutOfStock", "PreOrder"]
    records = run_samples(proposal.package, catalog_pages).records[catalog_pages[0].url]
    assert [r["availability"] for r in records] == \
        ["InStock", "InStock", "SoldOut", "InStock", "InStock", "PreOrder"]


def test_detail_pages_read_structured_data() -> None:
    pages = [page("product-jsonld.html")]
    proposal = propose("name, price, currency, sku, availability", pages)
    assert proposal.page_kinds == {pages[0].url: "detail"}
    assert proposal.package["container"] is None
    assert proposal.field_sources["price"] == "JSON-LD Product.offers.price"
    [record] = run_samples(proposal.package, pages).records[pages[0].url]
    assert record == {"name": "Fjell Trekkingrucksack 45 L", "price": 1249.9,
                      "currency": "EUR", "sku": "FJ-TR45-GRN", "availability": "InStock"}


def test_the_way_that_works_on_most_samples_wins() -> None:
    pages = [page("product-jsonld.html"), page("product-plain.html")]
    proposal = propose("name", pages)
    assert run_samples(proposal.package, pages).fields["name"].values == \
        ["Fjell Trekkingrucksack 45 L", "Meadow Camping Chair"]


def test_an_article() -> None:
    pages = [page("article-guide.html")]
    proposal = propose("title, author, date, text", pages)
    assert proposal.page_kinds == {pages[0].url: "article"}
    [record] = run_samples(proposal.package, pages).records[pages[0].url]
    assert record["title"] == "How to choose a sleeping bag for three-season camping"
    assert record["author"] == "Maria Lindqvist"
    assert record["date"].startswith("2025-09-14")
    assert "comfort rating" in record["text"]


def test_starting_from_a_stored_package_keeps_the_fields_that_work(catalog_pages) -> None:
    stored = {"version": 1, "container": "li.product-card",
              "fields": {"name": {"selector": "h3 a", "transforms": ["strip"]},
                         "price": {"selector": ".no-such-price", "transforms": ["price"]}}}
    proposal = propose("name, price", catalog_pages, start_from=stored)
    assert proposal.package["fields"]["name"] == stored["fields"]["name"]
    assert proposal.field_sources["name"] == "kept from the knowledge base"
    assert proposal.package["fields"]["price"]["selector"] == "span.price-current"
    assert any("kept 1 of 2" in note for note in proposal.notes)


def test_an_objective_with_no_known_fields_proposes_what_the_page_offers(catalog_pages) -> None:
    proposal = propose("everything please", catalog_pages)
    assert list(proposal.package["fields"]) == ["name", "price", "url", "image"]
    assert any("proposing what a list page usually offers" in n for n in proposal.notes)


def test_no_samples_is_refused() -> None:
    import pytest

    from core.platform.errors import ValidationError
    with pytest.raises(ValidationError, match="at least one sample"):
        propose(OBJECTIVE, [])


def test_a_page_with_nothing_matching() -> None:
    pages = [SamplePage("https://x.example/", "<html><body><p>Hello</p></body></html>")]
    proposal = propose("price, rating", pages)
    assert proposal.package["fields"] == {}
    assert any("Nothing the objective asks for was found" in n for n in proposal.notes)


def test_fields_of_the_stored_package_the_objective_does_not_name_are_kept(catalog_pages) -> None:
    stored = {"version": 1, "container": "li.product-card",
              "fields": {"reviews": {"selector": ".review-count", "transforms": ["number"]}}}
    proposal = propose("name", catalog_pages, start_from=stored)
    assert list(proposal.package["fields"]) == ["name", "reviews"]
    assert proposal.schema["properties"]["reviews"]["type"] == "number"
    assert run_samples(proposal.package, catalog_pages).fields["reviews"].values == [212, 310]


def test_on_sale_items_the_current_price_is_read_not_the_struck_out_one() -> None:
    from core.analysis import SamplePage

    def card(name: str, price: str) -> str:
        return (f'<li class="product">\n <a href="/p/{name}"><h2>{name}</h2></a>\n'
                f' <span class="price">{price}</span>\n</li>\n')

    html = ("<html><body><ul>" + card("Lamp", "£20.00") + card(
        "Chair", "<del>£90.00</del> <ins>£75.00</ins>") + card("Desk", "£120.00") + card(
        "Rug", "<del><span>£40.00</span></del><ins><span>£30.00</span></ins>")
        + "</ul></body></html>")
    sample = SamplePage("https://shop.example/c", html)
    proposal = propose("all products: name, price", [sample])
    assert proposal.package["fields"]["price"]["selector"] == "span.price ins"
    [records] = run_samples(proposal.package, [sample]).records.values()
    assert [r["price"] for r in records] == [20.0, 75.0, 120.0, 30.0]
