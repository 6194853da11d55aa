"""Article pages: main text without the boilerplate around it, and the article's metadata."""

import gzip
from pathlib import Path

from core.analysis.article import Article, article, main_text

NEWS = Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "builder" / "article_news.html"
TRAFILATURA_EVAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "trafilatura-eval"
URL = "https://courier.example/travel/2024/03/03/night-trains"


def test_an_article_page_gives_its_metadata():
    story = article(NEWS.read_text(encoding="utf-8"), URL)

    assert story.title == "Night trains return to the Alps"
    assert story.author == "Marta Keller"
    assert story.date == "2024-03-03"  # published, not the later modification date
    assert story.description == "After twelve years, a sleeper service links Zurich and Vienna again."
    assert story.sitename == "The Valley Courier"
    assert story.tags == ["railways"]
    assert story.categories == ["Travel"]


def test_the_main_text_keeps_the_story_and_its_table_and_drops_the_boilerplate():
    text = article(NEWS.read_bytes(), URL).text

    assert "a sleeper service links Zurich and Vienna again" in text
    assert "New carriages next winter" in text
    assert "Zurich to Vienna | 21:40 | 08:19" in text  # tables are kept
    for boilerplate in ("We use cookies", "Subscribe for 1 euro", "Ten mountain huts",
                        "All rights reserved", "Privacy policy",
                        "I took this train as a student"):  # comments are left out too
        assert boilerplate not in text


def test_main_text_alone_is_the_same_text():
    assert main_text(NEWS.read_bytes()) == article(NEWS.read_bytes()).text


def test_a_page_with_nothing_to_read_gives_an_empty_article():
    assert article("") == Article()
    garbage = article(b"\xff\xfe\x00<<not html")
    assert (garbage.title, garbage.author, garbage.date) == (None, None, None)


def test_the_title_loses_the_site_name_when_the_headline_shows_which_part_it_is():
    # A real blog page (trafilatura-eval): <title> is "15 Jahre rete-mirabile.net — rete-mirabile.net"
    # and the <h1> says which part is the headline.
    page = TRAFILATURA_EVAL / "eval" / "rete-mirabile.net.15jahre.html.gz"

    story = article(gzip.decompress(page.read_bytes()))

    assert story.title == "15 Jahre rete-mirabile.net"
    assert story.author == "Andreas Kalt"  # the annotations of the corpus
    assert story.date == "2019-07-28"
