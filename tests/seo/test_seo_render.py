"""``--render``: audit the DOM after scripts ran, in real Chromium.

Skipped when no Chromium can start, unless REQUIRE_BROWSER_TESTS is set: then it fails.
"""

from __future__ import annotations

import asyncio

from core.scrape.fetch import Fetcher
from core.seo import PageAudit, audit_url_async
from tests.conftest import chromium_or_skip
from tests.fixtures.seo.server import SeoServer
from tests.seo.conftest import local_options


def _audit(url: str, *, render: bool) -> PageAudit:
    async def main() -> PageAudit:
        async with Fetcher(local_options(timeout=20.0)) as fetcher:
            return await audit_url_async(url, render=render, fetcher=fetcher)

    with chromium_or_skip():
        return asyncio.run(main())


def test_a_title_set_by_javascript_counts_only_when_rendered(seo_server: SeoServer) -> None:
    url = seo_server.url("/pages/js-title.html")
    fetched, rendered = _audit(url, render=False), _audit(url, render=True)

    assert fetched.result("document-title").verdict == "fail"
    assert fetched.result("meta-description").verdict == "fail"
    assert rendered.result("document-title").verdict == "pass"
    assert rendered.result("meta-description").verdict == "pass"
    assert rendered.title == "Lamps built by JavaScript"
    assert rendered.facts["rendered"] is True and rendered.status_code == 200
    # the browser's load time is not the server's response time
    assert fetched.result("response-time").verdict == "pass"
    assert rendered.result("response-time").verdict == "not_applicable"
    assert rendered.not_checked[0].startswith("response-time: the page was rendered")


def test_listeners_from_script_files_are_seen_when_rendered(seo_server: SeoServer) -> None:
    url = seo_server.url("/pages/listeners.html")
    fetched, rendered = _audit(url, render=False), _audit(url, render=True)

    # Served HTML cannot show a listener attached by a script file; the rendered DOM can (as
    # Lighthouse asks Chrome). A listener on a parent counts too (Lighthouse 12.8.2's
    # ancestorListeners), so the placeholder in the <nav> fails; the one outside passes. (An
    # <a id> without href would be ignored: a fragment target.)
    assert fetched.result("crawlable-anchors").verdict == "pass"
    failing = rendered.result("crawlable-anchors")
    assert failing.verdict == "fail"
    assert [(e["element"], e["text"]) for e in failing.evidence] == [
        ("<a>", "Placeholder in a listened-to parent"), ('<a class="cart">', "Cart")]


def _counted(audit: PageAudit, audit_id: str) -> tuple[str, list[str]]:
    result = audit.result(audit_id)
    return result.verdict, [e["element"] for e in result.evidence]


def test_images_a_script_inserts_are_counted_when_rendered(seo_server: SeoServer) -> None:
    url = seo_server.url("/pages/script-images.html")
    fetched, rendered = _audit(url, render=False), _audit(url, render=True)

    # As served: one image, with alt; the note says a script builds more.
    assert _counted(fetched, "image-alt") == ("pass", [])
    note = fetched.result("image-alt").note
    assert "an inline script builds images" in note and "Render with JavaScript" in note
    # Rendered: the two images the script added, without alt, as Lighthouse counts them.
    assert _counted(rendered, "image-alt") == (
        "fail", ['<img src="/pages/brass.png">', '<img src="/pages/steel.png">'])
    assert rendered.result("image-alt").note == ""


def test_listeners_from_a_script_file_are_counted_as_chrome_reports_them(
        seo_server: SeoServer) -> None:
    url = seo_server.url("/pages/script-links.html")
    fetched, rendered = _audit(url, render=False), _audit(url, render=True)

    assert _counted(fetched, "crawlable-anchors") == ("pass", [])
    assert "1 script file" in fetched.result("crawlable-anchors").note
    # addEventListener, an onclick property, and a listener added 300 ms after load count;
    # one added and removed again does not (Chrome reports the listeners still attached).
    assert _counted(rendered, "crawlable-anchors") == (
        "fail", ['<a class="cart">', '<a class="compare">', '<a class="later">'])
    assert rendered.result("crawlable-anchors").note == ""


def test_a_style_a_script_removes_and_a_style_sheet_file_count_when_rendered(
        seo_server: SeoServer) -> None:
    url = seo_server.url("/pages/script-styles.html")
    fetched, rendered = _audit(url, render=False), _audit(url, render=True)

    # As served, the <style> the inline script removes by its id is not read either (the
    # pictures count, as in the browser), but the file's phone rule is not read: the banner
    # counts too.
    assert _counted(fetched, "image-alt") == ("fail", [
        '<img src="/pages/oak.png">', '<img src="/pages/brass.png">',
        '<img class="wide-only" src="/pages/banner.png">'])
    note = fetched.result("image-alt").note
    assert "(an inline script changes classes or styles)" in note  # no script file

    # Rendered on Lighthouse's phone screen: the style is gone, the banner is hidden.
    assert _counted(rendered, "image-alt") == (
        "fail", ['<img src="/pages/oak.png">', '<img src="/pages/brass.png">'])
