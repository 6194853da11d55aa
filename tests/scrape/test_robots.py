"""robots.txt: what each kind of answer means, and one fetch per origin."""

import asyncio

import pytest

from core.scrape.result import FetchResult
from core.scrape.robots import RobotsCache, rules_for, unreachable_because

AGENT = "ScrapeDeck/0.1 (+https://github.com/scrapedeck)"
ROBOTS = "User-agent: *\nDisallow: /private/\n\nUser-agent: ScrapeDeck\nDisallow: /no-bots/\n"


def answer(status: int | None, text: str = "", error: str | None = None) -> FetchResult:
    return FetchResult("https://x.example/robots.txt", "https://x.example/robots.txt",
                       status_code=status, text=text, error=error)


def test_a_robots_txt_applies_the_group_for_our_user_agent() -> None:
    rules = rules_for(answer(200, ROBOTS))

    assert rules.can_fetch("https://x.example/private/a.html", AGENT)  # our group replaces *
    assert not rules.can_fetch("https://x.example/no-bots/a.html", AGENT)
    assert not rules.can_fetch("https://x.example/private/a.html", "OtherBot/1.0")


@pytest.mark.parametrize(("status", "error", "allowed"), [
    (404, "HTTP 404 Not Found", True),  # no robots.txt: nothing is forbidden
    (403, "HTTP 403 Forbidden", True),
    (302, "redirect loop: …", True),
    (429, "HTTP 429 Too Many Requests", False),
    (503, "HTTP 503 Service Unavailable", False),  # the server cannot say: stay away
    (None, "timed out after 30 s", False),
    (200, "response larger than 1000 bytes", False),
])
def test_what_an_unusable_answer_means(status: int | None, error: str, allowed: bool) -> None:
    rules = rules_for(answer(status, error=error))
    assert rules.can_fetch("https://x.example/page.html", AGENT) is allowed


def test_each_origin_is_fetched_once_even_by_concurrent_requests() -> None:
    fetched: list[str] = []

    async def load(url: str) -> FetchResult:
        fetched.append(url)
        await asyncio.sleep(0.01)
        return answer(200, ROBOTS)

    async def main() -> list[bool]:
        cache = RobotsCache(load, AGENT)
        urls = ["https://x.example/a", "https://x.example/no-bots/b", "https://x.example:8443/c",
                "http://x.example/d", "https://x.example/e"]
        return list(await asyncio.gather(*(cache.allowed(url) for url in urls)))

    assert asyncio.run(main()) == [True, False, True, True, True]
    assert sorted(fetched) == ["http://x.example/robots.txt", "https://x.example/robots.txt",
                               "https://x.example:8443/robots.txt"]


@pytest.mark.parametrize(("status", "error", "reason"), [
    (None, "connection refused", "site unreachable (robots.txt could not be fetched: "
                                 "connection refused)"),
    (503, "HTTP 503 Service Unavailable", "site treated as unreachable (its robots.txt answered "
                                          "HTTP 503; RFC 9309: nothing is fetched until it "
                                          "answers)"),
    (404, "HTTP 404 Not Found", None),
])
def test_a_site_that_is_down_is_called_unreachable_not_disallowing(
        status: int | None, error: str, reason: str | None) -> None:
    assert unreachable_because(answer(status, error=error)) == reason

    async def load(url: str) -> FetchResult:
        return answer(status, error=error)

    refusal = asyncio.run(RobotsCache(load, AGENT).refusal("https://x.example/page.html"))
    assert refusal == (f"{reason}: https://x.example/page.html" if reason else None)
