"""Password hashing (bcrypt, the same scheme streamlit-authenticator uses) and strength rules."""

from __future__ import annotations

import secrets

import bcrypt

from core.platform.errors import ValidationError
from core.platform.settings import get_settings

MIN_LENGTH = 8
# bcrypt only looks at the first 72 bytes; refuse longer passwords rather than silently truncating.
MAX_BYTES = 72


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"Password must be at least {MIN_LENGTH} characters long.")
    if len(password.encode()) > MAX_BYTES:
        raise ValidationError(f"Password must be at most {MAX_BYTES} bytes long.")


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=get_settings().bcrypt_rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode()[:MAX_BYTES], password_hash.encode())
    except ValueError:  # a malformed stored hash never signs anyone in
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)
