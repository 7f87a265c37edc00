"""Idempotency keys (`request_id`): the same key returns the first result, never a second effect.

The key row is inserted first, in the same transaction as the effect. A concurrent
request with the same key waits on that row's lock; once the first commits it finds
the row and returns the first result; if the first rolled back it goes ahead itself.
"""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

MAX_KEY_LENGTH = 200


class IdempotencyKeyMixin:
    """Columns of a service's `idempotency_keys` table."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    result_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


async def claim(session: AsyncSession, model: type[IdempotencyKeyMixin], scope: str, key: str) -> uuid.UUID | None:
    """Claims the key for this transaction; returns the first result's id when it was used before."""
    inserted = await session.execute(
        insert(model).values(scope=scope, key=key).on_conflict_do_nothing().returning(model.key)
    )
    if inserted.first() is not None:
        return None
    return await session.scalar(select(model.result_id).where(model.scope == scope, model.key == key))


async def complete(
    session: AsyncSession, model: type[IdempotencyKeyMixin], scope: str, key: str, result_id: uuid.UUID
) -> None:
    """Records the result of the claimed key, in the same transaction as the effect."""
    await session.execute(update(model).where(model.scope == scope, model.key == key).values(result_id=result_id))
