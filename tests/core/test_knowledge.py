"""The knowledge base: offline objective embeddings, registered domains, and which entry a new
build starts from."""

from __future__ import annotations

import uuid

import pytest

from core.builder import knowledge
from db.models import Build, KnowledgeBaseEntry

PACKAGE = {"version": 1, "container": "div.product",
           "fields": {"name": {"selector": "h2.name", "transforms": ["strip"]}}}
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}}


def similarity(a: str, b: str) -> float:
    """The cosine of two objectives' embeddings (unit vectors: their dot product)."""
    return sum(x * y for x, y in zip(knowledge.embed(a), knowledge.embed(b), strict=True))


def test_paraphrased_objectives_are_close_and_different_ones_are_not() -> None:
    products = "all products on these pages: name, price, rating, image, link"
    assert similarity(products, "every product with its name and price") \
        > knowledge.SIMILARITY_THRESHOLD
    assert similarity(products, "product listings with title, cost, stars, picture and url") \
        > knowledge.SIMILARITY_THRESHOLD
    assert similarity(products, "news articles with author and publication date") < 0.2
    assert similarity(products, "job offers: company, salary, location") < 0.2


def test_embeddings_are_unit_vectors_of_fixed_size() -> None:
    vector = knowledge.embed("all products: name, price")
    assert len(vector) == knowledge.DIMENSIONS
    assert abs(sum(v * v for v in vector) - 1) < 1e-3
    assert knowledge.embed("the of and") == [0.0] * knowledge.DIMENSIONS  # no content words


def test_platform_identifiers_are_registered_domains() -> None:
    assert knowledge.platform_identifiers([
        "https://www.shop.example.co.uk/a", "http://shop.example.co.uk/b?page=2",
        "http://127.0.0.1:8000/catalog", "https://blog.example.com/"]) == [
        "127.0.0.1", "example.co.uk", "example.com"]


def _entry(db, owner, objective: str, urls: list[str], *, public: bool = False,
           uses: int = 0) -> uuid.UUID:
    with db.transaction() as session:
        build = Build(user_id=owner.id, user_objective=objective, initial_target_urls=urls,
                      status="confirmed", final_config_package=PACKAGE, output_schema=SCHEMA)
        session.add(build)
        session.flush()
        entry = knowledge.remember(session, build)
        entry.is_public, entry.usage_count = public, uses
        return entry.id


def test_same_site_comes_first_then_a_similar_objective(db, analyst) -> None:
    other_site = _entry(db, analyst, "all products: name, price", ["https://other.example.org/"])
    same_site = _entry(db, analyst, "news articles with author", ["https://www.shop.example.com/x"])
    with db.transaction() as session:
        start = knowledge.find_starting_point(
            session, analyst.id, ["https://eu.shop.example.com/y"],
            "every product with its name and price")
        assert (start.entry_id, start.reason) == (same_site, "the same site (example.com)")
        start = knowledge.find_starting_point(session, analyst.id, ["https://new.example.net/"],
                                              "every product with its name and price")
        assert start.entry_id == other_site
        assert start.reason == "a similar objective (similarity 1.00)"  # same content words
        assert knowledge.find_starting_point(session, analyst.id, ["https://new.example.net/"],
                                             "job offers: company, salary") is None


def test_a_build_sees_its_owners_and_public_entries_only(db, analyst, make_user) -> None:
    stranger = make_user("analyst")
    _entry(db, stranger, "all products: name, price", ["https://shop.example/"])
    with db.transaction() as session:
        assert knowledge.find_starting_point(session, analyst.id, ["https://shop.example/"],
                                             "all products: name, price") is None
    public = _entry(db, stranger, "all products: name, price", ["https://shop.example/"],
                    public=True)
    with db.transaction() as session:
        start = knowledge.find_starting_point(session, analyst.id, ["https://shop.example/"],
                                              "all products: name, price")
        assert start.entry_id == public


def test_usage_count_grows_atomically(db, analyst) -> None:
    entry_id = _entry(db, analyst, "all products", ["https://shop.example/"], uses=2)
    with db.transaction() as session:
        knowledge.count_use(session, entry_id)
    with db.transaction() as session:
        assert session.get(KnowledgeBaseEntry, entry_id).usage_count == 3
        table = knowledge.list_entries(session, analyst)
        assert table.loc[0, "usage_count"] == 3 and table.loc[0, "sites"] == "shop.example"


def test_sharing_and_forgetting_entries(db, analyst, make_user) -> None:
    from core.platform.errors import NotFound, PermissionDenied
    from db.models import ObjectiveEmbedding

    other = make_user("analyst")
    entry_id = _entry(db, analyst, "all products", ["https://shop.example.com/"])
    with db.transaction() as session:
        assert knowledge.list_entries(session, other).empty
        knowledge.set_public(session, analyst, entry_id, True)
    with db.transaction() as session:
        assert knowledge.list_entries(session, other).owner.tolist() == [analyst.email]
    with pytest.raises(PermissionDenied), db.transaction() as session:
        knowledge.delete_entry(session, other, entry_id)
    with db.transaction() as session:
        knowledge.delete_entry(session, analyst, entry_id)
    with db.transaction() as session:
        assert session.query(KnowledgeBaseEntry).count() == 0
        assert session.query(ObjectiveEmbedding).count() == 0
    with pytest.raises(NotFound), db.transaction() as session:
        knowledge.set_public(session, analyst, entry_id, False)
