"""What a job means to the engine: its fetch options and the pagination a run follows. Kept
apart from ``core.scraping.jobs`` (the service) so a worker can read a job without the service's weight."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

from core.scrape.options import FetchOptions
from core.scrape.package import ConfigPackage, Pagination, parse_package
from vocabularies import PaginationType
from core.platform.settings import get_settings

DEFAULT_MAX_PAGES = 10


def _from_settings(name: str) -> Any:
    return field(default_factory=lambda: getattr(get_settings(), name))


@dataclass(frozen=True)
class JobOptions:
    """How a job fetches. An option left out takes its default from the settings."""

    max_pages: int = DEFAULT_MAX_PAGES  # per target URL, pagination included
    delay_between_requests: float = _from_settings("fetch_delay_seconds")  # per host, seconds
    concurrency: int = _from_settings("fetch_concurrency")
    timeout: float = _from_settings("fetch_timeout_seconds")  # per request, seconds
    render_javascript: bool = False
    wait_for: str = ""  # CSS selector to wait for when rendering
    respect_robots: bool = True
    user_agent: str = ""  # blank: the SCRAPEDECK_USER_AGENT setting when the run starts
    # Caps on one run (0: none): the run stops, as "stopped_cap", keeping what it found, at the
    # first heartbeat its recorded cost reaches max_charge_usd, and once max_items are stored.
    max_charge_usd: float = 0.0
    max_items_per_run: int = 0

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> JobOptions:
        """Read a job's stored ``options`` (keys it lacks take their defaults)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (stored or {}).items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def fetch_options(self) -> FetchOptions:
        """The engine's options. One job's concurrency is also what one host may take."""
        return FetchOptions(timeout=self.timeout, delay=self.delay_between_requests,
                            concurrency=self.concurrency, domain_concurrency=self.concurrency,
                            respect_robots=self.respect_robots,
                            user_agent=self.user_agent or get_settings().user_agent)



def parse_pagination(kind: str, raw: Mapping[str, Any]) -> Pagination:
    """Read pagination with the package parser, so a job's and a package's follow one rule set
    (its problems come back located: ``pagination.pattern: …``)."""
    wrapper = {"version": 1, "fields": {"page": {"selector": None}},
               "pagination": {"type": kind, **raw}}
    return parse_package(wrapper).pagination


class _Paginated(Protocol):
    pagination_type: PaginationType
    pagination: dict[str, Any]
    config_package: dict[str, Any]


def effective_pagination(job: _Paginated) -> Pagination:
    """The pagination a run follows: the job's unless it is "none", then the package's."""
    if job.pagination_type != PaginationType.NONE:
        return parse_pagination(job.pagination_type, job.pagination)
    return parse_package(job.config_package).pagination




def job_package(job: _Paginated) -> ConfigPackage:
    """The package a run executes: the job's package with the job's effective pagination."""
    return dataclasses.replace(parse_package(job.config_package),
                               pagination=effective_pagination(job))
