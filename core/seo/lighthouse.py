"""Lighthouse's SEO category as its default config defines it (core/config/default-config.js,
category ``seo``): the audits, in report order, and their weights.

is-crawlable weighs 4.043 — as much as four other audits and a little more, so that a page
blocked from indexing scores 69 or less whatever else it does; structured-data is a manual
audit, weight 0; every other one weighs 1.
"""

from __future__ import annotations

LIGHTHOUSE_WEIGHTS: dict[str, float] = {
    "is-crawlable": 4.043, "document-title": 1, "meta-description": 1, "http-status-code": 1,
    "link-text": 1, "crawlable-anchors": 1, "robots-txt": 1, "image-alt": 1, "hreflang": 1,
    "canonical": 1, "structured-data": 0,
}
LIGHTHOUSE_ORDER: tuple[str, ...] = tuple(LIGHTHOUSE_WEIGHTS)

LIGHTHOUSE_VERSION = "12.8.2"  # the version the audits follow and bench/seo_lighthouse.py runs

# What can still make a verdict or a failing-item count differ from Lighthouse's on a real page
# (measured with bench/seo_lighthouse.py), in words, for the audit page.
KNOWN_DIFFERENCES: tuple[str, ...] = (
    "Scripts. Lighthouse runs the page's scripts; ScrapeDeck reads the HTML as served unless "
    "the page is rendered with JavaScript. As served, it reads what a script writes with "
    "document.write and the click handlers an inline script attaches by selector, but not "
    "what other scripts add, remove or change: an image or link a script inserts, a listener "
    "attached from a script file, a style a script removes, a page a script navigates away "
    "from. On such pages the image-alt and crawlable-anchors audits say so, and their counts "
    "can differ from Lighthouse's. Rendered with JavaScript, the page is loaded as Lighthouse "
    "loads it (its phone screen, a moment to settle after loading), every listener any script "
    "attaches is recorded, and what the browser does not show is read from the browser, so "
    "the counts are Lighthouse's.",
    "Style sheets. Images and link text hidden by the page's own <style> rules on "
    "Lighthouse's emulated phone screen (412 px wide: display none, visibility hidden) are "
    "left out as Lighthouse leaves them out, except a <style> that an inline script removes "
    "(a sheet that hides the page until it has loaded). Read as served, style sheets in "
    "separate files are not fetched, so an image hidden only by one of them is still "
    "checked, and a descendant that sets visibility back to visible stays hidden "
    "(rendered with JavaScript, every style sheet counts as the browser applies it). A link "
    "hidden by visibility: hidden is read with its whole text, as one hidden by display: "
    "none is; Chrome's innerText gives the first as empty, so a generic text there "
    "(\"read more\") can fail link-text here and not in Lighthouse.",
    "Links with no href. An <a> without href is a placeholder unless Chrome reports an event "
    "listener on it or on an element around it (Lighthouse 12.8.2; Lighthouse 13 looks at "
    "the link alone): then it is an uncrawlable link. Read as served, ScrapeDeck sees the "
    "on… attributes of the link and the elements around it, and a listener an inline script "
    "attaches to the link itself, but not one a script attaches to an element around it "
    "(code that may never run); rendered with JavaScript, it sees every listener.",
    "Structured data. Lighthouse's structured-data audit is manual (weight 0: it never "
    "changes the score); ScrapeDeck's check of the same name validates the JSON-LD, "
    "microdata and RDFa it finds, but like Lighthouse does not count it in the score.",
    "Checks beyond Lighthouse. canonical-domain (a canonical URL on another domain), "
    "googlebot-indexable (rules that keep out Google alone), script-links (window.open in "
    "an onclick) and the other additional checks are ScrapeDeck's own: they are reported "
    "but never change the score, which stays comparable with Lighthouse's.",
)
