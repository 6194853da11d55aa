"""A fetched page as the audits see it: the response's facts plus the parsed document.

    page = Page(url, final_url, status=200, headers={...}, html="<html>…", robots=RobotsFile(…))
    page.title, page.metas, page.link_elements, page.anchors, page.images …

Parsing is lexbor (selectolax), an HTML5 parser: elements land where a browser puts them (a
``<link>`` written in the body stays in the body, an ``<a>`` inside ``<svg>`` stays there), which
Lighthouse's rules depend on. Everything is computed once, on first use (``cached_property``), so
an audit pays only for what it reads.

Browsers, and so Lighthouse, parse with scripting on: the content of ``<noscript>`` is raw text
there, never elements (a tracking ``<img>`` in a ``<noscript>`` in the head neither ends the head
nor counts as an image). Lexbor parses with scripting off, so the page is parsed after
``scripting_on`` has emptied every ``<noscript>`` element (the element stays; ``page.html`` keeps
the page as served). If lexbor cannot parse a page at all, ``page.tree`` raises ``ParseFailed``
and the audit says the page could not be checked.

The element records mirror Lighthouse's artifacts (``LinkElements``, ``AnchorElements``,
``MetaElements``): same fields, same normalisation (rel lower-cased, href resolved against the
final URL, ``source`` head/body/headers), so the audits can follow Lighthouse's code line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.scrape.urls import normalize_url, resolve

TEXT_SKIPPED = frozenset({"script", "style", "noscript", "template"})
BOILERPLATE = "nav, header, footer"
_WHITESPACE = re.compile(r"\s+")
# A listener attached by an inline script to an element it looks up by selector or id, e.g.
# document.querySelector('.some-link').addEventListener('click', …). Lighthouse asks Chrome for
# each anchor's listeners; without running scripts this is the part that can be read from the page.
_LISTENER = re.compile(
    r"""\.(querySelector|querySelectorAll|getElementById)\(\s*(['"`])(.+?)\2\s*\)"""
    r"""(?:\s*\[\s*\d+\s*\])?\s*\.(?:addEventListener\(\s*['"`](\w+)['"`]|on(\w+)\s*=)""")
# With --render, AUDIT_PROBE runs before the page's scripts and writes into the DOM what
# Lighthouse asks Chrome for, so that the serialised DOM carries it:
# - LISTENER_ATTRIBUTE on every element that has event listeners (their types, space-separated):
#   attached with addEventListener (and not removed since) or set as an on… property
#   (el.onclick = …), whichever script did it — an inline one or a script file;
# - once the page has settled (one second after "load", then until its DOM has been quiet for
#   half a second, at most five seconds after "load": Lighthouse too waits after load),
#   HIDDEN_ATTRIBUTE on every <img>, <a> and element inside an <a> that the browser does not
#   render (display:none on it or an ancestor, visibility:hidden, a closed <details>) —
#   computed with every style sheet, those in files and those a script changed, on
#   Lighthouse's phone screen — and AUDITED_ATTRIBUTE on <html>: the render waits for it (AUDITED).
LISTENER_ATTRIBUTE = "data-scrapedeck-listeners"
HIDDEN_ATTRIBUTE = "data-scrapedeck-hidden"
AUDITED_ATTRIBUTE = "data-scrapedeck-audited"
AUDITED = f"html[{AUDITED_ATTRIBUTE}]"
AUDIT_PROBE = """(() => {
  const LISTENERS = "%(listeners)s", HIDDEN = "%(hidden)s", AUDITED = "%(audited)s";
  const kept = new WeakMap();  // element -> Map(type -> [[listener, capture], …])
  const listOf = (element, type) => {
    let byType = kept.get(element);
    if (!byType) kept.set(element, byType = new Map());
    if (!byType.has(type)) byType.set(type, []);
    return byType.get(type);
  };
  const mark = (element) => {
    const types = [...(kept.get(element) || new Map())].filter(([, l]) => l.length).map(([t]) => t);
    if (types.length) element.setAttribute(LISTENERS, types.join(" "));
    else element.removeAttribute(LISTENERS);
  };
  const captures = (options) =>
    typeof options === "boolean" ? options : Boolean(options && options.capture);
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (this instanceof Element && listener) {
      const list = listOf(this, String(type)), capture = captures(options);
      if (!list.some(([l, c]) => l === listener && c === capture)) list.push([listener, capture]);
      mark(this);
    }
    return add.apply(this, arguments);
  };
  EventTarget.prototype.removeEventListener = function (type, listener, options) {
    if (this instanceof Element && kept.has(this)) {
      const list = listOf(this, String(type)), capture = captures(options);
      const at = list.findIndex(([l, c]) => l === listener && c === capture);
      if (at >= 0) list.splice(at, 1);
      mark(this);
    }
    return remove.apply(this, arguments);
  };
  const PROPERTY = {};  // stands for a handler set as a property (el.onclick = …)
  for (const proto of [HTMLElement.prototype, SVGElement.prototype]) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const described = Object.getOwnPropertyDescriptor(proto, name);
      if (!name.startsWith("on") || !described || !described.set) continue;
      if (!described.configurable) continue;
      Object.defineProperty(proto, name, {...described, set(value) {
        described.set.call(this, value);
        const list = listOf(this, name.slice(2)), at = list.findIndex(([l]) => l === PROPERTY);
        if (typeof value === "function" && at < 0) list.push([PROPERTY, false]);
        if (typeof value !== "function" && at >= 0) list.splice(at, 1);
        mark(this);
      }});
    }
  }
  const shown = (element) => {
    if (element.checkVisibility) {
      return element.checkVisibility({visibilityProperty: true})
        || getComputedStyle(element).display === "contents";
    }
    for (let e = element; e; e = e.parentElement) {
      if (getComputedStyle(e).display === "none") return false;
    }
    return !["hidden", "collapse"].includes(getComputedStyle(element).visibility);
  };
  let finished = false, observer = null;
  const finish = () => {
    if (finished || window !== window.top || !document.documentElement) return;
    finished = true;
    if (observer) observer.disconnect();
    for (const element of document.querySelectorAll("img, a, a *")) {
      if (shown(element)) element.removeAttribute(HIDDEN);
      else element.setAttribute(HIDDEN, "");
    }
    document.documentElement.setAttribute(AUDITED, "");
  };
  window.addEventListener("load", () => {
    let timer = null;
    const quiet = () => { clearTimeout(timer); timer = setTimeout(finish, 500); };
    setTimeout(() => {
      observer = new MutationObserver(quiet);
      observer.observe(document, {subtree: true, childList: true, characterData: true});
      quiet();
    }, 1000);
    setTimeout(finish, 5000);
  });
})();""" % {"listeners": LISTENER_ATTRIBUTE, "hidden": HIDDEN_ATTRIBUTE,
             "audited": AUDITED_ATTRIBUTE}
_PROBE_ATTRIBUTES = frozenset({LISTENER_ATTRIBUTE, HIDDEN_ATTRIBUTE, AUDITED_ATTRIBUTE})
# Event handler attributes: each is a listener Chrome reports on its element.
_HANDLER_ATTRIBUTES = frozenset("on" + e for e in (
    "click dblclick auxclick contextmenu mousedown mouseup mouseover mouseout mousemove "
    "mouseenter mouseleave pointerdown pointerup pointerover pointerout pointerenter "
    "pointerleave pointermove touchstart touchend touchmove keydown keyup keypress focus blur "
    "change input submit load error wheel drag dragstart dragend drop").split())
# On <body> (and <frameset>) these attributes set the window's handlers, not the element's.
_WINDOW_HANDLERS_ON_BODY = frozenset({"onload", "onerror", "onfocus", "onblur"})


class ParseFailed(Exception):
    """The HTML parser could not build a document from the page."""


# Where, reading the page as the HTML tokenizer does, a <noscript> element's content starts and
# ends. Comments and the raw-text elements (script, style…) are skipped as wholes, so a
# "<noscript>" written inside a script's string or a comment is left alone.
_MARKUP = re.compile(r"<(?:!--|(script|style|textarea|title|xmp|iframe|noembed|noframes|"
                     r"noscript)(?=[\s/>]))", re.IGNORECASE)
_RAW_END = {name: re.compile(rf"</{name}(?=[\s/>])", re.IGNORECASE)
            for name in ("script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                         "noframes", "noscript")}
_COMMENT_END = re.compile(r"--!?>")


def scripting_on(html: str) -> str:
    """``html`` with the content of every ``<noscript>`` element removed, so that a parser with
    scripting off (lexbor) builds the tree a browser with scripting on builds: there the
    content is one text node that is never rendered, and the elements around it stay where
    they are. Pages without "noscript" are returned as they are."""
    lowered = html.lower()
    if "<noscript" not in lowered:
        return html
    parts: list[str] = []
    position = 0
    for_search = 0
    while True:
        found = _MARKUP.search(html, for_search)
        if found is None:
            break
        name = (found[1] or "").lower()
        if not name:  # a comment: skip to its end (an unclosed one runs to the end)
            if html.startswith((">", "->"), found.end()):  # <!--> and <!---> end at once
                for_search = html.find(">", found.end()) + 1
                continue
            end = _COMMENT_END.search(html, found.end())
            for_search = end.end() if end else len(html)
            continue
        tag_end = html.find(">", found.end())
        if tag_end < 0:
            break
        if _inside_a_tag(html, found.start()):  # "<script" inside an attribute value
            for_search = found.end()
            continue
        closing = _RAW_END[name].search(html, tag_end + 1)
        content_end = closing.start() if closing else len(html)
        if name == "noscript":
            parts.append(html[position:tag_end + 1])
            position = content_end
        for_search = closing.end() if closing else len(html)
    parts.append(html[position:])
    return "".join(parts)


def _inside_a_tag(html: str, at: int) -> bool:
    """Whether ``at`` lies between a tag's "<" and its ">" (an approximation: the nearest "<"
    before ``at`` comes after the nearest ">")."""
    return html.rfind("<", 0, at) > html.rfind(">", 0, at)


@dataclass(frozen=True)
class RobotsFile:
    """What asking for ``/robots.txt`` gave: ``status`` None when nothing answered."""

    url: str
    status: int | None
    text: str = ""
    error: str | None = None


@dataclass(frozen=True)
class LinkElement:
    """A ``<link>`` element or one entry of a ``Link:`` response header (``source`` "headers")."""

    rel: str  # lower-cased
    href: str | None  # resolved against the final URL; None when it cannot be
    href_raw: str  # as written ("" when absent)
    hreflang: str
    source: str  # "head", "body" or "headers"
    rel_raw: str = ""  # Lighthouse's link.rel: lower-cased, not trimmed ("canonical " ≠ "canonical")


@dataclass(frozen=True)
class Anchor:
    """An ``<a>`` element (HTML or SVG)."""

    href_raw: str | None  # the attribute as written; None when there is none
    href: str  # resolved against the document's base URL ("" without an href)
    rel: str
    text: str  # the text a reader sees, whitespace collapsed
    text_lang: str | None  # the lang all its text is in, None when mixed or unknown
    role: str
    name: str
    id: str
    onclick: str
    has_listener: bool  # Chrome reports a listener on it or on an element around it (below)
    html: str  # the element's opening tag, as evidence
    attribute_names: tuple[str, ...] = ()  # Element.getAttributeNames()
    svg: bool = False  # an SVG <a>


@dataclass(frozen=True)
class Image:
    src: str
    alt: str | None  # None: no alt attribute; "" for a bare <img alt>
    html: str
    decorative: bool  # role="presentation"/"none" (and nothing overriding it)
    labelled: bool  # aria-label, aria-labelledby or title gives it a name
    hidden: bool = False  # hidden from assistive tech: axe-core does not check it
    checked: bool = True  # axe-core's image-alt applies to it (its role needs a name, or none)


@dataclass(frozen=True)
class ScriptSigns:
    """What the page's scripts may do to what the audits count, read without running them:
    Lighthouse runs them first, so where they act its counts can differ from the HTML's."""

    files: int  # <script src> elements a browser runs (script files: what they do is unknown)
    inserts_images: bool  # an inline script builds <img> elements (not by document.write)
    attaches_listeners: bool  # an inline script attaches listeners not read from its code
    changes_styles: bool  # an inline script changes classes, styles or style sheets

    @property
    def any(self) -> bool:
        return bool(self.files or self.inserts_images or self.attaches_listeners
                    or self.changes_styles)


@dataclass
class Page:
    url: str
    final_url: str
    status: int | None
    headers: dict[str, str]  # lower-case names
    html: str
    redirects: list[str] = field(default_factory=list)
    response_time_ms: float | None = None
    page_bytes: int | None = None
    robots: RobotsFile | None = None
    rendered: bool = False  # the DOM after scripts ran, marked by AUDIT_PROBE (see above)

    # -- the document -------------------------------------------------------------------------

    @cached_property
    def tree(self) -> LexborHTMLParser:
        try:
            return LexborHTMLParser(scripting_on(self.html))
        except Exception as exc:  # lexbor refused the document: say so, never a traceback
            raise ParseFailed(f"the HTML parser could not read the page ({exc})") from exc

    @cached_property
    def base_url(self) -> str:
        base = self.tree.css_first("base[href]")
        href = (base.attributes.get("href") or "").strip() if base is not None else ""
        return urljoin(self.final_url, href) if href else self.final_url

    @cached_property
    def title(self) -> str | None:
        """``document.title``: the first HTML ``<title>``'s text (an SVG's <title> is not the
        document's), whitespace collapsed; None if none."""
        node = next((n for n in self.tree.css("title") if not _inside(n, "svg")), None)
        return None if node is None else collapse(node.text())

    @cached_property
    def lang(self) -> str | None:
        html = self.tree.css_first("html")
        value = html.attributes.get("lang") if html is not None else None
        return value.strip() if value and value.strip() else None

    @cached_property
    def metas(self) -> list[dict[str, str]]:
        """The ``<meta>`` elements of the head: name (lower-cased), property, content, charset."""
        head = self.tree.head
        nodes = head.css("meta") if head is not None else []
        # Lighthouse's MetaElements: `head meta`, name lower-cased (not trimmed).
        return [{"name": (n.attributes.get("name") or "").lower(),
                 "property": (n.attributes.get("property") or "").strip().lower(),
                 "content": n.attributes.get("content") or "",
                 "html": opening_tag(n)} for n in nodes]

    def meta(self, name: str) -> dict[str, str] | None:
        return next((m for m in self.metas if m["name"] == name), None)

    @cached_property
    def meta_description(self) -> str | None:
        found = self.meta("description")
        return found["content"].strip() if found else None

    @cached_property
    def link_elements(self) -> list[LinkElement]:
        """Lighthouse's LinkElements: ``<link>`` elements in document order, then the ``Link``
        header's entries."""
        links = []
        for node in self.tree.css("link"):
            if _inside(node, "svg"):  # an SVG <link> is not an HTMLLinkElement
                continue
            raw = node.attributes.get("href") or ""
            links.append(LinkElement(
                rel_raw=(node.attributes.get("rel") or "").lower(),
                rel=(node.attributes.get("rel") or "").strip().lower(),
                href=resolve(raw, self.base_url) if raw else None,
                href_raw=raw,
                hreflang=node.attributes.get("hreflang") or "",
                source="head" if _inside(node, "head") else "body"))
        for entry in parse_link_header(self.headers.get("link", "")):
            links.append(LinkElement(rel=entry.get("rel", "").strip().lower(),
                                     rel_raw=entry.get("rel", "").lower(),
                                     href=resolve(entry["uri"], self.final_url),
                                     href_raw=entry["uri"], hreflang=entry.get("hreflang", ""),
                                     source="headers"))
        return links

    @cached_property
    def _anchor_nodes(self) -> list[LexborNode]:
        return self.tree.css("a")

    @cached_property
    def hyperlinks(self) -> list[tuple[str, str]]:
        """(URL, rel lower-cased) of each ``<a href>`` leading to a web page, in document order:
        the URL absolute and in ``normalize_url``'s form (no fragment). Read from the attributes
        only, so the crawler (which needs just these) does not pay for ``anchors``."""
        links = []
        for node in self._anchor_nodes:
            attrs = node.attributes
            raw = attrs.get("href")
            url = normalize_url(raw, self.base_url) if raw is not None else None
            if url is not None:
                links.append((url, (attrs.get("rel") or "").lower()))
        return links

    @cached_property
    def anchors(self) -> list[Anchor]:
        """Lighthouse's AnchorElements: every <a>, HTML or SVG, with its listeners."""
        listened = self._nodes_with_listeners
        hidden = self.hidden_by_styles
        anchors = []
        for node in self._anchor_nodes:
            attrs = node.attributes
            svg = _inside(node, "svg")
            raw = attrs.get("href")
            if raw is None and "href" in attrs:
                raw = ""
            if svg:  # SVGAElement: href.baseVal (href or xlink:href), resolved; textContent
                target = attrs.get("href") or attrs.get("xlink:href") or ""
                href = resolve(target, self.base_url) or ""
                text, lang = anchor_text_and_lang(node, rendered=False)
            else:  # HTMLAnchorElement.href: "" without the attribute, else resolved (or as is)
                href = "" if raw is None else (resolve(raw, self.base_url) or raw)
                text, lang = anchor_text_and_lang(node, by_styles=hidden)
            anchors.append(Anchor(
                href_raw=raw, href=href,
                rel=(attrs.get("rel") or "").lower(), text=text, text_lang=lang,
                role=attrs.get("role") or "", name=(attrs.get("name") or "") if not svg else "",
                id=attrs.get("id") or "", onclick=attrs.get("onclick") or "",
                has_listener=self._listens(node, listened),
                html=opening_tag(node), svg=svg,
                attribute_names=tuple(a for a in attrs if a not in _PROBE_ATTRIBUTES)))
        return anchors

    @staticmethod
    def _listens(node: LexborNode, listened: set[int]) -> bool:
        """Lighthouse 12.8.2's ``listeners.length || ancestorListeners.length``: Chrome reports
        an event listener (DOMDebugger.getEventListeners) on ``node`` or on an element around
        it, up to <html> (the document and the window are not on its node path, so theirs do
        not count). Lighthouse 13 stopped counting the ancestors (PR 16731); ScrapeDeck follows
        the version it is compared with (``core.seo.lighthouse.LIGHTHOUSE_VERSION``).

        A listener is an on… attribute or one the render probe recorded, on ``node`` or an
        ancestor — except onload, onerror, onfocus and onblur on <body>, which are the window's
        handlers there (HTML's "window-reflecting body element event handler set") — or, read
        as served, one an inline script attaches to ``node`` itself by selector
        (``listened``). Such a listener is read from code that may never run; on the <a> the
        selector names that link, but on <body> it would make every placeholder of the page a
        failure on a guess, so the ancestors' are left to the render."""
        if node.mem_id in listened:
            return True
        current: LexborNode | None = node
        while current is not None and current.tag not in ("-undef", "-document", None):
            attrs = current.attributes
            handlers = _HANDLER_ATTRIBUTES.intersection(attrs)
            if current.tag in ("body", "frameset"):
                handlers -= _WINDOW_HANDLERS_ON_BODY
            if LISTENER_ATTRIBUTE in attrs or handlers:
                return True
            current = current.parent
        return False

    @cached_property
    def _nodes_with_listeners(self) -> set[int]:
        """The elements an inline script attaches a listener to, read from its code; none when
        the page was rendered with AUDIT_PROBE (it recorded every listener)."""
        found: set[int] = set()
        if self.probed:
            return found
        for script in self.tree.css("script"):
            if script.attributes.get("src"):
                continue
            for match in _LISTENER.finditer(script.text() or ""):
                method, selector = match[1], match[3]
                if method == "getElementById":
                    selector = f'[id="{selector}"]'
                try:
                    nodes = self.tree.css(selector)
                except Exception:  # a selector lexbor cannot read: the listener stays unknown
                    continue
                if method != "querySelectorAll":
                    nodes = nodes[:1]
                found.update(n.mem_id for n in nodes)
        return found

    @cached_property
    def images(self) -> list[Image]:
        """The <img> elements (never those inside <noscript>: with scripting on there are
        none), and those an inline script writes with document.write (``written_images``),
        with what axe-core's image-alt rule reads of each."""
        images = []
        for node, place in [(n, n) for n in self.tree.css("img")] + self.written_images:
            attrs = node.attributes
            role = _explicit_role(attrs.get("role"))
            focusable = "tabindex" in attrs
            overridden = focusable or any(a in attrs for a in _GLOBAL_ARIA)
            images.append(Image(
                src=attrs.get("src") or "",
                alt=(attrs.get("alt") or "") if "alt" in attrs else None,  # presence counts
                html=opening_tag(node),
                decorative=role in ("presentation", "none") and not overridden,
                labelled=bool((attrs.get("aria-label") or "").strip()
                              or (attrs.get("title") or "").strip()
                              or self._labelled_by(attrs.get("aria-labelledby"))),
                hidden=_hidden_from_assistive_tech(place, self.hidden_by_styles),
                checked=role in ("", "presentation", "none") or role in _NAME_REQUIRED
                or focusable))
        return images

    @cached_property
    def probed(self) -> bool:
        """The DOM was rendered with AUDIT_PROBE, which finished: its marks say what Chrome
        says (listeners, what is not rendered)."""
        return self.rendered and self.tree.css_first(AUDITED) is not None

    @cached_property
    def hidden_by_styles(self) -> set[int]:
        """The elements the page's styles hide (display: none), by mem_id: rendered, those the
        browser marked (every style sheet, as the page's scripts left them); otherwise those
        the page's own <style> rules hide."""
        if self.probed:
            return {n.mem_id for n in self.tree.css(f"[{HIDDEN_ATTRIBUTE}]")}
        from core.seo.styles import hidden_by_styles

        return hidden_by_styles(self.tree)

    @cached_property
    def written_images(self) -> list[tuple[LexborNode, LexborNode]]:
        """(<img>, the script that writes it) for each image an inline script writes with
        ``document.write``: a browser runs the script while parsing and the image joins the
        page there (a counter pixel, typically). The markup is read from the script's string
        literals, joined in order (what is computed between them — a random number, the screen
        size — is left out: it only ever lands inside an attribute value). None when the page
        was rendered: the written images are in its DOM."""
        found: list[tuple[LexborNode, LexborNode]] = []
        if self.rendered:
            return found
        for script in self.tree.css("script"):
            attrs = script.attributes
            kind = (attrs.get("type") or "").strip().lower()
            if "src" in attrs or kind not in _CLASSIC_SCRIPT_TYPES:
                continue
            code = script.text() or ""
            # document.write(…), or through an alias (d = document; d.write(…))
            if ".write" not in code or not _WRITE_CALL.search(code) or "<img" not in code.lower():
                continue
            markup = "".join(_string_literals(code))
            if "<img" not in markup.lower():
                continue
            written = LexborHTMLParser(markup, is_fragment=True)
            found += [(img, script) for img in written.css("img")]
            self._keep_alive.append(written)
        return found

    @cached_property
    def script_signs(self) -> ScriptSigns:
        """What the page's scripts may change in the counted images and links (for the notes
        of a raw audit: ``core.seo.audits.base.script_note``)."""
        files, images, listeners, styles = 0, False, False, False
        for script in self.tree.css("script"):
            attrs = script.attributes
            kind = (attrs.get("type") or "").strip().lower()
            if kind not in _CLASSIC_SCRIPT_TYPES and kind != "module":
                continue  # JSON-LD, templates…: never run
            if "src" in attrs:
                files += bool((attrs.get("src") or "").strip())
                continue
            code = script.text() or ""
            images = images or bool(_BUILDS_IMAGES.search(code)) or (
                "<img" in code.lower() and not _WRITE_CALL.search(code))  # markup, not written
            attached = len(_ATTACHES.findall(code))
            listeners = listeners or attached > len(_LISTENER.findall(code))
            styles = styles or bool(_CHANGES_STYLES.search(code))
        return ScriptSigns(files, images, listeners, styles)

    @cached_property
    def _keep_alive(self) -> list[LexborHTMLParser]:
        return []

    def _labelled_by(self, ids: str | None) -> bool:
        """aria-labelledby names an element that has text."""
        for element_id in (ids or "").split():
            found = self.tree.css_first(f'[id="{element_id}"]') if '"' not in element_id \
                and "\\" not in element_id else None
            if found is not None and collapse(found.text()):
                return True
        return False

    @cached_property
    def headings(self) -> list[dict[str, Any]]:
        return [{"level": int((n.tag or "h0")[1]), "text": collapse(n.text())}
                for n in self.tree.css("h1, h2, h3, h4, h5, h6")]

    @cached_property
    def _texts(self) -> tuple[str, str]:
        """(visible text of the body, its main text), read from one copy of the parsed
        document (stripping must not change ``self.tree``; copying costs half a parse). The
        main text also leaves out navigation, header and footer, which every page of a site
        repeats (the crawl compares pages by it)."""
        try:
            tree = self.tree.clone()
        except Exception:  # lexbor cannot clone some documents (a SYSTEM doctype): parse again
            tree = LexborHTMLParser(scripting_on(self.html))
        tree.strip_tags(list(TEXT_SKIPPED))
        body = tree.body
        if body is None:
            return "", ""
        visible = body.text(separator=" ")
        for node in body.css(BOILERPLATE):
            node.decompose()
        return visible, body.text(separator=" ")

    @cached_property
    def body_text(self) -> str:
        """The visible text of the body (scripts, styles and templates left out)."""
        return collapse(self._texts[0])

    @property
    def main_text(self) -> str:
        """The body's text without scripts, styles, navigation, header and footer."""
        return self._texts[1]

    @cached_property
    def word_count(self) -> int:
        return len(re.findall(r"\w+", self.body_text))

    # -- the response -------------------------------------------------------------------------

    @cached_property
    def location(self) -> str:
        """The final URL normalised like the element URLs it is compared with."""
        return resolve(self.final_url, self.final_url) or self.final_url

    @property
    def is_https(self) -> bool:
        return urlsplit(self.final_url).scheme == "https"

    @cached_property
    def host(self) -> str:
        return (urlsplit(self.final_url).hostname or "").lower()

    def same_site(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() == self.host

    @cached_property
    def link_lists(self) -> dict[str, list[str]]:
        """The followable links: internal, external and nofollow (absolute, no fragment)."""
        found: dict[str, dict[str, None]] = {"internal": {}, "external": {}, "nofollow": {}}
        for url, rel in self.hyperlinks:
            if "nofollow" in rel.split():
                found["nofollow"][url] = None
            else:
                found["internal" if self.same_site(url) else "external"][url] = None
        return {kind: list(urls) for kind, urls in found.items()}


def collapse(text: str | None) -> str:
    return _WHITESPACE.sub(" ", text or "").strip()


def without_fragment(url: str) -> str:
    return urldefrag(url).url


_PROBE_MARK = re.compile(rf'\s(?:{"|".join(sorted(_PROBE_ATTRIBUTES))})(?:="[^"]*")?')


def opening_tag(node: LexborNode, limit: int = 200) -> str:
    html = node.html or ""
    end = html.find(">")
    tag = _PROBE_MARK.sub("", html[:end + 1] if end >= 0 else html)
    return tag if len(tag) <= limit else tag[:limit] + "…"


def _inside(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def _lang_of(node: LexborNode | None) -> str | None:
    """The ``lang`` of the closest element that sets one (Element.closest('[lang]'))."""
    while node is not None:
        if node.tag not in ("-text", "-comment"):
            lang = node.attributes.get("lang")
            if lang is not None:
                return lang
        node = node.parent
    return None


# ARIA roles whose element must have an accessible name (axe-core 4.14's standards), and the
# global ARIA attributes: an explicit role="presentation" is ignored when one of these is set.
_NAME_REQUIRED = frozenset(
    "alertdialog application button checkbox combobox dialog image img link listbox menuitem "
    "menuitemcheckbox menuitemradio meter option progressbar radio searchbox slider spinbutton "
    "switch textbox toolbar treeitem graphics-document graphics-symbol".split())
_GLOBAL_ARIA = frozenset(
    "aria-actions aria-atomic aria-braillelabel aria-brailleroledescription aria-busy "
    "aria-controls aria-current aria-describedby aria-description aria-details aria-disabled "
    "aria-dropeffect aria-errormessage aria-flowto aria-grabbed aria-haspopup aria-invalid "
    "aria-keyshortcuts aria-label aria-labelledby aria-live aria-owns aria-relevant "
    "aria-roledescription".split())
_HIDING_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b",
                           re.IGNORECASE)
# Elements that are never rendered: their text is not in innerText.
_NOT_RENDERED = frozenset({"script", "style", "noscript", "template", "head", "title", "desc",
                           "metadata", "defs", "symbol", "clippath", "mask", "pattern",
                           "lineargradient", "radialgradient", "marker", "filter", "datalist"})


_WRITE_CALL = re.compile(r"\.write(?:ln)?\s*\(")
# What an inline script does to the counted items, read from its code (ScriptSigns).
_BUILDS_IMAGES = re.compile(r"""createElement\(\s*['"`]img['"`]|new\s+Image\s*\(""",
                            re.IGNORECASE)
_ATTACHES = re.compile(r"""\.addEventListener\s*\(|\.on[a-z]+\s*=(?!=)|\.on\(\s*['"`]|"""
                       r"""\.(?:click|bind|delegate|live)\(\s*(?:['"`]|function|\()""")
_CHANGES_STYLES = re.compile(r"""classList\.|\.className\s*=(?!=)|\.style\.|\.disabled\s*=|"""
                             r"""\.(?:add|remove|toggle)Class\(|\.css\(|removeChild\(|"""
                             r"""\.remove\(\s*\)|setAttribute\(\s*['"`](?:class|style)""")
_CLASSIC_SCRIPT_TYPES = frozenset({"", "text/javascript", "application/javascript",
                                   "text/ecmascript", "application/ecmascript",
                                   "application/x-javascript", "text/jscript"})
_JS_TOKENS = re.compile(r"""//[^\n]*|/\*.*?\*/|<!--[^\n]*|'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|"""
                        r"""`((?:[^`\\]|\\.)*)`""", re.DOTALL)
_JS_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|.)", re.DOTALL)


def _unescape_js(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match[1]
        if code[0] in "xu" and len(code) > 1:
            return chr(int(code[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r"}.get(code, code)

    return _JS_ESCAPE.sub(one, text)


def _string_literals(code: str) -> list[str]:
    """The string literals of a script, in order (comments skipped), unescaped."""
    found = []
    for match in _JS_TOKENS.finditer(code):
        for group in (1, 2, 3):
            if match[group] is not None:
                found.append(_unescape_js(match[group]))
    return found


def _explicit_role(value: str | None) -> str:
    """The first role token (axe-core reads the first valid one), lower-cased."""
    tokens = (value or "").lower().split()
    return tokens[0] if tokens else ""


def _hides(node: LexborNode, by_styles: set[int] | frozenset[int] = frozenset()) -> bool:
    """``node`` is not rendered: hidden, an inline display:none / visibility:hidden, or a rule
    of the page's style sheets (``by_styles``: ``Page.hidden_by_styles``)."""
    if node.mem_id in by_styles:
        return True
    attrs = node.attributes
    if "hidden" in attrs:
        return True
    return _HIDING_STYLE.search(attrs.get("style") or "") is not None


def _hidden_from_assistive_tech(node: LexborNode, by_styles: set[int]) -> bool:
    """axe-core's "not visible to screen readers": aria-hidden="true", not rendered (hidden,
    display:none, inside <head>), on the node or an ancestor."""
    current: LexborNode | None = node
    while current is not None and current.tag not in ("-undef", "-document"):
        if current.tag == "head":
            return True
        if (current.attributes.get("aria-hidden") or "").strip().lower() == "true":
            return True
        if _hides(current, by_styles):
            return True
        current = current.parent
    return False


def anchor_text_and_lang(node: LexborNode, *, rendered: bool = True,
                         by_styles: set[int] | frozenset[int] = frozenset()
                         ) -> tuple[str, str | None]:
    """An anchor's text and the language all of that text is in: Lighthouse's ``text``
    (innerText: text that is not rendered — scripts, hidden elements, an SVG's title — left out;
    ``rendered=False``: textContent, as for an SVG <a>) and ``textLang`` (None when its text
    nodes disagree or none sets a lang)."""
    parts: list[str] = []
    langs: set[str | None] = set()
    if rendered and _not_rendered_itself(node, by_styles):
        rendered = False  # innerText of an element that is not rendered is its textContent
    for child in node.traverse(include_text=True):
        if child.tag != "-text":
            continue
        parent = child.parent
        if rendered and _text_hidden(parent, node, by_styles):
            continue
        content = child.text_content or ""
        parts.append(content)
        if content.strip():
            langs.add(_lang_of(parent) if parent is not None else None)
    lang = langs.pop() if len(langs) == 1 else None
    return collapse("".join(parts)), (lang or None)


def _not_rendered_itself(node: LexborNode, by_styles: set[int] | frozenset[int]) -> bool:
    current: LexborNode | None = node
    while current is not None and current.tag not in ("-undef", "-document"):
        if current.tag in _NOT_RENDERED or _hides(current, by_styles):
            return True
        current = current.parent
    return False


def _text_hidden(parent: LexborNode | None, anchor: LexborNode,
                 by_styles: set[int] | frozenset[int]) -> bool:
    """A text node under ``parent`` is left out of ``anchor``'s innerText."""
    current = parent
    while current is not None and current is not anchor and current.mem_id != anchor.mem_id:
        if current.tag in _NOT_RENDERED or _hides(current, by_styles):
            return True
        current = current.parent
    return False


_LINK_ENTRY = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*(?:\"[^\"]*\"[^;,]*)?)*)")
_LINK_PARAM = re.compile(r"""\s*;\s*([\w*-]+)\s*(?:=\s*(?:"([^"]*)"|([^;,\s]*)))?""")


def parse_link_header(value: str) -> list[dict[str, str]]:
    """``Link: <u>; rel="x"; hreflang=de, <v>; rel=y`` → [{"uri": "u", "rel": "x", …}, …].

    Repeated Link headers arrive joined with ", " (which RFC 8288 makes equivalent)."""
    entries = []
    for match in _LINK_ENTRY.finditer(value or ""):
        entry = {"uri": match[1].strip()}
        for param in _LINK_PARAM.finditer(match[2]):
            name = param[1].lower()
            if name not in entry:  # the first occurrence wins (RFC 8288 §3)
                entry[name] = param[2] if param[2] is not None else (param[3] or "")
        entries.append(entry)
    return entries
