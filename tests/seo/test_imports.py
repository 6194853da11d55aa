"""CSV imports of keyword rankings and backlinks, in the formats SEO tools export."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.platform.errors import PermissionDenied, ValidationError
from core.seo import imports
from core.seo.imports import parse_number
from db.models import Backlink, KeywordRanking

# Search Console → Performance → Export → CSV, "Queries.csv" (no page, no date).
GSC_QUERIES = ("\ufeffTop queries,Clicks,Impressions,CTR,Position\n"
               "brass desk lamp,120,3400,3.53%,4.2\n"
               "linen lamp shade,15,900,1.67%,11.8\n")
# The Search Console API / Looker Studio shape: query, page, date.
GSC_DAILY = ("query,page,date,clicks,impressions,ctr,position\n"
             "brass desk lamp,https://lumen.example/lamps,2026-11-01,10,300,0.0333,5.0\n"
             "brass desk lamp,https://lumen.example/lamps,2026-11-02,14,280,0.05,3.0\n"
             "floor lamp,https://lumen.example/floor,2026-11-02,2,100,0.02,9.0\n")
# A semicolon file with decimal commas, as a European Excel saves it.
SEMRUSH = ("Keyword;Position;Previous position;Search Volume;URL\n"
           "brass desk lamp;3;5;1.300;https://lumen.example/lamps\n"
           "desk lamp brass;7,5;;880;https://lumen.example/lamps\n")
AHREFS_BACKLINKS = ("Referring page title\tReferring page URL\tDomain rating\tUR\tTarget URL\t"
                    "Anchor\tNofollow\tFirst seen\tLast seen\n"
                    "Best lamps\thttps://www.blog.example/best-lamps\t54\t12\t"
                    "https://lumen.example/lamps\tbrass lamps\tfalse\t2026-01-03\t2026-11-20\n"
                    "Forum\thttps://forum.example/t/1\t30\t2\thttps://lumen.example/\t"
                    "click here\ttrue\t2026-05-01\t2026-11-19\n")
SEMRUSH_BACKLINKS = ("Page ascore,Source title,Source url,Target url,Anchor,Nofollow,"
                     "First seen,Last seen\n"
                     "21,Lamp news,https://news.example/a,https://lumen.example/lamps,"
                     "\"lamps, brass\",FALSE,2026-02-01,2026-11-01\n")
GSC_LINKS = "Linking page,Last crawled\nhttps://ref.example/page,2026-11-10\n"


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_search_console_queries_export(db, analyst) -> None:
    with db.transaction() as session:
        summary = imports.import_rankings(session, analyst, GSC_QUERIES.encode(),
                                          site_url="https://lumen.example/",
                                          as_of=date(2026, 11, 20))
        history = imports.ranking_history(session, analyst)
    assert (summary.format, summary.rows) == ("search_console", 2)
    first = history.iloc[0]
    assert (first.keyword, first.url, first.clicks, first.impressions) == (
        "brass desk lamp", "https://lumen.example/", 120, 3400)
    assert first.ctr == pytest.approx(0.0353) and first.position == pytest.approx(4.2)
    assert first.checked_at.date() == date(2026, 11, 20)


def test_daily_export_gives_position_change_and_charts(db, analyst) -> None:
    with db.transaction() as session:
        imports.import_rankings(session, analyst, GSC_DAILY.encode())
        history = imports.ranking_history(session, analyst, "brass desk lamp")
        daily = imports.rankings_over_time(imports.ranking_history(session, analyst))
    assert history.position.tolist() == [5.0, 3.0]
    assert history.change.tolist() == [0.0, 2.0]  # two places up
    assert daily.clicks.tolist() == [10, 16]
    # impression-weighted: (3 × 280 + 9 × 100) / 380
    assert daily.position.tolist() == [5.0, round((3 * 280 + 9 * 100) / 380, 2)]


def test_importing_the_same_file_again_replaces_it(db, analyst) -> None:
    for _ in range(2):
        with db.transaction() as session:
            summary = imports.import_rankings(session, analyst, GSC_DAILY.encode())
    assert summary.replaced == 3 and count(db, KeywordRanking) == 3


def test_semicolons_decimal_commas_and_previous_position(db, analyst) -> None:
    with db.transaction() as session:
        summary = imports.import_rankings(session, analyst, SEMRUSH.encode("utf-8-sig"))
        history = imports.ranking_history(session, analyst)
    assert summary.format == "semrush"
    assert history.position.tolist() == [3.0, 7.5]
    assert history.change.tolist() == [2.0, 0.0]


def test_numbers_as_tools_write_them() -> None:
    assert parse_number("1,234") == 1234 and parse_number("1.234,5") == 1234.5
    assert parse_number("3,2", ";") == 3.2 and parse_number("3.2%") == 3.2
    assert parse_number("") is None and parse_number("1\u00a0234") == 1234


def test_a_malformed_file_names_row_and_column_and_stores_nothing(db, analyst) -> None:
    bad = GSC_DAILY + "lamp,https://lumen.example/x,2026-13-45,1,2,3%,abc\n"
    with db.transaction() as session, pytest.raises(ValidationError) as error:
        imports.import_rankings(session, analyst, bad.encode())
    assert "nothing was imported" in str(error.value)
    assert "row 5, column 'date': '2026-13-45' is not a date (use YYYY-MM-DD)" in \
        error.value.problems
    assert "row 5, column 'position': 'abc' is not a number" in error.value.problems
    assert count(db, KeywordRanking) == 0


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"name,colour\nlamp,red\n", "not a rankings export"),
    (b"Top queries,Clicks,Impressions,CTR,Position\n", "no rows"),
    (b"a,b\n1,2,3,4\n", "malformed"),
    (b"\x00\xff\xfe\x00garbage", "not a rankings export"),
])
def test_files_that_are_not_rankings(db, analyst, content, message) -> None:
    with db.transaction() as session, pytest.raises(ValidationError, match=message):
        imports.import_rankings(session, analyst, content, site_url="https://lumen.example/")


def test_a_file_without_pages_needs_the_site(db, analyst) -> None:
    with db.transaction() as session, pytest.raises(ValidationError, match="which site"):
        imports.import_rankings(session, analyst, GSC_QUERIES.encode())


def test_viewers_cannot_import(db, viewer) -> None:
    with db.transaction() as session, pytest.raises(PermissionDenied):
        imports.import_rankings(session, viewer, GSC_DAILY.encode())


def test_ahrefs_backlinks_in_utf16_with_tabs(db, analyst) -> None:
    with db.transaction() as session:
        summary = imports.import_backlinks(session, analyst, AHREFS_BACKLINKS.encode("utf-16"))
        links = imports.list_backlinks(session, analyst)
    assert (summary.format, summary.rows) == ("ahrefs", 2)
    best = links.iloc[0]
    assert (best.source_domain, best.domain_rating, best.is_do_follow) == ("blog.example", 54,
                                                                          True)
    assert best.first_seen.date() == date(2026, 1, 3)
    assert not links.iloc[1].is_do_follow  # the forum link is nofollow


def test_backlinks_are_updated_not_doubled(db, analyst) -> None:
    for _ in range(2):
        with db.transaction() as session:
            summary = imports.import_backlinks(session, analyst, SEMRUSH_BACKLINKS.encode())
    assert (summary.format, summary.replaced) == ("semrush", 1)
    assert count(db, Backlink) == 1
    with db.transaction() as session:
        assert imports.list_backlinks(session, analyst).anchor_text.tolist() == ["lamps, brass"]


def test_search_console_links_need_the_target(db, analyst) -> None:
    with db.transaction() as session, pytest.raises(ValidationError, match="no target"):
        imports.import_backlinks(session, analyst, GSC_LINKS.encode())
    with db.transaction() as session:
        summary = imports.import_backlinks(session, analyst, GSC_LINKS.encode(),
                                           target_url="https://lumen.example/")
    assert summary.format == "search_console"


def test_bad_backlink_rows_are_named(db, analyst) -> None:
    bad = SEMRUSH_BACKLINKS + "3,x,not-a-url,https://lumen.example/,a,maybe,2026-01-01,\n"
    with db.transaction() as session, pytest.raises(ValidationError) as error:
        imports.import_backlinks(session, analyst, bad.encode())
    assert error.value.problems == ["row 3, column 'source url': 'not-a-url' is not an "
                                    "http(s) URL", "row 3, column 'nofollow': 'maybe' is not "
                                    "true or false"]
    assert count(db, Backlink) == 0
