"""First start: bring the database to the latest schema and create the first admin."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path

from core.platform.database import Database, open_database
from core.platform.settings import get_settings
from core.accounts.users import FirstAdmin, ensure_first_admin


def initialise(url: str | None = None, *,
               create_admin: bool = True) -> tuple[Database, FirstAdmin | None]:
    """Migrate and (unless told not to) make sure an admin exists. Safe to call on every
    start."""
    settings = get_settings()
    database = open_database(url)
    if not create_admin:
        return database, None
    with database.transaction() as session:
        admin = ensure_first_admin(session, settings.admin_email, settings.admin_password)
    return database, admin


def announce(admin: FirstAdmin | None) -> str | None:
    """The one-time terminal message about the first admin, if one was just created."""
    if admin is None:
        return None
    if admin.generated_password:
        return (f"ScrapeDeck: created admin {admin.email} with password "
                f"{admin.generated_password}\n(shown once: keep it, or reset it later from the Users page)")
    return f"ScrapeDeck: created admin {admin.email} with the password from ADMIN_PASSWORD"


def cookie_signing_key() -> str:
    """AUTH_COOKIE_KEY, or a random key generated once and kept in the data folder, so that
    sign-in cookies survive restarts without anyone having to invent a secret."""
    settings = get_settings()
    return settings.auth_cookie_key or generated_secret("cookie.key")


def generated_secret(filename: str) -> str:
    """A random secret made the first time it is asked for and kept (mode 600) in the data
    folder as ``filename``: the fallback for every secret setting left empty."""
    return _stored_key(get_settings().data_dir / filename)


@functools.cache  # read once per process: the app asks on every rerun
def _stored_key(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
