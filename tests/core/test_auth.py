"""Sign-in: every attempt recorded, wrong credentials refused, locks after repeated failures."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.accounts import auth, users
from core.platform.errors import AccountLocked, AccountSuspended, AuthError
from db.models import LoginAttempt, User
from tests.conftest import PASSWORD


def try_sign_in(db, email, password):  # type: ignore[no-untyped-def]
    """As the UI does: the attempt commits even when sign-in is refused."""
    with db.transaction() as session:
        try:
            return auth.sign_in(session, email, password, "10.0.0.1", "pytest")
        except AuthError as exc:
            return exc


def attempts(db, email):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return list(session.execute(select(LoginAttempt.success, LoginAttempt.failure_reason)
                                    .where(LoginAttempt.email == email)
                                    .order_by(LoginAttempt.attempted_at)))


def test_right_password_signs_in_and_is_recorded(db, analyst) -> None:
    actor = try_sign_in(db, analyst.email.upper() + "  ", PASSWORD)
    assert actor == analyst
    assert attempts(db, analyst.email) == [(True, None)]
    with db.transaction() as session:
        assert session.scalar(select(User.last_signed_in_at).where(User.id == analyst.id))


def test_wrong_password_and_unknown_email_get_the_same_message(db, analyst) -> None:
    wrong = try_sign_in(db, analyst.email, "nope-nope")
    unknown = try_sign_in(db, "ghost@example.com", PASSWORD)
    assert str(wrong) == str(unknown) == "Wrong email or password."
    assert attempts(db, analyst.email) == [(False, "wrong_credentials")]


def test_five_failures_lock_the_email_even_for_the_right_password(db, analyst) -> None:
    for _ in range(5):
        assert isinstance(try_sign_in(db, analyst.email, "bad-password"), AuthError)
    locked = try_sign_in(db, analyst.email, PASSWORD)
    assert isinstance(locked, AccountLocked)
    assert "Try again in 15 minutes" in str(locked)
    assert attempts(db, analyst.email)[-1] == (False, "locked")


def test_four_failures_do_not_lock(db, analyst) -> None:
    for _ in range(4):
        try_sign_in(db, analyst.email, "bad-password")
    assert try_sign_in(db, analyst.email, PASSWORD) == analyst


def let_time_pass(db, minutes: int) -> None:  # type: ignore[no-untyped-def]
    """Move every recorded attempt back in time, as if ``minutes`` had passed."""
    with db.transaction() as session:
        for attempt in session.scalars(select(LoginAttempt)):
            attempt.attempted_at -= timedelta(minutes=minutes)


def test_the_lock_ends_after_fifteen_minutes(db, analyst) -> None:
    for _ in range(5):
        try_sign_in(db, analyst.email, "bad-password")
    let_time_pass(db, 16)
    assert try_sign_in(db, analyst.email, PASSWORD) == analyst


def test_failures_spread_wider_than_the_window_do_not_lock(db, analyst) -> None:
    for _ in range(5):
        try_sign_in(db, analyst.email, "bad-password")
        let_time_pass(db, 5)  # failures 5 minutes apart: never five within 15 minutes
    assert try_sign_in(db, analyst.email, PASSWORD) == analyst


def test_a_success_resets_the_failure_count(db, analyst) -> None:
    for _ in range(4):
        try_sign_in(db, analyst.email, "bad-password")
    try_sign_in(db, analyst.email, PASSWORD)
    for _ in range(4):
        try_sign_in(db, analyst.email, "bad-password")
    assert try_sign_in(db, analyst.email, PASSWORD) == analyst


def test_suspended_account_is_refused_with_its_reason(db, admin, analyst) -> None:
    with db.transaction() as session:
        users.suspend(session, admin, analyst.id, "left the company")
    refused = try_sign_in(db, analyst.email, PASSWORD)
    assert isinstance(refused, AccountSuspended)
    assert "left the company" in str(refused)


@pytest.mark.parametrize("stored", ["", "not-a-bcrypt-hash"])
def test_a_malformed_stored_hash_signs_nobody_in(db, analyst, stored) -> None:
    with db.transaction() as session:
        session.execute(update(User).where(User.id == analyst.id).values(password_hash=stored))
    assert isinstance(try_sign_in(db, analyst.email, PASSWORD), AuthError)
