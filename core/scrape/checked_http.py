"""httpx transports (the agent and model clients) that connect only where the URL policy allows.

``check_target_url`` judges a URL's addresses before each request; httpx then resolves the name
again to connect, so a DNS server that answers a public address to the check and a private one
to the connection (DNS rebinding) would reach the private one. A ``checked_transport`` resolves
once as it connects, judges those addresses by the same policy (``check_connection``) and
connects to them: what was judged is what is connected to. (The fetcher does the same in its
aiohttp resolver.)

httpx takes no argument for its connections' network backend: it is set on the transport's
connection pool (httpx and httpcore are pinned; ``tests/hostile/test_ssrf.py`` proves the
refusal through both clients).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from core.scrape.urls import AddressPolicy, AddressRefused, check_connection


def checked_transport(policy: AddressPolicy | None = None, **options: Any) -> httpx.HTTPTransport:
    """``httpx.HTTPTransport(**options)`` whose connections go only to addresses ``policy``
    (by default the settings') allows."""
    transport = httpx.HTTPTransport(**options)
    pool = transport._pool  # noqa: SLF001 - see the module's doc
    assert isinstance(pool, httpcore.ConnectionPool)
    pool._network_backend = _CheckedBackend(policy or AddressPolicy.from_settings())  # noqa: SLF001
    return transport


def refusal_of(exc: BaseException) -> str | None:
    """The refusal behind an httpx error (httpx raises its own from httpcore's, raised while
    handling ``AddressRefused``), or None."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, AddressRefused):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return None


class _CheckedBackend(httpcore.SyncBackend):
    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve host {host!r}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        try:
            check_connection(host, addresses, self._policy)
        except AddressRefused as exc:  # httpx reports httpcore's errors alone
            raise httpcore.ConnectError(str(exc)) from exc
        failure: httpcore.ConnectError | None = None
        for address in addresses:  # in the resolver's order, as a plain connection tries them
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None  # getaddrinfo answers at least one address or raises
        raise failure
