"""Queries of accounts, one module per resource. Session (or connection) first, never a commit."""

import asyncpg
from sqlalchemy.exc import IntegrityError


def constraint_name(error: IntegrityError | asyncpg.PostgresError) -> str:
    """The constraint a failed statement broke; through SQLAlchemy, asyncpg's error is the DBAPI error's cause."""
    if isinstance(error, IntegrityError):
        error = error.orig.__cause__ if error.orig else None
    return getattr(error, "constraint_name", None) or ""
