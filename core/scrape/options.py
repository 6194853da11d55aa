"""The knobs a job sets on fetching; every default comes from ``core.platform.settings``."""

from __future__ import annotations

import functools

from dataclasses import dataclass, field
from typing import Any

from core.platform.errors import ValidationError
from core.platform.settings import get_settings
from core.scrape.urls import AddressPolicy, parse_networks

_POSITIVE = ("timeout", "concurrency", "domain_concurrency", "max_bytes")
_NOT_NEGATIVE = ("max_retries", "backoff", "max_retry_wait", "delay", "max_redirects")


def _from_settings(name: str) -> Any:
    return field(default_factory=lambda: getattr(get_settings(), name))


@dataclass(frozen=True, slots=True)
class FetchOptions:
    timeout: float = _from_settings("fetch_timeout_seconds")  # per request, start to last byte
    max_retries: int = _from_settings("fetch_max_retries")
    backoff: float = _from_settings("fetch_backoff_seconds")  # first retry's wait; then doubles
    max_retry_wait: float = _from_settings("fetch_retry_after_max_seconds")
    delay: float = _from_settings("fetch_delay_seconds")  # between requests to one host
    concurrency: int = _from_settings("fetch_concurrency")  # all hosts together
    domain_concurrency: int = _from_settings("fetch_domain_concurrency")
    user_agent: str = _from_settings("user_agent")
    respect_robots: bool = True
    max_bytes: int = _from_settings("fetch_max_bytes")
    max_redirects: int = _from_settings("fetch_max_redirects")
    allow_private: bool = _from_settings("allow_private_addresses")
    allowed_networks: str = _from_settings("allowed_private_networks")  # "10.1.0.0/16, …"

    def __post_init__(self) -> None:
        problems = [f"{name} must be more than 0, not {getattr(self, name)!r}"
                    for name in _POSITIVE if getattr(self, name) <= 0]
        problems += [f"{name} must be 0 or more, not {getattr(self, name)!r}"
                     for name in _NOT_NEGATIVE if getattr(self, name) < 0]
        try:
            self.address_policy  # noqa: B018 - parsed now so that a bad network fails early
        except ValidationError as exc:
            problems.append(str(exc))
        if problems:
            raise ValidationError("Invalid fetch options.", problems)

    @property
    def address_policy(self) -> AddressPolicy:
        """The URL policy's address rule for these options (``core.scrape.urls``)."""
        return _address_policy(self.allow_private, self.allowed_networks)


@functools.lru_cache(maxsize=64)
def _address_policy(allow_private: bool, allowed_networks: str) -> AddressPolicy:
    """One policy object per setting (every request asks for it)."""
    return AddressPolicy(allow_private=allow_private,
                         allowed_networks=parse_networks(allowed_networks))


@dataclass(frozen=True)
class Viewport:
    """The screen a page is rendered on (Playwright's default is a 1280×720 desktop)."""

    width: int
    height: int
    scale: float = 1.0  # device pixels per CSS pixel
    mobile: bool = False  # a phone: the meta viewport is honoured, touch events exist
