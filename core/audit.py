"""The audit log: who did what to which record, with the values before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Actor, require_admin
from db.models import AuditLog, User


def record(session: Session, actor: Actor, action: str, entity_type: str, entity_id: Any,
           old: dict[str, Any] | None = None, new: dict[str, Any] | None = None) -> None:
    """Add an entry in the caller's transaction, so it commits or rolls back with the change."""
    session.add(AuditLog(user_id=actor.id, action=action, entity_type=entity_type,
                         entity_id=None if entity_id is None else str(entity_id),
                         old_values=old, new_values=new))


@dataclass(frozen=True)
class AuditFilter:
    actor_email: str = ""
    action: str = ""
    entity_type: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 500


AUDIT_COLUMNS = ["when", "who", "action", "entity_type", "entity_id", "old_values", "new_values"]


def list_entries(session: Session, actor: Actor, flt: AuditFilter = AuditFilter()) -> pd.DataFrame:
    """Newest first. Admins only."""
    require_admin(actor)
    query = (select(AuditLog.created_at, User.email, AuditLog.action, AuditLog.entity_type,
                    AuditLog.entity_id, AuditLog.old_values, AuditLog.new_values)
             .join(User, User.id == AuditLog.user_id)
             .order_by(AuditLog.created_at.desc()).limit(flt.limit))
    if flt.actor_email.strip():
        query = query.where(User.email.contains(flt.actor_email.strip().lower()))
    if flt.action:
        query = query.where(AuditLog.action == flt.action)
    if flt.entity_type:
        query = query.where(AuditLog.entity_type == flt.entity_type)
    if flt.since:
        query = query.where(AuditLog.created_at >= flt.since)
    if flt.until:
        query = query.where(AuditLog.created_at < flt.until)
    return pd.DataFrame(session.execute(query).all(), columns=AUDIT_COLUMNS)


def known_actions(session: Session, actor: Actor) -> list[str]:
    require_admin(actor)
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def known_entity_types(session: Session, actor: Actor) -> list[str]:
    require_admin(actor)
    return list(session.scalars(select(AuditLog.entity_type).distinct()
                                .order_by(AuditLog.entity_type)))
