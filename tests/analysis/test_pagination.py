"""How a list page leads to its next page, as the builder proposes it."""

from __future__ import annotations

import pytest

from core.analysis.pagination import detect_pagination
from core.scrape.package import parse_package

CARDS = "".join(f'<li class="card"><a href="/p/{n}">Item {n}</a> <span>{n}.00 €</span></li>'
                for n in range(1, 5))


def page(nav: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><ul>{CARDS}</ul>{nav}</body></html>"


@pytest.mark.parametrize(("nav", "head", "pagination", "next_url"), [
    ('<a href="/c?page=2" rel="next">2</a>', "",
     {"type": "next_button", "selector": 'a[rel~="next"]'}, "https://shop.example/c?page=2"),
    ("", '<link rel="next" href="/c?page=2">',
     {"type": "next_button", "selector": 'link[rel~="next"]'}, "https://shop.example/c?page=2"),
    ('<div class="pager"><a href="/c/2">›</a></div>', "",
     {"type": "next_button", "selector": "div.pager > a"}, "https://shop.example/c/2"),
    ('<a class="nav-link" aria-label="Weiter" href="/c/seite-2">»</a>', "",
     {"type": "next_button", "selector": "a.nav-link"}, "https://shop.example/c/seite-2"),
    ('<ol class="pages"><li><a href="/c?page=2">2</a></li><li><a href="/c?page=3">3</a></li>'
     '<li><a href="/c?page=9">9</a></li></ol>', "",
     {"type": "url_pattern", "pattern": "https://shop.example/c?page={page}", "first_page": 1,
      "last_page": 9}, "https://shop.example/c?page=2"),
    ('<a href="/blog/page/2/">2</a> <a href="/blog/page/3/">3</a>', "",
     {"type": "url_pattern", "pattern": "https://shop.example/blog/page/{page}/",
      "first_page": 1, "last_page": 3}, "https://shop.example/blog/page/2/"),
    ('<a class="btn" href="/c?offset=24">Load more</a>', "",
     {"type": "next_button", "selector": "a.btn"}, "https://shop.example/c?offset=24"),
])
def test_next_pages_are_found_and_the_engine_accepts_them(nav, head, pagination,
                                                          next_url) -> None:
    found = detect_pagination(page(nav, head), "https://shop.example/c")
    assert found.pagination == pagination
    assert found.next_url == next_url
    parse_package({"version": 1, "container": "li.card", "fields": {"name": {"selector": "a"}},
                   "pagination": found.pagination})


def test_on_page_two_the_pattern_goes_on_from_there() -> None:
    nav = ('<a href="/c?page=1">1</a> <a href="/c?page=3">3</a> <a href="/c?page=4">4</a>')
    found = detect_pagination(page(nav), "https://shop.example/c?page=2")
    assert found.pagination["first_page"] == 2 and found.next_url.endswith("page=3")


def test_a_load_more_button_without_a_link_is_named_not_followed() -> None:
    found = detect_pagination(page('<button type="button">Mehr laden</button>'),
                              "https://shop.example/c")
    assert found.pagination == {"type": "none"} and found.next_url is None
    assert "has no link to follow" in found.note


def test_a_page_without_any_next_link() -> None:
    found = detect_pagination(page('<a href="/about">About us</a>'), "https://shop.example/c")
    assert found.pagination == {"type": "none"} and found.note == "No link to a next page was found."
