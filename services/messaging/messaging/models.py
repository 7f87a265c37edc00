"""The messaging tables."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from messaging.domain.messages import MAX_TEXT, MessageKind
from servicekit.audit import AuditEntryMixin
from servicekit.consumer import ConsumerCursorMixin, ProcessedEventMixin
from servicekit.db import created_now, new_metadata, updated_now, uuid_pk
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin
from servicekit.retention import OutboxConsumerMixin, PrunedPartitionMixin
from servicekit.runtime_settings import RuntimeSettingMixin
from servicekit.urls import MAX_URL


class Base(DeclarativeBase):
    metadata = new_metadata()


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class Conversation(Base):
    """One per buyer, seller and listing; one per two users about no listing."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("listing_id", "buyer_id", name="uq_conversations_listing_id_buyer_id"),
        CheckConstraint("buyer_id <> seller_id", name="two_people"),
        # Without a listing the two users have one conversation, whichever of them started it.
        Index(
            "uq_conversations_pair_without_listing",
            func.least(text("buyer_id"), text("seller_id")),
            func.greatest(text("buyer_id"), text("seller_id")),
            unique=True,
            postgresql_where=text("listing_id IS NULL"),
        ),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid_pk]
    listing_id: Mapped[uuid.UUID | None]
    buyer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    seller_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # The newest message by (created_at, id): messages refer to their conversation and it to its newest
    # message, a cycle that the foreign key added after both tables (use_alter) and the relationship's
    # UPDATE after both rows (post_update) resolve. Sends move it forward only (repository.messages).
    last_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", use_alter=True, ondelete="SET NULL")
    )
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]

    last_message: Mapped["Message | None"] = relationship(
        foreign_keys=[last_message_id], post_update=True, lazy="raise"
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("text <> '' OR image_url <> ''", name="has_content"),
        CheckConstraint(f"char_length(text) <= {MAX_TEXT}", name="text_length"),
        CheckConstraint(f"char_length(image_url) <= {MAX_URL}", name="image_url_length"),
        CheckConstraint("(kind = 'system') = (sender_id IS NULL)", name="system_has_no_sender"),
        CheckConstraint("kind <> 'offer' OR offer_id IS NOT NULL", name="offer_names_offer"),
        Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
        Index("uq_messages_origin", "origin", unique=True),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid_pk]
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # None for a system message.
    sender_id: Mapped[uuid.UUID | None]
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind, "message_kind"), default=MessageKind.TEXT)
    text: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(MAX_URL), default="")
    offer_id: Mapped[uuid.UUID | None]
    # The trading event a posted message tells of (messaging.domain.notices): posted once however often
    # the event comes.
    origin: Mapped[str | None] = mapped_column(String(200))
    # When the other participant read it.
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_now]


class ParticipantState(Base):
    """One participant's side of a conversation: what they have not read, archived, muted. The inbox and
    unread counts read these rows only, through `ix_participant_states_inbox`."""

    __tablename__ = "participant_states"
    __table_args__ = (
        CheckConstraint("unread_count >= 0", name="unread_not_negative"),
        Index(
            "ix_participant_states_inbox",
            "user_id",
            "archived",
            text("active_at DESC"),
            text("conversation_id DESC"),
        ),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    unread_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_read_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    last_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived: Mapped[bool] = mapped_column(default=False)
    muted: Mapped[bool] = mapped_column(default=False, server_default="false")
    # When the conversation was last active: its newest message's time, or when it started.
    active_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    conversation: Mapped[Conversation] = relationship(lazy="raise")


class UserEventHead(Base):
    """The last sequence number given to a user's live events; its row lock orders them by commit."""

    __tablename__ = "user_event_heads"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)


class UserEvent(Base):
    """A user's live events, kept a while for streams that reconnect (messaging.repository.user_events)."""

    __tablename__ = "user_events"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    # The serialized marketplace.messaging.v1.UserEvent, without its id.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


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


class ConsumerCursor(ConsumerCursorMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass
