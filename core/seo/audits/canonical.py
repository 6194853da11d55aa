"""canonical: Lighthouse's rules (core/audits/seo/canonical.js), in Lighthouse's order.

Only ``<link rel=canonical>`` in the head and ``Link: <…>; rel=canonical`` count (the rel attribute
lower-cased but not trimmed, as Lighthouse compares it). The audit fails when a canonical URL is invalid,
relative, when several disagree, when it points to another language version (both it and this
page are hreflang alternates), or to the root of this origin from a page that is not the root.
No canonical: not applicable.

Lighthouse 12 has no rule about the canonical URL's domain (older versions had one); ScrapeDeck
keeps it as its own check, ``canonical-domain``, beyond Lighthouse and not scored.
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


def _different_domains(a: str, b: str) -> bool:
    """On different registered domains. Hosts whose last two labels differ (or an IP address
    against a name) are, without loading the public-suffix list (~0.2 s)."""
    host_a, host_b = ((urlsplit(u).hostname or "").lower() for u in (a, b))
    if host_a.split(".")[-2:] != host_b.split(".")[-2:]:
        return True
    return primary_domain(a) != primary_domain(b)


def _is_absolute(href: str) -> bool:
    parts = urlsplit(href.strip())
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))


def canonical_urls(page: Page) -> tuple[list[str], list[dict[str, str]]]:
    """(the distinct valid canonical URLs, the invalid or relative ones with why)."""
    unique: dict[str, None] = {}
    bad: list[dict[str, str]] = []
    for link in page.link_elements:
        if link.source == "body" or link.rel_raw != "canonical" or not link.href_raw:
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
       recommendation="Declare one absolute canonical URL pointing to the preferred version "
       "of this page (not the home page, not another language version).")
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
                  if link.source != "body" and link.rel_raw == "alternate" and link.href
                  and link.hreflang}
    evidence = [{"canonical": target}]
    if base in alternates and target in alternates and base != target:
        return failed(f"Points to another hreflang location ({base})", evidence)
    target_parts, base_parts = urlsplit(target), urlsplit(base)
    same_origin = (target_parts.scheme, target_parts.netloc) == (base_parts.scheme,
                                                                 base_parts.netloc)
    if same_origin and target_parts.path in ("", "/") and base_parts.path not in ("", "/"):
        return failed("Points to the domain's root URL (the homepage), instead of an "
                      "equivalent page of content", evidence)
    return passed(f"Canonical URL: {target}", evidence)


@audit("canonical-domain", title="The canonical URL is on this page's domain", group="canonical",
       weight=1,
       recommendation="Point the canonical URL to this site unless the content really lives "
       "elsewhere: a canonical on another domain asks search engines to index that site's page "
       "instead of this one.")
def canonical_domain(page: Page) -> Outcome:
    """Beyond Lighthouse (not scored): the one canonical URL is on another registered domain."""
    target = canonical_url(page)
    if target is None:
        return not_applicable("The page declares no single valid canonical URL.")
    base = page.location
    if not _same_host(target, base) and _different_domains(target, base):
        return failed(f"Points to a different domain ({target})", [{"canonical": target}])
    return passed(f"Canonical URL on this site: {target}", [{"canonical": target}])
