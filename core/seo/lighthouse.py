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
