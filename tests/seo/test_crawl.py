"""The site crawl engine and its findings, over a real local site with planted problems
(``tests/fixtures/seo_site``, served by ``tests.fixtures.seo_server``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest

from core.scrape.urls import normalize_url, site_key
from core.seo.crawl import CrawlOptions, CrawlOutcome, SiteCrawler
from core.seo.crawl_page import read_page
from core.seo.diff import diff_issues
from core.seo.findings import CrawlContext, find_all, issues, url_group
from core.seo.sitemap import parse_sitemap, sitemaps_in_robots
from core.platform.settings import get_settings
from tests.fixtures.seo_server import SeoSiteServer


@contextlib.contextmanager
def fast_fetching_settings() -> Iterator[None]:
    """Fetching from 127.0.0.1 with short retries; /big (2 MB) is over the size cap."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"ALLOW_PRIVATE_ADDRESSES": "1", "FETCH_BACKOFF_SECONDS": "0.01",
                            "FETCH_MAX_RETRIES": "1", "FETCH_MAX_BYTES": "1000000"}.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture
def fast_fetching() -> Iterator[None]:
    with fast_fetching_settings():
        yield


def crawl_site(start_url: str, options: CrawlOptions) -> CrawlOutcome:
    """A crawl run to the end, as the crawl worker runs it."""
    return asyncio.run(SiteCrawler(start_url, options).run())


def crawl(server: SeoSiteServer, **options: object) -> CrawlOutcome:
    return crawl_site(server.base_url + "/", CrawlOptions(**{"delay": 0, "concurrency": 4,
                                                             "max_pages": 100, **options}))


@pytest.fixture(scope="module")
def full_crawl(seo_site: SeoSiteServer) -> CrawlOutcome:
    with fast_fetching_settings():
        return crawl(seo_site)


def paths(server: SeoSiteServer, urls: list[str]) -> list[str]:
    return [u.removeprefix(server.base_url) for u in urls]


def test_every_planted_issue_is_found_with_its_exact_urls(seo_site, full_crawl) -> None:
    findings = find_all(full_crawl.pages, CrawlContext(full_crawl.start_url, deep_clicks=4))
    found = {(f.id, f.group): paths(seo_site, f.urls) for f in findings}
    assert found == {
        ("broken-link", "/*"): ["/error", "/es/", "/missing"],
        ("redirect-loop", "/loop/*"): ["/loop/a"],
        ("canonical-not-200", "/canon/*"): ["/canon/to-404"],
        ("hreflang-target-not-200", "/*"): ["/en/"],
        ("redirect-chain", "/chain/*"): ["/chain/start"],
        ("duplicate-title", "/product/*"): ["/product/1", "/product/2", "/product/3"],
        ("duplicate-description", "/product/*"): ["/product/1", "/product/2"],
        ("duplicate-content", "/*"): ["/copy-a", "/copy-b"],
        ("canonical-to-redirect", "/canon/*"): ["/canon/to-redirect"],
        ("canonical-to-non-indexable", "/canon/*"): ["/canon/to-noindex"],
        ("canonical-chain", "/canon/*"): ["/canon/chain"],
        ("canonical-conflict", "/canon/*"): ["/canon/conflict"],
        ("hreflang-missing-return", "/*"): ["/en/"],
        ("sitemap-non-indexable", "/*"): ["/missing", "/noindex-page", "/old-page", "/xrobots"],
        ("sitemap-non-indexable", "/canon/*"): ["/canon/middle"],
        ("sitemap-non-indexable", "/private/*"): ["/private/secret"],
        ("sitemap-orphan", "/*"): ["/orphan"],
        ("too-deep", "/deep/*"): ["/deep/5", "/deep/6"],
    }
    assert [f.severity for f in findings][:4] == ["error"] * 4  # most severe first


def test_evidence_says_who_links_where_and_how_redirects_hop(seo_site, full_crawl) -> None:
    findings = {f.key: f for f in find_all(full_crawl.pages,
                                           CrawlContext(full_crawl.start_url, deep_clicks=4))}
    broken = {paths(seo_site, [i["url"]])[0]: i for i in findings["broken-link|/*"].evidence["items"]}
    assert broken["/missing"]["status"] == 404
    assert paths(seo_site, broken["/missing"]["linked_from"]) == ["/", "/product/3"]
    assert paths(seo_site, broken["/error"]["linked_from"]) == ["/about"]
    chain = findings["redirect-chain|/chain/*"].evidence["items"][0]
    assert paths(seo_site, chain["chain"]) == ["/chain/start", "/chain/middle", "/chain/end"]
    assert chain["statuses"] == [301, 302]
    loop = findings["redirect-loop|/loop/*"].evidence["items"][0]
    assert paths(seo_site, loop["chain"]) == ["/loop/a", "/loop/b", "/loop/a"]
    reasons = {paths(seo_site, [i["url"]])[0]: i["reasons"]
               for i in findings["sitemap-non-indexable|/*"].evidence["items"]}
    assert reasons["/noindex-page"] == ["noindex"] and reasons["/xrobots"] == ["noindex"]
    assert reasons["/missing"] == ["HTTP 404"]


