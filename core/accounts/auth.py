"""Sign-in: checks a password against the users table, records every attempt, and locks after
too many failures.

Two locks, both counted over ``LOGIN_WINDOW_MINUTES`` and lasting ``LOGIN_LOCK_MINUTES``:

- an email *for one client address*: ``LOGIN_MAX_FAILURES`` wrong passwords for that email from
  that address. Someone guessing from one address cannot lock the account's owner out: another
  address still signs in;
- an address: ``LOGIN_MAX_FAILURES_PER_ADDRESS`` wrong passwords from it, whatever the emails
  (so one client cannot try a few passwords on every account). A success does not reset it.

Attempts refused because of a lock do not extend it. The lock check, the password check and the
recorded failure happen in one transaction that first takes a lock on the email and on the address
(PostgreSQL: transaction-level advisory locks; SQLite: the database's write lock, taken by the
first statement), so parallel attempts are checked one after another: at most
``LOGIN_MAX_FAILURES`` wrong passwords are ever checked before the lock holds.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from core.platform.access import Actor
from core.platform.errors import AccountLocked, AccountSuspended, AuthError
from core.accounts.passwords import verify_password
from core.platform.settings import Settings, get_settings
from core.accounts.users import actor_of, mark_signed_in, normalise_email
from core.platform.words import counted
from db.models import LoginAttempt, User
from db.types import utcnow
from vocabularies import LoginFailure

WRONG_CREDENTIALS = "Wrong email or password."
# Refusals because of a lock never extend it.
_NOT_COUNTED = (LoginFailure.LOCKED, LoginFailure.ADDRESS_LOCKED)


def _serialise(session: Session, email: str, ip: str) -> None:
    """Make concurrent sign-ins for this email, or from this address, wait for each other until
    the transaction ends. Must be the transaction's first statement (SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted({f"signin-email:{email}", f"signin-address:{ip}"}):
            number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})
    else:
        # SQLite has one writer at a time: a write statement, even one that changes no row,
        # takes the write lock until commit (waiting for it up to busy_timeout).
        session.execute(update(User).where(User.email == email).values(email=User.email))


def _failures(session: Session, since: datetime, *conditions) -> list[datetime]:  # type: ignore[no-untyped-def]
    return list(session.scalars(
        select(LoginAttempt.attempted_at)
        .where(*conditions, LoginAttempt.success.is_(False),
               LoginAttempt.failure_reason.not_in(_NOT_COUNTED), LoginAttempt.attempted_at > since)
        .order_by(LoginAttempt.attempted_at)))


def _lock_end(failures: list[datetime], limit: int, window: timedelta,
              lock: timedelta, now: datetime) -> datetime | None:
    """When ``limit`` failures within ``window`` lock until, or None if not locked at ``now``."""
    until = None
    for i in range(max(limit, 1) - 1, len(failures)):
        if failures[i] - failures[i - max(limit, 1) + 1] <= window:
            until = failures[i] + lock
    return until if until and until > now else None


def locked_until(session: Session, email: str, now: datetime, settings: Settings | None = None,
                 ip: str = "") -> datetime | None:
    """When the lock on ``email`` for address ``ip`` ends, or None if it is not locked at
    ``now``. Failures before the last success for that email from that address do not count."""
    s = settings or get_settings()
    email = normalise_email(email)
    window, lock = timedelta(minutes=s.login_window_minutes), timedelta(minutes=s.login_lock_minutes)
    same = (LoginAttempt.email == email, LoginAttempt.ip_address == ip[:45])
    last_success = session.scalar(select(func.max(LoginAttempt.attempted_at))
                                  .where(*same, LoginAttempt.success.is_(True)))
    start = now - window - lock
    if last_success is not None:
        start = max(start, last_success)
    return _lock_end(_failures(session, start, *same), s.login_max_failures, window, lock, now)


def address_locked_until(session: Session, ip: str, now: datetime,
                         settings: Settings | None = None) -> datetime | None:
    """When the lock on client address ``ip`` ends, or None if it is not locked at ``now``."""
    s = settings or get_settings()
    window, lock = timedelta(minutes=s.login_window_minutes), timedelta(minutes=s.login_lock_minutes)
    failures = _failures(session, now - window - lock, LoginAttempt.ip_address == ip[:45])
    return _lock_end(failures, s.login_max_failures_per_address, window, lock, now)


def _record(session: Session, email: str, ip: str, user_agent: str,
            reason: LoginFailure | None) -> None:
    session.add(LoginAttempt(email=email[:320], ip_address=ip[:45], user_agent=user_agent,
                             success=reason is None, failure_reason=reason))


def _in_minutes(until: datetime, now: datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    return f"{counted(minutes, 'minute')} (at {until:%H:%M} UTC)"


def sign_in(session: Session, email: str, password: str, ip: str = "",
            user_agent: str = "") -> Actor:
    """Return the actor for valid credentials, or raise an AuthError saying why not.

    Call it first thing in a fresh transaction. The attempt is written in that transaction;
    callers must commit even when this raises (``ui`` does), or the failure would not count
    towards the lock.
    """
    email, ip = normalise_email(email), (ip or "")[:45]
    _serialise(session, email, ip)
    now = utcnow()
    until = address_locked_until(session, ip, now)
    if until is not None:
        _record(session, email, ip, user_agent, LoginFailure.ADDRESS_LOCKED)
        raise AccountLocked(f"Too many failed sign-ins from your address. Try again in "
                            f"{_in_minutes(until, now)}.", until)
    until = locked_until(session, email, now, ip=ip)
    if until is not None:
        _record(session, email, ip, user_agent, LoginFailure.LOCKED)
        raise AccountLocked(f"Too many failed sign-ins for {email}. Try again in "
                            f"{_in_minutes(until, now)}.", until)
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not verify_password(password, user.password_hash):
        _record(session, email, ip, user_agent, LoginFailure.WRONG_CREDENTIALS)
        raise AuthError(WRONG_CREDENTIALS)
    if user.suspended_at is not None:
        _record(session, email, ip, user_agent, LoginFailure.SUSPENDED)
        raise AccountSuspended(
            f"This account is suspended: {user.suspension_reason}. Contact an admin.")
    _record(session, email, ip, user_agent, None)
    mark_signed_in(session, email, now)
    return actor_of(user)
