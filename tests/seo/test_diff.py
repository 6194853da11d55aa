"""Evidence reads as text in tables and reports, and its key stays stable."""

from core.seo.diff import evidence_key, evidence_text


def test_evidence_reads_as_plain_text_not_python_reprs() -> None:
    item = {"missing": ["og:title", "og:image"], "found": {}, "note": None}
    assert evidence_text(item) == "missing: og:title, og:image; found: none"


def test_nested_values_read_as_key_value_pairs() -> None:
    assert evidence_text({"header": {"x-robots-tag": "noindex"}}) == "header: x-robots-tag=noindex"


def test_the_key_of_an_item_with_an_identifying_field_ignores_the_wording() -> None:
    assert evidence_key({"src": "/a.png", "text": "old words"}) == \
        evidence_key({"src": "/a.png", "text": "new words"})
