"""How the page looks when shared: Open Graph and Twitter (X) card tags."""

from __future__ import annotations

from core.seo.audits.base import Outcome, audit, verdict_of
from core.seo.page import Page

# The Open Graph protocol's required properties (ogp.me).
OPEN_GRAPH_REQUIRED = ("og:title", "og:type", "og:image", "og:url")
TWITTER_CARDS = ("summary", "summary_large_image", "app", "player")


def open_graph(page: Page) -> dict[str, str]:
    return {m["property"]: m["content"].strip() for m in page.metas
            if m["property"].startswith("og:")}


def twitter_tags(page: Page) -> dict[str, str]:
    return {m["name"]: m["content"].strip() for m in page.metas
            if m["name"].startswith("twitter:")}


@audit("open-graph", title="Open Graph tags for sharing", group="social", weight=0.5,
       recommendation="Add og:title, og:type, og:image and og:url (<meta property=\"og:…\">) "
       "so shared links show a title and a picture.")
def open_graph_tags(page: Page) -> Outcome:
    found = open_graph(page)
    missing = [p for p in OPEN_GRAPH_REQUIRED if not found.get(p)]
    return verdict_of(not missing, "All required Open Graph tags are there.",
                      f"Missing {', '.join(missing)}.",
                      [{"missing": missing, "found": found}] if missing else [found])


@audit("twitter-card", title="Twitter card tags for sharing", group="social", weight=0.25,
       recommendation="Add <meta name=\"twitter:card\" content=\"summary_large_image\">; X "
       "takes the title, description and image from Open Graph when its own tags are absent.")
def twitter_card(page: Page) -> Outcome:
    found = twitter_tags(page)
    card = found.get("twitter:card", "")
    problems = []
    if card not in TWITTER_CARDS:
        problems.append({"twitter:card": card or None,
                         "expected": " or ".join(TWITTER_CARDS)})
    og = open_graph(page)
    for name in ("title", "image"):
        if not found.get(f"twitter:{name}") and not og.get(f"og:{name}"):
            problems.append({"missing": f"twitter:{name} (or og:{name})"})
    return verdict_of(not problems, f"twitter:card={card}.",
                      f"{len(problems)} Twitter card problem(s).", problems or [found])
