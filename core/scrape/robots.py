"""robots.txt: fetched once per origin, parsed with protego, asked before every request.

What an answer means follows Google's documented rules, which most sites are written against:

* 2xx: the rules in the file apply (to the group matching our User-Agent, else ``*``);
* 3xx left over after redirects (a loop, too many hops) and 4xx except 429: there are no rules,
  everything is allowed — a site without a robots.txt has not forbidden anything;
* 429, 5xx, and no answer at all (timeout, refused connection, a file larger than the size cap):
  everything is disallowed — a server that cannot say what it allows is asking to be left alone.

Each origin (scheme, host, port) is fetched once for the cache's lifetime — one run — and
concurrent first requests to an origin share that one fetch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from protego import Protego

from core.scrape.result import FetchResult

RobotsLoader = Callable[[str], Awaitable[FetchResult]]  # robots.txt URL → what fetching it gave

_ALLOW_ALL = Protego.parse("")
_DISALLOW_ALL = Protego.parse("User-agent: *\nDisallow: /\n")


class RobotsCache:
    def __init__(self, load: RobotsLoader, user_agent: str) -> None:
        self._load = load
        self._user_agent = user_agent
        self._rules: dict[str, asyncio.Task[Protego]] = {}

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets our User-Agent fetch ``url``."""
        origin = _origin(url)
        task = self._rules.get(origin)
        if task is None:
            task = self._rules[origin] = asyncio.create_task(self._fetch_rules(origin))
        return (await task).can_fetch(url, self._user_agent)

    async def _fetch_rules(self, origin: str) -> Protego:
        return rules_for(await self._load(f"{origin}/robots.txt"))


def rules_for(result: FetchResult) -> Protego:
    """The rules a robots.txt fetch result stands for (see the module docstring)."""
    status = result.status_code
    if status is None or status == 429 or status >= 500:
        return _DISALLOW_ALL
    if 200 <= status < 300:
        return Protego.parse(result.text) if result.ok else _DISALLOW_ALL
    return _ALLOW_ALL


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{parts.port}" if parts.port else "")
