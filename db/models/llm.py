"""The optional language-model provider (issue 4, point 7): each user's OpenAI-compatible
endpoint, with the API key stored encrypted (ciphertext only), and the price table that turns
the tokens a call used into dollars in the cost ledger."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Numeric, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, UUIDPrimaryKey, one_of
from db.types import UTCDateTime, Vocabulary, utcnow
from vocabularies import ConnectionStatus


class LLMProvider(UUIDPrimaryKey, Timestamps, Base):
    """One per user: where their model lives and how to reach it."""

    __tablename__ = "llm_providers"
    __table_args__ = (one_of("test_status", ConnectionStatus),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    base_url: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(120))
    # Fernet token (core.llm.secrets); never the key itself. NULL: the endpoint needs no key.
    api_key_encrypted: Mapped[str | None] = mapped_column(Text)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=60.0)
    # The last "Test connection", written by the worker that ran it.
    test_status: Mapped[ConnectionStatus] = mapped_column(Vocabulary(ConnectionStatus, 20),
                                                          default=ConnectionStatus.NEVER)
    test_message: Mapped[str | None] = mapped_column(Text)
    tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ModelPrice(UUIDPrimaryKey, Base):
    """USD per million tokens for the models whose name matches ``model_pattern`` (a
    case-insensitive shell pattern, e.g. ``gpt-4o-mini*``; the longest matching pattern wins)."""

    __tablename__ = "model_prices"

    provider: Mapped[str] = mapped_column(String(60))  # who sells it, for reading the table
    model_pattern: Mapped[str] = mapped_column(String(120), unique=True)
    input_per_million: Mapped[Decimal] = mapped_column(Numeric(12, 6))
    output_per_million: Mapped[Decimal] = mapped_column(Numeric(12, 6))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
