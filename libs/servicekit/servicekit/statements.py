"""SQLAlchemy Core statements run on a session or on a raw asyncpg connection alike.

The kit's tables (idempotency keys, the audit log) are written by use cases of either kind: most
run on an AsyncSession, the ledger's hot path on a bare asyncpg connection. Their statements are
written once, in Core, and compiled for asyncpg when the handle is a connection. asyncpg takes
jsonb as text, so JSON goes in through `json_text`.
"""

import json
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, Executable, Text, cast, literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

Handle = AsyncSession | asyncpg.Connection

_ASYNCPG = asyncpg_dialect.dialect(paramstyle="numeric_dollar")


async def rows(handle: Handle, statement: Executable) -> list:
    """The rows the statement returns (none for one without RETURNING), in the handle's transaction."""
    if isinstance(handle, AsyncSession):
        result = await handle.execute(statement)
        return list(result) if result.returns_rows else []
    compiled = statement.compile(dialect=_ASYNCPG)
    return await handle.fetch(str(compiled), *(compiled.params[name] for name in compiled.positiontup))


def json_text(value: Any) -> ColumnElement | None:
    """A JSON value as a jsonb parameter either handle binds; None stays SQL NULL."""
    return None if value is None else cast(literal(json.dumps(value), Text), JSONB)
