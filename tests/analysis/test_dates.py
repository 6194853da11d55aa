"""Publication dates, read by htmldate."""

from core.analysis.dates import publication_date


def test_the_published_date_in_the_markup_wins_over_the_modified_one():
    html = """<html><head>
      <meta property="article:published_time" content="2024-03-03T07:30:00+01:00">
      <meta property="article:modified_time" content="2024-05-20T10:00:00+01:00">
    </head><body><p>Story.</p></body></html>"""

    assert publication_date(html) == "2024-03-03"


def test_a_date_written_only_in_the_text_needs_the_extensive_search():
    html = "<html><body><article><p>Posted on March 3, 2024 by Marta.</p>" \
           "<p>A story without any date markup.</p></article></body></html>"

    assert publication_date(html, extensive=True) == "2024-03-03"
    assert publication_date(html, extensive=False) is None


def test_the_url_can_carry_the_date():
    html = "<html><body><p>No date here.</p></body></html>"

    assert publication_date(html, "https://news.example/2023/11/05/story") == "2023-11-05"


def test_no_date_and_bad_input_give_none():
    assert publication_date("<html><body><p>Timeless.</p></body></html>") is None
    assert publication_date("") is None
    assert publication_date(b"\xff\xfe\x00<<not html") is None