def test_depths_are_click_distances_and_sitemap_only_pages_have_none(seo_site, full_crawl) -> None:
    depth = {p.url.removeprefix(seo_site.base_url): p.depth for p in full_crawl.pages}
    assert depth["/"] == 0 and depth["/products/"] == 1 and depth["/product/1"] == 2
    assert [depth[f"/deep/{n}"] for n in range(1, 7)] == [1, 2, 3, 4, 5, 6]
    assert depth["/orphan"] is None


def test_what_could_not_be_checked_is_said(seo_site, full_crawl) -> None:
    notes = " | ".join(full_crawl.not_checked)
    assert "1 URL disallowed by robots.txt, not fetched" in notes
    assert f"1 page over the size cap, not read: {seo_site.base_url}/big" in notes
    assert "1 link to other sites, not checked" in notes
    pdf = next(p for p in full_crawl.pages if p.url.endswith("/file.pdf"))
    assert pdf.status_code == 200 and pdf.error is None and not pdf.is_html


def test_robots_txt_is_honoured_no_request_for_a_disallowed_page(seo_site, full_crawl) -> None:
    assert "/private/secret" not in seo_site.paths
    secret = next(p for p in full_crawl.pages if p.url.endswith("/private/secret"))
    assert secret.blocked_by_robots


def test_max_pages_bounds_the_urls_requested(seo_site, fast_fetching) -> None:
    seo_site.paths.clear()
    outcome = crawl(seo_site, max_pages=5)
    requested = {p for p in seo_site.paths if not p.endswith((".xml", ".txt"))}
    # The first five links in breadth-first order, plus the hops of the chain among them.
    assert requested == {"/", "/about", "/products/", "/missing", "/chain/start",
                         "/chain/middle", "/chain/end"}
    assert outcome.stopped == "max pages reached"
    assert any("stopped at 5 pages" in note for note in outcome.not_checked)


def test_a_canceled_crawl_stops_and_says_so(seo_site, fast_fetching) -> None:
    async def cancel_soon() -> CrawlOutcome:
        crawler = SiteCrawler(seo_site.base_url + "/", CrawlOptions(delay=0.05, concurrency=1))
        task = asyncio.create_task(crawler.run())
        await asyncio.sleep(0.3)
        crawler.cancel.set()
        return await task

    outcome = asyncio.run(cancel_soon())
    assert outcome.stopped == "canceled"
    assert 0 < len(outcome.pages) < 20


def test_an_unreachable_start_url_is_one_page_with_an_error(fast_fetching) -> None:
    outcome = crawl_site("http://127.0.0.1:9/", CrawlOptions(delay=0, max_pages=5))
    assert len(outcome.pages) == 1
    assert outcome.pages[0].error.startswith("the site is unreachable: connection failed")
    assert outcome.pages[0].status_code is None
    assert outcome.stopped == "site unreachable"
    assert outcome.not_checked[0].startswith("nothing could be checked")


def test_grouping_turns_many_identical_issues_into_one_finding() -> None:
    from core.seo.crawl_page import CrawledPage, PageFacts

    pages = [CrawledPage(f"https://shop.example/product/{n}", 1, final_url="", status_code=200,
                         facts=PageFacts(title="Product", links=[])) for n in range(500)]
    for page in pages:
        page.final_url = page.url
    findings = find_all(pages, CrawlContext("https://shop.example/", deep_clicks=4))
    assert [(f.id, f.group, len(f.urls)) for f in findings] == [
        ("duplicate-title", "/product/*", 500)]
    assert findings[0].key == "duplicate-title|/product/*"


def test_issue_keys_are_stable_so_two_crawls_diff(seo_site, full_crawl, fast_fetching) -> None:
    context = CrawlContext(full_crawl.start_url, deep_clicks=4)
    before = issues(find_all(full_crawl.pages, context))
    after = [i for i in issues(find_all(crawl(seo_site).pages, context))
             if not i.key.endswith("/missing")]  # as if /missing were fixed
    change = diff_issues(before, after)
    assert change.new == []
    assert {(i.audit_id, i.key.removeprefix(seo_site.base_url)) for i in change.fixed} == {
        ("broken-link", "/missing"), ("sitemap-non-indexable", "/missing")}
    assert len(change.persisting) == len(after)


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTP://Shop.Example:80/a/../b/?q=1#frag", "http://shop.example/b/?q=1"),
    ("https://shop.example:443", "https://shop.example/"),
    ("https://shop.example:8443/x/", "https://shop.example:8443/x/"),
    ("https://shop.example/x", "https://shop.example/x"),  # no trailing slash added
    ("mailto:a@b.example", None), ("javascript:void(0)", None), ("http://h:99999/", None),
])
def test_url_normalisation(url: str, expected: str | None) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(("href", "expected"), [
    ("/a/b.html?page=2#top", "https://shop.example:8443/a/b.html?page=2"),
    ("/a/../b", "https://shop.example:8443/b"), ("/a?#", "https://shop.example:8443/a"),
    ("/a;v=1", "https://shop.example:8443/a;v=1"), ("  /a b  ", "https://shop.example:8443/a b"),
    ("//other.example/x", "https://other.example/x"), ("c", "https://shop.example:8443/dir/c"),
    ("https://other.example", "https://other.example/"),
    ("https://other.example/a?b=1#x", "https://other.example/a?b=1"),
    ("HTTPS://u@Other.Example:443/a", "https://other.example/a"),
])
def test_links_resolve_against_the_page_url(href: str, expected: str) -> None:
    # Plain root paths and URLs take a short cut (origin + path); every form must agree.
    base = "HTTPS://user@Shop.Example:8443/dir/page?q=1#frag"
    assert normalize_url(href, base) == expected


