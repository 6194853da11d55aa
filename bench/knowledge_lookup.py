"""Knowledge-base lookup at scale: how long a new build waits for its starting point.

    .venv/bin/python bench/knowledge_lookup.py                    # 1,000 and 10,000 entries
    .venv/bin/python bench/knowledge_lookup.py --entries 50000

For each size: a fresh SQLite database (a temporary file) gets that many knowledge-base entries
(objectives from a small vocabulary of record kinds and fields, spread over as many sites), then
``core.builder.knowledge.find_starting_point`` is timed for a build on a known site (the same-domain
path) and on an unknown site (the similar-objective path, which compares every entry). It also
prints the time to embed one objective. Similarity is computed in Python over the rows the
query returns; the figures say up to what size that stays comfortably below a build's fetch time
(a second or so), after which pgvector (or a prefilter) is the next step.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.builder import knowledge  # noqa: E402
from core.platform.database import open_database  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Build, KnowledgeBaseEntry, ObjectiveEmbedding, User  # noqa: E402

KINDS = ["products", "articles", "job offers", "events", "recipes", "hotels", "cars", "books"]
FIELDS = ["name", "price", "rating", "image", "link", "author", "date", "company", "salary",
          "location", "brand", "sku", "availability", "description", "title", "category"]


def objective(rng: random.Random) -> str:
    return f"all {rng.choice(KINDS)} on these pages: " + ", ".join(rng.sample(FIELDS, 5))


def fill(database, entries: int, rng: random.Random) -> uuid.UUID:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        user = User(email="bench@example.com", name="bench", role="analyst", password_hash="x")
        session.add(user)
        session.flush()
        build = Build(user_id=user.id, user_objective="bench", status="confirmed")
        session.add(build)
        session.flush()
        package = {"version": 1, "container": "div.item",
                   "fields": {f: {"selector": f".{f}"} for f in FIELDS[:5]}}
        embeddings, rows = [], []
        for n in range(entries):
            text = objective(rng)
            embedding = ObjectiveEmbedding(id=uuid.uuid4(), text_source=text,
                                           embedding_vector=knowledge.embed(text),
                                           method=knowledge.EMBEDDING_METHOD)
            embeddings.append(embedding)
            rows.append(KnowledgeBaseEntry(
                source_build_id=build.id, user_id=user.id, platform_identifiers=[f"site{n}.com"],
                output_schema_hash="0" * 64, objective_embedding_id=embedding.id, objective=text,
                config_package=package, output_schema={"type": "object"}, usage_count=0))
        session.add_all(embeddings)
        session.flush()
        session.add_all(rows)
        return user.id


def timed(call, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="*", default=[1_000, 10_000])
    args = parser.parse_args()
    rng = random.Random(7)
    text = "every product with its name, price and rating"
    print(f"embed one objective: {timed(lambda: knowledge.embed(text), 200) * 1000:.2f} ms")
    for entries in args.entries:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            database = open_database(url, migrate=False)
            user_id = fill(database, entries, rng)

            def lookup(urls: list[str]) -> None:
                with database.transaction() as session:
                    knowledge.find_starting_point(session, user_id, urls, text)

            same = timed(lambda: lookup(["https://www.site3.com/catalog"]))
            similar = timed(lambda: lookup(["https://unknown.example.org/"]))
            print(f"{entries:>7,} entries: same site {same * 1000:7.1f} ms · "
                  f"similar objective {similar * 1000:7.1f} ms (median of 5)")
            database.dispose()


if __name__ == "__main__":
    main()
