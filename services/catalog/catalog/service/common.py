"""What the use cases of every resource share: collected violations, lost races."""

from collections.abc import Callable
from typing import TypeVar

import asyncpg
from sqlalchemy.exc import IntegrityError

from servicekit.db import broken_constraint
from servicekit.errors import DomainError, FieldViolation, InvalidArgument

T = TypeVar("T")


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
