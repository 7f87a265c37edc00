"""SQLAlchemy Core statements run on a session or on a raw asyncpg connection alike.

The kit's tables (idempotency keys, the audit log) are written by use cases of either kind: most
run on an AsyncSession, the ledger's hot path on a bare asyncpg connection. Their statements are
written once, in Core, and compiled for asyncpg when the handle is a connection. asyncpg takes
jsonb as text, so JSON goes in through `json_text`.
"""

import json
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, Executable, Text, cast, literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

Handle = AsyncSession | asyncpg.Connection

_ASYNCPG = asyncpg_dialect.dialect(paramstyle="numeric_dollar")


@dataclass(frozen=True)
class Prepared:
    """A statement of a hot path written once with named bind parameters, compiled for asyncpg once."""

    statement: Executable
    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: Executable) -> "Prepared":
        compiled = statement.compile(dialect=_ASYNCPG)
        return cls(statement, str(compiled), tuple(compiled.positiontup or ()))


async def rows(handle: Handle, statement: Executable | Prepared, **params: Any) -> list:
    """The rows the statement returns (none for one without RETURNING), in the handle's transaction; a
    Prepared one with its `params`."""
    if isinstance(handle, AsyncSession):
        executable = statement.statement if isinstance(statement, Prepared) else statement
        result = await handle.execute(executable, params)
        return list(result) if result.returns_rows else []
    if isinstance(statement, Prepared):
        return await handle.fetch(statement.sql, *(params[name] for name in statement.names))
    compiled = statement.compile(dialect=_ASYNCPG)
    return await handle.fetch(str(compiled), *(compiled.params[name] for name in compiled.positiontup))


def json_text(value: Any) -> ColumnElement | None:
    """A JSON value as a jsonb parameter either handle binds; None stays SQL NULL."""
    return None if value is None else cast(literal(json.dumps(value), Text), JSONB)
