"""robots.txt: fetched once per origin, parsed with protego, asked before every request.

What an answer means follows RFC 9309 (and Google's documented rules, written the same way):

* 2xx: the rules in the file apply (to the group matching our User-Agent, else ``*``);
* 3xx left over after redirects (a loop, too many hops) and 4xx except 429: there are no rules,
  everything is allowed — a site without a robots.txt has not forbidden anything;
* 429, 5xx, and no answer at all (timeout, refused connection, a file larger than the size cap):
  the site is *unreachable* (RFC 9309 §2.3.1.4) and nothing is fetched from it.

A refused page says which it was: "disallowed by robots.txt" only when the site's rules say so;
"unreachable" with the cause (the connection error, or the status robots.txt answered) otherwise,
so a host that is down is never reported as one that forbids us.

Each origin (scheme, host, port) is fetched once for the cache's lifetime — one run — and
concurrent first requests to an origin share that one fetch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from protego import Protego

from core.scrape.result import FetchResult
from core.scrape.urls import origin as url_origin

RobotsLoader = Callable[[str], Awaitable[FetchResult]]  # robots.txt URL → what fetching it gave

_ALLOW_ALL = Protego.parse("")
_DISALLOW_ALL = Protego.parse("User-agent: *\nDisallow: /\n")


class RobotsCache:
    def __init__(self, load: RobotsLoader, user_agent: str) -> None:
        self._load = load
        self._user_agent = user_agent
        self._rules: dict[str, asyncio.Task[tuple[Protego, str | None]]] = {}

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets our User-Agent fetch ``url``."""
        return await self.refusal(url) is None

    async def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be fetched under its site's robots.txt, or None when it may."""
        origin = url_origin(url)
        task = self._rules.get(origin)
        if task is None:
            task = self._rules[origin] = asyncio.create_task(self._fetch_rules(origin))
        rules, unreachable = await task
        if unreachable:
            return f"{unreachable}: {url}"
        return None if rules.can_fetch(url, self._user_agent) else f"disallowed by robots.txt: {url}"

    async def _fetch_rules(self, origin: str) -> tuple[Protego, str | None]:
        result = await self._load(f"{origin}/robots.txt")
        return rules_for(result), unreachable_because(result)


def unreachable_because(result: FetchResult) -> str | None:
    """Why a robots.txt answer makes its site unreachable (RFC 9309), or None when it does not."""
    status = result.status_code
    if status is None:
        return f"site unreachable (robots.txt could not be fetched: {result.error or 'no answer'})"
    if status == 429 or status >= 500:
        return (f"site treated as unreachable (its robots.txt answered HTTP {status}; "
                "RFC 9309: nothing is fetched until it answers)")
    if 200 <= status < 300 and not result.ok:
        return f"site unreachable (robots.txt unreadable: {result.error})"
    return None


def rules_for(result: FetchResult) -> Protego:
    """The rules a robots.txt fetch result stands for (see the module docstring)."""
    if unreachable_because(result):
        return _DISALLOW_ALL
    if 200 <= (result.status_code or 0) < 300:
        return Protego.parse(result.text)
    return _ALLOW_ALL
