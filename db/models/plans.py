"""Plans and credits (seed 001 ``subscription_tiers``, ``user_subscriptions``,
``subscription_usage_records``, ``user_credits``, ``credit_packages``; plus ``credit_grants``,
the history of what an admin granted). Written only by ``core.credits``.

Credits are kept with four decimals, like ``runs.credits_charged`` (a model call of 300 tokens
costs 0.3 credit). There is no payment provider: prices in cents are informative.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, UUIDPrimaryKey
from db.types import UTCDateTime, utcnow

CREDIT_TYPE = "scraping"  # the one credit type ScrapeDeck charges (seed: enrichment/calling/scraping)


class SubscriptionTier(UUIDPrimaryKey, Timestamps, Base):
    """A plan: how many runs a month, at once and for how long, and the credits included."""

    __tablename__ = "subscription_tiers"

    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    monthly_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    monthly_execution_limit: Mapped[int] = mapped_column(Integer)  # runs started per month
    max_concurrent_runs: Mapped[int] = mapped_column(Integer)
    max_execution_duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    credits_included: Mapped[int] = mapped_column(Integer, default=0)  # per calendar month
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class UserSubscription(UUIDPrimaryKey, Timestamps, Base):
    """The plan a user is on (one at most). Periods are calendar months, UTC."""

    __tablename__ = "user_subscriptions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    tier_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("subscription_tiers.id"))
    current_period_start: Mapped[date] = mapped_column(Date)
    current_period_end: Mapped[date] = mapped_column(Date)  # exclusive
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"))


class SubscriptionUsageRecord(UUIDPrimaryKey, Base):
    """What a user used in one period of their plan: runs started, peak runs at once, credits
    charged (the plan's included credits first, then the balance)."""

    __tablename__ = "subscription_usage_records"
    __table_args__ = (Index("uq_subscription_usage_records_period", "user_id", "period_start",
                            unique=True),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    tier_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("subscription_tiers.id"))
    execution_limit: Mapped[int] = mapped_column(Integer)
    executions_used: Mapped[int] = mapped_column(Integer, default=0)
    peak_concurrent_runs: Mapped[int] = mapped_column(Integer, default=0)
    credits_included: Mapped[int] = mapped_column(Integer, default=0)
    credits_used: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserCredit(UUIDPrimaryKey, Timestamps, Base):
    """A user's balance of granted credits, drawn on once the plan's included ones are used."""

    __tablename__ = "user_credits"
    __table_args__ = (Index("uq_user_credits_user_type", "user_id", "credit_type", unique=True),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    credit_type: Mapped[str] = mapped_column(String(50), default=CREDIT_TYPE)
    balance: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal(0))
    total_purchased: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal(0))
    total_used: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal(0))


class CreditPackage(UUIDPrimaryKey, Timestamps, Base):
    """A named bundle of credits an admin can grant."""

    __tablename__ = "credit_packages"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    credit_amount: Mapped[int] = mapped_column(Integer)
    price: Mapped[int] = mapped_column(Integer, default=0)  # cents, informative
    credit_type: Mapped[str] = mapped_column(String(50), default=CREDIT_TYPE)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class CreditGrant(UUIDPrimaryKey, Base):
    """One grant of credits to a user (a package's, or an amount), by an admin."""

    __tablename__ = "credit_grants"
    __table_args__ = (Index("ix_credit_grants_user_id_created_at", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    package_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("credit_packages.id", ondelete="SET NULL"))
    credits: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    granted_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
