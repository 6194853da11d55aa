"""Links: link-text and crawlable-anchors (Lighthouse's), and the page's internal, external and
nofollow links (an additional check)."""

from __future__ import annotations

import re
from typing import Any

from core.platform.words import counted
from core.seo.audits.base import Outcome, audit, not_applicable, script_note, verdict_of
from core.seo.page import Anchor, Page, without_fragment
from core.seo.urls import is_valid_url

# Lighthouse 12's link-text audit's lists of link texts that say nothing about their target, per
# language (core/audits/seo/link-text.js, nonDescriptiveLinkTexts). Texts are compared trimmed
# and lower-cased; a link whose text language is known is checked against that language's list
# only (region dropped: "en-US" → "en"; a language without a list: not checked), one of unknown
# or mixed language against all of them.
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
    "de": frozenset({"klicke hier", "hier klicken", "hier", "mehr", "siehe", "dies", "das",
                     "weiterlesen"}),
    "ta": frozenset({"அடுத்த பக்கம்", "மறுபக்கம்", "முந்தைய பக்கம்", "முன்பக்கம்",
                     "மேலும் அறிக", "மேலும் தகவலுக்கு", "மேலும் தரவுகளுக்கு",
                     "தயவுசெய்து இங்கே அழுத்தவும்", "இங்கே கிளிக் செய்யவும்"}),
    "fa": frozenset({"اطلاعات بیشتر", "اطلاعات", "این", "اینجا بزنید", "اینجا کلیک کنید",
                     "اینجا", "برو", "بیشتر بخوانید", "بیشتر بدانید", "بیشتر", "شروع"}),
}
ALL_GENERIC_LINK_TEXTS = frozenset().union(*GENERIC_LINK_TEXTS.values())


def _generic_texts(lang: str | None) -> frozenset[str]:
    if not lang:
        return ALL_GENERIC_LINK_TEXTS
    return GENERIC_LINK_TEXTS.get(lang.split("-")[0], frozenset())


def _judged_for_text(anchor: Anchor, page: Page) -> bool:
    """Links whose text matters: followed, not script or mail, not to this same page (rel is
    searched for "nofollow" as a substring, as Lighthouse does)."""
    if not anchor.href or "nofollow" in anchor.rel:
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
               if _judged_for_text(a, page) and a.text.strip()
               and a.text.strip().lower() in _generic_texts(a.text_lang)]
    return verdict_of(not failing, "Every followed link has descriptive text.",
                      f"{counted(len(failing), 'link')} found", failing)


_WINDOW_OPEN = re.compile(r"window\.open\(")
_JAVASCRIPT_VOID = re.compile(r"javascript:void(\(|)0(\)|)")
# Attributes an <a> may carry only with an href (HTML's definition of the a element): with one
# of them and no href, Lighthouse counts the <a> as a broken link.
HREF_ASSOCIATED = ("target", "download", "ping", "rel", "hreflang", "type", "referrerpolicy")


def uncrawlable(anchor: Anchor, page: Page) -> bool:
    """Lighthouse 12's crawlable-anchors rule for one <a> (core/audits/seo/crawlable-anchors.js),
    in its order; the href is matched with its whitespace removed."""
    raw = re.sub(r"\s", "", anchor.href_raw or "")
    if anchor.role.strip():
        return False
    if raw.startswith("mailto:"):
        return False
    if raw == "" and anchor.id:  # <a id="top">: a fragment target, not a link
        return False
    if raw.startswith("file:"):
        return True
    if anchor.name.strip():
        return False
    names = anchor.attribute_names
    if "href" not in names and not any(a in names for a in HREF_ASSOCIATED):
        return anchor.has_listener  # a placeholder, unless a script makes it act as a link
    if anchor.href == "":
        return True
    if _JAVASCRIPT_VOID.search(raw):
        return True
    return not is_valid_url(raw, page.final_url)


@audit("crawlable-anchors", title="Links are crawlable", group="links", lighthouse=True,
       recommendation="Give every link an href with a real URL (<a href=\"/page\">); links "
       "that work only through JavaScript (onclick, javascript:void(0)) cannot be followed.")
def crawlable_anchors(page: Page) -> Outcome:
    failing = [_anchor_evidence(a) for a in page.anchors if uncrawlable(a, page)]
    outcome = verdict_of(not failing, "Every link can be followed by a crawler.",
                         f"{len(failing)} uncrawlable link(s).", failing)
    return script_note(page, outcome, "a click listener a script attaches to an <a> without "
                       "href (a link only a script can follow), or links a script adds or "
                       "removes,", ["an inline script attaches event listeners"]
                       if page.script_signs.attaches_listeners else [])


@audit("script-links", title="Links do not open pages through window.open", group="links",
       weight=0.5,
       recommendation="Put the target in the href (<a href=\"/page\" target=\"_blank\">) "
       "instead of opening it from an onclick handler: crawlers do not run the handler.")
def script_links(page: Page) -> Outcome:
    """Beyond Lighthouse (not scored): an <a> whose onclick opens a window with window.open."""
    failing = [_anchor_evidence(a, onclick=a.onclick[:200]) for a in page.anchors
               if a.onclick and _WINDOW_OPEN.search(re.sub(r"\s", "", a.onclick))]
    return verdict_of(not failing, "No link opens its target from a script.",
                      f"{len(failing)} link(s) open their target through window.open.", failing)


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
