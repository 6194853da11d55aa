"""Sign-in: checks a password against the users table, records every attempt, and locks an
email after too many failures (``LOGIN_MAX_FAILURES`` within ``LOGIN_WINDOW_MINUTES`` lock it for
``LOGIN_LOCK_MINUTES``). Attempts refused because of a lock do not extend it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Actor
from core.errors import AccountLocked, AccountSuspended, AuthError
from core.passwords import verify_password
from core.settings import Settings, get_settings
from core.users import actor_of, mark_signed_in, normalise_email
from db.models import LoginAttempt, User
from db.types import utcnow

WRONG_CREDENTIALS = "Wrong email or password."


def _recent_failures(session: Session, email: str, since: datetime) -> list[datetime]:
    """Failure times after the last success, oldest first (lock refusals excluded)."""
    last_success = session.scalar(
        select(LoginAttempt.attempted_at)
        .where(LoginAttempt.email == email, LoginAttempt.success.is_(True))
        .order_by(LoginAttempt.attempted_at.desc()).limit(1))
    start = max(since, last_success) if last_success else since
    return list(session.scalars(
        select(LoginAttempt.attempted_at)
        .where(LoginAttempt.email == email, LoginAttempt.success.is_(False),
               LoginAttempt.failure_reason != "locked", LoginAttempt.attempted_at > start)
        .order_by(LoginAttempt.attempted_at)))


def locked_until(session: Session, email: str, now: datetime,
                 settings: Settings | None = None) -> datetime | None:
    """When the lock on ``email`` ends, or None if it is not locked at ``now``."""
    s = settings or get_settings()
    window, lock, limit = (timedelta(minutes=s.login_window_minutes),
                           timedelta(minutes=s.login_lock_minutes), s.login_max_failures)
    failures = _recent_failures(session, normalise_email(email), now - window - lock)
    until = None
    for i in range(limit - 1, len(failures)):
        if failures[i] - failures[i - limit + 1] <= window:
            until = failures[i] + lock
    return until if until and until > now else None


def _record(session: Session, email: str, ip: str, user_agent: str, reason: str | None) -> None:
    session.add(LoginAttempt(email=email[:320], ip_address=ip[:45], user_agent=user_agent,
                             success=reason is None, failure_reason=reason))


def sign_in(session: Session, email: str, password: str, ip: str = "",
            user_agent: str = "") -> Actor:
    """Return the actor for valid credentials, or raise an AuthError saying why not.

    The attempt is written in the caller's transaction; callers must commit even when this
    raises (``ui`` and the CLI do), or the failure would not count towards the lock.
    """
    email, now = normalise_email(email), utcnow()
    until = locked_until(session, email, now)
    if until is not None:
        _record(session, email, ip, user_agent, "locked")
        minutes = max(1, round((until - now).total_seconds() / 60))
        raise AccountLocked(
            f"Too many failed sign-ins for {email}. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''} (at {until:%H:%M} UTC).", until)
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not verify_password(password, user.password_hash):
        _record(session, email, ip, user_agent, "wrong_credentials")
        raise AuthError(WRONG_CREDENTIALS)
    if user.suspended_at is not None:
        _record(session, email, ip, user_agent, "suspended")
        raise AccountSuspended(
            f"This account is suspended: {user.suspension_reason}. Contact an admin.")
    _record(session, email, ip, user_agent, None)
    mark_signed_in(session, email, now)
    return actor_of(user)
