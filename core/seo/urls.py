"""Whether a browser can parse a link's URL: ``new URL(href, base)`` of the WHATWG URL Standard,
which Lighthouse's crawlable-anchors audit calls (a link it cannot parse is not crawlable).

    is_valid_url("/a b", "https://shop.example/")       → True
    is_valid_url("https://", "https://shop.example/")    → False (no host)
    is_valid_url("http://x:99999/", "https://shop.example/") → False (port out of range)

This follows the standard's host and port rules for the special schemes (http, https, ws, wss,
ftp, file) — where a URL can fail to parse —; other schemes (mailto:, tel:, javascript:…) and
paths relative to an http(s) base always parse.
"""

from __future__ import annotations

import ipaddress
import re

SPECIAL = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Forbidden domain code points (after percent-decoding), C0 controls and space aside.
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_C0_AND_SPACE = "".join(map(chr, range(33)))
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def is_valid_url(href: str, base: str) -> bool:
    href = href.strip(_C0_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    scheme_match = _SCHEME.match(href)
    base_scheme = base.split(":", 1)[0].lower()
    if scheme_match:
        scheme = scheme_match[1].lower()
        rest = href[scheme_match.end():]
        if scheme not in SPECIAL:
            return True
        if scheme == base_scheme and not rest.startswith(("/", "\\")):
            return True  # "http:page" against an http base: a relative path
        if scheme == "file":
            return True
        return _authority_ok(rest.lstrip("/\\"))
    if href.startswith(("//", "\\\\", "/\\", "\\/")):
        if base_scheme == "file":
            return True
        return _authority_ok(href[2:])
    return base_scheme in SPECIAL or href.startswith("#")


def _authority_ok(rest: str) -> bool:
    """The authority at the start of ``rest`` (up to /, \\, ? or #) parses."""
    authority = re.split(r"[/\\?#]", rest, maxsplit=1)[0]
    host_port = authority.rsplit("@", 1)[-1]
    if host_port.startswith("["):
        close = host_port.find("]")
        if close < 0:
            return False
        host, after = host_port[1:close], host_port[close + 1:]
        if after and not after.startswith(":"):
            return False
        port = after[1:] if after else ""
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return _port_ok(port)
    host, _, port = host_port.partition(":")
    if not host:
        return False
    return _host_ok(host) and _port_ok(port)


def _port_ok(port: str) -> bool:
    return port == "" or (port.isascii() and port.isdigit() and int(port) <= 65535)


def _host_ok(host: str) -> bool:
    try:
        decoded = _PERCENT.sub(lambda m: chr(int(m[1], 16)), host)
    except ValueError:
        return False
    if _FORBIDDEN_HOST.search(decoded):
        return False
    labels = decoded.rstrip(".").split(".")
    last = labels[-1] if labels else ""
    if last and (last.isdigit() or re.fullmatch(r"0[xX][0-9A-Fa-f]*", last)):
        return _ipv4_ok(labels)  # ends in a number: the host must be an IPv4 address
    return True


def _ipv4_ok(labels: list[str]) -> bool:
    if len(labels) > 4:
        return False
    numbers = []
    for label in labels:
        try:
            if re.fullmatch(r"0[xX][0-9A-Fa-f]*", label):
                numbers.append(int(label[2:] or "0", 16))
            elif re.fullmatch(r"0[0-7]+", label):
                numbers.append(int(label, 8))
            elif label.isdigit():
                numbers.append(int(label))
            else:
                return False
        except ValueError:
            return False
    if any(n > 255 for n in numbers[:-1]):
        return False
    return numbers[-1] < 256 ** (5 - len(numbers))
