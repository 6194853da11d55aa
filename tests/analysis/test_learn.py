"""The builder learns a site from its samples together.

Two tiny synthetic book shops with different markup: a German one (labels in a ``<dl>``, the
author after "von", a nav ``span.title`` that says "Stöbern" on every page, a review with its own
date, a list of other books with prices) and an English one (labels in ``<strong>`` inside
``<li>``, the title in an ``h2`` with the format in a ``<span>``). The same protocol reads both.
"""

from __future__ import annotations

import pytest

from core.analysis import SamplePage, find_field_for_example, propose, run_samples
from core.analysis.examples import seen_on_samples

GERMAN_BOOKS = [
    ("Der stille Fluss", "Anna Berger", "978-3-16-148410-0", "Kiepenheuer", "3. März 2011",
     "Taschenbuch"),
    ("Nachtzug nach Triest", "Jonas Wolf", "978-3-7466-2837-1", "Aufbau Verlag",
     "17. Juni 2010", "Gebunden"),
    ("Das Haus am See", "Mara Lind", "978-3-442-31281-0", "Goldmann", "1. Oktober 2009",
     "Taschenbuch"),
    ("Kalte Spuren", "Paul Ernst", "978-3-596-70112-4", "Fischer", "20. Januar 2012",
     "Hörbuch"),
]


def german_page(title: str, author: str, isbn: str, publisher: str, date: str,
                binding: str) -> str:
    others = "".join(f'<li class="tipp"><a href="/buch/{n}">Tipp {n}</a> '
                     f'<span class="preis">{n},99 €</span></li>' for n in range(1, 6))
    return f"""<html lang="de"><head><title>{title} – {author} | Bücherstube</title></head>
<body><nav><span class="title">Stöbern</span> <a href="/neu">Neuheiten</a></nav>
<main><h1 class="kopf">{title} <small>({binding})</small></h1>
<p class="verfasser">von <a href="/autor/{author.split()[-1].lower()}">{author}</a></p>
<dl class="angaben"><dt>Verlag</dt><dd>{publisher}</dd><dt>Erscheinungsdatum</dt>
<dd>{date}</dd><dt>ISBN-13</dt><dd>{isbn}</dd><dt>Seiten</dt><dd>320</dd></dl>
<div class="rezension"><span class="datum">Rezension vom 12.05.2013</span>
<p>Ein schönes Buch von {author}, sehr zu empfehlen.</p></div></main>
<aside><h3>Auch interessant</h3><ul>{others}</ul></aside></body></html>"""


ENGLISH_BOOKS = [
    ("The Quiet Harbour", "Ruth Gale", "9780000000017", "Harbour Press", "May 2010", "Hardcover"),
    ("Winter Lines", "Sam Orr", "9780000000024", "Northway", "June 2011", "Paperback"),
    ("A Map of Rain", "Ivy Tran", "9780000000031", "Bellwether", "March 2009", "Paperback"),
]


def english_page(title: str, author: str, isbn: str, publisher: str, date: str,
                 binding: str) -> str:
    return f"""<html><head><title>{title} by {author} ({binding})</title></head><body>
<div class="nav"><span class="title">Browse</span></div>
<div class="details"><h2>{title}<span class="sub"> ({binding})</span></h2>
<h3 class="author">by <a href="/a?q={author}">{author}</a></h3>
<ul class="facts"><li><strong>ISBN-13</strong>: {isbn}</li><li><strong>ISBN-10</strong>:
0000000000</li><li><strong>Publisher</strong>: {publisher}</li>
<li><strong>Date</strong>: {date}</li></ul>
<div class="review"><span class="date">Reviewed 2 February 2012</span></div></div>
</body></html>"""


def pages(make, books) -> list[SamplePage]:
    return [SamplePage(f"https://books.example/item/{n}", make(*book))
            for n, book in enumerate(books)]


def values(package: dict, samples: list[SamplePage]) -> dict[str, list]:
    return {name: f.values for name, f in run_samples(package, samples).fields.items()}


@pytest.mark.parametrize("k", [2, 3])
def test_a_german_book_shop_is_learned_from_its_samples(k: int) -> None:
    samples = pages(german_page, GERMAN_BOOKS[:k])
    proposal = propose("Bücher: title, author, isbn_13, publisher, publication_date", samples)
    assert proposal.package["container"] is None  # the list of other books is not the record
    # and the package reads a page it has never seen
    unseen = pages(german_page, GERMAN_BOOKS[3:])
    assert values(proposal.package, unseen) == {
        "title": ["Kalte Spuren"], "author": ["Paul Ernst"], "isbn_13": ["978-3-596-70112-4"],
        "publisher": ["Fischer"], "date": ["2012-01-20"]}
    assert "label 'Verlag'" in proposal.field_sources["publisher"]
    assert "label 'Erscheinungsdatum'" in proposal.field_sources["date"]  # not the review's


