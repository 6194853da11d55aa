"""What can go wrong with a model call, as ``ScrapeDeckError``\\ s a page or a build can show.

    ModelError                 base: anything about the optional model provider
    ├── ModelUnavailable       timeout, connection refused, HTTP 429 or 5xx (after retries)
    ├── ModelRefused           HTTP 401/403 (the key) or another 4xx (the request: model name…)
    ├── ModelAnswerInvalid     the answer is not what was asked: not JSON, no ``choices``, or
    │                          content that is not the JSON document requested
    └── ProviderKeyUnreadable  the stored key cannot be decrypted (the secret key changed)

Messages never contain the API key: ``scrub`` removes it from anything a provider echoes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.platform.errors import ScrapeDeckError

if TYPE_CHECKING:
    from core.llm.client import Usage


class ModelError(ScrapeDeckError):
    """Base class for model-provider problems; the message says what to try. ``usage`` is set
    when the provider answered (and so billed) before the problem showed: record it."""

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.usage = usage


class ModelUnavailable(ModelError):
    pass


class ModelRefused(ModelError):
    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class ModelAnswerInvalid(ModelError):
    pass


class ProviderKeyUnreadable(ModelError):
    pass


def scrub(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` masked (a provider may echo the key)."""
    if secret and len(secret) >= 4:
        return text.replace(secret, "***")
    return text
