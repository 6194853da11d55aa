"""Who may do what. Every service asks these questions before touching a record.

- admin: everything, including user management and the audit log;
- analyst: their own records, and public records read-only;
- viewer: read-only, own and public records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.platform.errors import NotFound, PermissionDenied
from vocabularies import Role


@dataclass(frozen=True)
class Actor:
    """The signed-in user a service call acts for."""

    id: uuid.UUID
    email: str
    name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_write(self) -> bool:
        return self.role in Role.CAN_WRITE


def can_read(actor: Actor, owner_id: uuid.UUID, is_public: bool = False) -> bool:
    return actor.is_admin or is_public or owner_id == actor.id


def can_change(actor: Actor, owner_id: uuid.UUID) -> bool:
    return actor.is_admin or (actor.can_write and owner_id == actor.id)


def require_read(actor: Actor, owner_id: uuid.UUID, is_public: bool, what: str) -> None:
    # A record the actor may not read is reported as missing: its existence is private too.
    if not can_read(actor, owner_id, is_public):
        raise NotFound(f"{what} not found.")


def require_change(actor: Actor, owner_id: uuid.UUID, what: str) -> None:
    if not actor.can_write:
        raise PermissionDenied("Viewers have read-only access; ask an admin for the analyst role.")
    if not can_change(actor, owner_id):
        raise PermissionDenied(f"Only the owner or an admin can change this {what}.")


def require_writer(actor: Actor) -> None:
    if not actor.can_write:
        raise PermissionDenied("Viewers have read-only access; ask an admin for the analyst role.")


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can do this.")
