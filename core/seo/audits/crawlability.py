"""Can search engines fetch and index the page: is-crawlable, http-status-code, robots-txt.

These follow Lighthouse's audits of the same ids (core/audits/seo/*.js): the same directives,
the same robots.txt validation rules and error messages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from protego import Protego

from core.seo.audits.base import (Outcome, audit, failed, not_applicable, passed,
                                  verdict_of)
from core.seo.page import Page

BLOCKING_DIRECTIVES = frozenset({"noindex", "none"})
UNAVAILABLE_AFTER = "unavailable_after"
# ScrapeDeck's indexability (the crawler's facts, and the googlebot-indexable check): the generic
# rules and those addressed to Google's crawler (meta name="googlebot", "X-Robots-Tag: googlebot:
# noindex", a robots.txt group for Googlebot).
CRAWLERS = (None, "googlebot")
# Lighthouse 12's is-crawlable (core/audits/seo/is-crawlable.js): the page fails only when every
# one of these is blocked (None: the generic rules); a bot-specific meta tag replaces the generic
# robots meta for that bot.
LIGHTHOUSE_BOTS = (None, "Googlebot", "bingbot", "DuckDuckBot", "archive.org_bot")
_UA_PREFIX = re.compile(r"^\s*([^,:\s][^,:]*?)\s*:\s*(.*)$")


# The zone names JavaScript's Date.parse (which Lighthouse uses) knows, as UTC offsets in hours.
_ZONES = {"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
          "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}


def _unavailable(directive: str) -> bool:
    """``unavailable_after: <date>`` whose date has passed."""
    name, _, when = directive.partition(":")
    if name.strip().lower() != UNAVAILABLE_AFTER or not when.strip():
        return False
    from dateutil import parser  # imported here: only pages using the directive pay for it

    try:
        date = parser.parse(when.strip(), tzinfos={k: v * 3600 for k, v in _ZONES.items()})
    except (ValueError, OverflowError):
        return False
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return date < datetime.now(UTC)


def blocking_directives(directives: str) -> list[str]:
    """The directives in a robots meta content / header value that keep a page out of the index."""
    parts = [d.strip() for d in directives.split(",")]
    return [d for d in parts if d.lower() in BLOCKING_DIRECTIVES or _unavailable(d)]


def header_directives(value: str) -> list[tuple[str | None, str]]:
    """An ``X-Robots-Tag`` value split per crawler: ``"none, googlebot: noindex"`` →
    [(None, "none"), ("googlebot", "noindex")]. A ``name:`` prefix (other than
    ``unavailable_after:``) starts the directives for that user agent."""
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    for token in value.split(","):
        match = _UA_PREFIX.match(token)
        if match and match[1].lower() != UNAVAILABLE_AFTER:
            sections.append((match[1].lower(), [match[2].strip()]))
        elif token.strip():
            sections[-1][1].append(token.strip())
    return [(ua, ", ".join(tokens)) for ua, tokens in sections if tokens]


def _robots_rules(page: Page) -> Protego | None:
    robots = page.robots
    if robots is None or robots.status is None or not 200 <= robots.status < 300:
        return None
    return Protego.parse(robots.text)


def indexability_problems(page: Page) -> list[dict[str, Any]]:
    """Every rule that keeps the page out of the index (also used by the crawler's facts)."""
    problems: list[dict[str, Any]] = []
    for crawler in CRAWLERS:
        meta = page.meta(crawler or "robots")
        if meta and blocking_directives(meta["content"]):
            problems.append({"source": "meta", "user_agent": crawler or "*",
                             "value": meta["content"], "element": meta["html"]})
    header = page.headers.get("x-robots-tag", "")
    for user_agent, directives in header_directives(header):
        if user_agent in CRAWLERS and blocking_directives(directives):
            problems.append({"source": "header", "user_agent": user_agent or "*",
                             "value": f"X-Robots-Tag: {header}"})
    rules = _robots_rules(page)
    if rules is not None and page.robots is not None:
        for agent in ("*", "Googlebot"):
            if not rules.can_fetch(page.final_url, agent):
                problems.append({"source": "robots.txt", "user_agent": agent,
                                 "value": f"Disallow in {page.robots.url}"})
    return problems


def blocking_for(page: Page, bot: str | None) -> list[dict[str, Any]]:
    """What keeps ``bot`` (None: any crawler, by the generic rules) from indexing the page, as
    Lighthouse reads it: its own robots meta tag or else the generic one, the X-Robots-Tag
    directives addressed to it or to everyone, and robots.txt."""
    found: list[dict[str, Any]] = []
    meta = (page.meta(bot.lower()) if bot else None) or page.meta("robots")
    if meta and blocking_directives(meta["content"]):
        found.append({"source": "meta", "user_agent": bot or "*", "value": meta["content"],
                      "element": meta["html"]})
    header = page.headers.get("x-robots-tag", "")
    for user_agent, directives in header_directives(header):
        if user_agent in (None, (bot or "").lower()) and blocking_directives(directives):
            found.append({"source": "header", "user_agent": bot or "*",
                          "value": f"X-Robots-Tag: {header}"})
    rules = _robots_rules(page)
    if rules is not None and page.robots is not None \
            and not rules.can_fetch(page.final_url, bot or "*"):
        found.append({"source": "robots.txt", "user_agent": bot or "*",
                      "value": f"Disallow in {page.robots.url}"})
    return found


@audit("is-crawlable", title="Page isn't blocked from indexing", group="crawlability",
       lighthouse=True,
       recommendation="Remove noindex/none from the robots meta tag and the X-Robots-Tag header, "
       "and any robots.txt rule that disallows this URL — unless the page is meant to stay out "
       "of search results.")
def is_crawlable(page: Page) -> Outcome:
    """Lighthouse's rule: blocked only when the generic rules and every known search bot's
    (Googlebot, bingbot, DuckDuckBot, archive.org_bot) block it; the evidence is the generic
    rules'. A page blocked for Google alone fails ``googlebot-indexable`` (not scored)."""
    blocked = {bot: blocking_for(page, bot) for bot in LIGHTHOUSE_BOTS}
    if all(blocked.values()):
        problems = blocked[None]
        return failed(f"{len(problems)} rule(s) block indexing.", problems)
    return passed("Search engines may index the page.")


@audit("googlebot-indexable", title="Google may index the page", group="crawlability", weight=1,
       recommendation="Remove the noindex addressed to Google (meta name=\"googlebot\", "
       "\"X-Robots-Tag: googlebot: …\") and any robots.txt group that disallows this URL for "
       "Googlebot — unless the page is meant to stay out of Google.")
def googlebot_indexable(page: Page) -> Outcome:
    """Beyond Lighthouse (not scored): the generic rules or those addressed to Googlebot keep
    the page out of Google (Lighthouse passes a page other bots may still index)."""
    problems = indexability_problems(page)
    return verdict_of(not problems, "Nothing keeps Google from indexing the page.",
                      f"{len(problems)} rule(s) keep the page out of Google.", problems)


@audit("http-status-code", title="Page has successful HTTP status code", group="crawlability",
       lighthouse=True,
       recommendation="Serve the page with a 2xx status: search engines may not index pages "
       "answered with 4xx or 5xx.")
def http_status_code(page: Page) -> Outcome:
    status = page.status
    if status is None:
        return not_applicable("No HTTP status was received.")
    evidence = [{"status": status}]
    return verdict_of(not 400 <= status <= 599, f"HTTP {status}.",
                      f"The page answered HTTP {status}.", evidence)


# -- robots-txt ------------------------------------------------------------------------------

DIRECTIVE_SITEMAP, DIRECTIVE_USER_AGENT = "sitemap", "user-agent"
GROUP_MEMBERS = frozenset({"allow", "disallow"})
SITEMAP_PROTOCOLS = frozenset({"https", "http", "ftp"})
KNOWN_DIRECTIVES = frozenset({
    "user-agent", "disallow", "allow", "sitemap",  # Google's parser
    "crawl-delay",  # Bing
    "clean-param", "host",  # Yandex
    "request-rate", "visit-time", "noindex",  # seen in the wild, accepted by Lighthouse
})


class _LineError(ValueError):
    pass


def _verify(name: str, value: str) -> None:
    if name == DIRECTIVE_USER_AGENT and not value:
        raise _LineError("No user-agent specified")
    if name in GROUP_MEMBERS:
        if value and value[0] not in "/*":
            raise _LineError('Pattern should either be empty, start with "/" or "*"')
        dollar = value.find("$")
        if dollar != -1 and dollar != len(value) - 1:
            raise _LineError('"$" should only be used at the end of the pattern')
    if name == DIRECTIVE_SITEMAP:
        scheme, sep, rest = value.partition(":")
        if not sep or not rest.strip("/") or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
            raise _LineError("Invalid sitemap URL")
        if scheme.lower() not in SITEMAP_PROTOCOLS:
            raise _LineError("Invalid sitemap URL protocol")


def _parse_line(line: str) -> tuple[str, str] | None:
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    if ":" not in line:
        raise _LineError("Syntax not understood")
    name, _, value = line.partition(":")
    name, value = name.strip().lower(), value.strip()
    if name not in KNOWN_DIRECTIVES:
        raise _LineError("Unknown directive")
    _verify(name, value)
    return name, value


def robots_txt_errors(content: str) -> list[dict[str, Any]]:
    """Lighthouse's robots.txt validation: each line that is not understood, with why."""
    errors = []
    in_group = False
    for index, line in enumerate(re.split(r"\r\n|\r|\n", content), start=1):
        try:
            parsed = _parse_line(line)
        except _LineError as exc:
            errors.append({"line": index, "content": line, "message": str(exc)})
            continue
        if parsed is None:
            continue
        if parsed[0] == DIRECTIVE_USER_AGENT:
            in_group = True
        elif not in_group and parsed[0] in GROUP_MEMBERS:
            errors.append({"line": index, "content": line, "message": "No user-agent specified"})
    return errors


@audit("robots-txt", title="robots.txt is valid", group="crawlability", lighthouse=True,
       recommendation="Fix the robots.txt lines listed: a line crawlers cannot read may be "
       "ignored, or read as something you did not mean (Google's robots.txt specification).")
def robots_txt(page: Page) -> Outcome:
    robots = page.robots
    if robots is None or robots.status is None:
        where = robots.url if robots else "/robots.txt"
        return failed(f"robots.txt could not be downloaded from {where}"
                      + (f" ({robots.error})." if robots and robots.error else "."))
    if robots.status >= 500:
        return failed(f"Request for robots.txt returned HTTP status: {robots.status}",
                      [{"status": robots.status, "url": robots.url}])
    if robots.status >= 400 or robots.text == "":
        return not_applicable(f"No robots.txt to check (HTTP {robots.status}): crawlers may "
                              "fetch everything.")
    errors = robots_txt_errors(robots.text)
    if errors:
        return failed(f"{len(errors)} error(s) found in {robots.url}.", errors)
    return passed(f"{robots.url} is valid.")
