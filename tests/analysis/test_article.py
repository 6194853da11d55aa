"""Article pages: main text without the boilerplate around it, and the article's metadata."""

import gzip
from pathlib import Path

from core.analysis.article import Article, article, main_text

NEWS = Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "builder" / "article_news.html"
TRAFILATURA_EVAL = NEWS.parents[2] / "corpora" / "trafilatura-eval"  # one page (see SOURCE.txt)
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


# --- The main text settled with the page's own signals (core.analysis.article._settled_text) ---

_PARA = ("The council met on Tuesday evening and agreed, after a long debate about costs and "
         "timing, that the old bridge over the river will be repaired next spring rather than "
         "replaced, a decision that surprised many residents who had campaigned for years. ")


def _page(body: str, head: str = "") -> str:
    return (f"<html><head><title>Bridge repairs | Town News</title>{head}</head><body>"
            f"<nav><a href='/'>Home</a> <a href='/p'>Politics</a></nav><article>"
            f"<h1>Bridge will be repaired</h1>{body}</article>"
            "<footer>All rights reserved</footer></body></html>")


def test_a_read_more_line_that_is_a_links_text_behind_a_label_is_dropped():
    html = _page(f"<p>{_PARA}</p><p>Read more: <a href='/a1'>Council approves the new budget "
                 f"for schools</a></p><p>{_PARA.replace('council', 'mayor')}</p>"
                 "<p>The price is: <b>twelve million euros</b>, paid over three years.</p>")

    text = article(html).text

    assert "Council approves the new budget" not in text
    assert "The mayor met on Tuesday" in text and "The council met on Tuesday" in text
    assert "The price is: twelve million euros" in text  # a label before text, not a link


def test_link_lines_after_the_last_long_paragraph_go_and_a_link_in_the_story_stays():
    from core.analysis.article import _tree, _without_link_lines

    long = _PARA * 2  # over LONG_PARAGRAPH characters
    html = _page(f"<p>{long}</p><p><a href='/m'>The mayor's statement in full, as given</a></p>"
                 f"<p>{long}</p><p><a href='/a2'>Ten ways to spend a rainy weekend</a></p>")
    text = "\n".join([long, "The mayor's statement in full, as given", long,
                      "Ten ways to spend a rainy weekend", "Short closing line."])

    kept = _without_link_lines(text, _tree(html))

    assert kept.split("\n") == [long, "The mayor's statement in full, as given", long,
                                "Short closing line."]
    short = text.replace(long, _PARA)  # no long paragraph: no end of the story to go by
    assert _without_link_lines(short, _tree(html)) == short


def test_a_much_longer_jsonld_article_body_replaces_a_teaser():
    body = " ".join(f"Paragraph {n}: {_PARA.strip()}" for n in range(6))
    ld = ('<script type="application/ld+json">{"@context": "https://schema.org", '
          '"@type": "NewsArticle", "headline": "Bridge will be repaired", '
          f'"articleBody": "{body}"}}</script>')

    assert article(_page("<p>Subscribers read the whole story about the bridge.</p>", ld)).text \
        == body
    long = _PARA * 2  # the page's own text is long: the JSON-LD body is not 3 times longer
    other = long.replace("council", "mayor")
    assert "Paragraph 0" not in article(_page(f"<p>{long}</p><p>{other}</p>", ld)).text
