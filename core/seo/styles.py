"""Which elements the page's own style sheets hide (``display: none``, ``visibility: hidden``
or ``collapse``), as Chrome in Lighthouse's mobile emulation (a 412 × 823 px screen) computes
it — for the audits that skip what is not rendered (axe-core's image-alt leaves hidden images
out; innerText leaves hidden text out).

Only the ``<style>`` elements of the page are read: style sheets from other files are not
fetched (in the bench they are on other hosts, which Lighthouse's Chromium cannot reach either;
on a live site this is a known difference). The cascade is followed for ``display`` and for
``visibility``, each on its own: the declaration that wins by importance, specificity and order
decides, and an inline ``style`` attribute beats a rule without ``!important``. (visibility is
inherited and a descendant may set it back to visible; the callers, which look at an element's
ancestors too, treat a hidden element's whole subtree as hidden, as they do for an inline
``visibility: hidden``.) Rules under ``@media`` apply when the query matches the emulated
screen; selectors that depend on state (``:hover``, ``::before``…) are left out, as are those
lexbor cannot run.

    hidden_by_styles(tree) → {mem_id of every element a rule hides}
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 412, 823  # Lighthouse's mobile screen emulation
EM = 16
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_DISPLAY = re.compile(r"(?:^|;|\s)display\s*:\s*([a-z-]+)\s*(!\s*important)?", re.IGNORECASE)
_VISIBILITY = re.compile(r"(?:^|;|\s)visibility\s*:\s*([a-z-]+)\s*(!\s*important)?",
                         re.IGNORECASE)
# The properties read, and the values of each that hide an element.
_PROPERTIES = {"display": (_DISPLAY, frozenset({"none"})),
               "visibility": (_VISIBILITY, frozenset({"hidden", "collapse"}))}
_STATEFUL = re.compile(r":(?:hover|focus|active|visited|checked|target|focus-within|"
                       r"focus-visible|placeholder-shown|autofill)|::|:(?:before|after|"
                       r"first-line|first-letter)\b", re.IGNORECASE)
_FEATURE = re.compile(r"\(\s*([a-z-]+)\s*(?::\s*([^)]*))?\)", re.IGNORECASE)
_LENGTH = re.compile(r"([\d.]+)\s*(px|em|rem)?", re.IGNORECASE)
_TOKENS = re.compile(r"#[\w-]+|\.[\w-]+|\[[^\]]*\]|:[\w-]+|(?<![\w-])[a-zA-Z][\w-]*")


def hidden_by_styles(tree: LexborHTMLParser) -> set[int]:
    """The mem_ids of the elements whose computed display is none, or whose visibility is
    hidden or collapse, by the page's style sheets."""
    rules = list(_style_rules(tree))
    if not any(value in _PROPERTIES[name][1] for name, _, value, _, _ in rules):
        return set()
    # (property, mem_id) -> (rank of the winning declaration, its value)
    winners: dict[tuple[str, int], tuple[tuple[int, tuple[int, int, int], int], str]] = {}
    nodes_by_id: dict[int, object] = {}
    matched_by_selector: dict[str, list[Any]] = {}
    for order, (name, selector, value, important, specificity) in enumerate(rules):
        if selector not in matched_by_selector:
            try:
                matched_by_selector[selector] = tree.css(selector)
            except Exception:  # a selector lexbor cannot run: the browser may; left out
                matched_by_selector[selector] = []
        rank = (int(important), specificity, order)
        for node in matched_by_selector[selector]:
            key = (name, node.mem_id)
            if key not in winners or winners[key][0] <= rank:
                winners[key] = (rank, value)
                nodes_by_id[node.mem_id] = node
    hidden = set()
    for (name, mem_id), ((important, _, _), value) in winners.items():
        pattern, hiding = _PROPERTIES[name]
        if value not in hiding:
            continue
        inline = pattern.search(nodes_by_id[mem_id].attributes.get("style") or "")  # type: ignore[attr-defined]
        if inline and not important and inline[1].lower() not in hiding:
            continue  # the style attribute shows it again
        hidden.add(mem_id)
    return hidden


def _style_rules(tree: LexborHTMLParser):  # type: ignore[no-untyped-def]
    """(property, selector, value, !important, specificity) of every applying style rule that
    sets display or visibility, in document order; a rule that only sets something else
    cannot hide anything."""
    removed = _removed_by_scripts(tree)
    for style in tree.css("style"):
        kind = (style.attributes.get("type") or "text/css").strip().lower()
        media = style.attributes.get("media")
        if kind not in ("text/css", "") or (media and not media_matches(media)):
            continue
        if style.attributes.get("id") in removed:
            continue
        css = _COMMENT.sub("", style.text() or "")
        if "display" not in css and "visibility" not in css:
            continue
        yield from _rules(css)


