"""Talking to external agents over HTTP: one call at a time, under the same URL rules as
scraping targets (http/https, public addresses unless ALLOW_PRIVATE_ADDRESSES), no redirects
followed, a time limit and a cap on the size of the answer (read as it streams, so a 50 MB answer
costs at most the cap)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.platform import standard_json
from core.platform.errors import ValidationError
from core.platform.settings import get_settings
from core.scrape.checked_http import checked_transport, refusal_of
from core.scrape.decode import ACCEPT_ENCODING, BodyTooLarge, DecodingError, decode_capped
from core.scrape.result import retry_after_seconds
from core.scrape.urls import AddressPolicy, check_target_url


@dataclass(frozen=True)
class Answer:
    """One HTTP exchange: ``body`` is the parsed JSON when ``error`` is None."""

    status_code: int | None
    body: Any
    error: str | None
    latency_ms: float
    retry_after: float | None = None
    spent: list[Any] = field(default_factory=list)  # ledger charges a built-in's fetching made
    final: bool = False  # no retry can change it (the input breaks the schema, say)

    @property
    def retryable(self) -> bool:
        if self.final:
            return False
        return self.status_code is None or self.status_code == 429 or self.status_code >= 500


def post_json(url: str, payload: Any, headers: dict[str, str] | None = None) -> Answer:
    return _exchange("POST", url, payload, headers or {})


def get_json(url: str) -> Any:
    """GET a JSON document (an agent card); ValidationError with the reason when it fails."""
    answer = _exchange("GET", url, None, {})
    if answer.error:
        raise ValidationError(f"Could not read {url}: {answer.error}")
    return answer.body


def _exchange(method: str, url: str, payload: Any, headers: dict[str, str]) -> Answer:
    settings = get_settings()
    started = time.monotonic()
    try:
        check_target_url(url, allow_private=AddressPolicy.from_settings())
    except ValidationError as exc:
        return Answer(None, None, f"refused: {exc}", 0.0)
    try:
        with httpx.Client(timeout=settings.agent_timeout_seconds, follow_redirects=False,
                          transport=checked_transport(),
                          headers={"User-Agent": settings.user_agent,
                                   "Accept": "application/json",
                                   "Accept-Encoding": ACCEPT_ENCODING}) as client:
            with client.stream(method, url, json=payload, headers=headers) as response:
                raw = _read_capped(response, settings.agent_max_response_bytes)
                return _answer(response, raw, started)
    except _TooLarge as exc:
        return Answer(None, None, str(exc), _ms(started))
    except httpx.TimeoutException:
        return Answer(None, None, f"no answer within {settings.agent_timeout_seconds:g} s",
                      _ms(started))
    except httpx.HTTPError as exc:
        if (refusal := refusal_of(exc)) is not None:
            return Answer(None, None, f"refused: {refusal}", _ms(started))
        return Answer(None, None, f"connection failed ({type(exc).__name__})", _ms(started))


class _TooLarge(Exception):
    pass


def _read_capped(response: httpx.Response, cap: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _TooLarge(f"the answer is {int(declared):,} bytes, over the {cap:,}-byte limit")
    try:  # raw bytes, decoded here in bounded steps: httpx would expand a brotli bomb at once
        return decode_capped(response.headers.get("content-encoding", ""), response.iter_raw(),
                             cap)
    except BodyTooLarge:
        raise _TooLarge(f"the answer is over the {cap:,}-byte limit") from None
    except DecodingError as exc:
        raise _TooLarge(f"the answer cannot be decoded: {exc}") from None


def _answer(response: httpx.Response, raw: bytes, started: float) -> Answer:
    latency, status = _ms(started), response.status_code
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    if 300 <= status < 400:
        return Answer(status, None, f"HTTP {status} redirect (agents' redirects are not followed)",
                      latency)
    if status >= 400:
        return Answer(status, None, f"HTTP {status}", latency, retry_after)
    try:
        body = standard_json.loads(raw.decode("utf-8"))  # standard JSON only: it is stored
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Answer(status, None, "the answer is not JSON", latency)
    return Answer(status, body, None, latency)


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
