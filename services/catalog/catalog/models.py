"""The catalog's tables."""

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import created_now, new_metadata, updated_now, uuid_pk
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin


class Base(DeclarativeBase):
    metadata = new_metadata()


class Game(Base):
    __tablename__ = "games"
    __table_args__ = (CheckConstraint("char_length(name) BETWEEN 1 AND 200", name="name_length"),)

    id: Mapped[uuid_pk]
    # citext: names are unique whatever their letter case.
    name: Mapped[str] = mapped_column(CITEXT, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    logo_url: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class OutboxEvent(OutboxEventMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass
