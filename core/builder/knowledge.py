"""The knowledge base: confirmed packages remembered by site and by objective, and found again
when a new build starts.

- **Platform identifiers** are the registered domains of a build's sample URLs (tldextract with
  its bundled public-suffix list: it never downloads). A host with no public suffix (an IP
  address, ``localhost``, an intranet name) is its own identifier.
- **Objective embeddings** are computed here, offline, with no model: hashed word and character
  trigram features (light stemming and a few synonyms first), L2-normalised into a fixed
  ``DIMENSIONS``-long vector. "all products: name, price" and "every product with its name and
  price" land close together; "news articles by author" does not. Similarity is the cosine,
  computed in Python over the candidate entries (fine for thousands of entries; pgvector would
  be the next step for far more).
- **Reuse order**: an entry for the same registered domain first (the most similar objective
  among them), else the entry with the most similar objective above ``SIMILARITY_THRESHOLD``.
  A build sees its owner's entries and public ones.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core.platform.access import Actor, require_change
from core.platform.records import get_readable
from db.models import Build, KnowledgeBaseEntry, ObjectiveEmbedding, User

EMBEDDING_METHOD = "hashed-ngrams-v1"
DIMENSIONS = 256
SIMILARITY_THRESHOLD = 0.55  # cosine; paraphrases of one objective score ~0.6–0.9

_STOPWORDS = frozenset(
    "a an and any are as at be by each every for from get give i in into is it its me my of on "
    "or our please show that the their them these this those to want we what which with all "
    "list page pages site website also plus".split())
# Words people use for the same field; mapped to one spelling before hashing.
_SYNONYMS = {
    "cost": "price", "costs": "price", "prices": "price", "amount": "price",
    "title": "name", "titles": "name", "names": "name", "heading": "name",
    "picture": "image", "photo": "image", "thumbnail": "image", "img": "image", "images": "image",
    "url": "link", "href": "link", "links": "link", "urls": "link",
    "stars": "rating", "score": "rating", "ratings": "rating", "review": "rating",
    "item": "product", "items": "product", "products": "product", "goods": "product",
    "article": "post", "articles": "post", "posts": "post", "story": "post", "stories": "post",
    "writer": "author", "authors": "author", "published": "date", "dates": "date",
    "stock": "availability", "available": "availability",
}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class StartingPoint:
    """The entry a new build starts from, and why (shown to the user)."""

    entry_id: uuid.UUID
    package: dict[str, Any]
    output_schema: dict[str, Any]
    reason: str  # "the same site (shop.example)" or "a similar objective (similarity 0.72)"
    similarity: float


# --- Platform identifiers --------------------------------------------------------------------

@lru_cache(maxsize=1)
def _extractor() -> Any:
    import tldextract

    # suffix_list_urls=(): use the public-suffix list bundled with tldextract, never the network.
    return tldextract.TLDExtract(suffix_list_urls=())


def registered_domain(url: str) -> str | None:
    """``https://www.shop.example.co.uk/a`` → ``shop.example.co.uk``'s registered domain
    ``example.co.uk``; an IP address or a bare host name is returned as it is."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return None
    parts = _extractor()(host)
    return parts.top_domain_under_public_suffix or host.removeprefix("www.")


def platform_identifiers(urls: Iterable[str]) -> list[str]:
    return sorted({d for d in (registered_domain(u) for u in urls) if d})


# --- Objective embeddings --------------------------------------------------------------------

