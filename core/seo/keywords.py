"""Keyword research from a page's own content: which words and phrases the page is about.

No search-volume API is called: the evidence is the page. Phrases of one to three words are
counted where they occur, each occurrence weighted by where it is:

    title 10 · h1 5 · meta description 3 · h2 3 · h3–h6 2 · body text 1

so a phrase in the title and the main heading outranks one repeated in the body. A phrase never
starts or ends with a stop word ("the lamp" counts as "lamp"; "bill of rights" is kept), never
crosses a sentence or element boundary, and a phrase of two or three words needs to occur at
least twice or in the title or a heading (one stray body trigram says little). Longer phrases get
a small bonus (×1.5 for two words, ×2 for three), since they are more specific.

The language comes from ``<html lang>``, else from which stop-word list matches the body best.
The stop-word lists are small on purpose (function words only): a keyword tool must not drop
"air" or "album" as a frequency list would.

    keywords = extract_keywords(html)              # pure: [Keyword(...)], best first
    save_keywords(session, user_id, url, keywords, report_id)   # keyword_research rows
    keyword_table(session, actor, url)             # the latest research of a URL, a DataFrame
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.platform.access import Actor
from core.scrape.urls import require_url

if TYPE_CHECKING:
    import pandas as pd

WEIGHTS = {"title": 10.0, "h1": 5.0, "description": 3.0, "h2": 3.0, "h3": 2.0, "h4": 2.0,
           "h5": 2.0, "h6": 2.0, "body": 1.0}
LENGTH_BONUS = {1: 1.0, 2: 1.5, 3: 2.0}
MAX_KEYWORDS = 40
SOURCE = "page_content"

STOP_WORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in {
    "en": """a about above after again against all am an and any are as at be because been
        before being below between both but by can could did do does doing down during each few
        for from further had has have having he her here hers herself him himself his how i if in
        into is it its itself just me more most my myself no nor not now of off on once only or
        other our ours ourselves out over own same she should so some such than that the their
        theirs them themselves then there these they this those through to too under until up
        very was we were what when where which while who whom why will with would you your yours
        yourself yourselves also get got may might must shall us via per etc""",
    "de": """aber alle allem allen aller alles als also am an ander andere anderem anderen
        anderer anderes auch auf aus bei bin bis bist da damit dann das dass dem den der des
        dich die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine einem
        einen einer eines er es euch euer für hab habe haben hat hatte hier hin hinter ich ihm
        ihn ihnen ihr ihre im in ist ja jede jedem jeden jeder jedes jetzt kann kein keine mit
        muss nach nicht noch nun nur ob oder ohne sehr sein seine sich sie sind so solche soll
        über um und uns unser unter vom von vor war waren was weil welche wenn wer wie wir wird
        wo zu zum zur""",
    "fr": """au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma
        mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses
        son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t y été être avoir
        est sont était ont a cette cet plus comme tout tous très aussi""",
    "es": """a al algo algunos ante antes como con contra cual cuando de del desde donde durante
        e el ella ellas ellos en entre era es esa esas ese eso esos esta estas este esto estos
        fue ha hay la las le les lo los más me mi mis muy nada ni no nos nosotros o os otra
        otros para pero poco por porque que quien se sea ser si sin sobre son su sus también
        te tiene todo todos tu tus un una uno unos y ya yo""",
    "it": """a ad al alla alle agli ai all anche che chi ci con come da dal dalla dei del della
        delle di e ed è gli ha hanno i il in io la le lei lo loro lui ma mi ne nei nel nella
        noi non o per più quale quando questa questo se si sia sono su sua suo sul sulla tra
        tu tutti tutto un una uno vi voi""",
    "nl": """aan al alles als bij daar dan dat de der deze die dit doch door een en er ge geen
        had heb hebben heeft hem het hier hij hoe hun ik in is ja je kan kon maar me men met
        mij mijn na naar niet niets nog nu of om omdat ons ook op over reeds te tegen toch toen
        tot u uit uw van veel voor was wat we wel werd wie wij worden zal ze zelf zich zij zijn
        zo zonder zou""",
    "pt": """a ao aos as até com como da das de dela dele do dos e ela elas ele eles em entre
        era essa esse esta este eu foi for há isso isto já la lhe mais mas me mesmo meu minha
        muito na nas nem no nos nós o os ou para pela pelas pelo pelos por qual quando que quem
        se sem ser seu seus só sua suas também te tem um uma você""",
}.items()}

_WORD = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?", re.UNICODE)
# Sentence and clause breaks: a phrase never spans one.
_BREAK = re.compile(r"[.!?;:,()\[\]{}|/\\\"“”«»•·–—]+|\s-\s")


@dataclass(frozen=True)
class Keyword:
    keyword: str
    score: float
    occurrences: int
    words: int
    positions: dict[str, int]  # where it occurs: {"title": 1, "body": 4, …}
    density: float  # occurrences per 100 words of the page
    related: list[str] = field(default_factory=list)  # longer phrases that contain it


@dataclass(frozen=True)
class PageText:
    """The page's text by position, as keyword research reads it."""

    title: str
    description: str
    headings: list[tuple[str, str]]  # (tag, text)
    body: list[str]  # text blocks (paragraphs, list items, cells…)
    lang: str | None


# --- Reading the page --------------------------------------------------------------------------

