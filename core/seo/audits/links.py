"""Links: link-text and crawlable-anchors (Lighthouse's), and the page's internal, external and
nofollow links (an additional check)."""

from __future__ import annotations

import re
from typing import Any

from core.seo.audits.base import Outcome, audit, not_applicable, verdict_of
from core.seo.page import Anchor, Page, without_fragment

# Lighthouse's link-text audit's lists of link texts that say nothing about their target, per
# language (core/audits/seo/link-text.js), transcribed from its source as we know it: the corpus
# pins the English and German entries its pages use, not every list. Texts are compared trimmed
# and lower-cased; a link whose text language is known is checked against that language's list
# (region dropped: "en-US" → "en"); one of unknown or mixed language, or of a language without
# a list, against all of them.
GENERIC_LINK_TEXTS: dict[str, frozenset[str]] = {
    "en": frozenset({"click here", "click this", "go", "here", "information", "learn more",
                     "more", "more info", "more information", "right here", "read more",
                     "see more", "start", "this"}),
    "ja": frozenset({"ここをクリック", "こちらをクリック", "リンク", "続きを読む", "続く",
                     "全文表示"}),
    "es": frozenset({"click aquí", "click aqui", "clicka aquí", "clicka aqui", "pincha aquí",
                     "pincha aqui", "aquí", "aqui", "más", "mas", "más información",
                     "más informacion", "mas información", "mas informacion", "este",
                     "enlace", "este enlace", "empezar"}),
    "pt": frozenset({"clique aqui", "ir", "mais informação", "mais informações", "mais",
                     "veja mais"}),
    "ko": frozenset({"여기", "여기를 클릭", "클릭", "링크", "자세히", "자세히 보기", "계속",
                     "이동", "전체 보기"}),
    "sv": frozenset({"här", "klicka här", "läs mer", "mer", "mer info", "mer information"}),
    "ta": frozenset({"அடுத்த பக்கம்", "மறுபக்கம்", "முந்தைய பக்கம்", "முன்பக்கம்",
                     "மேலும் அறிக", "மேலும் தகவலுக்கு", "மேலும் தரவுகளுக்கு",
                     "தயவுசெய்து இங்கே அழுத்தவும்", "இங்கே கிளிக் செய்யவும்"}),
    "fa": frozenset({"اطلاعات بیشتر", "اطلاعات", "این", "اینجا بزنید", "اینجا کلیک کنید",
                     "اینجا", "برو", "بیشتر بخوانید", "بیشتر بدانید", "بیشتر", "شروع"}),
    "de": frozenset({"klicke hier", "hier klicken", "hier", "mehr", "mehr infos",
                     "mehr informationen", "weiterlesen", "weiter", "lies mehr"}),
}
ALL_GENERIC_LINK_TEXTS = frozenset().union(*GENERIC_LINK_TEXTS.values())


def _generic_texts(lang: str | None) -> frozenset[str]:
    base = (lang or "").split("-")[0].strip().lower()
    return GENERIC_LINK_TEXTS.get(base, ALL_GENERIC_LINK_TEXTS)


def _judged_for_text(anchor: Anchor, page: Page) -> bool:
    """Links whose text matters: followed, not script or mail, not to this same page."""
    if not anchor.href or "nofollow" in anchor.rel.split():
        return False
    href = anchor.href.lower()
    if href.startswith(("javascript:", "mailto:")):
        return False
    return without_fragment(anchor.href) != without_fragment(page.location)


def _anchor_evidence(anchor: Anchor, **more: Any) -> dict[str, Any]:
    return {"href": anchor.href_raw, "text": anchor.text, "element": anchor.html, **more}


@audit("link-text", title="Links have descriptive text", group="links", lighthouse=True,
       recommendation="Replace texts like \"click here\" or \"read more\" with words that say "
       "where the link goes: search engines read them to understand the target.")
def link_text(page: Page) -> Outcome:
    failing = [_anchor_evidence(a, textLang=a.text_lang) for a in page.anchors
               if _judged_for_text(a, page)
               and a.text.strip().lower() in _generic_texts(a.text_lang)]
    return verdict_of(not failing, "Every followed link has descriptive text.",
                      f"{len(failing)} links found", failing)


_WINDOW_LOCATION = re.compile(r"window\.location=")
_WINDOW_OPEN = re.compile(r"window\.open\(")
_JAVASCRIPT_VOID = re.compile(r"javascript:void(\(|)0(\)|)")


def uncrawlable(anchor: Anchor) -> bool:
    """Lighthouse's crawlable-anchors rule for one <a> (whitespace removed before matching).

    An <a> with no href and no listener is a placeholder and fine; one that acts as a link
    through a script (a listener, an onclick) without an href is a link crawlers cannot follow.
    """
    raw = re.sub(r"\s", "", anchor.href_raw or "")
    onclick = re.sub(r"\s", "", anchor.onclick)
    if anchor.role.strip():
        return False
    if raw.startswith("mailto:"):
        return False
    if raw.startswith("file:"):
        return True
    if _WINDOW_LOCATION.search(onclick):
        return False
    if _WINDOW_OPEN.search(onclick):
        return True
    if _JAVASCRIPT_VOID.search(raw):
        return True
    if raw == "" and not anchor.name.strip():
        return anchor.has_listener
    return False


@audit("crawlable-anchors", title="Links are crawlable", group="links", lighthouse=True,
       recommendation="Give every link an href with a real URL (<a href=\"/page\">); links "
       "that work only through JavaScript (onclick, javascript:void(0)) cannot be followed.")
def crawlable_anchors(page: Page) -> Outcome:
    failing = [_anchor_evidence(a) for a in page.anchors if uncrawlable(a)]
    return verdict_of(not failing, "Every link can be followed by a crawler.",
                      f"{len(failing)} uncrawlable link(s).", failing)


@audit("links", title="The page links to other pages of the site", group="links", weight=0.5,
       recommendation="Link to related pages of your site with followed links: crawlers find "
       "and weigh pages through internal links, and a page without any is a dead end.")
def links(page: Page) -> Outcome:
    found = page.link_lists
    counts = {name: len(urls) for name, urls in found.items()}
    internal_nofollow = [u for u in found["nofollow"] if page.same_site(u)]
    if not page.anchors:
        return not_applicable("The page has no links.")
    ok = counts["internal"] > 0 and not internal_nofollow
    why = ("No followed internal links." if not counts["internal"] else
           f"{len(internal_nofollow)} internal link(s) are nofollow.")
    evidence = [{**counts, "internal_nofollow": internal_nofollow[:20]}]
    return verdict_of(ok, f"{counts['internal']} internal, {counts['external']} external, "
                      f"{counts['nofollow']} nofollow links.", why, evidence)
