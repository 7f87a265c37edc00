"""Query plans in tests: whether a statement can use an index, shown by planning it with sequential scans
off (on the tests' few rows any plan is cheap, so a plan without the index means it cannot serve)."""

from collections.abc import Sequence

import asyncpg
from sqlalchemy import Select
from sqlalchemy.dialects import postgresql


async def plan_without_seqscan(
    database_url: str,
    stmt: Select,
    analyze: Sequence[str] = (),
    also_off: Sequence[str] = (),
    without: Sequence[tuple[str, str]] = (),
) -> str:
    """EXPLAIN of the statement, its values written in, on the database at `database_url` (SQLAlchemy's form),
    after an ANALYZE of the tables in `analyze`; with the plans of `also_off` (`indexscan`, say) off as well, and
    the constraints `without` (table, constraint) dropped for it, in a transaction rolled back after."""
    # Rendered for a driver that escapes % as %%; asyncpg takes the statement as written.
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})).replace("%%", "%")
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        for table in analyze:
            await connection.execute(f"ANALYZE {table}")
        for plan in ("seqscan", *also_off):
            await connection.execute(f"SET enable_{plan} = off")
        transaction = connection.transaction()
        await transaction.start()
        try:
            for table, constraint in without:
                await connection.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
            return "\n".join(row[0] for row in await connection.fetch(f"EXPLAIN {sql}"))
        finally:
            await transaction.rollback()
    finally:
        await connection.close()
