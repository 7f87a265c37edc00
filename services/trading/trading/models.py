"""The trading tables."""

from sqlalchemy.orm import DeclarativeBase

from servicekit.db import new_metadata
from servicekit.idempotency import IdempotencyKeyMixin
from servicekit.outbox import OutboxEventMixin


class Base(DeclarativeBase):
    metadata = new_metadata()


class OutboxEvent(OutboxEventMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass
