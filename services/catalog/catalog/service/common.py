"""What the use cases of every resource share: idempotency keys, collected violations, lost races."""

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

import asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import IdempotencyKey
from servicekit import idempotency
from servicekit.db import broken_constraint
from servicekit.errors import DomainError, FieldViolation, InvalidArgument

T = TypeVar("T")


async def claimed(session: AsyncSession, scope: str, request_id: str) -> UUID | None:
    """The first result of a repeated idempotency key; None when this request goes ahead."""
    if not request_id:
        return None
    return await idempotency.claim(session, IdempotencyKey, scope, request_id)


async def completed(session: AsyncSession, scope: str, request_id: str, result_id: UUID) -> None:
    if request_id:
        await idempotency.complete(session, IdempotencyKey, scope, request_id, result_id)


def collect(violations: list[FieldViolation], check: Callable[[], T]) -> T:
    """The result of `check`, or INVALID_ARGUMENT with its violations after those found already."""
    try:
        result = check()
    except InvalidArgument as exc:
        raise InvalidArgument(violations + exc.violations) from None
    if violations:
        raise InvalidArgument(violations)
    return result


def lost_race(exc: IntegrityError, error: DomainError) -> DomainError:
    """`error` when a concurrent change took the unique name or key first; anything else is re-raised."""
    if broken_constraint(exc, asyncpg.UniqueViolationError) is None:
        raise exc
    return error
