"""The URL policy: how URLs are written (normalised) and which ones ScrapeDeck may request.

This is the one module that answers both questions, for every part of the product that sends a
request: a job's targets and pagination pattern, a build's samples, an SEO audit or crawl, a
model provider's endpoint, every redirect hop, and each request Chromium makes while rendering.
It imports no database code.

**Normal forms.** ``normalize_url`` is the form URLs are compared and stored in (scheme and host
lower-cased, default port, credentials and fragment dropped, "/" for an empty path, dot segments
resolved); ``require_url`` is the same for a URL a user typed, with a message instead of None;
``resolve`` makes a link absolute as a browser does (Lighthouse's form, which keeps credentials
and the fragment); ``site_key`` is what the URLs of one site share. ``DEFAULT_PORTS`` is the one
table of default ports.

**Which targets are allowed** (``check_target_url``; a server-side scraper is an open door into
its own network, SSRF, unless it refuses):

* only ``http`` and ``https``, with a host and a valid port;
* the host's address must be public. A host written as an address is read the way a browser and
  the C library read it, so every spelling of an IPv4 address counts (``127.1``, ``0x7f.1``,
  ``2130706433``, ``017700000001``), and so do ``localhost`` names (``localhost.``,
  ``x.localhost``). An IPv6 address that carries an IPv4 one (mapped ``::ffff:a.b.c.d``,
  compatible ``::a.b.c.d``, 6to4 ``2002::/16``, Teredo ``2001::/32``, NAT64 ``64:ff9b::/96`` and
  ``64:ff9b:1::/48``) is judged by that IPv4 address too. A host written as a name is resolved
  (``resolve=True``) and *every* address it resolves to must be public;
* private, loopback, link-local, multicast, reserved, unspecified and shared (carrier-grade NAT)
  addresses are refused unless the ``AddressPolicy`` allows them: ``ALLOW_PRIVATE_ADDRESSES``
  lifts the address rule (tests, intranets), ``ALLOWED_PRIVATE_NETWORKS`` lifts it for the
  networks listed only (e.g. one intranet subnet, while the cloud metadata address stays
  refused). Neither lifts the scheme rule.

Saving a job or a build (``resolve=False``) judges the URL as written, without DNS, so that saving
never hangs on a resolver; the fetcher, the renderer and the model client judge it again with
DNS before every request (the same function, ``check_target_url``).

The HTTP client resolves the host again when it connects, so a DNS server that answers
differently the second time (DNS rebinding) would slip past that check: the fetcher (in its
resolver) and the agent and model clients (``core.scrape.checked_http``) judge the addresses
they connect to as well (``check_connection``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from core.platform.errors import ValidationError

DEFAULT_PORTS = {"http": 80, "https": 443}
ALLOWED_SCHEMES = tuple(DEFAULT_PORTS)
_PRIVATE_HINT = ("set ALLOW_PRIVATE_ADDRESSES=true, or list the network in "
                 "ALLOWED_PRIVATE_NETWORKS, to allow them")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


# --- The address rule ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses may be requested: all (``allow_private``), those inside
    ``allowed_networks``, or none (the default)."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def __hash__(self) -> int:  # kept: a crawl looks its policy up for every page
        try:
            return self.__dict__["_hash"]
        except KeyError:
            value = self.__dict__["_hash"] = hash((self.allow_private, self.allowed_networks))
            return value

    @classmethod
    def of(cls, allow_private: bool | AddressPolicy) -> AddressPolicy:
        return allow_private if isinstance(allow_private, AddressPolicy) else \
            cls(allow_private=bool(allow_private))

    @classmethod
    def from_settings(cls) -> AddressPolicy:
        from core.platform.settings import get_settings

        settings = get_settings()
        return cls(allow_private=settings.allow_private_addresses,
                   allowed_networks=parse_networks(settings.allowed_private_networks))

    def allows(self, address: IPAddress) -> bool:
        return self.allow_private or any(address in network for network in self.allowed_networks
                                         if network.version == address.version)


@lru_cache(maxsize=64)
def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``"10.1.0.0/16, 127.0.0.1"`` → networks; raise ``ValidationError`` naming a bad one."""
    items = text.split(",")
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValidationError(f"ALLOWED_PRIVATE_NETWORKS: {item!r} is not an address or a "
                                  f"network such as 10.1.0.0/16 ({exc})") from exc
    return tuple(networks)


