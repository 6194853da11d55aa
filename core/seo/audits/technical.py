"""Transport: mixed content, response time, page weight, redirects."""

from __future__ import annotations

from core.seo.audits.base import Outcome, audit, not_applicable, verdict_of
from core.seo.page import Page

# web.dev's "good" time to first byte is 0.8 s; this is the whole HTML response, so a little more.
MAX_RESPONSE_MS = 1000.0
# Lighthouse's total-byte-weight warns from 1,600 KiB for a page with all its resources; the HTML
# alone past 500 KB is slow to parse on phones (Google indexes up to 15 MB, but slowly).
MAX_PAGE_BYTES = 500_000
MAX_REDIRECTS = 1  # one hop (http → https, or adding a slash) is normal; chains waste crawls

# Elements that load a subresource, and the attribute holding its URL.
_SUBRESOURCES = (("img", "src"), ("script", "src"), ("iframe", "src"), ("audio", "src"),
                 ("video", "src"), ("source", "src"), ("embed", "src"), ("object", "data"),
                 ("link[rel~=stylesheet]", "href"), ("link[rel~=icon]", "href"))


@audit("mixed-content", title="HTTPS page loads no HTTP resources", group="technical",
       weight=1,
       recommendation="Load every image, script, style and frame over https://: browsers block "
       "or flag insecure resources on secure pages.")
def mixed_content(page: Page) -> Outcome:
    if not page.is_https:
        return not_applicable("The page is not served over HTTPS.")
    failing = []
    for selector, attribute in _SUBRESOURCES:
        for node in page.tree.css(selector):
            value = (node.attributes.get(attribute) or "").strip()
            if value.lower().startswith("http://"):
                failing.append({"element": node.tag, "url": value})
    return verdict_of(not failing, "No insecure resources.",
                      f"{len(failing)} resource(s) loaded over http://.", failing)


@audit("response-time", title="The server answers quickly", group="technical", weight=1,
       recommendation="Answer the HTML within a second (caching, a CDN, less work per request):"
       " slow pages are crawled less and lose visitors.")
def response_time(page: Page) -> Outcome:
    if page.response_time_ms is None:
        return not_applicable("The response time was not measured.")
    ms = round(page.response_time_ms)
    return verdict_of(page.response_time_ms <= MAX_RESPONSE_MS, f"{ms} ms.",
                      f"The page took {ms} ms (more than {MAX_RESPONSE_MS:g} ms).",
                      [{"response_time_ms": ms, "limit_ms": MAX_RESPONSE_MS}])


@audit("page-weight", title="The HTML is not too heavy", group="technical", weight=0.5,
       recommendation="Keep the HTML under 500 KB: move inline data, styles and scripts to "
       "cached files and paginate very long lists.")
def page_weight(page: Page) -> Outcome:
    size = page.page_bytes if page.page_bytes is not None else len(page.html.encode())
    return verdict_of(size <= MAX_PAGE_BYTES, f"{size:,} bytes.",
                      f"The HTML is {size:,} bytes (more than {MAX_PAGE_BYTES:,}).",
                      [{"bytes": size, "limit": MAX_PAGE_BYTES}])


@audit("redirects", title="No redirect chain", group="technical", weight=0.5,
       recommendation="Link straight to the final URL; replace redirect chains by one redirect "
       "to the destination.")
def redirects(page: Page) -> Outcome:
    chain = [page.url, *page.redirects]
    hops = len(page.redirects)
    return verdict_of(hops <= MAX_REDIRECTS,
                      "No redirect." if not hops else f"One redirect: {' → '.join(chain)}.",
                      f"{hops} redirects: {' → '.join(chain)}.",
                      [{"chain": chain, "hops": hops}] if hops else [])
