"""canonical: Lighthouse's rules (core/audits/seo/canonical.js), in Lighthouse's order.

Only ``<link rel=canonical>`` in the head and ``Link: <…>; rel=canonical`` count. The audit fails
when a canonical URL is invalid, relative, when several disagree, when it points to another
language version (both it and this page are hreflang alternates), to another registered domain,
or to the root of this origin from a page that is not the root. No canonical: not applicable.
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

from core.seo.audits.base import Outcome, audit, failed, not_applicable, passed
from core.seo.page import Page


@functools.cache
def _extractor():  # type: ignore[no-untyped-def]
    import tldextract

    # suffix_list_urls=(): the public-suffix list bundled with tldextract, never the network.
    return tldextract.TLDExtract(suffix_list_urls=())


def primary_domain(url: str) -> str:
    """The registered domain ("shop.example.co.uk" → "example.co.uk"); hosts without one
    (localhost, IP addresses) stand for themselves."""
    host = (urlsplit(url).hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    found = _extractor()(host).top_domain_under_public_suffix
    # A suffix not on the public list (".example", ".internal"): the last two labels, as
    # Lighthouse's getRootDomain does for a top-level domain it does not know.
    return found or ".".join(host.split(".")[-2:])


def _same_host(a: str, b: str) -> bool:
    """Same host name: same registered domain without loading the suffix list (~0.2 s)."""
    return (urlsplit(a).hostname or "").lower() == (urlsplit(b).hostname or "").lower()


def _is_absolute(href: str) -> bool:
    parts = urlsplit(href.strip())
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))


def canonical_urls(page: Page) -> tuple[list[str], list[dict[str, str]]]:
    """(the distinct valid canonical URLs, the invalid or relative ones with why)."""
    unique: dict[str, None] = {}
    bad: list[dict[str, str]] = []
    for link in page.link_elements:
        if link.source == "body" or link.rel != "canonical" or not link.href_raw:
            continue
        if link.href is None:
            bad.append({"href": link.href_raw, "source": link.source, "problem": "invalid"})
        elif not _is_absolute(link.href_raw):
            bad.append({"href": link.href_raw, "source": link.source, "problem": "relative"})
        else:
            unique[link.href] = None
    return list(unique), bad


def canonical_url(page: Page) -> str | None:
    """The page's one canonical URL, or None when it has none (or several)."""
    urls, bad = canonical_urls(page)
    return urls[0] if len(urls) == 1 and not bad else None


@audit("canonical", title="Document has a valid rel=canonical", group="canonical", lighthouse=True,
       recommendation="Declare one absolute canonical URL, on this site, pointing to the "
       "preferred version of this page (not the home page, not another language version).")
def canonical(page: Page) -> Outcome:
    urls, bad = canonical_urls(page)
    invalid = [b for b in bad if b["problem"] == "invalid"]
    if invalid:
        return failed(f"Invalid URL ({invalid[-1]['href']})", invalid)
    if bad:
        return failed(f"Is not an absolute URL ({bad[-1]['href']})", bad)
    if not urls:
        return not_applicable("The page declares no canonical URL.")
    if len(urls) > 1:
        return failed(f"Multiple conflicting URLs ({', '.join(urls)})",
                      [{"canonical": u} for u in urls])
    target, base = urls[0], page.location
    alternates = {link.href for link in page.link_elements
                  if link.source != "body" and link.rel == "alternate" and link.href
                  and link.hreflang}
    evidence = [{"canonical": target}]
    if base in alternates and target in alternates and base != target:
        return failed(f"Points to another hreflang location ({base})", evidence)
    if not _same_host(target, base) and primary_domain(target) != primary_domain(base):
        return failed(f"Points to a different domain ({target})", evidence)
    target_parts, base_parts = urlsplit(target), urlsplit(base)
    same_origin = (target_parts.scheme, target_parts.netloc) == (base_parts.scheme,
                                                                 base_parts.netloc)
    if same_origin and target_parts.path in ("", "/") and base_parts.path not in ("", "/"):
        return failed("Points to the domain's root URL (the homepage), instead of an "
                      "equivalent page of content", evidence)
    return passed(f"Canonical URL: {target}", evidence)
