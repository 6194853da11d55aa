"""Encrypting API keys at rest (Fernet: AES-128-CBC with an HMAC, from ``cryptography``).

The Fernet key is derived from the ``SCRAPEDECK_SECRET_KEY`` setting, or, when that is empty,
from a random secret generated once into ``$SCRAPEDECK_DATA_DIR/secret.key`` (the same
mechanism as the sign-in cookie key). Any text works as the setting: it is hashed to the 32
bytes Fernet wants, so an operator never has to produce a Fernet key by hand.

A token made under another secret (rotated setting, copied database) fails its HMAC check and
raises ``ProviderKeyUnreadable`` with a message asking the user to enter the key again.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from core.llm.errors import ProviderKeyUnreadable
from core.platform.settings import get_settings
from core.accounts.setup import generated_secret

UNREADABLE = ("Your saved API key can no longer be read (the server's secret key changed). "
              "Re-enter your API key on the Model provider page.")


def _fernet(secret: str | None = None) -> Fernet:
    secret = secret or get_settings().secret_key or generated_secret("secret.key")
    digest = hashlib.sha256(secret.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str, *, secret: str | None = None) -> str:
    """The Fernet token (ASCII text) for ``plaintext``; a fresh random IV every time."""
    return _fernet(secret).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, secret: str | None = None) -> str:
    """The plaintext of a token from ``encrypt``; ``ProviderKeyUnreadable`` if it cannot be."""
    try:
        return _fernet(secret).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise ProviderKeyUnreadable(UNREADABLE) from exc


def mask(key: str) -> str:
    """How a saved key is shown: never the key, at most its last four characters."""
    return f"set (ends in …{key[-4:]})" if len(key) >= 16 else "set"
