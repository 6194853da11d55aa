"""Loading one record for an actor: a malformed id, a missing row and a row the actor may not
read all look the same to them ("not found"), so ids reveal nothing."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from core.access import Actor, can_read
from core.errors import NotFound

Record = TypeVar("Record")


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