_BY_ID = re.compile(r"""getElementById\(\s*(['"])([\w:.-]+)\1\s*\)|"""
                    r"""querySelector\(\s*(['"])#([\w-]+)\3\s*\)""")
_REMOVES = re.compile(r"""removeChild\(|\.remove\(\s*\)|\.disabled\s*=\s*(?:true|!0|1)\b""")


def _removed_by_scripts(tree: LexborHTMLParser) -> set[str]:
    """The ids of the <style> elements an inline script looks up by id and removes (or
    disables): an "anti-flicker" sheet that hides the page until a script, or a timeout,
    takes it away. The browser Lighthouse runs has removed it by the time it looks."""
    ids: set[str] = set()
    for script in tree.css("script"):
        if "src" in script.attributes:
            continue
        code = script.text() or ""
        if "remove" not in code and "disabled" not in code or not _REMOVES.search(code):
            continue
        for found in _BY_ID.finditer(code):
            ids.add(found[2] or found[4])
    return ids


def _rules(css: str):  # type: ignore[no-untyped-def]
    position, length = 0, len(css)
    while position < length:
        brace = css.find("{", position)
        if brace < 0:
            return
        prelude = css[position:brace].strip()
        end = _block_end(css, brace)
        body = css[brace + 1:end]
        position = end + 1
        if prelude.startswith("@"):
            semicolon = prelude.rfind(";")  # "@import …; @charset …;" before the block
            prelude = prelude[semicolon + 1:].strip() if semicolon >= 0 else prelude
        if prelude.startswith("@"):
            name = prelude.split(None, 1)[0].lower()
            query = prelude[len(name):].strip()
            if (name == "@media" and media_matches(query)) or name == "@supports":
                yield from _rules(body)
            continue
        for name, (pattern, _) in _PROPERTIES.items():
            found = None
            for found in pattern.finditer(body):  # the last declaration of a block wins
                pass
            if found is None:
                continue
            value, important = found[1].lower(), bool(found[2])
            for selector in _split_selectors(prelude):
                if selector and not _STATEFUL.search(selector):
                    yield name, selector, value, important, _specificity(selector)


def _block_end(css: str, open_at: int) -> int:
    depth = 0
    for index in range(open_at, len(css)):
        char = css[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(css)


def _split_selectors(prelude: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(prelude):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(prelude[start:index].strip())
            start = index + 1
    parts.append(prelude[start:].strip())
    return parts


def _specificity(selector: str) -> tuple[int, int, int]:
    ids = classes = types = 0
    for token in _TOKENS.findall(re.sub(r":not\(|:is\(|:where\(", " ", selector)):
        if token.startswith("#"):
            ids += 1
        elif token[0] in ".[:":
            classes += 1
        else:
            types += 1
    return ids, classes, types


def media_matches(query: str) -> bool:
    """A media query list against the emulated phone screen (any of its queries matching)."""
    return any(_one_query(q.strip().lower()) for q in query.split(","))


def _one_query(query: str) -> bool:
    negate = query.startswith("not ")
    query = query[4:] if negate else query.removeprefix("only ")
    media_type = query.split("(", 1)[0].replace(" and", "").strip()
    result = media_type in ("", "all", "screen")
    for name, value in _FEATURE.findall(query):
        result = result and _feature(name, value.strip())
    return not result if negate else result


def _feature(name: str, value: str) -> bool:
    if name in ("min-width", "max-width", "min-device-width", "max-device-width", "width",
                "min-height", "max-height", "height"):
        length = _LENGTH.fullmatch(value)
        if not length:
            return False
        pixels = float(length[1]) * (EM if (length[2] or "px").lower() in ("em", "rem") else 1)
        actual = VIEWPORT_HEIGHT if "height" in name else VIEWPORT_WIDTH
        if name.startswith("min"):
            return actual >= pixels
        if name.startswith("max"):
            return actual <= pixels
        return actual == pixels
    if name == "orientation":
        return value == "portrait"
    if name in ("hover", "any-hover"):
        return value == "none"
    if name in ("pointer", "any-pointer"):
        return value == "coarse"
    if name == "prefers-color-scheme":
        return value == "light"
    if name == "prefers-reduced-motion":
        return value == "no-preference"
    return False
