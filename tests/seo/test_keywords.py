"""Keyword research from a page's content: phrases weighted by where they occur."""

from __future__ import annotations

from core.seo import keywords
from core.seo.keywords import detect_language, extract_keywords, page_text

LAMP_PAGE = """<!doctype html><html lang="en"><head>
<title>Brass desk lamps | Lumen</title>
<meta name="description" content="Hand-made brass desk lamps with linen shades.">
<script>var lamp = "script words never count";</script><style>.desk{}</style></head>
<body><h1>Brass desk lamps</h1>
<h2>Linen shades</h2>
<p>Our brass desk lamps are made by hand. Every lamp ships with a linen shade.</p>
<p>The floor lamp is sold out. Read the care guide for the brass finish.</p>
<p>Call 0800 123 456 today.</p></body></html>"""


def ranked(html: str) -> list[str]:
    return [k.keyword for k in extract_keywords(html)]


def test_title_and_heading_phrases_rank_first() -> None:
    found = extract_keywords(LAMP_PAGE)
    top = [k.keyword for k in found[:3]]
    assert top[0] == "brass desk lamps"
    assert "desk lamps" in top
    lamps = next(k for k in found if k.keyword == "brass desk lamps")
    assert lamps.positions == {"title": 1, "description": 1, "h1": 1, "body": 1}
    assert lamps.words == 3 and lamps.occurrences == 4
    assert "brass desk lamps" in next(k for k in found if k.keyword == "desk lamps").related


def test_stop_words_scripts_and_numbers_are_not_keywords() -> None:
    words = ranked(LAMP_PAGE)
    assert not {"the", "our", "with", "are", "script", "words", "0800", "123"} & set(words)
    assert not any(w.startswith(("the ", "with ")) or w.endswith((" the", " with"))
                   for w in words)
    assert "made by hand" not in words  # a one-off body phrase is dropped…
    assert "linen shades" in words and "shade" in words  # …a heading phrase or a word is not


def test_phrases_do_not_cross_sentences_or_elements() -> None:
    words = ranked(LAMP_PAGE)
    assert "hand every lamp" not in words and "lamps linen" not in words


def test_repeating_one_word_is_not_a_phrase() -> None:
    assert ranked("<html><body><p>" + "lamps " * 10 + "</p></body></html>") == ["lamps"]


def test_weighting_is_by_position() -> None:
    page = ("<html><head><title>Oak tables</title></head><body>"
            + "<p>chairs</p>" * 9 + "</body></html>")
    scores = {k.keyword: k.score for k in extract_keywords(page)}
    assert scores["oak tables"] > scores["chairs"]  # title ×10, two words ×1.5 = 15 > 9
    assert scores["chairs"] == 9.0


def test_language_from_html_lang_or_from_the_text() -> None:
    german = """<html><body><h1>Gartenmöbel aus Holz</h1>
    <p>Die Stühle und die Tische sind aus Eiche, und sie sind wetterfest.</p>
    <p>Die Gartenmöbel aus Holz werden in Deutschland gefertigt.</p></body></html>"""
    assert detect_language(page_text(german)) == "de"
    words = ranked(german)
    assert "gartenmöbel aus holz" in words and "die" not in words and "und" not in words
    assert detect_language(page_text('<html lang="fr-CA"><body>x</body></html>')) == "fr"


def test_an_empty_page_has_no_keywords() -> None:
    assert extract_keywords("<html><body></body></html>") == []
    assert keywords.extract_keywords("") == []


def test_saved_research_is_the_latest_per_url(db, analyst) -> None:
    url = "https://lumen.example/lamps"
    with db.transaction() as session:
        keywords.save_keywords(session, analyst.id, url, extract_keywords(LAMP_PAGE))
        keywords.save_keywords(session, analyst.id, url, extract_keywords(
            "<html><head><title>Floor lamps</title></head></html>"))
    with db.transaction() as session:
        table = keywords.keyword_table(session, analyst, "https://LUMEN.example/lamps#top")
    assert table.keyword.tolist() == ["floor lamps", "floor", "lamps"]
    assert table.in_title.all()
