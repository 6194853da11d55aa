"""What the page says about itself: title, description, headings, language, viewport, length.

``document-title`` and ``meta-description`` are Lighthouse's; the rest are additional checks
(thresholds below, each with where it comes from).
"""

from __future__ import annotations

from core.platform.words import counted
from core.seo.audits.base import (Outcome, audit, failed, not_applicable, passed,
                                  verdict_of)
from core.seo.languages import is_valid_language_tag
from core.seo.page import Page

# Google shows about 600 px of a title (~60 characters) and ~160 characters of a description
# before cutting them; much shorter ones rarely describe the page well enough to be chosen.
TITLE_LENGTH = (10, 60)
DESCRIPTION_LENGTH = (50, 160)
# Below this many words a page is "thin content" in most SEO tools' terms.
MIN_WORDS = 200


@audit("document-title", title="Document has a <title> element", group="content", lighthouse=True,
       recommendation="Give the page a unique, descriptive <title>: it is the headline of the "
       "search result.")
def document_title(page: Page) -> Outcome:
    if not page.title:
        return failed("The page has no title." if page.title is None else "The title is empty.",
                      [{"title": page.title}])
    return passed(f"Title: {page.title!r}.", [{"title": page.title}])


@audit("meta-description", title="Document has a meta description",
       group="content", lighthouse=True,
       recommendation="Add <meta name=\"description\" content=\"…\"> summarising the page: "
       "search engines often show it under the title.")
def meta_description(page: Page) -> Outcome:
    meta = page.meta("description")
    if meta is None:
        return failed("The page has no meta description.")
    if not meta["content"].strip():
        return failed("Description text is empty.", [{"element": meta["html"]}])
    return passed("The page has a meta description.", [{"content": meta["content"].strip()}])


def _length_check(value: str | None, bounds: tuple[int, int], what: str) -> Outcome:
    if not value:
        return not_applicable(f"No {what} (see its own audit).")
    low, high = bounds
    evidence = [{what: value, "length": len(value), "recommended": f"{low}–{high} characters"}]
    length = counted(len(value), "character")
    return verdict_of(low <= len(value) <= high, f"{length}.",
                      f"The {what} has {length}; {low}–{high} read best in results.", evidence)


@audit("title-length", title="Title length fits search results", group="content", weight=1,
       recommendation="Keep the title between 10 and 60 characters so it is shown whole.")
def title_length(page: Page) -> Outcome:
    return _length_check(page.title, TITLE_LENGTH, "title")


@audit("meta-description-length", title="Meta description length fits search results",
       group="content", weight=1,
       recommendation="Keep the meta description between 50 and 160 characters.")
def meta_description_length(page: Page) -> Outcome:
    return _length_check(page.meta_description, DESCRIPTION_LENGTH, "description")


@audit("headings", title="One H1, and headings that do not skip levels", group="content",
       weight=1,
       recommendation="Use exactly one <h1> naming the page's topic, and nest headings in order "
       "(h1 → h2 → h3) so the outline reads as a table of contents.")
def headings(page: Page) -> Outcome:
    found = page.headings
    h1s = [h for h in found if h["level"] == 1]
    problems = []
    if len(h1s) != 1:
        problems.append({"problem": f"{len(h1s)} <h1> elements (expected 1)",
                         "h1": [h["text"] for h in h1s]})
    if not any(h["level"] == 2 for h in found) and len(found) > 1:
        problems.append({"problem": "no <h2> under the <h1>"})
    previous = 0
    for heading in found:
        if previous and heading["level"] > previous + 1:
            problems.append({"problem": f"<h{previous}> followed by <h{heading['level']}>",
                             "text": heading["text"]})
        previous = heading["level"]
    return verdict_of(not problems, f"{len(h1s)} h1, {len(found)} headings in order.",
                      f"{len(problems)} heading problem(s).", problems)


@audit("word-count", title="The page has enough text", group="content", weight=0.5,
       recommendation=f"Pages with fewer than {MIN_WORDS} words rank poorly for anything but "
       "their name: add the content searchers come for, or mark the page noindex.")
def word_count(page: Page) -> Outcome:
    count = page.word_count
    evidence = [{"words": count, "minimum": MIN_WORDS}]
    words = counted(count, "word")
    return verdict_of(count >= MIN_WORDS, f"{words}.", f"Only {words} of text.", evidence)


@audit("html-lang", title="<html> has a valid lang attribute", group="content", weight=0.5,
       recommendation="Declare the page's language: <html lang=\"en\"> (a BCP 47 tag).")
def html_lang(page: Page) -> Outcome:
    lang = page.lang
    if lang is None:
        return failed("The <html> element has no lang attribute.")
    return verdict_of(is_valid_language_tag(lang), f"lang={lang!r}.",
                      f"lang={lang!r} is not a valid language tag.", [{"lang": lang}])


@audit("viewport", title="Has a <meta name=\"viewport\"> with width or initial-scale",
       group="content", weight=1,
       recommendation="Add <meta name=\"viewport\" content=\"width=device-width, "
       "initial-scale=1\">: Google indexes the mobile rendering of pages.")
def viewport(page: Page) -> Outcome:
    meta = page.meta("viewport")
    if meta is None:
        return failed("No viewport meta tag: mobile browsers render the page at desktop width.")
    content = meta["content"].lower()
    ok = "width" in content or "initial-scale" in content
    return verdict_of(ok, "Viewport is set.",
                      "The viewport meta tag sets neither width nor initial-scale.",
                      [{"element": meta["html"]}])
