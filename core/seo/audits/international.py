"""hreflang: Lighthouse's rules (core/audits/seo/hreflang.js).

A page without any such link passes (Lighthouse's verdict: nothing is invalid). Each
``rel=alternate`` link with an ``hreflang``, in the head or the ``Link`` header (links in
the body are ignored, as search engines do), must name a valid language — ``x-default`` or a
tag whose first subtag is an ISO 639 code; only that subtag is checked — and point to a fully
qualified URL (starting with http: or https:).
"""

from __future__ import annotations

from core.seo.audits.base import Outcome, audit, passed, verdict_of
from core.seo.languages import is_valid_language
from core.seo.page import LinkElement, Page

NO_LANGUAGE = "x-default"


def is_valid_hreflang(hreflang: str) -> bool:
    if hreflang.lower() == NO_LANGUAGE:
        return True
    return is_valid_language(hreflang.split("-")[0])


def is_fully_qualified(href: str) -> bool:
    return href.lower().startswith(("http:", "https:"))


def hreflang_links(page: Page) -> list[LinkElement]:
    return [link for link in page.link_elements
            if link.rel_raw == "alternate" and link.hreflang and link.source != "body"]


@audit("hreflang", title="Document has a valid hreflang", group="international", lighthouse=True,
       recommendation="Use hreflang values that are language codes (\"de\", \"pt-BR\") or "
       "\"x-default\", each pointing to an absolute URL.")
def hreflang(page: Page) -> Outcome:
    links = hreflang_links(page)
    if not links:
        return passed("The page declares no language alternates, so none is invalid.")
    failing = []
    for link in links:
        reasons = []
        if not is_valid_hreflang(link.hreflang):
            reasons.append("Unexpected language code")
        if not is_fully_qualified(link.href_raw):
            reasons.append("Relative href value")
        if reasons:
            failing.append({"hreflang": link.hreflang, "href": link.href_raw,
                            "source": link.source, "reasons": reasons})
    return verdict_of(not failing, f"{len(links)} valid alternate(s).",
                      f"{len(failing)} invalid hreflang link(s).", failing)
