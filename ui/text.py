"""Text a user or a website wrote, shown as text where Streamlit reads Markdown.

Streamlit renders Markdown in ``st.markdown``/``st.write``/``st.caption``, the bodies of
``st.info``/``st.error``/``st.warning``/``st.success``/``st.toast``, headers, and the labels of
widgets, expanders and tabs: links, images (fetched by the viewer's browser: a beacon), colours
(``:red[…]``), KaTeX (``$…$``), emphasis and HTML entities. ``plain`` backslash-escapes every
ASCII punctuation character (CommonMark lets any of them be escaped), so none of that syntax
survives, and keeps line breaks. Every such call in ``pages/`` and ``ui/`` takes a literal, or
dynamic text through ``plain`` (tests/hostile/test_markdown.py checks it).

Escapes cannot stop one thing: GitHub's autolinks. Streamlit's Markdown (remark-gfm) looks for a
bare URL (``http://…``, ``www.…``) or email address in each run of text once the escapes are
read, and makes it a link. ``plain`` breaks each such run where the pattern starts (between "h"
and "ttp://", "w" and "ww.", before "@") with an empty ``:small[]``, a Streamlit directive that
becomes an empty ``<span>``: nothing shown, copied or searched differently (an invisible
character there was all three; tests/browser/test_schemas_flow.py looks in Chromium).
"""

from __future__ import annotations

import re
from typing import Any

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# where remark-gfm's autolink patterns start: http(s)://, www., user@host
_AUTOLINK_STARTS = re.compile(r"(?<=h)(?=ttps?://)|(?<=w)(?=ww\.)|(?=@)", re.IGNORECASE)
SPLIT = ":small[]"  # an empty span in Streamlit's Markdown: splits a run of text, shows nothing


_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


def plain(value: Any) -> str:
    """``value`` as text that Markdown shows literally: ``[x](u)`` stays ``[x](u)``, a URL stays
    text. Line breaks are kept; a line's indentation becomes no-break spaces (four spaces would
    start a code block)."""
    text = SPLIT.join(_PUNCTUATION.sub(r"\\\1", part)
                      for part in _AUTOLINK_STARTS.split(str(value)))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INDENT.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), text)
    return text.replace("\n", "  \n")
