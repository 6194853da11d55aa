"""What fetching or rendering one URL gave, and the rules both use to call an answer a failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

HTML_MEDIA_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome for one URL. A URL that misbehaves never raises: ``error`` says what happened,
    and ``text`` is empty.

    ``attempts`` counts the HTTP requests sent (retries and redirect hops included); ``n_bytes``
    the bytes received over the wire (what the cost ledger bills); ``elapsed_s`` the wall time of
    the whole fetch, retries and politeness waits included. ``redirects`` lists the URLs
    redirected to, in order, and ``redirect_statuses`` the status of the answer that sent each
    (301, 302…). ``retried_after`` says why the last request was sent again (the answer's
    problem: "HTTP 503 Service Unavailable", "timed out after 10 s"), None without retries.
    ``headers`` has lower-case names. ``utf8`` is ``text`` as UTF-8 bytes when the body came as
    valid UTF-8 and was kept as it was (None otherwise): the HTML parser takes those bytes
    instead of encoding ``text`` once more (a tenth of a page's parse).
    """

    url: str
    final_url: str
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    n_bytes: int = 0
    elapsed_s: float = 0.0
    attempts: int = 0
    redirects: list[str] = field(default_factory=list)
    error: str | None = None
    redirect_statuses: list[int] = field(default_factory=list)
    retried_after: str | None = None  # what made the last retry necessary ("HTTP 503 …")
    utf8: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def markup(self) -> str | bytes:
        """The page for the HTML parser: its UTF-8 bytes where the fetcher kept them, else its
        text (``core.scrape.dom.parse_html`` takes either)."""
        return self.text if self.utf8 is None else self.utf8

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def retries(self) -> int:
        """Requests sent again after a failure (the run's "retries" events)."""
        return max(0, self.attempts - 1 - len(self.redirects))


@dataclass(frozen=True, slots=True)
class BrowserAnswer:
    """One request a browser made, answered by the fetcher's own client (``Fetcher.send_for
    _browser``): no redirect followed, the body decoded within ``max_bytes``."""

    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def status_problem(status: int, reason: str = "") -> str | None:
    """``"HTTP 404 Not Found"`` for anything but a 2xx answer, else None."""
    if 200 <= status < 300:
        return None
    return f"HTTP {status} {reason}".rstrip()


def content_type_problem(content_type: str | None) -> str | None:
    """Why a response with this Content-Type is not a page to extract from, or None.

    A missing Content-Type passes: many small servers omit it, and the parser copes with anything.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if not media_type or media_type in HTML_MEDIA_TYPES:
        return None
    return f"not an HTML page (content-type: {media_type})"


def too_large_problem(max_bytes: int) -> str:
    return f"response larger than {max_bytes} bytes"


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date; None when it is
    absent or unreadable. Used by the fetcher and by the model client."""
    value = (value or "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
