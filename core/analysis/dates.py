"""The publication date of a page, read by htmldate.

htmldate looks at the markup a page gives for its date (meta tags, JSON-LD, <time>, URL patterns,
date-like text near the title) and prefers the original publication date over the last update.

    >>> publication_date(html)                      # '2024-03-03' or None
    >>> publication_date(html, extensive=False)     # faster, a little less recall

htmldate is imported inside the function: the CLI imports this module and must start fast.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def publication_date(html: str | bytes, url: str | None = None, *,
                     extensive: bool = True) -> str | None:
    """The page's original publication date as ``'YYYY-MM-DD'``, or None when it has none.

    ``url`` helps when the address carries the date (``/2024/03/03/…``). ``extensive`` also lets
    htmldate look at free text in the page when the markup says nothing (htmldate's
    ``extensive_search``: more dates found, a few more wrong). Never raises on bad markup.
    """
    from htmldate import find_date

    if not html:
        return None
    try:
        return find_date(html, url=url, original_date=True, extensive_search=extensive,
                         outputformat="%Y-%m-%d")
    except Exception:  # htmldate is robust, but a page must never break the analysis
        log.warning("publication date could not be read from %s", url, exc_info=True)
        return None
