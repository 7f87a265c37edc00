"""What the queries of every resource share: row locks and the unique constraint a write broke."""

from typing import Literal

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError

Lock = Literal["share", "update"] | None


def locked(stmt: Select, lock: Lock) -> Select:
    if lock is None:
        return stmt
    # A row read earlier in the transaction is read again: it may have changed while the lock waited.
    return stmt.with_for_update(read=lock == "share").execution_options(populate_existing=True)


def unique_violation(error: IntegrityError) -> str | None:
    """The name of the unique constraint the failed statement broke, if it broke one."""
    # asyncpg's UniqueViolationError (the cause of the DBAPI error) names the constraint.
    cause = error.orig.__cause__ if error.orig else None
    if type(cause).__name__ != "UniqueViolationError":
        return None
    return getattr(cause, "constraint_name", None)
