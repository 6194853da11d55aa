"""Loading one record for an actor: a malformed id, a missing row and a row the actor may not
read all look the same to them ("not found"), so ids reveal nothing. Also: the one row a unique
index allows, made on first use even when several workers get there at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.platform.access import Actor, can_read
from core.platform.errors import NotFound

class _Owned(Protocol):
    @property
    def user_id(self) -> uuid.UUID: ...


Record = TypeVar("Record", bound=_Owned)
Row = TypeVar("Row")


def parse_id(value: uuid.UUID | str | Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def get_readable(session: Session, model: type[Record], record_id: uuid.UUID | str,
                 actor: Actor, what: str) -> Record:
    """The ``model`` row with this id, if the actor may read it (owner, admin, or public)."""
    key = parse_id(record_id)
    row = session.get(model, key) if key is not None else None
    if row is None or not can_read(actor, row.user_id, getattr(row, "is_public", False)):
        raise NotFound(f"{what} not found.")
    return row


def get_or_create(session: Session, query: Select[Row], make: Callable[[], Row],
                  lock: bool = False) -> Row:
    """The row ``query`` finds, else the one ``make`` builds, added and flushed (locked ``FOR
    UPDATE`` when ``lock``). Two workers making it at once: the unique index keeps one, the
    loser's insert rolls back to its savepoint and it reads the winner's row."""
    found = session.scalar(query.with_for_update() if lock else query)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(make())
            session.flush()
    except IntegrityError:
        pass
    return session.scalars(query.with_for_update() if lock else query).one()
