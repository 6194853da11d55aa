"""Which URLs the engine may fetch.

A scraper run on a server is an open door into that server's network (SSRF): a job pointed at
``http://169.254.169.254/`` or ``http://localhost:5432/`` would read things no user should see. So
every URL the engine requests — the target and every redirect hop — passes through here first:

* only ``http`` and ``https``, and a host is required;
* the host is resolved, and *every* address it resolves to must be public: private, loopback,
  link-local, multicast, reserved, unspecified and carrier-grade NAT addresses are refused, as are
  IPv4 addresses wrapped in IPv6 (``::ffff:127.0.0.1``);
* ``allow_private=True`` (the ``ALLOW_PRIVATE_ADDRESSES`` setting: tests, intranets) lifts the
  address rule, not the scheme rule.

Limit: the HTTP client resolves the host again when it connects, so a DNS server that answers
differently the second time (DNS rebinding) can slip past this check. Closing that needs a
resolver pinned into the connection layer (not done yet).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urljoin, urlsplit

from core.errors import ValidationError

ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PRIVATE_HINT = "set ALLOW_PRIVATE_ADDRESSES=true to allow them"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def check_target_url(url: str, *, allow_private: bool) -> str:
    """Return ``url`` (trimmed) if the engine may fetch it; raise ``ValidationError`` if not."""
    url = url.strip()
    parts = _split(url)
    port = _port(url, parts)
    if not allow_private:
        _check_addresses(url, parts.hostname or "", port)
    return url


def check_public_addresses(url: str) -> None:
    """Raise ``ValidationError`` unless every address the host of ``url`` (an URL that passed
    ``check_target_url``) resolves to is public. Blocks while the name is resolved."""
    parts = _split(url)
    _check_addresses(url, parts.hostname or "", _port(url, parts))


def check_redirect_url(location: str, *, from_url: str, allow_private: bool) -> str:
    """Resolve a ``Location`` header against the URL that sent it and check the result.

    Every hop is checked on its own: a public page may redirect to ``http://127.0.0.1/``.
    """
    target = urljoin(from_url, location.strip())
    try:
        return check_target_url(target, allow_private=allow_private)
    except ValidationError as exc:
        raise ValidationError(f"redirect from {from_url} refused: {exc}") from exc


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
    return port or _DEFAULT_PORTS[parts.scheme.lower()]


def _check_addresses(url: str, host: str, port: int) -> None:
    for address in _resolve(url, host, port):
        kind = _non_public_kind(address)
        if kind:
            raise ValidationError(
                f"{url!r}: host {host!r} resolves to {address}, a {kind} address; private, "
                f"loopback and link-local targets are refused ({_PRIVATE_HINT})")


def _resolve(url: str, host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(f"{url!r}: cannot resolve host {host!r}") from exc
    # IPv6 results may carry a zone ("fe80::1%eth0"), which ip_address() does not accept.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


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
