"""The trading tables."""

import enum
import uuid

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import BigInteger, CheckConstraint, Enum, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.audit import AuditEntryMixin
from servicekit.db import created_now, new_metadata, updated_now, uuid_pk
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin
from servicekit.retention import OutboxConsumerMixin, PrunedPartitionMixin
from servicekit.runtime_settings import RuntimeSettingMixin


class Base(DeclarativeBase):
    metadata = new_metadata()


class ListingStatus(enum.StrEnum):
    ACTIVE = "active"
    RESERVED = "reserved"
    SOLD = "sold"
    CANCELLED = "cancelled"


class Feed(enum.StrEnum):
    DISCOVER = "discover"
    COMMUNITY = "community"


class Condition(enum.StrEnum):
    NEW = "new"
    LIKE_NEW = "like_new"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
        CheckConstraint("char_length(title) BETWEEN 1 AND 200", name="title_length"),
        Index("ix_listings_status_created_at", "status", "created_at"),
    )

    id: Mapped[uuid_pk]
    seller_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    condition: Mapped[Condition | None] = mapped_column(_enum(Condition, "listing_condition"))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    location: Mapped[WKBElement | None] = mapped_column(Geography(geometry_type="POINT", srid=4326))
    feed: Mapped[Feed] = mapped_column(_enum(Feed, "listing_feed"), default=Feed.DISCOVER)
    status: Mapped[ListingStatus] = mapped_column(_enum(ListingStatus, "listing_status"), default=ListingStatus.ACTIVE)
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class OutboxEvent(OutboxEventMixin, Base):
    pass


class OutboxConsumer(OutboxConsumerMixin, Base):
    pass


class PrunedPartition(PrunedPartitionMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class AuditEntry(AuditEntryMixin, Base):
    pass


class RuntimeSetting(RuntimeSettingMixin, Base):
    pass
