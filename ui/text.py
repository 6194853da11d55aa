"""Text a user or a website wrote, shown as text where Streamlit reads Markdown.

Streamlit renders Markdown in ``st.markdown``/``st.write``/``st.caption``, the bodies of
``st.info``/``st.error``/``st.warning``/``st.success``/``st.toast``, headers, and the labels of
widgets, expanders and tabs: links, images (fetched by the viewer's browser: a beacon), colours
(``:red[…]``), KaTeX (``$…$``), emphasis and HTML entities. ``plain`` backslash-escapes every
ASCII punctuation character (CommonMark lets any of them be escaped), so none of that syntax
survives, and keeps line breaks. Every such call in ``pages/`` and ``ui/`` takes a literal, or
dynamic text through ``plain`` (tests/hostile/test_markdown.py checks it).
"""

from __future__ import annotations

import re
from typing import Any

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def plain(value: Any) -> str:
    """``value`` as text that Markdown shows literally: ``[x](u)`` stays ``[x](u)``. Line breaks
    are kept; a line's indentation becomes no-break spaces (four spaces would start a code
    block)."""
    text = _PUNCTUATION.sub(r"\\\1", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = _INDENT.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), text)
    return text.replace("\n", "  \n")
