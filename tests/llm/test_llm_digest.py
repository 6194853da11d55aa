"""What a model is shown of a page: the structure and the values, not the noise."""

from __future__ import annotations

from core.llm.digest import MAX_JSON_LD_CHARS, MAX_TEXT_RUN, html_digest

PAGE = """<!doctype html><html><head><title>Lamps</title>
<meta name="description" content="All lamps"><style>.a { color: red }</style>
<script>var tracking = 1;</script>
<script type="application/ld+json">{"@type": "Product", "name": "Desk lamp"}</script></head>
<body><!-- a comment --><div class="product" style="color:red" onclick="go()" data-sku="A1">
   <h2 class="name">Desk   lamp</h2>
   <img src="/lamp.jpg" alt="Desk lamp" width="300"><span itemprop="price">€12.99</span>
   <svg viewBox="0 0 10 10"><path d="M0 0"/></svg></div></body></html>"""


def test_the_digest_keeps_structure_values_and_structured_data() -> None:
    assert html_digest(PAGE) == (
        '<!DOCTYPE html><html><head><title>Lamps</title>'
        '<meta name="description" content="All lamps">'
        '<script type="application/ld+json">{"@type": "Product", "name": "Desk lamp"}</script>'
        '</head><body><div class="product" data-sku="A1"><h2 class="name">Desk lamp</h2>'
        '<img src="/lamp.jpg" alt="Desk lamp"><span itemprop="price">€12.99</span></div>'
        '</body></html>')


def test_long_text_attributes_and_pages_are_cut() -> None:
    page = (f'<p class="a">{"word " * 200}</p><img src="data:image/png;base64,{"A" * 900}">'
            f'<script type="application/ld+json">{{"d": "{"x" * 5000}"}}</script>')
    digest = html_digest(page)
    assert f'<p class="a">{("word " * 200)[:MAX_TEXT_RUN]}…</p>' in digest
    prefix = "data:image/png;base64,"
    assert f'src="{prefix}{"A" * (200 - len(prefix))}…"' in digest
    assert len(digest) < MAX_TEXT_RUN + MAX_JSON_LD_CHARS + 400
    assert digest.endswith("…</script></body></html>")
    long_list = "".join(f'<li class="item">Item {n}</li>' for n in range(2000))
    assert html_digest(long_list, max_chars=500).endswith(" [… cut]")
    assert len(html_digest(long_list, max_chars=500)) == 500 + len(" [… cut]")
