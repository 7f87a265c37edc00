"""Bulk loads as benchmarks do them: a table's keys and indexes dropped for the load and rebuilt after it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def keys_rebuilt_after(
    connection: asyncpg.Connection, table: str, *, primary_key: bool = True
) -> AsyncIterator[None]:
    """Drops the table's foreign keys, its primary key (unless other tables' foreign keys need it:
    `primary_key=False`) and its other indexes, and makes them again when the block ends: one sort per
    index after the load instead of an index update per row during it. Unique constraints stay."""
    constraints = await connection.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE conrelid = $1::regclass AND contype::text = ANY($2::text[]) ORDER BY contype DESC",
        table,
        ["p", "f"] if primary_key else ["f"],
    )
    indexes = await connection.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass)",
        table,
    )
    for row in reversed(constraints):  # foreign keys first, then the primary key
        await connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{row["conname"]}"')
    for row in indexes:
        await connection.execute(f'DROP INDEX "{row["indexname"]}"')
    yield
    await connection.execute("SET maintenance_work_mem = '512MB'")
    for row in constraints:  # primary key first, then the foreign keys (validated in bulk)
        await connection.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{row["conname"]}" {row["definition"]}')
    for row in indexes:
        await connection.execute(row["indexdef"])
