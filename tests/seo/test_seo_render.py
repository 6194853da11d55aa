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
    # Lighthouse asks Chrome), and only the anchor itself counts, not its parent.
    assert fetched.result("crawlable-anchors").verdict == "pass"
    failing = rendered.result("crawlable-anchors")
    assert failing.verdict == "fail"
    assert [e["element"] for e in failing.evidence] == ['<a id="cart">']
