"""Pages flattened before parsing, and bodies decoded in bounded steps (the engine's defences
against hostile pages; the end-to-end cases are in tests/hostile)."""

import zlib

import brotli
import pytest

from core.scrape.decode import BodyTooLarge, DecodingError, decode_capped
from core.scrape.dom import MAX_NESTING, cap_nesting, parse_html


def test_a_page_within_the_depth_limit_is_returned_as_it_is() -> None:
    page = "<ul>" + "<li><p>x" * 5_000 + "</ul>" + "<div>" * 400 + "</div>" * 400
    assert cap_nesting(page) is page


def test_a_deep_page_is_flattened_and_keeps_its_innermost_and_outermost_structure() -> None:
    page = ("<html><body><p class='top'>t</p>" + "<div>" * 20_000
            + "<div class='product'><h2>Deep</h2><span>$1</span></div>" + "</div>" * 20_000
            + "<p class='after'>a</p></body></html>")
    flat = cap_nesting(page)
    document = parse_html(flat)
    assert flat.count("<div") <= MAX_NESTING + 1
    assert [n.text() for n in document.root.css("div.product > h2")] == ["Deep"]
    assert [n.text() for n in document.root.css("body > p")] == ["t", "a"]


def test_one_element_over_the_limit_is_flattened_however_many_end_tags_and_comments() -> None:
    # cap_nesting answers without scanning when the start tags alone cannot reach the limit
    within = "<div>" * MAX_NESTING + "</div>" * MAX_NESTING + "<!-- <p> -->" * 600
    assert cap_nesting(within) is within
    over = "<div>" * (MAX_NESTING + 1) + "x" + "</div>" * (MAX_NESTING + 1) + "<!-- -->" * 600
    flat = cap_nesting(over)
    assert flat.count("<div") == MAX_NESTING and "x" in flat


def test_markup_inside_scripts_and_comments_does_not_count() -> None:
    page = "<script>" + "'<div>'" * 1_000 + "</script><!--" + "<div>" * 1_000 + "-->"
    assert cap_nesting(page) is page


def test_a_brotli_bomb_stops_at_the_limit_without_expanding() -> None:
    bomb = brotli.compress(bytes(50_000_000), quality=5)
    with pytest.raises(BodyTooLarge):
        decode_capped("br", [bomb], 1_000_000)
    assert decode_capped("br", [brotli.compress(b"<p>ok</p>")], 1_000_000) == b"<p>ok</p>"


def test_gzip_and_deflate_are_decoded_and_an_unasked_encoding_is_refused() -> None:
    gzipper = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    body = gzipper.compress(b"<p>ok</p>") + gzipper.flush()
    assert decode_capped("gzip", [body[:5], body[5:]], 100) == b"<p>ok</p>"
    assert decode_capped("deflate", [zlib.compress(b"<p>ok</p>")], 100) == b"<p>ok</p>"
    with pytest.raises(DecodingError, match="Content-Encoding 'zstd' is not supported"):
        decode_capped("zstd", [b"\x28\xb5\x2f\xfd"], 100)
