"""structured-data: Lighthouse lists it as a manual check ("run the Structured Data Testing
Tool"), weight 0. Here it is automatic, for the part that can be decided from the page alone:

* every ``<script type="application/ld+json">`` parses as JSON (a syntax error hides the whole
  block from search engines);
* every top-level item (and each item of an ``@graph``) has a schema.org ``@context`` — on
  itself or on the block — and an ``@type``;
* items of the types Google shows as rich results carry the properties Google requires for them
  (REQUIRED_PROPERTIES, from Google Search Central's structured-data docs).

It keeps Lighthouse's weight 0: the score stays Lighthouse's. Microdata and RDFa are counted as
present (their types listed in the page's facts) but not validated.
"""

from __future__ import annotations

from typing import Any

from core.platform import standard_json
from core.seo.audits.base import Outcome, audit, not_applicable, verdict_of
from core.seo.page import Page

REQUIRED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "Article": ("headline",), "NewsArticle": ("headline",), "BlogPosting": ("headline",),
    "Product": ("name",), "Offer": ("price",), "BreadcrumbList": ("itemListElement",),
    "ListItem": ("position",), "Organization": ("name",), "Person": ("name",),
    "Event": ("name", "startDate", "location"), "Recipe": ("name", "image"),
    "FAQPage": ("mainEntity",), "Question": ("name", "acceptedAnswer"),
    "JobPosting": ("title", "description", "datePosted", "hiringOrganization"),
    "LocalBusiness": ("name", "address"), "Review": ("author", "reviewRating"),
    "VideoObject": ("name", "thumbnailUrl", "uploadDate"), "WebSite": ("url",),
    "AggregateRating": ("ratingValue",), "HowTo": ("name", "step"),
}


def json_ld_blocks(page: Page) -> list[str]:
    return [node.text() or "" for node in page.tree.css("script")
            if (node.attributes.get("type") or "").strip().lower() == "application/ld+json"]


def _is_schema_org(context: Any) -> bool:
    if isinstance(context, str):
        return "schema.org" in context
    if isinstance(context, list):
        return any(_is_schema_org(c) for c in context)
    if isinstance(context, dict):
        return _is_schema_org(context.get("@vocab")) or any(
            _is_schema_org(v) for v in context.values() if isinstance(v, str))
    return False


def _types(item: dict[str, Any]) -> list[str]:
    value = item.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)]


def _item_problems(item: Any, context: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(item, dict):
        return [{"block": where, "problem": "an item is not a JSON object"}]
    context = item.get("@context", context)
    if "@graph" in item and "@type" not in item:
        graph = item["@graph"]
        if not isinstance(graph, list):
            return [{"block": where, "problem": "@graph is not a list of items"}]
        return [p for sub in graph for p in _item_problems(sub, context, where)]
    problems = []
    if not _is_schema_org(context):
        problems.append({"block": where, "problem": "no schema.org @context"})
    types = _types(item)
    if not types:
        problems.append({"block": where, "problem": "no @type"})
    for kind in types:
        missing = [p for p in REQUIRED_PROPERTIES.get(kind, ()) if p not in item]
        if missing:
            problems.append({"block": where, "type": kind,
                             "problem": f"missing required {', '.join(missing)}"})
    return problems


def structured_items(page: Page) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the parsed JSON-LD items, the blocks that do not parse, with the parser's message)."""
    items: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for number, text in enumerate(json_ld_blocks(page), start=1):
        try:
            doc = standard_json.loads(text)
        except ValueError as exc:
            errors.append({"block": number, "problem": f"invalid JSON: "
                           f"{standard_json.problem(exc)}", "excerpt": text.strip()[:120]})
            continue
        for item in doc if isinstance(doc, list) else [doc]:
            items.append({"block": number, "item": item})
    return items, errors


def structured_data_types(page: Page) -> list[str]:
    items, _ = structured_items(page)
    found = [t for entry in items if isinstance(entry["item"], dict)
             for t in _types(entry["item"])]
    found += [(n.attributes.get("itemtype") or "").rsplit("/", 1)[-1]
              for n in page.tree.css("[itemscope][itemtype]")]
    return sorted(set(filter(None, found)))


@audit("structured-data", title="Structured data is valid",
       group="structured-data", lighthouse=True,
       recommendation="Fix the JSON-LD blocks listed (JSON syntax, a schema.org @context, an "
       "@type, the properties Google requires for that type), then check them in Google's Rich "
       "Results Test.")
def structured_data(page: Page) -> Outcome:
    items, problems = structured_items(page)
    if not items and not problems:
        return not_applicable("The page has no JSON-LD structured data.")
    for entry in items:
        problems += _item_problems(entry["item"], None, entry["block"])
    return verdict_of(not problems, f"{len(items)} JSON-LD item(s), all valid.",
                      f"{len(problems)} structured-data problem(s).", problems)