def test_relative_links_need_a_web_page_to_resolve_against() -> None:
    assert normalize_url("/a/b.html", "mailto:a@b.example") is None
    assert normalize_url("c", "mailto:a@b.example") is None


def test_site_scope_ignores_www_and_scheme_not_subdomains() -> None:
    assert site_key("https://www.shop.example/a") == site_key("http://shop.example/b")
    assert site_key("https://blog.shop.example/") != site_key("https://shop.example/")
    assert site_key("http://127.0.0.1:8000/") != site_key("http://127.0.0.1:8001/")


def test_groups_by_first_directory() -> None:
    assert [url_group(u) for u in ("https://s.example/", "https://s.example/about",
                                   "https://s.example/product/1", "https://s.example/a/b/c")] \
        == ["/", "/*", "/product/*", "/a/*"]


def test_page_facts_from_html_and_headers() -> None:
    facts = read_page(
        '<html><head><base href="/shop/"><title> A  title </title>'
        '<meta name="description" content="Desc"><meta name="ROBOTS" content="noindex">'
        '<link rel="canonical" href="item"><link rel="alternate" hreflang="de" href="/de/">'
        '</head><body><nav>menu words</nav><a href="x#f">x</a><a href="x">again</a>'
        '<a rel="nofollow" href="https://other.example/">o</a><p>One two three.</p></body></html>',
        "https://s.example/page", {"link": '<https://s.example/h>; rel="canonical"'})
    assert facts.title == "A title" and facts.meta_description == "Desc"
    assert facts.meta_robots == "noindex"
    assert facts.canonicals == ["https://s.example/h", "https://s.example/shop/item"]
    assert facts.hreflang == {"de": "https://s.example/de/"}
    assert facts.links == ["https://s.example/shop/x", "https://other.example/"]
    assert facts.word_count == 6  # the <nav> is not main text: x, again, o, one, two, three


def test_sitemaps_from_robots_and_xml() -> None:
    assert sitemaps_in_robots("User-agent: *\nsitemap: https://s.example/a.xml # main\n"
                              "Disallow: /x\nSitemap:https://s.example/b.xml") == [
        "https://s.example/a.xml", "https://s.example/b.xml"]
    index = parse_sitemap('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                          "<sitemap><loc> https://s.example/1.xml </loc></sitemap></sitemapindex>")
    assert index.children == ["https://s.example/1.xml"] and index.urls == []
    urlset = parse_sitemap("<urlset><url><loc>https://s.example/</loc></url></urlset>")
    assert urlset.urls == ["https://s.example/"]
    with pytest.raises(ValueError, match="not <urlset>"):
        parse_sitemap("<html><body>not a sitemap</body></html>")


def test_near_duplicates_differ_by_a_few_words_exact_ones_not_at_all() -> None:
    from core.seo.crawl_page import CrawledPage

    words = ("oak chair with a woven seat four straight legs and a back rest carved by hand "
             "in a small workshop that has made furniture for three generations of one family "
             "who still sand every piece twice and oil it before it leaves the bench").split()
    texts = {"a": words, "b": [*words[:-1], "door"],  # one word changed
             "c": words, "d": list(reversed(words)) * 2}  # "c" is an exact copy of "a"

    def page(name: str) -> CrawledPage:
        url = f"https://s.example/guide/{name}"
        html = f"<title>{name}</title><body><p>{' '.join(texts[name])}</p></body>"
        return CrawledPage(url, 1, final_url=url, status_code=200, facts=read_page(html, url))

    findings = {f.id: f.urls for f in find_all([page(n) for n in "abcd"],
                                               CrawlContext("https://s.example/", 4))}
    assert findings["duplicate-content"] == ["https://s.example/guide/a",
                                             "https://s.example/guide/c"]
    assert findings["near-duplicate-content"] == [
        "https://s.example/guide/a", "https://s.example/guide/b", "https://s.example/guide/c"]