def page_text(html: str) -> PageText:
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript, template, svg, iframe"):
        node.decompose()
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    description = tree.css_first('meta[name="description" i]')
    root = tree.css_first("html")
    lang = (root.attributes.get("lang") or "").split("-")[0].lower() if root else ""
    headings = [(str(n.tag), n.text(separator=" ", strip=True))
                for n in tree.css("h1, h2, h3, h4, h5, h6")]
    for node in tree.css("h1, h2, h3, h4, h5, h6, title"):
        node.decompose()  # counted once, in its own position
    body = tree.body
    blocks = _text_blocks(body.text(separator="\n", strip=True)) if body else []
    return PageText(title=title,
                    description=(description.attributes.get("content") or "").strip()
                    if description else "",
                    headings=headings, body=blocks, lang=lang or None)


def _text_blocks(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def detect_language(text: PageText) -> str:
    if text.lang in STOP_WORDS:
        return text.lang
    words = Counter(w.lower() for block in text.body for w in _WORD.findall(block))
    hits = {lang: sum(words[w] for w in stop) for lang, stop in STOP_WORDS.items()}
    best = max(hits, key=hits.__getitem__)
    return best if hits[best] else "en"


# --- Counting phrases ---------------------------------------------------------------------------

def _phrases(text: str, stop: frozenset[str]) -> Iterator[tuple[str, int]]:
    """Every 1–3-word phrase of ``text`` that neither starts nor ends with a stop word."""
    for clause in _BREAK.split(text):
        words = [w.lower().replace("’", "'") for w in _WORD.findall(clause)]
        for size in (1, 2, 3):
            for i in range(len(words) - size + 1):
                gram = words[i:i + size]
                if gram[0] in stop or gram[-1] in stop or not _meaningful(gram[0]) \
                        or not _meaningful(gram[-1]) or (size > 1 and len(set(gram)) == 1):
                    continue  # "lamps lamps" is repetition, not a phrase
                yield " ".join(gram), size


def _meaningful(word: str) -> bool:
    return len(word) > 1 and not word.replace("-", "").isdigit()


def _segments(text: PageText) -> Iterable[tuple[str, str]]:
    yield "title", text.title
    yield "description", text.description
    yield from text.headings
    for block in text.body:
        yield "body", block


def extract_keywords(html: str, limit: int = MAX_KEYWORDS) -> list[Keyword]:
    """The page's keywords, best first (see the module's docstring for the weighting)."""
    text = page_text(html)
    stop = STOP_WORDS[detect_language(text)]
    scores: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    positions: dict[str, Counter[str]] = defaultdict(Counter)
    sizes: dict[str, int] = {}
    for where, segment in _segments(text):
        for phrase, size in _phrases(segment, stop):
            scores[phrase] += WEIGHTS[where] * LENGTH_BONUS[size]
            counts[phrase] += 1
            positions[phrase][where] += 1
            sizes[phrase] = size
    total_words = max(1, sum(len(_WORD.findall(s)) for _, s in _segments(text)))
    kept = [p for p in scores if sizes[p] == 1 or counts[p] >= 2
            or set(positions[p]) - {"body"}]
    kept.sort(key=lambda p: (-scores[p], -counts[p], p))
    best = kept[:limit]
    return [Keyword(keyword=p, score=round(scores[p], 2), occurrences=counts[p], words=sizes[p],
                    positions=dict(positions[p]),
                    density=round(100 * counts[p] * sizes[p] / total_words, 2),
                    related=[q for q in best if q != p and f" {p} " in f" {q} "][:5])
            for p in best]


# --- Stored research ----------------------------------------------------------------------------

def save_keywords(session: Session, user_id: uuid.UUID, url: str, keywords: list[Keyword],
                  report_id: uuid.UUID | None = None, language: str | None = None) -> int:
    """Replace the URL's page-content research with ``keywords``; return how many rows."""
    from db.models import KeywordResearch

    session.execute(delete(KeywordResearch).where(KeywordResearch.user_id == user_id,
                                                  KeywordResearch.topic == url,
                                                  KeywordResearch.source == SOURCE))
    session.add_all(KeywordResearch(
        user_id=user_id, topic=url, keyword=k.keyword, related_keywords=k.related,
        source=SOURCE, meta={"score": k.score, "occurrences": k.occurrences, "words": k.words,
                             "positions": k.positions, "density": k.density,
                             "report_id": str(report_id) if report_id else None,
                             "language": language})
        for k in keywords)
    return len(keywords)


KEYWORD_COLUMNS = ["keyword", "score", "occurrences", "words", "density", "in_title",
                   "in_headings", "related", "found_at"]


def keyword_table(session: Session, actor: Actor, url: str) -> pd.DataFrame:
    """The URL's keywords from its latest audit, best first (empty when there are none)."""
    import pandas as pd

    from db.models import KeywordResearch

    query = select(KeywordResearch).where(KeywordResearch.topic == require_url(url),
                                          KeywordResearch.source == SOURCE)
    if not actor.is_admin:
        query = query.where(KeywordResearch.user_id == actor.id)
    rows = []
    for row in session.scalars(query):
        meta: dict[str, Any] = row.meta or {}
        where = meta.get("positions") or {}
        rows.append((row.keyword, meta.get("score", 0.0), meta.get("occurrences", 0),
                     meta.get("words", 1), meta.get("density", 0.0), "title" in where,
                     any(k.startswith("h") for k in where), ", ".join(row.related_keywords or []),
                     row.created_at))
    frame = pd.DataFrame(rows, columns=KEYWORD_COLUMNS)
    return frame.sort_values(["score", "keyword"], ascending=[False, True],
                             ignore_index=True)