def test_an_english_book_shop_with_other_markup_follows_the_same_protocol() -> None:
    proposal = propose("books: title, author, isbn_13, publisher, publication_date",
                       pages(english_page, ENGLISH_BOOKS[:2]))
    assert values(proposal.package, pages(english_page, ENGLISH_BOOKS[2:])) == {
        "title": ["A Map of Rain"],  # the heading, not the nav's "Browse", without "(Paperback)"
        "author": ["Ivy Tran"],  # without "by"
        "isbn_13": ["9780000000031"], "publisher": ["Bellwether"],
        "date": ["2009-03-01"]}  # the book's date, not the review's


def test_one_sample_is_enough_when_labels_say_what_is_what() -> None:
    proposal = propose("books: title, author, isbn_13, publisher, publication_date",
                       pages(english_page, ENGLISH_BOOKS[:1]))
    assert values(proposal.package, pages(english_page, ENGLISH_BOOKS[1:2]))["publisher"] == [
        "Northway"]


def test_a_correction_by_example_reads_the_labelled_value_on_every_sample() -> None:
    samples = pages(german_page, GERMAN_BOOKS[:3])
    match = find_field_for_example(samples, "Kiepenheuer", {"version": 1, "fields": {}})
    assert match.field["selector"] == \
        ".//dt[normalize-space()='Verlag']/following-sibling::*[1]"
    assert match.values == ["Kiepenheuer", "Aufbau Verlag", "Goldmann"]


def test_an_example_on_no_sample_is_not_found_anywhere_else() -> None:
    samples = pages(german_page, GERMAN_BOOKS[:2])
    assert not seen_on_samples(samples, "Suhrkamp")
    assert find_field_for_example(samples, "Suhrkamp", {"version": 1, "fields": {}}) is None
    assert seen_on_samples(samples, "aufbau verlag")  # case and spaces do not matter


def test_ways_that_agree_on_every_sample_are_kept_as_fallbacks_for_a_changed_page() -> None:
    from core.scrape.extract import extract_records
    from core.scrape.package import parse_package

    proposal = propose("books: title, author", pages(english_page, ENGLISH_BOOKS[:2]))
    author = proposal.package["fields"]["author"]
    assert author["selector"] == ".//h3[normalize-space(text())='by']/*[1]"  # after "by"
    assert author["fallbacks"][0] == {"selector": "h3.author a", "transforms": ["strip"]}
    # the site drops the "by" in front of the author: the first way finds nothing, a fallback does
    changed = english_page(*ENGLISH_BOOKS[2]).replace(">by <a", "><a")
    [record] = extract_records(parse_package(proposal.package), changed, "https://books.example/")
    assert record.data["author"] == "Ivy Tran"
    assert record.fallbacks == {"author": 1}


AMAZON_LIKE_BOOKS = [
    ("Low Tide", "Nia Brooks", "978-0316125581", "Little, Brown", "June 10, 2010"),
    ("High Ground", "Omar Vale", "978-1420106879", "Zebra", "March 2, 2011"),
    ("Still Water", "Lea Marsh", "978-1439184301", "Atria Books", "October 5, 2009"),
]


def amazon_like_page(title: str, author: str, isbn: str, publisher: str, date: str) -> str:
    return f"""<html><head><title>{title}: {author}: Books</title></head><body>
<div id="top"><h1 class="parseasinTitle"><span id="btAsinTitle">{title} <span
 style="font-weight: normal">[Paperback]</span></span></h1>
<span><a href="/a/{author}">{author}</a> (Author), <a href="/a/x">Kim Ink</a> (Illustrator)
</span></div>
<table><tr><td class="bucket"><h2>Product Details</h2><div class="content"><ul>
<li><b>Paperback:</b> 336 pages</li>
<li><b>Publisher:</b> {publisher} ({date})</li>
<li><b>Language:</b> English</li>
<li><b>ISBN-13:</b> {isbn}</li></ul></div></td></tr></table>
<div class="reviews"><span class="date">May 3, 2012</span> Great read.</div></body></html>"""


def test_a_third_layout_with_the_date_beside_the_publisher() -> None:
    proposal = propose("books: title, author, isbn_13, publisher, publication_date",
                       pages(amazon_like_page, AMAZON_LIKE_BOOKS[:2]))
    assert values(proposal.package, pages(amazon_like_page, AMAZON_LIKE_BOOKS[2:])) == {
        "title": ["Still Water"],  # without "[Paperback]"
        "author": ["Lea Marsh"],  # the link before "(Author)", not the illustrator
        "isbn_13": ["978-1439184301"],
        "publisher": ["Atria Books"],  # without "(October 5, 2009)"
        "date": ["2009-10-05"]}  # the date beside the publisher, not the review's


def test_a_way_marked_wrong_is_not_proposed_again_nor_anything_reading_the_same() -> None:
    samples = pages(english_page, ENGLISH_BOOKS[:2])
    first = propose("books: title", samples).package["fields"]["title"]
    again = propose("books: title", samples, avoid={"title": [first]})
    second = again.package["fields"].get("title")
    assert second is not None and second["selector"] != first["selector"]
    assert values(again.package, samples)["title"] != ["The Quiet Harbour", "Winter Lines"]
