"""Every audit, passing and failing, on small pages of our own (audit_response: no network).

Each test reads as an example of the rule: the page (and headers) that passes, the one that
fails, and the evidence the failure carries.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.seo import PageAudit, RobotsFile, audit_response, page_audit_from_dict, \
    page_audit_to_dict
from core.seo.audits.base import AuditResult
from core.seo.audits.crawlability import header_directives, robots_txt_errors
from tests.fixtures.seo.server import FIXTURES

URL = "https://lamps.example/en/oak.html"
ROBOTS_ALLOW_ALL = "User-agent: *\nDisallow:\n"
GOOD = (FIXTURES / "pages" / "good.html").read_text()
BAD = (FIXTURES / "pages" / "bad.html").read_text()


def audit(body: str, *, head: str = "", headers: dict[str, str] | None = None, url: str = URL,
          robots: str | RobotsFile | None = ROBOTS_ALLOW_ALL, html_attrs: str = 'lang="en"',
          **more: Any) -> PageAudit:
    html = f"<!doctype html><html {html_attrs}><head>{head}</head><body>{body}</body></html>"
    return audit_response(url, url, 200, headers or {}, html, robots_txt=robots, **more)


def result(page: PageAudit, audit_id: str) -> AuditResult:
    return page.result(audit_id)


def verdict(page: PageAudit, audit_id: str) -> str:
    return page.result(audit_id).verdict


# -- the fixture pages --------------------------------------------------------------------------

def test_the_good_page_passes_every_audit_that_applies() -> None:
    page = audit_response(URL, URL, 200, {"link": f"<{URL}>; rel=canonical"}, GOOD,
                          robots_txt=ROBOTS_ALLOW_ALL, response_time_ms=120.0)
    assert {r.id: r.verdict for r in page.audits if r.verdict != "pass"} == {}
    assert page.score == 100
    assert page.error is None and page.not_checked == []


def test_the_bad_page_fails_and_says_what_to_fix_first() -> None:
    page = audit_response(URL, URL, 200, {}, BAD, robots_txt=ROBOTS_ALLOW_ALL)
    failed = [r.id for r in page.failed]
    assert failed[0] == "is-crawlable"  # the heaviest weight: the first fix
    assert set(failed) >= {"is-crawlable", "meta-description", "link-text", "crawlable-anchors",
                           "image-alt", "hreflang", "canonical", "structured-data",
                           "title-length", "headings", "word-count", "html-lang", "viewport",
                           "links", "open-graph", "twitter-card", "mixed-content"}
    # all ten weighted audits apply (4.043 + 9 × 1); three pass: title, status, robots.txt
    assert page.score == round(3 / 13.043 * 100) == 23
    assert result(page, "is-crawlable").points_recoverable == round(4.043 / 13.043 * 100, 1)
    assert result(page, "open-graph").points_recoverable == 0.0  # additional checks score 0


# -- is-crawlable -------------------------------------------------------------------------------

@pytest.mark.parametrize("head,headers", [
    ('<meta name="robots" content="index, follow">', {}),
    ('<meta name="bingbot" content="noindex">', {}),  # other bots are not Google
    ("", {"x-robots-tag": "otherbot: noindex"}),
    # Lighthouse 12 fails a page only when every search bot is blocked: Google alone is not
    # enough (googlebot-indexable, beyond Lighthouse, reports it)
    ('<meta name="googlebot" content="noindex, nofollow">', {}),
    ("", {"x-robots-tag": "googlebot: none"}),
    # a bot's own meta tag replaces the generic one for that bot: bingbot may index
    ('<meta name="robots" content="noindex"><meta name="bingbot" content="index">', {}),
    ("", {"x-robots-tag": "unavailable_after: 25 Jun 2999 15:00:00 PST"}),  # not yet
])
def test_is_crawlable_passes(head: str, headers: dict[str, str]) -> None:
    assert verdict(audit("", head=head, headers=headers), "is-crawlable") == "pass"


@pytest.mark.parametrize("head,headers,source", [
    ('<meta name="ROBOTS" content="NoIndex">', {}, "meta"),
    ('<meta name="robots" content="none">', {}, "meta"),
    ("", {"x-robots-tag": "noindex"}, "header"),
    ("", {"x-robots-tag": "unavailable_after: 25 Jun 2010 15:00:00 PST"}, "header"),
])
def test_is_crawlable_fails(head: str, headers: dict[str, str], source: str) -> None:
    failed = result(audit("", head=head, headers=headers), "is-crawlable")
    assert failed.verdict == "fail"
    assert [e["source"] for e in failed.evidence] == [source]


def test_is_crawlable_fails_when_robots_txt_disallows_the_page_for_everyone_or_googlebot() -> None:
    everyone = audit("", robots="User-agent: *\nDisallow: /en/\n")
    google = audit("", robots="User-agent: Googlebot\nDisallow: /en/oak\n")
    other = audit("", robots="User-agent: SomeBot\nDisallow: /\n")
    assert [e["user_agent"] for e in result(everyone, "is-crawlable").evidence] == ["*"]
    assert [e["user_agent"] for e in result(everyone, "googlebot-indexable").evidence] == \
        ["*", "Googlebot"]
    # Google alone: Lighthouse passes (bingbot and others may index); ScrapeDeck's own check
    # (not scored) says Google may not.
    assert verdict(google, "is-crawlable") == "pass"
    assert [e["user_agent"] for e in result(google, "googlebot-indexable").evidence] == \
        ["Googlebot"]
    assert verdict(other, "is-crawlable") == verdict(other, "googlebot-indexable") == "pass"


@pytest.mark.parametrize("head,headers", [
    ('<meta name="googlebot" content="noindex, nofollow">', {}),
    ("", {"x-robots-tag": "googlebot: none"}),
    ("", {"x-robots-tag": "otherbot: nofollow, googlebot: noindex"}),
])
def test_rules_for_google_alone_fail_googlebot_indexable_not_is_crawlable(
        head: str, headers: dict[str, str]) -> None:
    page = audit("", head=head, headers=headers)
    assert verdict(page, "is-crawlable") == "pass"
    assert (verdict(page, "googlebot-indexable"), result(page, "googlebot-indexable").lighthouse) \
        == ("fail", False)


def test_x_robots_tag_directives_are_split_per_user_agent() -> None:
    assert header_directives("noindex, googlebot: nofollow, noarchive") == \
        [(None, "noindex"), ("googlebot", "nofollow, noarchive")]
    assert header_directives("unavailable_after: 2010-01-01") == \
        [(None, "unavailable_after: 2010-01-01")]


# -- document-title, meta-description, http-status-code ---------------------------------------

def test_document_title() -> None:
    assert verdict(audit("", head="<title>Oak lamps</title>"), "document-title") == "pass"
    assert verdict(audit(""), "document-title") == "fail"
    assert result(audit("", head="<title>  \n </title>"), "document-title").details == \
        "The title is empty."


def test_meta_description() -> None:
    ok = '<meta name="Description" content="Oak lamps turned by hand.">'
    assert verdict(audit("", head=ok), "meta-description") == "pass"
    assert verdict(audit(""), "meta-description") == "fail"
    empty = result(audit("", head='<meta name="description" content=" ">'), "meta-description")
    assert (empty.verdict, empty.details) == ("fail", "Description text is empty.")


def test_http_status_code() -> None:
    assert verdict(audit(""), "http-status-code") == "pass"
    not_found = audit_response(URL, URL, 404, {}, GOOD)
    assert verdict(not_found, "http-status-code") == "error"  # Lighthouse stops on 4xx/5xx
    assert not_found.error.startswith("The page answered HTTP 404")


def test_a_response_that_is_not_html_is_not_audited() -> None:
    page = audit_response(URL, URL, 200, {"Content-Type": "application/pdf"}, "%PDF-1.7")
    assert page.error == "The page could not be audited: not an HTML page " \
        "(content-type: application/pdf)."
    assert page.score is None and {r.verdict for r in page.audits} == {"error"}


# -- link-text ----------------------------------------------------------------------------------

def test_link_text_passes_descriptive_and_ignored_links() -> None:
    body = ('<a href="/walnut">Walnut lamps</a><a href="#reviews">click here</a>'
            '<a href="/x" rel="nofollow">more</a><a href="javascript:;">here</a>'
            '<a href="mailto:a@b.example">read more</a><a href="oak.html#top">here</a>')
    assert verdict(audit(body), "link-text") == "pass"


def test_link_text_fails_generic_texts_in_the_text_language() -> None:
    body = ('<a href="/a"> Click  Here </a><a href="/b" lang="es">más información</a>'
            '<a href="/c" lang="de">Start</a><a href="/d" lang="de-AT">weiterlesen</a>'
            '<a href="/e"><span lang="sv">läs mer</span></a>')
    failed = result(audit(body), "link-text")
    assert failed.verdict == "fail"
    assert [(e["text"], e["textLang"]) for e in failed.evidence] == [
        ("Click Here", "en"), ("más información", "es"), ("weiterlesen", "de-AT"),
        ("läs mer", "sv")]  # "Start" is fine in German
    assert failed.details == "4 links found"


# -- crawlable-anchors --------------------------------------------------------------------------

def test_crawlable_anchors_passes() -> None:
    body = ('<a href="/x">x</a><a name="top"></a><a>placeholder</a><a role="button" '
            'onclick="go()">b</a><a href="mailto:javascript:void(0)">m</a>'
            '<a id="top"></a><a href="">same page</a>'
            # an <a id> without href is a fragment target: ignored, even with a listener
            '<a id="shop">x</a><script>document.getElementById("shop").onclick = go;</script>')
    assert verdict(audit(body), "crawlable-anchors") == "pass"


@pytest.mark.parametrize("anchor", [
    '<a href="javascript:void(0)">x</a>', '<a href="javascript: void 0">x</a>',
    '<a href="file:///etc/passwd">x</a>', '<a onclick="window.open(\'/x\')">x</a>',
    '<a onclick="go()">x</a>', '<a onmousedown="go()">x</a>',
    # a listener makes a placeholder a link, whatever it does (Lighthouse 12 has no exception
    # for window.location, and none against window.open: both are listeners)
    '<a onclick="window.location = \'/x\'">x</a>',
    # target/rel… belong to a link: without an href it is a broken one
    '<a target="_blank">x</a>', '<a rel="noopener">x</a>',
    '<a href="http://shop.example:99999/">x</a>', '<a href="https://">x</a>',
    '<a class="shop">x</a><script>document.querySelector(".shop").onclick = go;</script>',
    '<a class="l">x</a><script>document.querySelectorAll(".l")[0]'
    '.addEventListener("click", go)</script>',
])
def test_crawlable_anchors_fails(anchor: str) -> None:
    failed = result(audit(anchor), "crawlable-anchors")
    assert failed.verdict == "fail" and len(failed.evidence) == 1


# -- robots-txt ---------------------------------------------------------------------------------

def test_robots_txt_passes_on_a_valid_file() -> None:
    valid = ("# comment\nUser-agent: *\nAllow: /$\nDisallow: /*.pdf$\nDisallow:\nCrawl-delay: 2\n"
             "Sitemap: https://lamps.example/sitemap.xml\n")
    assert verdict(audit("", robots=valid), "robots-txt") == "pass"


def test_robots_txt_fails_with_each_line_lighthouse_rejects() -> None:
    errors = robots_txt_errors("Disallow: /a\nUser-agent:\nUser-agent: *\nDisallow: a\n"
                               "Allow: /a$b\nSitemap: /sitemap.xml\nSitemap: mailto:x@y.z\n"
                               "Crawl delay 5\nUnknown: x\n")
    assert [(e["line"], e["message"]) for e in errors] == [
        (1, "No user-agent specified"), (2, "No user-agent specified"),
        (4, 'Pattern should either be empty, start with "/" or "*"'),
        (5, '"$" should only be used at the end of the pattern'),
        (6, "Invalid sitemap URL"), (7, "Invalid sitemap URL protocol"),
        (8, "Syntax not understood"), (9, "Unknown directive")]
    assert verdict(audit("", robots="Disallow: /\n"), "robots-txt") == "fail"


def test_robots_txt_by_status() -> None:
    def with_status(status: int | None) -> str:
        return verdict(audit("", robots=RobotsFile("https://lamps.example/robots.txt", status)),
                       "robots-txt")

    assert with_status(404) == "not_applicable"  # no file: nothing to validate
    assert with_status(503) == "fail"
    assert with_status(None) == "fail"  # could not be downloaded
    unreadable = audit("", robots=RobotsFile("https://lamps.example/robots.txt", None,
                                             error="timed out after 5 s"))
    assert unreadable.not_checked == ["is-crawlable: robots.txt could not be read (timed out "
                                      "after 5 s), so its rules were not checked"]


def test_robots_txt_not_given_is_not_checked() -> None:
    page = audit("", robots=None)
    assert verdict(page, "robots-txt") == "not_applicable"
    assert page.not_checked == ["robots-txt: the site's robots.txt was not given"]


# -- image-alt ----------------------------------------------------------------------------------

def test_image_alt() -> None:
    ok = '<img src="a.jpg" alt="Oak lamp"><img src="b.png" alt=""><img src="c" role="none">' \
         '<img src="d" aria-label="Walnut lamp">'
    assert verdict(audit(ok), "image-alt") == "pass"
    failed = result(audit('<img src="a.jpg"><img src="b.jpg" alt="x"><img src="c.jpg" alt=" ">'),
                    "image-alt")
    assert failed.verdict == "fail"
    assert [e["src"] for e in failed.evidence] == ["a.jpg", "c.jpg"]
    assert verdict(audit("<p>no images</p>"), "image-alt") == "not_applicable"



def _notes(page: PageAudit) -> dict[str, str]:
    return {r.id: r.note for r in page.audits if r.note}


def test_no_script_note_without_scripts_that_can_change_the_counts() -> None:
    quiet = ('<img src="a.jpg" alt="Oak lamp"><a href="/x">Oak lamps</a>'
             '<script type="application/ld+json">{"@type": "Product", "image": "<img>"}</script>'
             '<script>var colour = "oak";</script>'
             # a listener the audit reads from the code itself: nothing unknown
             '<a class="buy">Buy</a><script>document.querySelector(".buy")'
             '.addEventListener("click", buy)</script>')
    assert _notes(audit(quiet)) == {}
    # rendered, the scripts ran: the counts are the browser's, so no note either
    assert _notes(audit('<script src="/app.js"></script><img src="a.jpg">', rendered=True)) == {}


@pytest.mark.parametrize(("body", "notes"), [
    ('<script src="/app.js"></script><script src="/ads.js" async></script>',
     {"image-alt": "2 script files", "crawlable-anchors": "2 script files"}),
    ('<div id="g"></div><script>var i = new Image(); document.getElementById("g").append(i)'
     '</script>', {"image-alt": "an inline script builds images"}),
    ("<script>g.innerHTML = '<img src=\"x.png\">'</script>",
     {"image-alt": "an inline script builds images"}),
    ('<script>document.documentElement.classList.remove("no-js")</script>',
     {"image-alt": "an inline script changes classes or styles"}),
    ('<a>Menu</a><script>$("nav a").on("click", open)</script>',
     {"crawlable-anchors": "an inline script attaches event listeners"}),
    ('<a>Menu</a><script>menu.onclick = open</script>',
     {"crawlable-anchors": "an inline script attaches event listeners"}),
])
def test_a_raw_audit_says_when_scripts_can_change_its_count(body: str,
                                                             notes: dict[str, str]) -> None:
    found = _notes(audit(body))
    assert sorted(found) == sorted(notes)
    for audit_id, sign in notes.items():
        assert f"This page runs scripts ({sign})" in found[audit_id]
        assert "Lighthouse runs a page's scripts before it counts" in found[audit_id]
        assert "Render with JavaScript" in found[audit_id]

# -- hreflang -----------------------------------------------------------------------------------

def test_hreflang_passes() -> None:
    head = ('<link rel="alternate" hreflang="de-AT" href="https://lamps.example/at/">'
            '<link rel="alternate" hreflang="X-DEFAULT" href="https://lamps.example/">')
    body = '<link rel="alternate" hreflang="nonsense" href="/x">'  # the body is ignored
    headers = {"link": '<https://lamps.example/fr/>; rel="alternate"; hreflang="fr"'}
    assert verdict(audit(body, head=head, headers=headers), "hreflang") == "pass"
    # No hreflang link at all: Lighthouse passes (nothing is invalid), it does not skip.
    assert verdict(audit(""), "hreflang") == "pass"


def test_hreflang_fails() -> None:
    head = ('<link rel="alternate" hreflang="english" href="https://lamps.example/en/">'
            '<link rel="alternate" hreflang="de" href="/de/">')
    headers = {"link": '<https://lamps.example/qq/>; rel=alternate; hreflang=qq'}
    failed = result(audit("", head=head, headers=headers), "hreflang")
    assert [(e["hreflang"], e["source"], e["reasons"]) for e in failed.evidence] == [
        ("english", "head", ["Unexpected language code"]),
        ("de", "head", ["Relative href value"]),
        ("qq", "headers", ["Unexpected language code"])]


# -- canonical ----------------------------------------------------------------------------------

def test_canonical_passes() -> None:
    same = f'<link rel="canonical" href="{URL}">'
    header = {"link": "<https://shop.lamps.example/oak>; rel=canonical"}  # same domain
    assert verdict(audit("", head=same, headers={"link": f"<{URL}>; rel=canonical"}),
                   "canonical") == "pass"
    assert verdict(audit("", headers=header), "canonical") == "pass"
    assert verdict(audit('<link rel="canonical" href="/x">'), "canonical") == "not_applicable"


@pytest.mark.parametrize("head,headers,explanation", [
    ('<link rel="canonical" href="https://lamps.example/a"><link rel="canonical" '
     'href="https://lamps.example/b">', {}, "Multiple conflicting URLs "
     "(https://lamps.example/a, https://lamps.example/b)"),
    ('<link rel="canonical" href="https://lamps.example:99999/">', {},
     "Invalid URL (https://lamps.example:99999/)"),
    ('<link rel="canonical" href="/en/oak.html">', {}, "Is not an absolute URL (/en/oak.html)"),
    ('<link rel="canonical" href="https://lamps.example/">', {},
     "Points to the domain's root URL (the homepage), instead of an equivalent page of content"),
    ('<link rel="canonical" href="https://lamps.example/de/oak.html">'
     f'<link rel="alternate" hreflang="en" href="{URL}">'
     '<link rel="alternate" hreflang="de" href="https://lamps.example/de/oak.html">', {},
     f"Points to another hreflang location ({URL})"),
])
def test_canonical_fails(head: str, headers: dict[str, str], explanation: str) -> None:
    failed = result(audit("", head=head, headers=headers), "canonical")
    assert (failed.verdict, failed.details) == ("fail", explanation)


# -- structured-data ----------------------------------------------------------------------------

def _json_ld(text: str) -> str:
    return f'<script type="application/ld+json">{text}</script>'


def test_structured_data() -> None:
    ok = _json_ld('{"@context": "https://schema.org", "@graph": [{"@type": "Organization", '
                  '"name": "Lamp Workshop"}, {"@type": "WebSite", "url": "https://l.example"}]}')
    assert verdict(audit("", head=ok), "structured-data") == "pass"
    assert verdict(audit(""), "structured-data") == "not_applicable"
    broken = result(audit("", head=_json_ld('{"@type": "Product",}')), "structured-data")
    assert broken.verdict == "fail" and "invalid JSON" in broken.evidence[0]["problem"]
    incomplete = result(audit("", head=_json_ld('{"@context": "http://schema.org", '
                                                '"@type": "Event", "name": "Fair"}')),
                        "structured-data")
    assert incomplete.evidence == [{"block": 1, "type": "Event",
                                    "problem": "missing required startDate, location"}]
    bad_graph = result(audit("", head=_json_ld('{"@context": "https://schema.org", '
                                               '"@graph": 5}')), "structured-data")
    assert bad_graph.evidence == [{"block": 1, "problem": "@graph is not a list of items"}]
    no_context = result(audit("", head=_json_ld('{"@type": "Thing"}')), "structured-data")
    assert no_context.evidence == [{"block": 1, "problem": "no schema.org @context"}]


def test_structured_data_with_numbers_json_has_not_is_invalid_json() -> None:
    # Python's reader takes NaN and reads 1e999 as infinity; Google's does not, and neither
    # could be stored in the report. An integer of 5,000 digits is refused by Python itself.
    for number, said in (("NaN", "NaN is not a JSON value"),
                         ("1e999", "the number 1e999 is beyond what JSON stores"),
                         ("1" * 5000, "Exceeds the limit (4300 digits)")):
        broken = result(audit("", head=_json_ld(
            '{"@context": "https://schema.org", "@type": "Product", "name": "Rug", '
            f'"offers": {{"price": {number}}}}}')), "structured-data")
        assert broken.verdict == "fail", number[:10]
        assert said in broken.evidence[0]["problem"] and "invalid JSON" in \
            broken.evidence[0]["problem"]
    assert result(audit(""), "structured-data").weight == 0  # Lighthouse's weight: score unchanged


# -- additional checks --------------------------------------------------------------------------

def test_title_and_description_lengths() -> None:
    fine = audit("", head="<title>Handmade oak table lamps</title>"
                 '<meta name="description" content="' + "Oak lamps turned by hand. " * 3 + '">')
    assert verdict(fine, "title-length") == verdict(fine, "meta-description-length") == "pass"
    long = audit("", head="<title>" + "Oak lamp " * 10 + "</title>"
                 '<meta name="description" content="Oak.">')
    assert verdict(long, "title-length") == verdict(long, "meta-description-length") == "fail"
    assert result(long, "title-length").evidence[0]["length"] == 89
    assert verdict(audit(""), "title-length") == "not_applicable"


def test_headings() -> None:
    assert verdict(audit("<h1>Lamps</h1><h2>Oak</h2><h3>Finish</h3><h2>Walnut</h2>"),
                   "headings") == "pass"
    failed = result(audit("<h1>Lamps</h1><h1>Again</h1><h2>Oak</h2><h4>Skip</h4>"), "headings")
    assert [p["problem"] for p in failed.evidence] == ["2 <h1> elements (expected 1)",
                                                       "<h2> followed by <h4>"]
    assert verdict(audit("<p>text</p>"), "headings") == "fail"  # no h1


def test_word_count_ignores_scripts_and_styles() -> None:
    words = "lamp " * 200
    assert verdict(audit(f"<p>{words}</p>"), "word-count") == "pass"
    thin = result(audit(f"<p>Few words.</p><script>var a = '{words}';</script>"), "word-count")
    assert (thin.verdict, thin.evidence[0]["words"]) == ("fail", 2)


def test_html_lang() -> None:
    assert verdict(audit("", html_attrs='lang="zh-Hans-TW"'), "html-lang") == "pass"
    assert verdict(audit("", html_attrs=""), "html-lang") == "fail"
    assert verdict(audit("", html_attrs='lang="english"'), "html-lang") == "fail"


def test_viewport() -> None:
    ok = '<meta name="viewport" content="width=device-width, initial-scale=1">'
    assert verdict(audit("", head=ok), "viewport") == "pass"
    assert verdict(audit(""), "viewport") == "fail"
    assert verdict(audit("", head='<meta name="viewport" content="user-scalable=no">'),
                   "viewport") == "fail"


def test_links_counts_internal_external_and_nofollow() -> None:
    body = ('<a href="/a">A</a><a href="https://lamps.example/b#x">B</a>'
            '<a href="https://wood.example/">Wood</a><a href="/c" rel="nofollow">C</a>')
    page = audit(body)
    assert page.facts["links"] == {
        "internal": ["https://lamps.example/a", "https://lamps.example/b"],
        "external": ["https://wood.example/"], "nofollow": ["https://lamps.example/c"]}
    assert verdict(page, "links") == "fail"  # an internal link is nofollow
    assert verdict(audit('<a href="/a">A</a>'), "links") == "pass"
    assert verdict(audit('<a href="https://wood.example/">W</a>'), "links") == "fail"


def test_open_graph_and_twitter_card() -> None:
    og = "".join(f'<meta property="og:{p}" content="x">' for p in ("title", "type", "image", "url"))
    shared = audit("", head=og + '<meta name="twitter:card" content="summary">')
    assert verdict(shared, "open-graph") == verdict(shared, "twitter-card") == "pass"
    bare = audit("", head='<meta property="og:title" content="x">')
    assert result(bare, "open-graph").evidence[0]["missing"] == ["og:type", "og:image", "og:url"]
    assert verdict(bare, "twitter-card") == "fail"


def test_mixed_content() -> None:
    assert verdict(audit('<img src="https://cdn.example/a.jpg" alt="">'), "mixed-content") == "pass"
    failed = result(audit('<img src="http://cdn.example/a.jpg" alt=""><link rel="stylesheet" '
                          'href="http://cdn.example/s.css"><a href="http://x.example">ok</a>'),
                    "mixed-content")
    assert failed.evidence == [{"element": "img", "url": "http://cdn.example/a.jpg"},
                               {"element": "link", "url": "http://cdn.example/s.css"}]
    http_page = audit('<img src="http://cdn.example/a.jpg">', url="http://lamps.example/")
    assert verdict(http_page, "mixed-content") == "not_applicable"


def test_response_time_page_weight_and_redirects() -> None:
    assert verdict(audit("", response_time_ms=300.0), "response-time") == "pass"
    assert verdict(audit("", response_time_ms=2400.0), "response-time") == "fail"
    assert verdict(audit(""), "response-time") == "not_applicable"
    assert verdict(audit("", page_bytes=40_000), "page-weight") == "pass"
    assert verdict(audit("", page_bytes=900_000), "page-weight") == "fail"
    one = audit("", redirects=["https://lamps.example/en/oak.html"])
    chain = audit("", redirects=["https://lamps.example/oak", "https://lamps.example/en/oak.html"])
    assert verdict(one, "redirects") == "pass"
    assert result(chain, "redirects").evidence[0]["hops"] == 2 and \
        verdict(chain, "redirects") == "fail"


# -- the report ---------------------------------------------------------------------------------

def test_every_audit_has_an_id_weight_and_recommendation() -> None:
    page = audit("")
    lighthouse = [r.id for r in page.audits if r.lighthouse]
    assert lighthouse == ["is-crawlable", "document-title", "meta-description",
                          "http-status-code", "link-text", "crawlable-anchors", "robots-txt",
                          "image-alt", "hreflang", "canonical", "structured-data"]
    assert all(r.recommendation and r.title and r.weight >= 0 for r in page.audits)
    assert len({r.id for r in page.audits}) == len(page.audits)


def test_a_page_audit_round_trips_through_json() -> None:
    import json

    page = audit_response(URL, URL, 200, {}, BAD, robots_txt=ROBOTS_ALLOW_ALL)
    doc = json.loads(json.dumps(page_audit_to_dict(page)))
    assert page_audit_from_dict(doc) == page


def test_facts_for_the_crawler() -> None:
    page = audit_response(URL, URL, 200, {"x-robots-tag": "noindex"}, GOOD,
                          robots_txt=ROBOTS_ALLOW_ALL)
    facts = page.facts
    assert facts["indexable"] is False and facts["x_robots_tag"] == "noindex"
    assert facts["canonical"] is None
    assert [h["hreflang"] for h in facts["hreflang"]] == ["en-GB", "de", "x-default"]
    assert facts["structured_data_types"] == ["Product"]  # top-level items
    assert facts["word_count"] > 200 and facts["lang"] == "en-GB"


def test_a_canonical_on_another_domain_passes_lighthouse_and_fails_the_domain_check() -> None:
    # Lighthouse 12 has no "different domain" rule; ScrapeDeck's own check, not scored, keeps it.
    page = audit("", headers={"link": "<https://other.example/oak>; rel=canonical"})
    assert verdict(page, "canonical") == "pass"
    domain = result(page, "canonical-domain")
    assert (domain.verdict, domain.lighthouse) == ("fail", False)
    assert domain.details == "Points to a different domain (https://other.example/oak)"


def test_an_svg_title_is_not_the_document_title() -> None:
    # document.title reads the first HTML <title>; an icon's <title> inside <svg> is not one
    page = audit('<svg><title>Arrow</title></svg>', head="")
    assert verdict(page, "document-title") == "fail"


@pytest.mark.parametrize("code,verdict_expected", [
    ("de", "pass"), ("de-AT", "pass"), ("iw", "pass"),  # deprecated, still registered
    ("deu", "fail"), ("eng", "fail"),  # ISO 639-2 for a language that has a 2-letter subtag
])
def test_hreflang_accepts_exactly_lighthouses_language_codes(code: str,
                                                             verdict_expected: str) -> None:
    head = f'<link rel="alternate" hreflang="{code}" href="https://lamps.example/x/">'
    assert verdict(audit("", head=head), "hreflang") == verdict_expected
