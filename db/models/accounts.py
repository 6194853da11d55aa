"""Accounts and accountability (seed 001): users, sign-in attempts, the admin audit log."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, UUIDPrimaryKey, one_of
from db.types import JSONDocument, UTCDateTime, Vocabulary, utcnow
from vocabularies import LoginFailure, Role


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (one_of("role", Role),)

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[Role] = mapped_column(Vocabulary(Role, 20), default=Role.ANALYST)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(UUIDPrimaryKey, Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_attempted_at", "email", "attempted_at"),
        Index("ix_login_attempts_ip_address", "ip_address"),
        Index("ix_login_attempts_attempted_at", "attempted_at"),
        one_of("failure_reason", LoginFailure),
    )

    email: Mapped[str] = mapped_column(String(320))
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str | None] = mapped_column(Text)
    success: Mapped[bool] = mapped_column(Boolean)
    failure_reason: Mapped[LoginFailure | None] = mapped_column(Vocabulary(LoginFailure, 100))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditLog(UUIDPrimaryKey, Base):
    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_created_at", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
