"""A small client for OpenAI-compatible chat completions (``POST {base_url}/chat/completions``)
over httpx: OpenAI, OpenRouter, Azure-style gateways, vLLM, Ollama, LM Studio…

    client = ChatClient(config)
    answer = client.complete([{"role": "user", "content": "Say hi as JSON"}])
    answer.content, answer.usage.input_tokens

* **Bounded.** ``config.timeout`` covers each attempt (connect, send, wait, read). A timeout is
  not retried: the attempt already used the whole budget the user allowed.
* **Retries.** A dropped connection, HTTP 429 and 5xx are retried up to ``max_retries`` times,
  waiting what ``Retry-After`` asks or ``1 s × 2^(n-1)``, each wait capped at ``max_wait``.
* **Errors** become ``core.llm.errors`` classes with text a user can act on; the API key never
  appears in them (nor in logs: it only travels in the ``Authorization`` header).
* **Answers** are checked for the OpenAI shape (``choices[0].message.content``, ``usage``);
  anything else is ``ModelAnswerInvalid``.

No database here: callers record ``Completion.usage`` afterwards (``core.llm.usage``), so no
transaction is ever held open across a model call.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.llm.errors import ModelAnswerInvalid, ModelRefused, ModelUnavailable, scrub
from core.platform.errors import ValidationError
from core.scrape.checked_http import checked_transport, refusal_of
from core.scrape.decode import ACCEPT_ENCODING, BodyTooLarge, DecodingError, decode_capped
from core.scrape.result import retry_after_seconds
from core.scrape.urls import AddressPolicy, check_target_url
from core.platform.settings import get_settings

Message = dict[str, str]
BACKOFF_SECONDS = 1.0
MAX_ANSWER_BYTES = 20_000_000  # a chat completion is kilobytes; past this the answer is refused
_SHOWN_BODY_CHARS = 200


@dataclass(frozen=True)
class ProviderConfig:
    """Everything needed to call one provider; ``api_key`` is the decrypted key (kept out of
    ``repr`` so it cannot end up in a log line or a traceback by accident)."""

    name: str
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


@dataclass(frozen=True)
class Usage:
    """Tokens one or more calls used, as the provider reported them (0 when it did not)."""

    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 1

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.provider, self.model, self.input_tokens + other.input_tokens,
                     self.output_tokens + other.output_tokens, self.calls + other.calls)


@dataclass(frozen=True)
class Completion:
    content: str
    usage: Usage
    finish_reason: str | None = None


class ChatClient:
    """Calls one provider. ``sleep`` is how the client waits between attempts (injectable so
    tests can see the waits it chose without spending them)."""

    def __init__(self, config: ProviderConfig, *, max_retries: int | None = None,
                 max_wait: float | None = None, timeout: float | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        settings = get_settings()
        self.config = config
        self.max_retries = settings.llm_max_retries if max_retries is None else max_retries
        self.max_wait = settings.llm_retry_max_wait_seconds if max_wait is None else max_wait
        self.timeout = config.timeout if timeout is None else timeout
        self._sleep = sleep
        headers = {"Content-Type": "application/json", "User-Agent": settings.user_agent,
                   "Accept-Encoding": ACCEPT_ENCODING}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        # No redirects: a chat endpoint that redirects is a wrong base URL, and following it
        # would send the key elsewhere. No proxy variables: one set for the shell would
        # silently route keys through it.
        self._http = httpx.Client(headers=headers, timeout=self.timeout, follow_redirects=False,
                                  trust_env=False, transport=checked_transport())

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def complete(self, messages: list[Message], *, json_object: bool = True,
                 max_tokens: int | None = None, temperature: float = 0.0) -> Completion:
        """Send ``messages``; return the first choice's text and the tokens used.
        ``json_object`` asks for ``response_format: {"type": "json_object"}``."""
        body: dict[str, Any] = {"model": self.config.model, "messages": messages,
                                "temperature": temperature}
        if json_object:
            body["response_format"] = {"type": "json_object"}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        return self._parse(self._post(body))

    # -- transport ---------------------------------------------------------------------------

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:  # the URL policy, with DNS, before every call: the endpoint was checked when saved
            check_target_url(self.config.endpoint, allow_private=AddressPolicy.from_settings())
        except ValidationError as exc:
            raise ModelRefused(f"The model provider's address is refused: {exc}") from exc
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._send(body)
            except httpx.TimeoutException as exc:
                raise ModelUnavailable(
                    f"The model provider did not answer within {self.timeout:g} s. Try again, "
                    "or allow more time on the Model provider page.") from exc
            except httpx.TransportError as exc:
                if (refusal := refusal_of(exc)) is not None:
                    raise ModelRefused(f"The model provider's address is refused: {refusal}") \
                        from exc
                if attempt == attempts:
                    raise ModelUnavailable(self._unreachable(exc, attempts)) from exc
                self._sleep(self._backoff(attempt))
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == attempts:
                    raise ModelUnavailable(self._busy(response, attempts))
                self._sleep(self._wait(response, attempt))
                continue
            if response.status_code != 200:
                raise self._refused(response)
            return response
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _send(self, body: dict[str, Any]) -> httpx.Response:
        """POST ``body``; the answer is read raw and decoded here in bounded steps (httpx
        would expand a compression bomb in one go), up to ``MAX_ANSWER_BYTES``."""
        request = self._http.build_request("POST", self.config.endpoint, json=body)
        response = self._http.send(request, stream=True)
        try:
            content = decode_capped(response.headers.get("content-encoding", ""),
                                    response.iter_raw(), MAX_ANSWER_BYTES)
        except (BodyTooLarge, DecodingError) as exc:
            raise ModelAnswerInvalid(f"The model provider's answer was refused: {exc}.") from exc
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length",
                                        "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=content,
                              request=request)

    def _backoff(self, attempt: int) -> float:
        return min(self.max_wait, BACKOFF_SECONDS * 2 ** (attempt - 1))

    def _wait(self, response: httpx.Response, attempt: int) -> float:
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        return min(self.max_wait, asked) if asked is not None else self._backoff(attempt)

    # -- answers -----------------------------------------------------------------------------

    def _parse(self, response: httpx.Response) -> Completion:
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelAnswerInvalid(
                f"The model provider's answer is not JSON ({self._shown_type(response)}): "
                f"{self._excerpt(response)}. Check the base URL: it should point at an "
                "OpenAI-compatible API (it usually ends in /v1).") from exc
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ModelAnswerInvalid(
                "The model provider's answer has no choices: it does not look like an "
                "OpenAI-compatible chat completion.", usage=self._usage(data))
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise ModelAnswerInvalid("The model's answer has no text content.",
                                     usage=self._usage(data))
        return Completion(content, self._usage(data), choices[0].get("finish_reason"))

    def _usage(self, data: Any) -> Usage:
        usage = data.get("usage") if isinstance(data, dict) else None
        usage = usage if isinstance(usage, dict) else {}
        return Usage(self.config.name, self.config.model,
                     _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))

    # -- messages ----------------------------------------------------------------------------

    def _unreachable(self, exc: Exception, attempts: int) -> str:
        return (f"Cannot reach the model provider at {self.config.base_url} "
                f"({type(exc).__name__}, {attempts} attempts). Check the base URL and that "
                "the server is running.")

    def _busy(self, response: httpx.Response, attempts: int) -> str:
        if response.status_code == 429:
            return (f"The model provider is rate limiting requests (HTTP 429) after {attempts} "
                    f"attempts: {self._reason(response)}. Wait a minute and try again.")
        return (f"The model provider failed (HTTP {response.status_code}) {attempts} times: "
                f"{self._reason(response)}. Try again later.")

    def _refused(self, response: httpx.Response) -> ModelRefused:
        code, reason = response.status_code, self._reason(response)
        if code in (401, 403):
            text = (f"The model provider refused the API key (HTTP {code}): {reason}. "
                    "Check the key on the Model provider page.")
        elif code == 404:
            text = (f"The model provider has no such endpoint or model (HTTP 404): {reason}. "
                    "Check the base URL (it usually ends in /v1) and the model name.")
        elif 300 <= code < 400:
            text = (f"The model provider redirects (HTTP {code}) instead of answering. Check "
                    "the base URL (https, and usually ending in /v1).")
        else:
            text = f"The model provider rejected the request (HTTP {code}): {reason}."
        return ModelRefused(text, status_code=code)

    def _reason(self, response: httpx.Response) -> str:
        """The provider's own error message ({"error": {"message": …}} or text), shortened."""
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._excerpt(response)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            error = error["message"]
        return scrub(_shorten(str(error)) if error else "no reason given", self.config.api_key)

    def _excerpt(self, response: httpx.Response) -> str:
        text = response.text.strip()
        return repr(scrub(_shorten(text), self.config.api_key)) if text else "an empty body"

    @staticmethod
    def _shown_type(response: httpx.Response) -> str:
        kind = response.headers.get("Content-Type", "").split(";")[0] or "no Content-Type"
        return f"HTTP {response.status_code}, {kind}"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN_BODY_CHARS else text[:_SHOWN_BODY_CHARS - 1] + "…"