def _stem(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    for suffix in ("ing", "ies", "es", "s", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return _SYNONYMS.get(word, word)


def _terms(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def _features(text: str) -> Iterable[tuple[str, float]]:
    for term in _terms(text):
        yield f"w:{term}", 1.0
        padded = f"#{term}#"
        for i in range(len(padded) - 2):  # character trigrams catch spelling variants
            yield f"c:{padded[i:i + 3]}", 0.3


def embed(text: str) -> list[float]:
    """A unit-length vector for ``text`` (all zeros when it has no content words)."""
    vector = [0.0] * DIMENSIONS
    for feature, weight in _features(text):
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % DIMENSIONS
        sign = 1.0 if digest[4] & 1 else -1.0  # signed hashing: collisions cancel, not pile up
        vector[index] += sign * weight
    norm = math.sqrt(sum(v * v for v in vector))
    return [round(v / norm, 6) for v in vector] if norm else vector


def _dot(sparse: list[tuple[int, float]], vector: Sequence[float] | None) -> float:
    """Cosine of a sparse unit vector and a stored one (0 when it is missing or of another
    size)."""
    if not vector or len(vector) != DIMENSIONS:
        return 0.0
    return sum(weight * vector[index] for index, weight in sparse)


# --- The knowledge base ----------------------------------------------------------------------

def schema_hash(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def remember(session: Session, build: Build) -> KnowledgeBaseEntry:
    """Store a confirmed build's package as a knowledge-base entry (with its objective's vector)."""
    embedding = ObjectiveEmbedding(text_source=build.user_objective,
                                   embedding_vector=embed(build.user_objective),
                                   method=EMBEDDING_METHOD)
    session.add(embedding)
    session.flush()
    entry = KnowledgeBaseEntry(
        source_build_id=build.id, user_id=build.user_id,
        platform_identifiers=platform_identifiers(build.initial_target_urls or []),
        output_schema_hash=schema_hash(build.output_schema or {}),
        objective_embedding_id=embedding.id, objective=build.user_objective,
        config_package=build.final_config_package, output_schema=build.output_schema or {},
        usage_count=0)
    session.add(entry)
    session.flush()
    return entry


def find_starting_point(session: Session, user_id: uuid.UUID, urls: Sequence[str],
                        objective: str) -> StartingPoint | None:
    """The best entry for a new build: same registered domain first, then a similar objective.

    Light columns first (sites, usage), vectors only for the candidates that need comparing,
    and the package only for the winner: a knowledge base of thousands stays quick."""
    visible = or_(KnowledgeBaseEntry.user_id == user_id, KnowledgeBaseEntry.is_public)
    rows = session.execute(select(KnowledgeBaseEntry.id, KnowledgeBaseEntry.platform_identifiers,
                                  KnowledgeBaseEntry.usage_count, KnowledgeBaseEntry.created_at)
                           .where(visible)).all()
    if not rows:
        return None
    domains = set(platform_identifiers(urls))
    same_site = [r for r in rows if domains & set(r.platform_identifiers or [])]
    candidates = same_site or rows
    ranks = {r.id: (r.usage_count, r.created_at) for r in candidates}
    wanted = [(i, w) for i, w in enumerate(embed(objective)) if w]  # sparse: ~1 in 8 is set
    vectors = session.execute(
        select(KnowledgeBaseEntry.id, ObjectiveEmbedding.embedding_vector)
        .outerjoin(ObjectiveEmbedding,
                   ObjectiveEmbedding.id == KnowledgeBaseEntry.objective_embedding_id)
        .where(KnowledgeBaseEntry.id.in_(list(ranks)) if same_site else visible)).all()
    score, best = max(((_dot(wanted, vector), entry_id) for entry_id, vector in vectors),
                      key=lambda pair: (pair[0], *ranks[pair[1]]))
    entry = session.get_one(KnowledgeBaseEntry, best)
    if same_site:
        site = ", ".join(sorted(domains & set(entry.platform_identifiers)))
        return _starting_point(entry, f"the same site ({site})", score)
    if score < SIMILARITY_THRESHOLD:
        return None
    return _starting_point(entry, f"a similar objective (similarity {score:.2f})", score)


def _starting_point(entry: KnowledgeBaseEntry, reason: str, score: float) -> StartingPoint:
    return StartingPoint(entry_id=entry.id, package=entry.config_package,
                         output_schema=entry.output_schema, reason=reason,
                         similarity=round(score, 3))


def count_use(session: Session, entry_id: uuid.UUID) -> None:
    """One more build started from this entry (an atomic increment: builds may race)."""
    session.execute(update(KnowledgeBaseEntry).where(KnowledgeBaseEntry.id == entry_id)
                    .values(usage_count=KnowledgeBaseEntry.usage_count + 1))


KB_COLUMNS = ["id", "objective", "sites", "fields", "usage_count", "is_public", "owner",
              "created_at"]


def list_entries(session: Session, actor: Actor) -> Any:
    """The entries the actor's builds can start from (all of them for an admin), most used
    first, as a table."""
    import pandas as pd

    query = (select(KnowledgeBaseEntry, User.email)
             .join(User, User.id == KnowledgeBaseEntry.user_id)
             .order_by(KnowledgeBaseEntry.usage_count.desc(),
                       KnowledgeBaseEntry.created_at.desc()))
    if not actor.is_admin:
        query = query.where(or_(KnowledgeBaseEntry.user_id == actor.id,
                                KnowledgeBaseEntry.is_public))
    rows = [(e.id, e.objective, ", ".join(e.platform_identifiers or []),
             ", ".join((e.config_package or {}).get("fields", {})), e.usage_count, e.is_public,
             email, e.created_at) for e, email in session.execute(query)]
    return pd.DataFrame(rows, columns=KB_COLUMNS)


def set_public(session: Session, actor: Actor, entry_id: uuid.UUID | str,
               public: bool) -> None:
    """Share an entry with every user's builds (or stop sharing it)."""
    entry = get_readable(session, KnowledgeBaseEntry, entry_id, actor, "Knowledge-base entry")
    require_change(actor, entry.user_id, "knowledge-base entry")
    entry.is_public = public


def delete_entry(session: Session, actor: Actor, entry_id: uuid.UUID | str) -> None:
    """Forget an entry (builds that started from it keep what they have)."""
    entry = get_readable(session, KnowledgeBaseEntry, entry_id, actor, "Knowledge-base entry")
    require_change(actor, entry.user_id, "knowledge-base entry")
    embedding_id = entry.objective_embedding_id
    session.delete(entry)
    session.flush()
    if embedding_id is not None:
        session.execute(delete(ObjectiveEmbedding).where(ObjectiveEmbedding.id == embedding_id))
