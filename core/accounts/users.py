"""User accounts: creation, listing, roles, suspension, password resets (admin actions are
audited), and the first admin created on an empty database."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.platform import audit
from core.platform.access import Actor, Role, require_admin
from core.platform.errors import Conflict, NotFound, ValidationError
from core.accounts.passwords import check_strength, generate_password, hash_password
from db.models import User
from db.types import utcnow

if TYPE_CHECKING:
    import pandas as pd

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 200


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise ValidationError(f"'{email}' is not a valid email address.")
    return email


def check_name(name: str, what: str = "Name") -> str:
    name = name.strip()
    if not name:
        raise ValidationError(f"{what} is empty.")
    if len(name) > MAX_NAME:
        raise ValidationError(f"{what} is longer than {MAX_NAME} characters ({len(name)}).")
    return name


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(f"Role must be one of {', '.join(Role)}; got '{role}'.") from None


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, email=user.email, name=user.name, role=user.role)


def get_active_actor(session: Session, email: str) -> Actor | None:
    """The actor for a signed-in email, or None if the account is gone or suspended."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or user.suspended_at is not None:
        return None
    return actor_of(user)


def _insert_user(session: Session, email: str, name: str, password: str, role: str) -> User:
    email, name, checked = check_email(email), check_name(name), check_role(role)
    check_strength(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with email {email} already exists.")
    user = User(email=email, name=name, password_hash=hash_password(password), role=checked)
    session.add(user)
    session.flush()
    return user


def create_user(session: Session, actor: Actor, email: str, name: str, password: str,
                role: str = Role.ANALYST) -> Actor:
    require_admin(actor)
    user = _insert_user(session, email, name, password, role)
    audit.record(session, actor, "user.create", "user", user.id,
                 new={"email": user.email, "name": user.name, "role": user.role})
    return actor_of(user)


@dataclass(frozen=True)
class FirstAdmin:
    email: str
    generated_password: str | None  # set only when we made one up and must show it once


def ensure_first_admin(session: Session, email: str, password: str) -> FirstAdmin | None:
    """On an empty users table create the admin; otherwise do nothing and return None."""
    if session.scalar(select(func.count(User.id))):
        return None
    generated = None if password else generate_password()
    _insert_user(session, email, "Administrator", generated or password, Role.ADMIN)
    return FirstAdmin(email=normalise_email(email), generated_password=generated)


USER_COLUMNS = ["id", "email", "name", "role", "status", "suspension_reason", "last_signed_in_at",
                "created_at"]


def list_users(session: Session, actor: Actor) -> pd.DataFrame:
    require_admin(actor)
    rows = [
        (u.id, u.email, u.name, u.role, "suspended" if u.suspended_at else "active",
         u.suspension_reason, u.last_signed_in_at, u.created_at)
        for u in session.scalars(select(User).order_by(User.email))
    ]
    import pandas as pd  # only here: a command that lists nothing starts without it

    return pd.DataFrame(rows, columns=USER_COLUMNS)


def _load(session: Session, user_id: uuid.UUID | str) -> User:
    user = session.get(User, uuid.UUID(str(user_id)))
    if user is None:
        raise NotFound("User not found.")
    return user


def _refuse_self(actor: Actor, user: User, what: str) -> None:
    # An admin who demotes or suspends themselves can lock everyone out of user management.
    if user.id == actor.id:
        raise ValidationError(f"You cannot {what} your own account; ask another admin.")


def change_role(session: Session, actor: Actor, user_id: uuid.UUID | str, role: str) -> None:
    require_admin(actor)
    user, new = _load(session, user_id), check_role(role)
    _refuse_self(actor, user, "change the role of")
    old = user.role
    user.role = new
    audit.record(session, actor, "user.role_change", "user", user.id,
                 old={"role": old}, new={"role": new})


def suspend(session: Session, actor: Actor, user_id: uuid.UUID | str, reason: str) -> None:
    require_admin(actor)
    user = _load(session, user_id)
    _refuse_self(actor, user, "suspend")
    reason = check_name(reason, "Suspension reason")
    user.suspended_at, user.suspension_reason = utcnow(), reason
    audit.record(session, actor, "user.suspend", "user", user.id, new={"reason": reason})


def reinstate(session: Session, actor: Actor, user_id: uuid.UUID | str) -> None:
    require_admin(actor)
    user = _load(session, user_id)
    old_reason = user.suspension_reason
    user.suspended_at, user.suspension_reason = None, None
    audit.record(session, actor, "user.reinstate", "user", user.id, old={"reason": old_reason})


def reset_password(session: Session, actor: Actor, user_id: uuid.UUID | str,
                   new_password: str = "") -> str:
    """Set a new password (generated when empty) and return it, to hand to the user once."""
    require_admin(actor)
    user = _load(session, user_id)
    password = new_password or generate_password()
    check_strength(password)
    user.password_hash = hash_password(password)
    audit.record(session, actor, "user.password_reset", "user", user.id,
                 new={"generated": not new_password})
    return password


def mark_signed_in(session: Session, email: str, when: datetime) -> None:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is not None:
        user.last_signed_in_at = when

