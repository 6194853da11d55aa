"""A fetched page as the audits see it: the response's facts plus the parsed document.

    page = Page(url, final_url, status=200, headers={...}, html="<html>…", robots=RobotsFile(…))
    page.title, page.metas, page.link_elements, page.anchors, page.images …

Parsing is lexbor (selectolax), an HTML5 parser: elements land where a browser puts them (a
``<link>`` written in the body stays in the body, an ``<a>`` inside ``<svg>`` stays there), which
Lighthouse's rules depend on. Everything is computed once, on first use (``cached_property``), so
an audit pays only for what it reads.

The element records mirror Lighthouse's artifacts (``LinkElements``, ``AnchorElements``,
``MetaElements``): same fields, same normalisation (rel lower-cased, href resolved against the
final URL, ``source`` head/body/headers), so the audits can follow Lighthouse's code line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

_DEFAULT_PORTS = {"http": 80, "https": 443}
TEXT_SKIPPED = frozenset({"script", "style", "noscript", "template"})
BOILERPLATE = "nav, header, footer"
_WHITESPACE = re.compile(r"\s+")
# A listener attached by an inline script to an element it looks up by selector or id, e.g.
# document.querySelector('.some-link').addEventListener('click', …). Lighthouse asks Chrome for
# each anchor's listeners; without running scripts this is the part that can be read from the page.
_LISTENER = re.compile(
    r"""\.(querySelector|querySelectorAll|getElementById)\(\s*(['"`])(.+?)\2\s*\)"""
    r"""(?:\s*\[\s*\d+\s*\])?\s*\.(?:addEventListener\(\s*['"`](\w+)['"`]|on(\w+)\s*=)""")
# With --render, LISTENER_PROBE runs before the page's scripts and marks every element that gets
# an event listener with this attribute (the event types, space-separated): the rendered DOM
# then says what Lighthouse asks Chrome's debugger for.
LISTENER_ATTRIBUTE = "data-scrapedeck-listeners"
LISTENER_PROBE = """(() => {
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, ...rest) {
    if (this instanceof Element) {
      const seen = (this.getAttribute("%s") || "").split(" ").filter(Boolean);
      if (!seen.includes(type)) this.setAttribute("%s", [...seen, type].join(" "));
    }
    return add.call(this, type, ...rest);
  };
})();""" % (LISTENER_ATTRIBUTE, LISTENER_ATTRIBUTE)
_HANDLER_ATTRIBUTES = ("onclick", "onmousedown", "onmouseup", "onpointerdown", "onpointerup",
                       "ontouchstart", "ontouchend", "onkeydown", "onkeyup", "onauxclick")


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
    has_listener: bool  # an on… attribute or a listener an inline script attaches
    html: str  # the element's opening tag, as evidence


@dataclass(frozen=True)
class Image:
    src: str
    alt: str | None
    html: str
    decorative: bool  # role="presentation"/"none", or hidden from assistive tech
    labelled: bool  # aria-label, aria-labelledby or title gives it a name


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

    # -- the document -------------------------------------------------------------------------

    @cached_property
    def tree(self) -> LexborHTMLParser:
        return LexborHTMLParser(self.html)

    @cached_property
    def base_url(self) -> str:
        base = self.tree.css_first("base[href]")
        href = (base.attributes.get("href") or "").strip() if base is not None else ""
        return urljoin(self.final_url, href) if href else self.final_url

    @cached_property
    def title(self) -> str | None:
        """``document.title``: the first ``<title>``'s text, whitespace collapsed; None if none."""
        node = self.tree.css_first("title")
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
        return [{"name": (n.attributes.get("name") or "").strip().lower(),
                 "property": (n.attributes.get("property") or "").strip().lower(),
                 "content": n.attributes.get("content") or "",
                 "html": opening_tag(n)} for n in nodes]

    def meta(self, name: str) -> dict[str, str] | None:
        return next((m for m in self.metas if m["name"] == name), None)

    def meta_property(self, prop: str) -> str | None:
        found = next((m for m in self.metas if m["property"] == prop or m["name"] == prop), None)
        return found["content"].strip() if found else None

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
            raw = node.attributes.get("href") or ""
            links.append(LinkElement(
                rel=(node.attributes.get("rel") or "").strip().lower(),
                href=resolve(raw, self.base_url) if raw else None,
                href_raw=raw,
                hreflang=node.attributes.get("hreflang") or "",
                source="head" if _inside(node, "head") else "body"))
        for entry in parse_link_header(self.headers.get("link", "")):
            links.append(LinkElement(rel=entry.get("rel", "").strip().lower(),
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
        listened = self._nodes_with_listeners
        anchors = []
        for node in self._anchor_nodes:
            attrs = node.attributes
            raw = attrs.get("href")
            if raw is None and "href" in attrs:
                raw = ""
            text, lang = anchor_text_and_lang(node)
            onclick = attrs.get("onclick") or ""
            anchors.append(Anchor(
                href_raw=raw, href=(resolve(raw, self.base_url) or "") if raw else "",
                rel=(attrs.get("rel") or "").lower(), text=text, text_lang=lang,
                role=attrs.get("role") or "", name=attrs.get("name") or "",
                id=attrs.get("id") or "", onclick=onclick,
                has_listener=(node.mem_id in listened or LISTENER_ATTRIBUTE in attrs
                              or any(a in attrs for a in _HANDLER_ATTRIBUTES)),
                html=opening_tag(node)))
        return anchors

    @cached_property
    def _nodes_with_listeners(self) -> set[int]:
        found: set[int] = set()
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
        images = []
        for node in self.tree.css("img"):
            attrs = node.attributes
            role = (attrs.get("role") or "").strip().lower()
            images.append(Image(
                src=attrs.get("src") or "", alt=attrs.get("alt") if "alt" in attrs else None,
                html=opening_tag(node),
                decorative=role in ("presentation", "none")
                or (attrs.get("aria-hidden") or "").lower() == "true",
                labelled=any((attrs.get(a) or "").strip()
                             for a in ("aria-label", "aria-labelledby", "title"))))
        return images

    @cached_property
    def headings(self) -> list[dict[str, Any]]:
        return [{"level": int(n.tag[1]), "text": collapse(n.text())}
                for n in self.tree.css("h1, h2, h3, h4, h5, h6")]

    @cached_property
    def _texts(self) -> tuple[str, str]:
        """(visible text of the body, its main text), read from one copy of the parsed
        document (stripping must not change ``self.tree``; copying costs half a parse). The
        main text also leaves out navigation, header and footer, which every page of a site
        repeats (the crawl compares pages by it)."""
        tree = self.tree.clone()
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


def resolve(href: str, base: str) -> str | None:
    """``href`` made absolute against ``base`` and normalised as a browser does (scheme and host
    lower-cased, default port dropped, "/" for an empty path: "HTTPS://Example.com" →
    "https://example.com/"), or None when it cannot be (a bad port…)."""
    href = href.strip()
    return _short_cut(href, base, plain=False) or _resolve(href, base)


def _resolve(href: str, base: str) -> str | None:
    try:
        parts = urlsplit(urljoin(base, href.strip()))
        port = parts.port  # raises for an invalid port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return parts.geturl()
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username is not None:
        credentials = parts.username + (f":{parts.password}" if parts.password is not None
                                        else "")
        netloc = f"{credentials}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def normalize_url(url: str, base: str | None = None) -> str | None:
    """The crawl's form of ``url`` (resolved against ``base``), or None when it is not an
    http(s) URL with a host (mailto:, javascript:, a malformed port…): scheme and host
    lower-cased, the default port, credentials and fragment dropped, an empty path made ``/``,
    dot segments resolved; the query kept as it is, trailing slashes kept as found."""
    url = url.strip()
    return _short_cut(url, base, plain=True) or _normalize_url(url, base)


def _normalize_url(url: str, base: str | None) -> str | None:
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    if ".." in path or "/./" in path:
        try:
            path = urljoin("/", path)
        except ValueError:  # "//[…/..": urljoin reads a host in it; leave it as written
            pass
    return urlunsplit((scheme, netloc, path, parts.query, ""))


# Most links are paths from the site's root ("/product/12.html?page=2") or URLs already in
# normal form ("https://shop.example/a?b"): made absolute and normalised, such a link is the
# base's origin (or its own) followed by the path as written, so it skips urljoin and urlsplit,
# which were a third of the crawl's CPU. Anything else (a port, credentials, upper case, dot
# segments, an empty query or fragment, ";" parameters, control characters…) goes the full way.
_PLAIN_ORIGIN = re.compile(r"https?://[a-z0-9.-]+")


def _short_cut(href: str, base: str | None, *, plain: bool) -> str | None:
    """``href`` resolved as ``normalize_url`` (``plain``) or ``resolve`` would, when that is
    plain concatenation; else None."""
    if origin_match := _PLAIN_ORIGIN.match(href):
        origin, path = origin_match[0], href[origin_match.end():] or "/"
    elif base and href[:1] == "/" and href[1:2] != "/" and (origins := _origins(base)):
        origin, path = origins[1 if plain else 0], href
    else:
        return None
    if not (path[:1] == "/" and "/." not in path and ".." not in path and "\\" not in path
            and ";" not in path and not path.endswith(("?", "#")) and "?#" not in path
            and path.isprintable()):
        return None
    return origin + (path.partition("#")[0] if plain else path)


@lru_cache(maxsize=1024)
def _origins(base: str) -> tuple[str, str] | None:
    """("scheme://host:port" as ``resolve`` writes it, as ``normalize_url`` does) of an http(s)
    base URL, or None for another base."""
    plain = _normalize_url("/", base)
    full = _resolve("/", base)
    if plain is None or full is None:
        return None
    return full[:-1], plain[:-1]


def without_fragment(url: str) -> str:
    return urldefrag(url).url


_PROBE_MARK = re.compile(rf'\s{LISTENER_ATTRIBUTE}="[^"]*"')


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


def _lang_of(node: LexborNode) -> str | None:
    """The ``lang`` of the closest element that sets one (Element.closest('[lang]'))."""
    while node is not None:
        if node.tag not in ("-text", "-comment"):
            lang = node.attributes.get("lang")
            if lang is not None:
                return lang
        node = node.parent
    return None


def anchor_text_and_lang(node: LexborNode) -> tuple[str, str | None]:
    """An anchor's text (like innerText, or textContent in SVG) and the language all of that text
    is in: Lighthouse's ``textLang`` (None when its text nodes disagree or none sets a lang)."""
    parts: list[str] = []
    langs: set[str | None] = set()
    for child in node.traverse(include_text=True):
        if child.tag != "-text":
            continue
        parent = child.parent
        if parent is not None and parent.tag in TEXT_SKIPPED:
            continue
        content = child.text_content or ""
        parts.append(content)
        if content.strip():
            langs.add(_lang_of(parent) if parent is not None else None)
    lang = langs.pop() if len(langs) == 1 else None
    return collapse("".join(parts)), (lang or None)


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