# --- Checking a target ---------------------------------------------------------------------------

def check_target_url(url: str, *, allow_private: bool | AddressPolicy,
                     resolve: bool = True) -> str:
    """Return ``url`` (trimmed) if it may be requested; raise ``ValidationError`` saying why not.

    ``allow_private`` is a bool (all private addresses or none) or an ``AddressPolicy``.
    ``resolve=False`` judges the host as written (scheme, port, address literals in any
    spelling, ``localhost`` names) without asking DNS; ``resolve=True`` also resolves a name.
    """
    url = url.strip()
    policy = AddressPolicy.of(allow_private)
    origin = None if resolve else simple_origin(url)
    if origin is not None and (origin, policy) in _allowed_origins:
        return url
    parts = _split(url)
    port = _port(url, parts)
    if not policy.allow_private:
        host = parts.hostname or ""
        literal = host_address(host)
        if literal is not None:
            _refuse_if_private(url, host, [literal], policy, resolved=False)
        elif resolve:
            _refuse_if_private(url, host, _resolve(url, host, port), policy, resolved=True)
    if origin is not None:
        if len(_allowed_origins) >= 4096:
            _allowed_origins.clear()
        _allowed_origins.add((origin, policy))
    return url


# Origins a check without DNS found allowed, under a policy: the verdict depends on the origin
# alone, and a crawl asks it for every page of a few hosts (the checks took ~10 % of the
# fetcher's time). A refusal is not kept: its message names the whole URL.
_allowed_origins: set[tuple[str, AddressPolicy]] = set()
# The usual URL: http(s), a host name or IPv4 address in lower case, maybe a port, then the
# path, query, fragment or the end. Its origin is then that text as it is, whatever urlsplit
# or a browser would make of the rest.
_SIMPLE_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(?::[1-9][0-9]{0,4})?(?=[/?#]|\Z)")


def simple_origin(url: str) -> str | None:
    """``url``'s origin ("https://shop.example:8080") when ``url`` is written the usual way
    (``_SIMPLE_ORIGIN``), without parsing it; None for any other URL (parse it)."""
    match = _SIMPLE_ORIGIN.match(url)
    return match.group() if match is not None else None


def origin(url: str) -> str:
    """``url``'s origin: scheme, host in lower case (an IPv6 one in brackets), and its port if
    it names one — found without parsing a URL written the usual way. For a URL the URL policy
    accepted (its port is valid)."""
    if (simple := simple_origin(url)) is not None:
        return simple
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{parts.port}" if parts.port else "")


def check_redirect_url(location: str, *, from_url: str, allow_private: bool | AddressPolicy,
                       resolve: bool = True) -> str:
    """Resolve a ``Location`` header against the URL that sent it and check the result.

    Every hop is checked on its own: a public page may redirect to ``http://127.0.0.1/``.
    """
    target = urljoin(from_url, location.strip())
    try:
        return check_target_url(target, allow_private=allow_private, resolve=resolve)
    except ValidationError as exc:
        raise ValidationError(f"redirect from {from_url} refused: {exc}") from exc


def host_address(host: str) -> IPAddress | None:
    """The address a host written as an address stands for, in any spelling a browser or the C
    library accepts (``127.1``, ``0x7f.0.0.1``, ``2130706433``, ``0177.1``, ``[::1]``), with
    ``localhost`` names read as 127.0.0.1; None for a host name that DNS must answer.
    Raises ``ValidationError`` for a host that looks like an address but is not a valid one."""
    host = host.strip().lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return ipaddress.IPv4Address("127.0.0.1")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ValidationError(f"{host!r} is not a valid IPv6 address") from None
    labels = host.split(".")
    if not labels or not _NUMBER.fullmatch(labels[-1]):
        return None  # a name: the last label of an IPv4 address is a number (WHATWG URL)
    return _ipv4(host, labels)


_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")


def _ipv4(host: str, labels: list[str]) -> ipaddress.IPv4Address:
    """WHATWG's IPv4 parser (the one Chromium uses; glibc's inet_aton reads the same forms)."""
    problem = ValidationError(f"{host!r} is not a valid IPv4 address")
    if len(labels) > 4 or not all(_NUMBER.fullmatch(label) for label in labels):
        raise problem
    numbers = []
    for label in labels:
        if label[:2] in ("0x", "0X"):
            numbers.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label[0] == "0":
            if not set(label) <= set("01234567"):
                raise problem
            numbers.append(int(label, 8))
        else:
            numbers.append(int(label))
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise problem
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def address_problem(address: IPAddress, policy: AddressPolicy | None = None) -> str | None:
    """Why ``address`` may not be requested under ``policy`` ("a loopback address", "a 6to4
    form of a loopback address (127.0.0.1)"…), or None."""
    policy = policy or AddressPolicy()
    if policy.allows(address):
        return None
    translated = [(form, inner) for form, inner in _embedded_ipv4(address)
                  if form in ("NAT64", "IPv4-translated")]
    if translated:  # the packet goes to that IPv4 address (DNS64 networks): judge it alone
        form, inner = translated[0]
        inner_kind = None if policy.allows(inner) else _non_public_kind(inner)
        return f"the {form} form of a {inner_kind} address ({inner})" if inner_kind else None
    kind = _non_public_kind(address)
    if kind:
        return f"a {kind} address"
    for form, inner in _embedded_ipv4(address):
        if not policy.allows(inner) and (inner_kind := _non_public_kind(inner)):
            return f"the {form} form of a {inner_kind} address ({inner})"
    return None


class AddressRefused(OSError):
    """A host resolved, as its connection was made, to an address the policy refuses. An
    ``OSError``, as any failure to connect is: the HTTP clients report it as one."""


def check_connection(host: str, addresses: list[str], policy: AddressPolicy) -> None:
    """Raise ``AddressRefused`` when an address ``host`` resolved to as a connection is made
    may not be connected to (the first such one, by ``address_problem``)."""
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone: "fe80::1%eth0"
        problem = address_problem(address, policy)
        if problem:
            raise AddressRefused(
                f"host {host!r} resolved to {address} as the connection was made, {problem}; "
                f"private, loopback and link-local targets are refused ({_PRIVATE_HINT})")


def _refuse_if_private(url: str, host: str, addresses: list[IPAddress], policy: AddressPolicy,
                       *, resolved: bool) -> None:
    for address in addresses:
        problem = address_problem(address, policy)
        if problem:
            if resolved:
                where = f"host {host!r} resolves to {address},"
            elif ":" in host or "localhost" in host or str(address) == host:
                where = f"{host} is"
            else:  # another spelling of an IPv4 address: say which one it is
                where = f"{host} is {address},"
            raise ValidationError(
                f"{url!r}: {where} {problem}; private, loopback and link-local targets are "
                f"refused ({_PRIVATE_HINT})")


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValidationError(f"{url!r} is not a valid URL ({exc})") from exc
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = f"'{parts.scheme}'" if parts.scheme else "none"
        raise ValidationError(f"{url!r}: only http and https URLs are allowed (scheme: {shown})")
    if not parts.hostname:
        raise ValidationError(f"{url!r} has no host name")
    return parts


def _port(url: str, parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"{url!r} has an invalid port") from exc
    if port == 0:
        raise ValidationError(f"{url!r} has an invalid port")
    return port or DEFAULT_PORTS[parts.scheme.lower()]


def _resolve(url: str, host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(f"{url!r}: cannot resolve host {host!r}") from exc
    # IPv6 results may carry a zone ("fe80::1%eth0"), which ip_address() does not accept.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")  # IPv4-translated (RFC 6145)
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # IPv4-compatible (deprecated), :: and ::1 aside


def _embedded_ipv4(address: IPAddress) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, with the name of the form."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped:
        found.append(("IPv4-mapped", address.ipv4_mapped))
    if address.sixtofour:
        found.append(("6to4", address.sixtofour))
    if address.teredo:
        found += [("Teredo", address.teredo[1]), ("Teredo server", address.teredo[0])]
    if any(address in network for network in _NAT64):
        found.append(("NAT64", low32))
    if address in _SIIT:
        found.append(("IPv4-translated", low32))
    if address in _COMPATIBLE and int(address) > 1:
        found.append(("IPv4-compatible", low32))
    return found


def _non_public_kind(address: IPAddress) -> str | None:
    """Why ``address`` is not a public address (``"loopback"``, ``"private"``…), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    )
    return next((kind for kind, matches in checks if matches), None)


# --- Normal forms --------------------------------------------------------------------------------

def require_url(url: str) -> str:
    """``normalize_url`` of a URL a user typed; raise ``ValidationError`` when it is not a full
    http(s) address."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise ValidationError(f"Enter a full http:// or https:// address (got '{text}').")
    normal = normalize_url(text)
    if normal is None:
        raise ValidationError(f"The port in '{text}' is not a number.")
    return normal


def site_key(url: str) -> str:
    """``shop.example`` or ``127.0.0.1:8080``: what two URLs of one site share."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    return host if port in (None, DEFAULT_PORTS.get(parts.scheme.lower())) else f"{host}:{port}"


def join(base: str, href: str) -> str:
    """``urljoin(base, href)``, the same string, without parsing either URL for the forms most
    links take against an http(s) base: a path from the site's root ("/product/12.html?p=2")
    becomes the base's scheme and host as written followed by the path; a path relative to the
    base's folder ("item/12.html") follows that folder; an http(s) URL in plain form comes back
    as it is. Anything else (dot segments, "//", ";" parameters, a scheme, an empty query or
    fragment, control characters, an unusual host…) is joined by urljoin itself."""
    if (prefixes := _join_prefixes(base)) is not None:
        origin, folder = prefixes
        if href[:1] == "/":
            if href[1:2] != "/" and _plain_tail(href):
                return origin + href
        elif (plain := _PLAIN_HTTP_URL.match(href)) is not None:
            if _plain_tail(href[plain.end():]):
                return href
        elif href[:1] > " " and href[0] not in "?#" and ":" not in href \
                and "//" not in href and _plain_tail("/" + href):
            return folder + href
    return urljoin(base, href)


# scheme (lower case, as urlsplit writes it back), host name or IPv4 address, optional port
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?")


def _plain_tail(path: str) -> bool:
    """Whether urljoin writes this path (with its query and fragment) back as it is: no dot
    segment to resolve, no parameters, no empty "?" or "#" that it would drop, nothing that
    urlsplit removes."""
    return ((not path or path[:1] == "/") and "/." not in path and ".." not in path
            and "\\" not in path and ";" not in path and not path.endswith(("?", "#"))
            and "?#" not in path and path.isprintable())


@lru_cache(maxsize=256)
def _join_prefixes(base: str) -> tuple[str, str] | None:
    """What urljoin writes before a root path ("scheme://host[:port]") and before a relative
    one (that and the base's folder) joined to ``base``, an http(s) URL with a host; else
    None."""
    try:
        parts = urlsplit(base)
        if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
            return None
        folder = urljoin(base, "x")
    except ValueError:  # urljoin raises it again, for the caller
        return None
    return f"{parts.scheme}://{parts.netloc}", folder[:-1]


def resolve(href: str, base: str) -> str | None:
    """``href`` made absolute against ``base`` and normalised as a browser does (scheme and host
    lower-cased, default port dropped, "/" for an empty path: "HTTPS://Example.com" →
    "https://example.com/"), or None when it cannot be (a bad port…)."""
    href = href.strip()
    return _short_cut(href, base, plain=False) or _resolve_full(href, base)


def _resolve_full(href: str, base: str) -> str | None:
    try:
        parts = urlsplit(urljoin(base, href.strip()))
        port = parts.port  # raises for an invalid port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return parts.geturl()
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username is not None:
        credentials = parts.username + (f":{parts.password}" if parts.password is not None
                                        else "")
        netloc = f"{credentials}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def normalize_url(url: str, base: str | None = None) -> str | None:
    """The compared and stored form of ``url`` (resolved against ``base``), or None when it is
    not an http(s) URL with a host (mailto:, javascript:, a malformed port…): scheme and host
    lower-cased, the default port, credentials and fragment dropped, an empty path made ``/``,
    dot segments resolved; the query kept as it is, trailing slashes kept as found."""
    url = url.strip()
    return _short_cut(url, base, plain=True) or _normalize_full(url, base)


def _normalize_full(url: str, base: str | None) -> str | None:
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
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
    plain = _normalize_full("/", base)
    full = _resolve_full("/", base)
    if plain is None or full is None:
        return None
    return full[:-1], plain[:-1]
