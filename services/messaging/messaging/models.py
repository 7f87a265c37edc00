"""The messaging tables."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.audit import AuditEntryMixin
from servicekit.db import created_now, new_metadata, updated_now, uuid_pk
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin
from servicekit.retention import OutboxConsumerMixin, PrunedPartitionMixin
from servicekit.runtime_settings import RuntimeSettingMixin


class Base(DeclarativeBase):
    metadata = new_metadata()


class Conversation(Base):
    """One per buyer, seller and listing."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("listing_id", "buyer_id", name="uq_conversations_listing_id_buyer_id"),
        CheckConstraint("buyer_id <> seller_id", name="two_people"),
    )

    id: Mapped[uuid_pk]
    listing_id: Mapped[uuid.UUID]
    buyer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    seller_id: Mapped[uuid.UUID] = mapped_column(index=True)
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("text <> '' OR image_url <> ''", name="has_content"),
        Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[uuid_pk]
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[uuid.UUID]
    text: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[created_now]


class ParticipantState(Base):
    """What one participant has read of a conversation, and whether they archived it."""

    __tablename__ = "participant_states"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    last_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived: Mapped[bool] = mapped_column(default=False)


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
